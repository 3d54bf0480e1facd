/**
 * The workflow's own authority checks (src/workflows/authority.ts), with signals sent straight to
 * the workflow, past the bot: budget answers and Cancel only from the requester or a reviewer
 * (the requester alone when REVIEWERS is unset); review decisions from the reviewers (anyone when
 * unset). A signal from anyone else changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, budgetSignal, cancelSignal, statusQuery, type PipelineInput, type RepublishInput, type Stage } from '../../src/workflows/messages.js';
import { NOT_THE_RUNS_CHANNEL } from '../../src/workflows/publication.js';
import { republishArticle } from '../../src/workflows/republish.js';
import { sleep, waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

const LLM_STEPS = ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle', 'reviseArticle'];

describe('who may do what, checked in the workflow', () => {
  const recorder = recordingActivities();
  let t: WorkflowTestEnv;
  beforeAll(async () => {
    t = await startWorkflowEnv(recorder.activities);
  });
  afterAll(() => t?.stop());

  async function start(topic: string, settings: PipelineInput['settings'] = {}) {
    return t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-${topic.replace(/\W+/g, '-')}-20261202-${randomUUID().slice(0, 6)}`,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U0REQUESTER', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue, ...settings } }],
      workflowExecutionTimeout: '1m',
    });
  }
  const stage = (handle: Awaited<ReturnType<typeof start>>, wanted: Stage) =>
    waitFor(wanted, async () => ((await handle.query(statusQuery)).stage === wanted ? true : undefined));
  const llmCalls = (topic: string) => recorder.calls.filter((c) => LLM_STEPS.includes(c.name) && (c.input as { topic: string }).topic === topic).length;

  it('a budget Allow from someone else changes nothing: no budget change, no LLM call', async () => {
    const handle = await start('budget authority', { maxCostUsd: 0.000001, reviewers: ['U0REVIEWER'] });
    await stage(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U0STRANGER' });
    await sleep(1_000);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ stage: 'awaiting-budget', budgetUsd: 0.000001 });
    expect(llmCalls('budget authority')).toBe(0);

    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U0REVIEWER' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'stopped', by: 'U0REVIEWER' });
    expect(llmCalls('budget authority')).toBe(0);
  });

  it('Cancel from someone else changes nothing; a reviewer’s cancels, and the run completes `cancelled`', async () => {
    const handle = await start('cancel authority', { reviewers: ['U0REVIEWER'] });
    await stage(handle, 'awaiting-review');
    await handle.signal(cancelSignal, { userId: 'U0STRANGER' });
    await sleep(1_000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');

    await handle.signal(cancelSignal, { userId: 'U0REVIEWER' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'cancelled', by: 'U0REVIEWER' });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('Cancel from another channel than the run’s changes nothing and says nothing there, even from the requester', async () => {
    const handle = await start('cancel elsewhere', { reviewers: ['U0REVIEWER'] });
    await stage(handle, 'awaiting-review');
    const before = recorder.calls.length;
    await handle.signal(cancelSignal, { userId: 'U0REQUESTER', channel: 'C0ELSEWHERE' });
    await handle.signal(cancelSignal, { userId: 'U0REVIEWER', channel: 'D0DIRECT' });
    await sleep(1_000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');
    // No activity at all: no notice in the run's channel (it would tell the asker the run exists), no card change.
    const since = recorder.calls.slice(before);
    expect(since.filter((c) => c.name === 'tellUser' || (c.input as { workflowId?: string }).workflowId === handle.workflowId)).toEqual([]);
    // (A stranger's Cancel from the run's own channel is answered there: the check above would see it.)
    await handle.signal(cancelSignal, { userId: 'U0STRANGER', channel: 'C1' });
    await waitFor('the stranger told', () => recorder.calls.slice(before).find((c) => c.name === 'tellUser'));

    // From the run's own channel (or, as in every signal sent before the channel was, without one) it cancels.
    await handle.signal(cancelSignal, { userId: 'U0REQUESTER', channel: 'C1' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'cancelled', by: 'U0REQUESTER' });
  });

  it('republishArticle asked from another channel than the run’s posts nothing and fails NotTheRunsChannel', async () => {
    const workflowId = `research-republish-elsewhere-20261203-${randomUUID().slice(0, 6)}`;
    const input: RepublishInput = {
      workflowId, topic: 'republish elsewhere', article: '# A\n\nB', versions: 1, requestedBy: 'U0REQUESTER', askedFrom: 'C0ELSEWHERE',
      unpublished: { channel: 'C0EDITORS', sourceChannel: 'C1', threadTs: '100.1', slackError: 'channel_not_found', requestedBy: 'U0REQUESTER', approvedBy: 'U0REVIEWER', edited: false, costUsd: 0, costComplete: true },
    };
    const refused = t.env.client.workflow.execute(republishArticle, { workflowId: `${workflowId}-publish`, taskQueue: t.taskQueue, args: [input] });
    const error = await refused.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe(NOT_THE_RUNS_CHANNEL);
    expect(recorder.calls.filter((c) => (c.input as { workflowId?: string }).workflowId === workflowId)).toEqual([]);

    // From the run's channel, the same input publishes (a second run of the ID: the first one failed).
    const published = await t.env.client.workflow.execute(republishArticle, { workflowId: `${workflowId}-publish`, taskQueue: t.taskQueue, args: [{ ...input, askedFrom: 'C1' }], workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
    expect(published.channel).toBe('C0EDITORS');
    expect(recorder.calls.filter((c) => (c.input as { workflowId?: string }).workflowId === workflowId).map((c) => c.name)).toEqual(['publishArticle', 'postRepublished']);
  });

  it('REVIEWERS unset: anyone may review, but only the requester may cancel or answer a budget question', async () => {
    const handle = await start('open review');
    await stage(handle, 'awaiting-review');
    await handle.signal(cancelSignal, { userId: 'U0COLLEAGUE' });
    await sleep(1_000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');
    await handle.signal(approveSignal, { userId: 'U0COLLEAGUE', version: 1 });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'approved', by: 'U0COLLEAGUE' });

    const budget = await start('open budget', { maxCostUsd: 0.000001 });
    await stage(budget, 'awaiting-budget');
    await budget.signal(budgetSignal, { answer: 'allow', userId: 'U0COLLEAGUE' });
    await sleep(1_000);
    expect((await budget.query(statusQuery)).stage).toBe('awaiting-budget');
    const asked = recorder.calls.filter((c) => c.name === 'recordBudgetAnswer').length;
    await budget.signal(cancelSignal, { userId: 'U0REQUESTER' });
    expect((await budget.result()).decision).toMatchObject({ outcome: 'cancelled', by: 'U0REQUESTER' });
    expect(llmCalls('open budget')).toBe(0);
    // The question's buttons go with the cancellation.
    expect(recorder.calls.filter((c) => c.name === 'recordBudgetAnswer').slice(asked).at(-1)?.input).toMatchObject({ answer: 'stop', by: 'U0REQUESTER' });
  });
});
