/**
 * Structured output and the money it costs, end to end (issue 10, item 8): an answer that cannot
 * be used — JSON that does not parse, a refusal, a `length` stop — ends the step with a typed,
 * non-retryable failure after at most one repair call, never three blind billed retries; the
 * thread says what to do; and the tokens of every call that returned usage are in the total shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmFailure } from '../../src/shared/failure-types.js';
import type { Step } from '../../src/stand-ins/openai.js';
import { blockText } from '../harness/fake-slack.js';
import { runFailureOf } from '../harness/failures.js';
import { startStack, type Stack } from '../harness/stack.js';

const failureOf = (stack: Stack, workflowId: string) => runFailureOf(stack.client, workflowId);

describe('unusable model output', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  /** Tokens the stand-in billed for this topic's calls (every call that answered with usage). */
  function billed(topic: string, step?: Step): number {
    return stack.openai.completions
      .filter((c) => (!step || c.step === step) && JSON.stringify(c.request.messages).includes(topic))
      .reduce((sum, c) => sum + (c.usage ? c.usage.prompt_tokens + c.usage.completion_tokens : 0), 0);
  }

  /** The token total the failure reply shows ("Total: 1,234 tokens · …"). */
  function totalOf(reply: string): number {
    const match = /Total: ([\d,]+) tokens/.exec(reply);
    expect(match).not.toBeNull();
    return Number(match![1]!.replace(/,/g, ''));
  }

  async function failedRun(topic: string) {
    await stack.research(topic);
    const { workflowId, threadTs } = await stack.waitForPipeline(topic);
    const failure = await failureOf(stack, workflowId);
    const reply = blockText(await stack.waitForReply(threadTs, 'failure'));
    return { failure, reply, threadTs };
  }

  it('examples that are not JSON twice: one repair call quoting the error, then a typed failure; both calls counted', async () => {
    const topic = 'unparsable examples';
    stack.openai.script('findExamples', { content: 'Here are three examples: one, two, three.' }, { content: '{"examples": "still not a list"' });
    const { failure, reply } = await failedRun(topic);

    expect(failure.type).toBe(LlmFailure.OutputInvalid);
    expect(failure.nonRetryable).toBe(true);
    const calls = stack.openai.completions.filter((c) => c.step === 'findExamples' && JSON.stringify(c.request.messages).includes(topic));
    expect(calls).toHaveLength(2); // the call and ONE repair, no Temporal retry
    // The repair shows the model its answer and what was wrong with it.
    expect(JSON.stringify(calls[1]!.request.messages)).toContain('Here are three examples');
    expect(stack.openai.count('writeArticle')).toBe(0);

    expect(reply).toContain('*Real-world examples failed.*');
    expect(reply).toContain('even after asking it once to correct itself');
    // The tokens of both billed examples calls are in the total (with whatever the sibling research
    // calls reported before the child failed and cancelled them).
    expect(billed(topic, 'findExamples')).toBeGreaterThan(0);
    expect(totalOf(reply)).toBeGreaterThanOrEqual(billed(topic, 'findExamples'));
  });

  it('a refusal: one call, a typed failure that says to rephrase, its tokens counted', async () => {
    const topic = 'declined topic';
    stack.openai.script('findExamples', { refusal: 'I can’t help with that request.' });
    const { failure, reply } = await failedRun(topic);

    expect(failure.type).toBe(LlmFailure.Refusal);
    expect(stack.openai.completions.filter((c) => c.step === 'findExamples' && JSON.stringify(c.request.messages).includes(topic))).toHaveLength(1);
    expect(reply).toContain('The model declined to write about this: rephrase the topic, or try another model.');
    expect(billed(topic, 'findExamples')).toBeGreaterThan(0);
    expect(totalOf(reply)).toBeGreaterThanOrEqual(billed(topic, 'findExamples'));
  });

  it('a writing call stopped at its output cap (finish_reason "length"): one call, a typed failure, no draft', async () => {
    const topic = 'cut off article';
    stack.openai.script('writeArticle', { truncate: true });
    const { failure, reply, threadTs } = await failedRun(topic);

    expect(failure.type).toBe(LlmFailure.OutputTruncated);
    expect(stack.openai.completions.filter((c) => c.step === 'writeArticle' && JSON.stringify(c.request.messages).includes(topic))).toHaveLength(1);
    expect(reply).toContain('cut off at its output limit');
    // Research done, then one billed writing call: every token is in the total, exactly.
    expect(totalOf(reply)).toBe(billed(topic));
    expect(stack.reply(threadTs, 'draft')).toBeUndefined();
  });
});
