/**
 * ContentPipeline and ParallelResearchWorkflow on the real Temporal dev server.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, rejectSignal, statusQuery, type PipelineInput } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';
import { openPayload } from '../harness/keys.js';

describe('ContentPipeline workflow', () => {
  const recorder = recordingActivities({ researchDelayMs: 400 });
  let t: WorkflowTestEnv;

  beforeAll(async () => {
    t = await startWorkflowEnv(recorder.activities);
  });
  afterAll(() => t?.stop());

  async function start(topic: string, settings: PipelineInput['settings'] = {}) {
    const workflowId = `research-${topic.replace(/\W+/g, '-')}-20261125-${randomUUID().slice(0, 6)}`;
    const handle = await t.env.client.workflow.start(contentPipeline, {
      workflowId,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U1', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue, ...settings } }],
      workflowExecutionTimeout: '1m',
    });
    return handle;
  }

  async function awaitingReview(handle: Awaited<ReturnType<typeof start>>) {
    return waitFor('awaiting-review', async () => {
      const status = await handle.query(statusQuery);
      return status.stage === 'awaiting-review' ? status : undefined;
    });
  }

  it('runs the three research activities in parallel in a child workflow on the research queue', async () => {
    const handle = await start('parallel check');
    await awaitingReview(handle);

    const research = recorder.events.filter((e) => ['researchTopic', 'findExamples', 'getStatistics'].includes(e.name) &&
      recorder.calls.some((c) => c.name === e.name && (c.input as { topic: string }).topic === 'parallel check'));
    const starts = research.filter((e) => e.phase === 'start').map((e) => e.at);
    const ends = research.filter((e) => e.phase === 'end').map((e) => e.at);
    expect(starts).toHaveLength(3);
    // Every research step started before the first one finished: they overlapped.
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));

    const child = await t.env.client.workflow.getHandle(researchChildWorkflowId(handle.workflowId)).describe();
    expect(child.type).toBe('parallelResearchWorkflow');
    expect(child.taskQueue).toBe(t.researchTaskQueue);
    expect(child.status.name).toBe('COMPLETED');
    expect(child.parentExecution?.workflowId).toBe(handle.workflowId);

    await handle.signal(approveSignal, { userId: 'U2' });
    await handle.result();
  });

  it('writes from the research, posts the draft in the thread, and completes as approved', async () => {
    const handle = await start('approve path');
    const status = await awaitingReview(handle);
    expect(status).toMatchObject({ topic: 'approve path', requestedBy: 'U1', channel: 'C1' });
    expect(status.threadTs).toBeDefined();
    expect(status.draftTs).toBeDefined();

    const write = recorder.calls.find((c) => c.name === 'writeArticle' && (c.input as { topic: string }).topic === 'approve path');
    expect(write?.input).toMatchObject({
      research: { facts: 'facts about approve path', statistics: 'stats', examples: [{ title: 'E1', description: 'd1' }, { title: 'E2', description: 'd2' }, { title: 'E3', description: 'd3' }] },
    });
    const draft = recorder.calls.find((c) => c.name === 'postDraft' && (c.input as { topic: string }).topic === 'approve path');
    expect(draft?.input).toMatchObject({ threadTs: status.threadTs, workflowId: handle.workflowId, totalTokens: 3 * 150 + 1100 });

    await handle.signal(approveSignal, { userId: 'U2' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'approved', by: 'U2' });
    expect(result.article).toBe('# approve path\n\nBody.');
    expect(result.usage).toMatchObject({ inputTokens: 700, outputTokens: 850, totalTokens: 1550 });
    const recorded = recorder.calls.find((c) => c.name === 'recordDecision' && (c.input as { topic: string }).topic === 'approve path');
    expect(recorded?.input).toMatchObject({ draftTs: status.draftTs, decision: { outcome: 'approved', by: 'U2' } });
  });

  it('completes as rejected on the reject signal', async () => {
    const handle = await start('reject path');
    await awaitingReview(handle);
    await handle.signal(rejectSignal, { userId: 'U3' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'rejected', by: 'U3' });
  });

  it('treats the first decision as final and ignores later ones', async () => {
    const handle = await start('double click');
    await awaitingReview(handle);
    await handle.signal(approveSignal, { userId: 'U4' });
    await handle.signal(rejectSignal, { userId: 'U5' });
    await handle.signal(approveSignal, { userId: 'U6' });
    const result = await handle.result();
    expect(result.decision).toMatchObject({ outcome: 'approved', by: 'U4' });
    const recorded = recorder.calls.filter((c) => c.name === 'recordDecision' && (c.input as { topic: string }).topic === 'double click');
    expect(recorded).toHaveLength(1);
  });

  it('ignores a decision that arrives before there is a draft to decide on', async () => {
    const handle = await start('too early');
    await handle.signal(rejectSignal, { userId: 'U7' });
    await awaitingReview(handle);
    expect((await handle.query(statusQuery)).decision).toBeUndefined();
    await handle.signal(approveSignal, { userId: 'U8' });
    expect((await handle.result()).decision).toMatchObject({ outcome: 'approved', by: 'U8' });
  });

  it('expires the review after the review timeout and marks the card', async () => {
    const handle = await start('nobody home', { reviewTimeoutMs: 1_000 });
    const result = await handle.result();
    expect(result.decision.outcome).toBe('expired');
    expect(result.decision.by).toBeUndefined();
    const recorded = recorder.calls.find((c) => c.name === 'recordDecision' && (c.input as { topic: string }).topic === 'nobody home');
    expect(recorded?.input).toMatchObject({ decision: { outcome: 'expired' } });
  });
});

describe('research progress (patch progress-at-task-end)', () => {
  /** Research steps answering after these delays (ms): staggered, or all at once. */
  const delays = { staggered: { researchTopic: 0, findExamples: 400, getStatistics: 800 }, together: { researchTopic: 0, findExamples: 0, getStatistics: 0 } };
  let t: WorkflowTestEnv;
  let delay: Record<string, number> = delays.staggered;

  beforeAll(async () => {
    const { activities } = recordingActivities();
    for (const name of ['researchTopic', 'findExamples', 'getStatistics'] as const) {
      const answer = activities[name] as (input: { topic: string }) => Promise<unknown>;
      (activities as Record<string, unknown>)[name] = async (input: { topic: string }) => {
        await new Promise((resolve) => setTimeout(resolve, delay[name]));
        return answer(input);
      };
    }
    t = await startWorkflowEnv(activities);
  });
  afterAll(() => t?.stop());


  /**
   * The research steps whose results reached the child in a workflow task before the one that
   * completed its last activity (each group of results is delivered in the next task started), and
   * the steps the parent was told about.
   */
  async function progress(workflowId: string): Promise<{ earlier: string[]; reported: string[] }> {
    const child = (await t.env.client.workflow.getHandle(researchChildWorkflowId(workflowId)).fetchHistory()).events ?? [];
    const typeOf = new Map(child.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]));
    const tasks: string[][] = [[]];
    for (const event of child) {
      const done = event.activityTaskCompletedEventAttributes;
      if (done) tasks.at(-1)!.push(typeOf.get(String(done.scheduledEventId))!);
      if (event.workflowTaskStartedEventAttributes && tasks.at(-1)!.length) tasks.push([]);
    }
    const groups = tasks.filter((names) => names.length);
    const parent = (await t.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const reported = await Promise.all(parent
      .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'researchStepDone')
      .map(async (e) => ((await openPayload(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0])) as { step: string }).step));
    // Retrieval runs beside the research: the last group may be its result alone.
    const earlier = groups.slice(0, -1).flat().filter((name) => name !== 'retrieveContext');
    return { earlier: earlier.sort(), reported: reported.sort() };
  }

  async function run(topic: string): Promise<string> {
    const handle = await t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-${topic.replace(/\W+/g, '-')}-${randomUUID().slice(0, 6)}`,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U1', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue } }],
      workflowExecutionTimeout: '1m',
    });
    await waitFor('awaiting-review', async () => ((await handle.query(statusQuery)).stage === 'awaiting-review' ? true : undefined));
    await handle.signal(approveSignal, { userId: 'U2' });
    const result = await handle.result();
    expect(result.usage.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['researchTopic', 'findExamples', 'getStatistics']));
    return handle.workflowId;
  }

  it('tells the parent about each step that finished while others still ran', async () => {
    delay = delays.staggered;
    const { earlier, reported } = await progress(await run('staggered research'));
    expect(earlier).toEqual(['findExamples', 'researchTopic']);
    expect(reported).toEqual(earlier);
  });

  it('sends nothing for steps that finished in the same task as the last: the result carries them', async () => {
    delay = delays.together;
    for (let i = 0; i < 3; i++) {
      const { earlier, reported } = await progress(await run(`research together ${i}`));
      expect(reported).toEqual(earlier);
    }
  });
});
