/**
 * The workflow's own authority checks (src/workflows/authority.ts), with signals sent straight to
 * the workflow, past the bot: budget answers and Cancel only from the requester or a reviewer
 * (the requester alone when REVIEWERS is unset); review decisions from the reviewers (anyone when
 * unset). A signal from anyone else changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, budgetSignal, cancelSignal, statusQuery, type PipelineInput, type Stage } from '../../src/workflows/messages.js';
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
