/**
 * Status and cost in the thread, end to end: live progress on one edited status message, tokens
 * and dollars per step equal to tokens × prices, the total on the draft card and in the final reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { DEFAULT_PRICES, formatUsd } from '../../src/shared/pricing.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import type { RecordedCompletion } from '../harness/fake-openai.js';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { startStack, type Stack } from '../harness/stack.js';

/** What a completion should cost at list price, from the usage the stand-in answered with. */
function expectedCost(completion: RecordedCompletion, model: keyof typeof DEFAULT_PRICES): number {
  const price = DEFAULT_PRICES[model]!;
  const usage = completion.usage!;
  const cached = usage.prompt_tokens_details.cached_tokens;
  return ((usage.prompt_tokens - cached) * price.input + cached * price.cachedInput + usage.completion_tokens * price.output) / 1_000_000;
}

function completionFor(stack: Stack, topic: string, step: RecordedCompletion['step']): RecordedCompletion {
  const found = stack.openai.completions.find(
    (c) => c.step === step && c.status === 200 && c.request.messages.some((m) => String(m.content).includes(`<topic>${topic}</topic>`)),
  );
  if (!found) throw new Error(`no ${step} completion for ${topic}`);
  return found;
}

describe('status and cost in the thread', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { WRITER_MODEL: 'gpt-4o' } });
    stack.openai.cachedTokens = 12;
  });
  afterAll(() => stack?.stop());

  it('ticks research steps off one by one on a single edited status message', async () => {
    // Different speeds, so the steps complete at visibly different times.
    stack.openai.script('findExamples', { delayMs: 700 });
    stack.openai.script('getStatistics', { delayMs: 1_400 });
    await stack.research('progressive disclosure');
    const { workflowId, threadTs } = await stack.waitForPipeline('progressive disclosure');
    const draft = await stack.waitForDraft(threadTs);

    // The status message is the first reply of the thread, and only it is edited for progress.
    const replies = stack.slack.threadReplies('C0CHANNEL', threadTs);
    expect(replies[0]?.metadata?.event_payload.kind).toBe('status');
    const versions = stack.statusVersions(threadTs);
    // The first post (all three running), then an edit as each step completes, then writing.
    expect(versions.length).toBeGreaterThanOrEqual(4);
    expect(versions[0]).toMatch(/:hourglass_flowing_sand: \*Key facts\*/);
    const partial = versions.find(
      (v) => /:white_check_mark: \*Key facts\*/.test(v) && /:hourglass_flowing_sand: \*Statistics\*/.test(v),
    );
    expect(partial, 'a version with key facts done and statistics still running').toBeDefined();
    expect(versions.some((v) => /:white_check_mark: \*Statistics\*/.test(v) && /:hourglass_flowing_sand: \*Writing the article\*/.test(v))).toBe(true);
    // The status writer edits the message right after the draft is posted.
    const waiting = await waitFor('the status to show the review waiting', () =>
      stack.statusVersions(threadTs).find((v) => /:hourglass_flowing_sand: \*Review\* · v1 waiting for a reviewer/.test(v)));
    expect(waiting).toMatch(/elapsed \d/);

    // Only people-facing moments are new replies: status, then the draft.
    expect(replies.map((r) => r.metadata?.event_payload.kind)).toEqual(['status', 'draft']);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    await stack.client.workflow.getHandle(workflowId).result();
  });

  it('prices every step exactly from tokens × prices and reports them on the status, the card and the final reply', async () => {
    await stack.research('zero downtime deploys');
    const { workflowId, threadTs } = await stack.waitForPipeline('zero downtime deploys');
    const draft = await stack.waitForDraft(threadTs);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;

    const expected: Record<string, number> = {
      researchTopic: expectedCost(completionFor(stack, 'zero downtime deploys', 'researchTopic'), 'gpt-4o-mini'),
      findExamples: expectedCost(completionFor(stack, 'zero downtime deploys', 'findExamples'), 'gpt-4o-mini'),
      getStatistics: expectedCost(completionFor(stack, 'zero downtime deploys', 'getStatistics'), 'gpt-4o-mini'),
      writeArticle: expectedCost(completionFor(stack, 'zero downtime deploys', 'writeArticle'), 'gpt-4o'),
    };
    for (const step of result.usage.steps) {
      expect(step.cachedInputTokens).toBe(12);
      expect(step.costUsd).toBeCloseTo(expected[step.step]!, 12);
    }
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(result.usage.costUsd).toBeCloseTo(total, 12);
    expect(result.usage.unpricedSteps).toEqual([]);

    // The running total on the draft card, four decimals.
    const researchTotal = expected.researchTopic! + expected.findExamples! + expected.getStatistics!;
    expect(blockText(stack.slack.message('C0CHANNEL', draft.ts))).toContain(formatUsd(researchTotal + expected.writeArticle!));
    // The final reply: outcome, total and a per-step breakdown.
    const outcome = await stack.waitForReply(threadTs, 'outcome');
    const text = blockText(outcome);
    expect(text).toContain('*Approved* by <@U0REVIEWER>');
    expect(text).toContain(`Total: ${result.usage.totalTokens.toLocaleString('en-US')} tokens · ${formatUsd(total)}`);
    expect(text).toContain(`• Key facts (gpt-4o-mini):`);
    expect(text).toContain(`· ${formatUsd(expected.writeArticle!)}`);
    expect(text).toContain('• Writing the article (gpt-4o):');
    // And on the finished status message.
    const finalStatus = stack.statusVersions(threadTs).at(-1)!;
    expect(finalStatus).toContain(':white_check_mark: *Pipeline finished*');
    expect(finalStatus).toContain(formatUsd(total));

    // Visible to operators in the Web UI: memo on the workflow.
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.memo).toMatchObject({ stage: 'completed', totalTokens: result.usage.totalTokens });
    expect(Number(description.memo?.costUsd)).toBeCloseTo(total, 6);
  });
});

describe('a model without a price', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A model without a price is a startup error unless the budget guard is switched off.
    stack = await startStack({ env: { WRITER_MODEL: 'house-model-7b', MAX_COST_USD: 'off' } });
  });
  afterAll(() => stack?.stop());

  it('shows tokens and "cost unknown", never a made-up number', async () => {
    await stack.research('service meshes');
    const { workflowId, threadTs } = await stack.waitForPipeline('service meshes');
    const draft = await stack.waitForDraft(threadTs);
    expect(blockText(stack.slack.message('C0CHANNEL', draft.ts))).toContain('+ cost unknown');
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;

    const write = result.usage.steps.find((s) => s.step === 'writeArticle')!;
    expect(write.model).toBe('house-model-7b');
    expect(write.totalTokens).toBeGreaterThan(0);
    expect(write.costUsd).toBeUndefined();
    expect(result.usage.unpricedSteps).toEqual(['writeArticle']);

    const outcome = blockText(await stack.waitForReply(threadTs, 'outcome'));
    expect(outcome).toMatch(/• Writing the article \(house-model-7b\): [\d,]+ tokens .* · cost unknown/);
    expect(outcome).toContain('+ cost unknown for Writing the article');
    expect(stack.statusVersions(threadTs).at(-1)).toMatch(/\*Writing the article\* · [\d,]+ tokens · cost unknown/);
  });
});
