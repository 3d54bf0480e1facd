/**
 * A workspace spend ceiling refuses a call mid-run (the LLM activity reserved from the spend account
 * and was refused, so the model was not called): the pipeline asks the same Allow / Stop question as
 * its per-run budget, in the ceiling's words; Allow waits for the ceiling's reset and goes on, Stop
 * ends the run. Real workflows on the dev server; the activities are stand-ins that refuse as the
 * real one does (SpendCeilingReached, the account's refusal in its details).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEND_CEILING_REACHED } from '../../src/shared/failure-types.js';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, budgetSignal, requestChangesSignal, statusQuery, type Stage } from '../../src/workflows/messages.js';
import type { SpendRefusal } from '../../src/workflows/spend-messages.js';
import { waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

let t: WorkflowTestEnv;
let recorded: ReturnType<typeof recordingActivities>;
/** Per topic: how many writing calls to refuse, and how far ahead the ceiling resets. */
const refuse = new Map<string, { times: number; resetInMs: number }>();

beforeAll(async () => {
  recorded = recordingActivities();
  /** Refuses `name`'s call as the real activity does when the topic's plan says so (the plan is keyed by `${name}:${topic}` or the topic for writing). */
  const refusing = <I extends { topic: string }, R>(name: string, call: (input: I) => Promise<R>) => async (input: I): Promise<R> => {
    const plan = refuse.get(`${name}:${input.topic}`) ?? (name === 'writeArticle' ? refuse.get(input.topic) : undefined);
    if (plan && plan.times > 0) {
      plan.times -= 1;
      recorded.calls.push({ name: `${name}:refused`, input });
      const refusal: SpendRefusal = {
        status: 'refused', reservationId: 'r', limit: 'team-daily', usedUsd: 0.98, limitUsd: 1, requestedUsd: 0.03,
        resetsAt: new Date(Date.now() + plan.resetInMs).toISOString(),
      };
      throw ApplicationFailure.create({ type: SPEND_CEILING_REACHED, message: 'refused', nonRetryable: true, details: [refusal] });
    }
    return call(input);
  };
  recorded.activities.writeArticle = refusing('writeArticle', recorded.activities.writeArticle);
  recorded.activities.getStatistics = refusing('getStatistics', recorded.activities.getStatistics);
  recorded.activities.reviseArticle = refusing('reviseArticle', recorded.activities.reviseArticle);
  // Documents answer for topics that say so: the draft gets an evidence check, which may be refused.
  const retrieve = recorded.activities.retrieveContext;
  recorded.activities.retrieveContext = async (input) => (input.topic.includes('documents')
    ? { output: { status: 'grounded' as const, passages: [{ n: 1, source: 'docs/runbook.md', section: 'On call', page: 0, text: 'Pages go to the primary.', score: 0.8 }] }, usage: { model: 'text-embedding-3-small', inputTokens: 12, outputTokens: 0, cachedInputTokens: 0, totalTokens: 12 } }
    : retrieve(input));
  const checkEvidence = recorded.activities.checkEvidence;
  recorded.activities.checkEvidence = async (input) => {
    recorded.calls.push({ name: 'checkEvidence:asked', input });
    // The check has no topic of its own: its plan is keyed `checkEvidence:evidence`.
    return refusing('checkEvidence', (_: { topic: string }) => checkEvidence(input))({ topic: 'evidence' });
  };
  t = await startWorkflowEnv(recorded.activities);
});
afterAll(async () => {
  await t?.stop();
});

let counter = 0;
async function start(topic: string, plan: { times: number; resetInMs: number }, cap: '2m' | '90s' = '2m') {
  refuse.set(topic, plan);
  return t.env.client.workflow.start(contentPipeline, {
    workflowId: `research-spend-${++counter}-${Date.now()}`,
    taskQueue: t.taskQueue,
    args: [{ topic, requestedBy: 'U1', channel: 'C1', teamId: 'T1', settings: { researchTaskQueue: t.researchTaskQueue, reviewers: ['U2'] } }],
    workflowExecutionTimeout: cap,
  });
}

const stageOf = (handle: WorkflowHandle, stage: Stage) =>
  waitFor(stage, async () => ((await handle.query(statusQuery)).stage === stage ? true : undefined));

/** The budget questions asked in a run (the stage changes just before the question is posted: wait for it). */
const questionsOf = (handle: WorkflowHandle, count = 1) => waitFor(`${count} question(s) asked`, () => {
  const asked = recorded.calls.filter((c) => c.name === 'askBudget' && (c.input as { workflowId: string }).workflowId === handle.workflowId);
  return asked.length >= count ? asked : undefined;
});

const callsFor = (name: string, topic: string) => recorded.calls.filter((c) => c.name === name && (c.input as { topic?: string }).topic === topic);

describe('a spend ceiling reached mid-run', () => {
  it('passes who pays to every LLM call: the workspace, the requester, the admission hold', async () => {
    const handle = await start('payer', { times: 0, resetInMs: 0 });
    await stageOf(handle, 'awaiting-review');
    const payer = { teamId: 'T1', userId: 'U1', holdId: `${handle.workflowId}:admission` };
    for (const name of ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle']) {
      expect(callsFor(name, 'payer')[0]?.input).toMatchObject({ spend: payer });
    }
    await handle.signal(approveSignal, { userId: 'U2' });
    expect((await handle.result()).decision.outcome).toBe('approved');
  });

  it('asks in the ceiling\'s words; Allow waits for the reset, then writes', async () => {
    const handle = await start('wait', { times: 1, resetInMs: 3_000 });
    await stageOf(handle, 'awaiting-budget');
    const asked = await questionsOf(handle);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.input).toMatchObject({ step: 'writing the article', estimateUsd: 0.03, ceiling: { limit: 'team-daily', usedUsd: 0.98, limitUsd: 1, canWait: true } });
    // Someone who is neither the requester nor a reviewer changes nothing.
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U9' });
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' });
    await stageOf(handle, 'awaiting-review');
    const answers = recorded.calls.filter((c) => c.name === 'recordBudgetAnswer' && (c.input as { ceiling?: unknown }).ceiling && (c.input as { step: string }).step === 'writing the article');
    expect(answers.map((c) => c.input)).toContainEqual(expect.objectContaining({ answer: 'allow', by: 'U1', increaseUsd: 0 }));
    expect(callsFor('writeArticle:refused', 'wait')).toHaveLength(1);
    expect(callsFor('writeArticle', 'wait')).toHaveLength(1);
    const tellUser = recorded.calls.filter((c) => c.name === 'tellUser' && (c.input as { user?: string }).user === 'U9');
    expect(tellUser.length).toBeGreaterThanOrEqual(1);
    await handle.signal(approveSignal, { userId: 'U2' });
    const result = await handle.result();
    expect(result.decision.outcome).toBe('approved');
  });

  it('Stop ends the run, naming the ceiling', async () => {
    const handle = await start('stop', { times: 1, resetInMs: 3_600_000 });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U2' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: 'U2', ceiling: "the team's daily spend ceiling ($1.00, TEAM_DAILY_USD)" });
    expect(callsFor('writeArticle', 'stop')).toHaveLength(0);
    const outcome = recorded.calls.find((c) => c.name === 'postOutcome' && (c.input as { workflowId: string }).workflowId === handle.workflowId);
    expect(outcome?.input).toMatchObject({ decision: { outcome: 'stopped', ceiling: expect.stringContaining('TEAM_DAILY_USD') } });
  });

  it('a reset after the run\'s deadline offers only Stop; Allow (a forged click) changes nothing but stopping', async () => {
    const handle = await start('late', { times: 1, resetInMs: 3_600_000 }, '90s');
    await stageOf(handle, 'awaiting-budget');
    const [asked] = await questionsOf(handle);
    expect(asked?.input).toMatchObject({ ceiling: { canWait: false } });
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: 'U1' });
    expect(callsFor('writeArticle', 'late')).toHaveLength(0);
  });

  it('a research call refused (no admission hold left): the question comes before the draft; after the reset the research runs again', async () => {
    refuse.set('getStatistics:research wait', { times: 1, resetInMs: 2_000 });
    const handle = await start('research wait', { times: 0, resetInMs: 0 });
    await stageOf(handle, 'awaiting-budget');
    const [asked] = await questionsOf(handle);
    expect(asked?.input).toMatchObject({ step: 'research (3 calls)', ceiling: { limit: 'team-daily', canWait: true } });
    expect(callsFor('writeArticle', 'research wait')).toHaveLength(0);
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U2' });
    await stageOf(handle, 'awaiting-review');
    expect(callsFor('getStatistics:refused', 'research wait')).toHaveLength(1);
    expect(callsFor('getStatistics', 'research wait')).toHaveLength(1);
    await handle.signal(approveSignal, { userId: 'U2' });
    expect((await handle.result()).decision.outcome).toBe('approved');
  });

  it('a revision refused: the question names the revision; Stop ends the run with the draft unpublished', async () => {
    refuse.set('reviseArticle:revision stop', { times: 1, resetInMs: 3_600_000 });
    const handle = await start('revision stop', { times: 0, resetInMs: 0 });
    await stageOf(handle, 'awaiting-review');
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'shorter' });
    await stageOf(handle, 'awaiting-budget');
    const asked = await questionsOf(handle);
    expect(asked.at(-1)?.input).toMatchObject({ step: 'revision v2', ceiling: { limit: 'team-daily' } });
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: 'U1' });
    expect(callsFor('reviseArticle', 'revision stop')).toHaveLength(0);
  });

  it('an evidence check refused never holds the draft back: the card says which ceiling, and no question is asked', async () => {
    refuse.set('checkEvidence:evidence', { times: 1, resetInMs: 3_600_000 });
    const handle = await start('team documents evidence', { times: 0, resetInMs: 0 });
    await stageOf(handle, 'awaiting-review');
    const draft = recorded.calls.find((c) => c.name === 'postDraft' && (c.input as { workflowId: string }).workflowId === handle.workflowId);
    expect(draft?.input).toMatchObject({ sources: { evidenceNote: "Evidence not checked: the team's daily spend ceiling ($1.00, TEAM_DAILY_USD) was reached. Read the cited sources before approving." } });
    expect(recorded.calls.filter((c) => c.name === 'checkEvidence:asked' && (c.input as { spend?: { teamId: string } }).spend?.teamId === 'T1').length).toBeGreaterThanOrEqual(1);
    expect(recorded.calls.filter((c) => c.name === 'askBudget' && (c.input as { workflowId: string }).workflowId === handle.workflowId)).toHaveLength(0);
    await handle.signal(approveSignal, { userId: 'U2' });
    expect((await handle.result()).decision.outcome).toBe('approved');
  });
});
