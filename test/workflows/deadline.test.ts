/**
 * The run's own deadline (src/workflows/deadline.ts) on the real dev server, with short real
 * durations: a 12 s cap keeps a 5 s margin, so the run wraps up 7 s in, whatever it is doing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import type { PipelineInput } from '../../src/workflows/messages.js';
import { sleep } from '../harness/http.js';
import { fakeUsage, recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

const CAP_MS = 12_000;

describe('the run ends itself before PIPELINE_TIMEOUT', () => {
  const recorder = recordingActivities();
  let t: WorkflowTestEnv;
  beforeAll(async () => {
    // Writing about "slow writing" takes longer than the run has: the deadline must cut it short.
    const write = recorder.activities.writeArticle;
    recorder.activities.writeArticle = async (input) => {
      if (input.topic !== 'slow writing') return write(input);
      await sleep(9_000);
      return { output: '# too late', usage: fakeUsage() };
    };
    t = await startWorkflowEnv(recorder.activities);
  });
  afterAll(() => t?.stop());

  async function run(topic: string, settings: PipelineInput['settings'] = {}) {
    const before = recorder.calls.length;
    const handle = await t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-${topic.replace(/\W+/g, '-')}-20261202-${randomUUID().slice(0, 6)}`,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U1', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue, reviewTimeoutMs: 60_000, ...settings } }],
      workflowExecutionTimeout: CAP_MS,
    });
    const result = await handle.result();
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.closeTime!.getTime() - description.startTime.getTime()).toBeLessThan(CAP_MS);
    return { result, calls: recorder.calls.slice(before) }; // one run at a time in this file
  }

  it('a budget question open at the deadline is closed as expired, and the run ends expired', async () => {
    const { result, calls } = await run('budget at the deadline', { maxCostUsd: 0.000001 });
    expect(result.decision).toMatchObject({ outcome: 'expired', deadline: true });
    const answer = calls.find((c) => c.name === 'recordBudgetAnswer');
    expect(answer?.input).toMatchObject({ expired: true });
    expect(calls.find((c) => c.name === 'postOutcome')?.input).toMatchObject({ decision: { outcome: 'expired', deadline: true } });
  }, 30_000);

  it('an LLM call still running at the deadline is cancelled; the thread says the run expired', async () => {
    const { result, calls } = await run('slow writing');
    expect(result.decision).toMatchObject({ outcome: 'expired', deadline: true });
    expect(calls.some((c) => c.name === 'postDraft')).toBe(false);
    expect(calls.find((c) => c.name === 'postOutcome')?.input).toMatchObject({ decision: { outcome: 'expired', deadline: true } });
    expect(result.usage.steps.map((s) => s.step)).toEqual(['researchTopic', 'findExamples', 'getStatistics']);
  }, 30_000);
});
