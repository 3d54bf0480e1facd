/**
 * The budget guard, end to end: the question comes before the call that could cross the budget,
 * Allow raises it and the run goes on, Stop ends the run cleanly with what was spent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BUDGET_ALLOW_ACTION_ID, BUDGET_STOP_ACTION_ID } from '../../src/slack/blocks/budget.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { REVIEWER, startStack, type Stack } from '../harness/stack.js';

describe('budget guard', () => {
  const stacks: Stack[] = [];
  afterAll(() => Promise.all(stacks.map((s) => s.stop())));
  const stackWith = async (env: Record<string, string>) => {
    // The budget's deciders: the requester and the reviewers (REVIEWERS unset, the requester alone).
    const stack = await startStack({ env: { REVIEWERS: REVIEWER, ...env } });
    stacks.push(stack);
    return stack;
  };

  it('asks before research when even that could exceed a tiny budget; Allow raises it and the run goes on', async () => {
    const stack = await stackWith({ MAX_COST_USD: '0.001' });
    await stack.research('tiny budget topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('tiny budget topic');

    const question = await stack.waitForReply(threadTs, 'budget_question');
    expect(stack.openai.count()).toBe(0); // asked before any call was made
    expect(blockText(question)).toMatch(/Budget \$0\.0010 would be exceeded by research \(3 calls\) \(estimated \$0\.\d{4}\)/);
    const [allow, stop] = buttonsOf(question);
    expect(allow).toEqual({ action_id: BUDGET_ALLOW_ACTION_ID, value: workflowId });
    expect(stop).toEqual({ action_id: BUDGET_STOP_ACTION_ID, value: workflowId });
    // The status message follows the question (edited by the workflow's status writer).
    await waitFor('the status to say it waits', () => stack.statusVersions(threadTs).at(-1)?.includes('Pipeline waiting for you'));

    await stack.click(BUDGET_ALLOW_ACTION_ID, workflowId, question.ts);
    const draft = await stack.waitForDraft(threadTs);
    expect(blockText(stack.slack.message('C0CHANNEL', question.ts))).toMatch(new RegExp(`Allowed \\+\\$0\\.01 by <@${REVIEWER}>: budget now \\$0\\.01`));
    expect(buttonsOf(stack.slack.message('C0CHANNEL', question.ts))).toEqual([]);

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.011);
  });

  it('Stop ends the run cleanly, reporting what was spent, with no LLM call made', async () => {
    const stack = await stackWith({ MAX_COST_USD: '0.001' });
    await stack.research('stopped topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('stopped topic');
    const question = await stack.waitForReply(threadTs, 'budget_question');
    await stack.click(BUDGET_STOP_ACTION_ID, workflowId, question.ts);

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: REVIEWER });
    expect(result.usage.totalTokens).toBe(0);
    expect(stack.openai.count()).toBe(0);
    const outcome = blockText(await stack.waitForReply(threadTs, 'outcome'));
    expect(outcome).toContain(`*Stopped* by <@${REVIEWER}> at the budget limit`);
    expect(outcome).toContain('Total: 0 tokens · $0.0000');
    expect(stack.statusVersions(threadTs).at(-1)).toContain(':octagonal_sign: *Pipeline stopped*');
    expect(blockText(stack.slack.message('C0CHANNEL', question.ts))).toContain(`Stopped by <@${REVIEWER}>`);
  });

  it('asks before the writing call when research fits but writing could not', async () => {
    // Research on gpt-4o-mini fits in half a cent; a gpt-4o article's worst case does not.
    const stack = await stackWith({ MAX_COST_USD: '0.005', WRITER_MODEL: 'gpt-4o' });
    await stack.research('expensive writer topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('expensive writer topic');
    const question = await stack.waitForReply(threadTs, 'budget_question');
    expect(blockText(question)).toContain('would be exceeded by writing the article');
    expect(stack.openai.count('researchTopic')).toBe(1);
    expect(stack.openai.count('findExamples')).toBe(1);
    expect(stack.openai.count('getStatistics')).toBe(1);
    expect(stack.openai.count('writeArticle')).toBe(0);

    await stack.click(BUDGET_ALLOW_ACTION_ID, workflowId, question.ts);
    const draft = await stack.waitForDraft(threadTs);
    expect(stack.openai.count('writeArticle')).toBe(1);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
  });
});
