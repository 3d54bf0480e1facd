/**
 * Graceful shutdown, for real: the worker is a separate OS process, sent SIGTERM while the article
 * is being written (an LLM call in flight). It stops taking tasks, lets that call finish
 * (WORKER_SHUTDOWN_GRACE) and exits 0; a new worker finishes the pipeline, and the stand-in LLM's
 * counters show the finished call was never made again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import type { Step } from '../harness/fake-openai.js';
import { waitFor } from '../harness/http.js';
import { startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { startStack, type Stack } from '../harness/stack.js';

/** Long enough that SIGTERM surely arrives while the call is in flight. */
const WRITING_MS = 4_000;

describe('worker stopped with SIGTERM during an LLM call', () => {
  let stack: Stack;
  const workers: ProductProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ withoutWorkers: true });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await stack?.stop();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(
      stack.processEnv({ WORKER_SHUTDOWN_GRACE: '30s', LOG_LEVEL: 'info' }),
    );
    workers.push(worker);
    return worker;
  };
  const calls = (step: Step) => stack.openai.completions.filter((c) => c.step === step).length;
  const answered = (step: Step) => stack.openai.completions.filter((c) => c.step === step && c.usage).length;

  it('the in-flight call finishes, the worker exits 0, a new worker completes the run without repeating it', async () => {
    stack.openai.script('writeArticle', { delayMs: WRITING_MS });
    const first = await startWorker();
    await stack.research('graceful shutdown');
    const { workflowId, threadTs } = await stack.waitForPipeline('graceful shutdown');
    await waitFor('the article being written', () => calls('writeArticle') === 1, 60_000);
    expect(answered('writeArticle')).toBe(0);

    first.child.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // It waited for the call: the answer came back before the process was gone.
    expect(answered('writeArticle')).toBe(1);
    expect(first.log).toMatch(/Received SIGTERM: shutting down/);

    await startWorker();
    const draft = await stack.waitForDraft(threadTs, 60_000);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    // Every LLM call of the run was made exactly once.
    expect(Object.fromEntries((['researchTopic', 'findExamples', 'getStatistics', 'writeArticle'] as Step[]).map((step) => [step, calls(step)])))
      .toEqual({ researchTopic: 1, findExamples: 1, getStatistics: 1, writeArticle: 1 });
  }, 120_000);
});
