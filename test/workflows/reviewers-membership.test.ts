/**
 * Patch `reviewers-by-membership` (src/workflows/authority.ts), on a real Temporal server with
 * stand-in activities: in a private conversation only the named reviewers who are its members may
 * decide or spend; the thread says once who was not asked; the reminder mentions only those inside.
 * In the stand-in activities, channels whose ID starts with G are private with U1 and U2 in them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, budgetSignal, statusQuery, type PipelineInput, type Stage } from '../../src/workflows/messages.js';
import { sleep, waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

describe('reviewers by membership, checked in the workflow', () => {
  const recorder = recordingActivities();
  let t: WorkflowTestEnv;
  beforeAll(async () => {
    t = await startWorkflowEnv(recorder.activities);
  });
  afterAll(() => t?.stop());

  async function start(topic: string, channel: string, settings: PipelineInput['settings'] = {}) {
    return t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-${topic.replace(/\W+/g, '-')}-20261203-${randomUUID().slice(0, 6)}`,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U1', channel, settings: { researchTaskQueue: t.researchTaskQueue, ...settings } }],
      workflowExecutionTimeout: '1m',
    });
  }
  const stage = (handle: Awaited<ReturnType<typeof start>>, wanted: Stage) =>
    waitFor(wanted, async () => ((await handle.query(statusQuery)).stage === wanted ? true : undefined));
  const callsFor = (name: string, workflowId: string) => recorder.calls.filter((c) => c.name === name && (c.input as { workflowId?: string }).workflowId === workflowId);

  it('in a private channel a named reviewer outside it cannot decide; the thread names them once; one inside decides', async () => {
    const handle = await start('private review', 'G0PRIVATE', { reviewers: ['U2', 'U0OUTSIDE'], reminderAfterMs: 1_500 });
    await stage(handle, 'awaiting-review');
    const notes = callsFor('postReviewersOutside', handle.workflowId);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.input).toMatchObject({ channel: 'G0PRIVATE', outside: ['U0OUTSIDE'], inside: 1 });

    await handle.signal(approveSignal, { userId: 'U0OUTSIDE' });
    const refusal = await waitFor('the refusal', () => recorder.calls.find((c) => c.name === 'tellUser' && (c.input as { user: string; channel: string }).user === 'U0OUTSIDE' && (c.input as { channel: string }).channel === 'G0PRIVATE'));
    expect((refusal.input as { reason: string }).reason).toContain('not a member of this private conversation');
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');

    // The reminder mentions only the reviewer inside.
    const reminder = await waitFor('the reminder', () => recorder.calls.find((c) => c.name === 'postReminder' && (c.input as { workflowId: string }).workflowId === handle.workflowId));
    expect((reminder.input as { reviewers: string[] }).reviewers).toEqual(['U2']);

    await handle.signal(approveSignal, { userId: 'U2' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'approved', by: 'U2' });
  });

  it('a budget answer from a reviewer outside the private channel changes nothing', async () => {
    const handle = await start('private budget', 'G0PRIVATE', { maxCostUsd: 0.000001, reviewers: ['U0OUTSIDE'] });
    await stage(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U0OUTSIDE' });
    await sleep(1_000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'stopped', by: 'U1' });
  });

  it('when Slack cannot say who is in the conversation, a reviewer\'s budget answer is refused and the run goes on', async () => {
    // The budget question comes before the review loop resolves the reviewers, so the Allow
    // click's handler is the first to ask; a failure there used to fail the run without a word.
    const handle = await start('unreadable budget', 'G0UNREADABLE', { maxCostUsd: 0.000001, reviewers: ['U0REVIEWER'] });
    await stage(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U0REVIEWER' });
    await waitFor('the refusal', () => recorder.calls.find((c) => c.name === 'tellUser' && (c.input as { user: string }).user === 'U0REVIEWER' && (c.input as { channel: string }).channel === 'G0UNREADABLE'));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-budget');
    // Asked again on the next click, not a cached failure: two attempts, one per click.
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U0REVIEWER' });
    const asks = () => recorder.calls.filter((c) => c.name === 'reviewersIn' && (c.input as { channel: string }).channel === 'G0UNREADABLE').length;
    await waitFor('the second ask', () => asks() >= 2 || undefined);
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'stopped', by: 'U1' });
  });

  it('in a public channel every named reviewer counts, and no note is posted', async () => {
    const handle = await start('public review', 'C0PUBLIC', { reviewers: ['U0OUTSIDE'] });
    await stage(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U0OUTSIDE' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'approved', by: 'U0OUTSIDE' });
    expect(callsFor('postReviewersOutside', handle.workflowId)).toHaveLength(0);
  });
});
