/**
 * The error policy, end to end with the stand-in LLM: what is retried, how often, and what the
 * thread says when a step fails for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { LlmFailure } from '../../src/shared/failure-types.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { runFailureOf } from '../harness/failures.js';
import { startStack, type Stack } from '../harness/stack.js';

const failureOf = (stack: Stack, workflowId: string) => runFailureOf(stack.client, workflowId);

describe('LLM error policy', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { LLM_ATTEMPT_TIMEOUT: '3s' } });
  });
  afterAll(() => stack?.stop());

  it('401: one call, no retry, a reply that says what to fix, status ✗, run Failed with the cause', async () => {
    stack.openai.script('researchTopic', { status: 401 });
    await stack.research('bad key topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('bad key topic');

    const failure = await failureOf(stack, workflowId);
    expect(failure.type).toBe(LlmFailure.Authentication);
    expect(failure.message).toContain('Key facts failed');
    expect(stack.openai.completions.filter((c) => c.step === 'researchTopic')).toHaveLength(1);
    expect(stack.openai.count('writeArticle')).toBe(0);

    const reply = blockText(await stack.waitForReply(threadTs, 'failure'));
    expect(reply).toContain('*Key facts failed.* OpenAI rejected the API key: check OPENAI_API_KEY.');
    expect(reply).toMatch(/spent before the failure/);
    // OpenAI's answer names the key (masked) and a URL: the thread shows neither, and says where the rest is.
    expect(reply).toContain('Incorrect API key provided: [token]. You can find your API key at [url].');
    expect(reply).not.toMatch(/sk-|https?:\/\/platform|127\.0\.0\.1/);
    expect(reply).toContain("details in Temporal UI> and the bot's logs");
    const status = stack.statusVersions(threadTs).at(-1)!;
    expect(status).toContain(':x: *Pipeline failed*');
    expect(status).toContain(':x: *Key facts*');
    expect(stack.reply(threadTs, 'draft')).toBeUndefined();
  });

  it('429 twice then success: three calls, Retry-After honoured, and the pipeline completes', async () => {
    stack.openai.script('findExamples', { status: 429, headers: { 'retry-after': '1' } }, { status: 429, headers: { 'retry-after': '1' } });
    const before = stack.openai.count('findExamples');
    await stack.research('rate limited topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('rate limited topic');
    const draft = await stack.waitForDraft(threadTs, 45_000);
    expect(stack.openai.count('findExamples') - before).toBe(3);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
  });

  it('500 every time: three calls, then a failure reply', async () => {
    stack.openai.script('getStatistics', { status: 500 }, { status: 500 }, { status: 500 });
    const before = stack.openai.count('getStatistics');
    await stack.research('flaky provider topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('flaky provider topic');
    const failure = await failureOf(stack, workflowId);
    expect(failure.type).toBe(LlmFailure.ServerError);
    expect(stack.openai.count('getStatistics') - before).toBe(3);
    expect(blockText(await stack.waitForReply(threadTs, 'failure'))).toContain('*Statistics failed.* The LLM provider returned server errors on every attempt');
  });

  it('a response slower than the attempt timeout is abandoned and retried as a timeout', async () => {
    stack.openai.script('researchTopic', { delayMs: 6_000 });
    const before = stack.openai.count('researchTopic');
    await stack.research('slow model topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('slow model topic');
    const draft = await stack.waitForDraft(threadTs, 45_000);
    expect(stack.openai.count('researchTopic') - before).toBe(2);

    const history = await stack.client.workflow.getHandle(researchChildWorkflowId(workflowId)).fetchHistory();
    const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
    const keyFacts = started.find((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
    expect(keyFacts?.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type).toBe(LlmFailure.Timeout);

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    await stack.client.workflow.getHandle(workflowId).result();
  });
});
