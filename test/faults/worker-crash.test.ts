/**
 * Worker crashes, for real: the worker is a separate OS process (`src/worker.ts`), SIGKILLed while
 * research calls are in flight, then again after research has completed (while the article is
 * being written). A new worker finishes the pipeline, and the stand-in LLM's counters show that
 * every call that had completed was made exactly once: only the calls cut off by the kill are made again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import type { Step } from '../harness/fake-openai.js';
import { completedActivities as completedOf } from '../harness/failures.js';
import { waitFor } from '../harness/http.js';
import { startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';

/** Calls cut off by a kill are retried after this (start-to-close); long enough that a live worker never times out a call the test is about to cut off. */
const LLM_ATTEMPT_TIMEOUT = '6s';
/** Longer than any test: a call scripted with it stays in flight until its worker dies. */
const IN_FLIGHT_MS = 120_000;

describe('worker killed with SIGKILL', () => {
  let stack: Stack;
  const workers: ProductProcess[] = [];

  beforeAll(async () => {
    // The bot (in this process) and the stand-ins; the workers are separate processes.
    stack = await startStack({ withoutWorkers: true, env: { LLM_ATTEMPT_TIMEOUT } });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await stack?.stop();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(
      stack.processEnv({ LLM_ATTEMPT_TIMEOUT }),
    );
    workers.push(worker);
    return worker;
  };

  const completedActivities = (id: string) => completedOf(stack.client, id);

  /** Calls the stand-in received for a step, and how many of them it answered. */
  const calls = (step: Step) => stack.openai.completions.filter((c) => c.step === step).length;
  const answered = (step: Step) => stack.openai.completions.filter((c) => c.step === step && c.usage).length;

  it('the pipeline finishes on a new worker; completed LLM calls are never made twice', async () => {
    // Key facts answers at once; examples and statistics hang until their worker is gone.
    stack.openai.script('findExamples', { delayMs: IN_FLIGHT_MS });
    stack.openai.script('getStatistics', { delayMs: IN_FLIGHT_MS });
    const first = await startWorker();

    await stack.research('crash recovery');
    const { workflowId, threadTs } = await stack.waitForPipeline('crash recovery');
    // "Completed" means Temporal recorded it: an answer the worker had not yet reported when it
    // died is (rightly) asked for again, as Temporal activities run at least once.
    await waitFor('key facts completed, examples and statistics in flight', async () =>
      calls('findExamples') === 1 && calls('getStatistics') === 1 && (await completedActivities(researchChildWorkflowId(workflowId))).includes('researchTopic'));
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    expect({ researchTopic: answered('researchTopic'), findExamples: answered('findExamples'), getStatistics: answered('getStatistics') })
      .toEqual({ researchTopic: 1, findExamples: 0, getStatistics: 0 });

    // Second worker: the two cut-off calls are retried after their attempt timeout, research
    // completes, and the writing call hangs until this worker is killed too.
    stack.openai.script('writeArticle', { delayMs: IN_FLIGHT_MS });
    const second = await startWorker();
    await waitFor('research complete and the article being written', () => calls('writeArticle') === 1, 60_000);
    expect(answered('findExamples')).toBe(1);
    expect(answered('getStatistics')).toBe(1);
    await second.kill('SIGKILL');

    // Third worker: the writing call is retried, the draft is posted, a click finishes the run.
    await startWorker();
    const draft = await stack.waitForDraft(threadTs, 60_000);
    const click = await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    expect(click.status).toBe(200);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    expect(result.usage.steps.map((s) => s.step)).toEqual(['researchTopic', 'findExamples', 'getStatistics', 'writeArticle']);

    // Every completed call exactly once; the calls cut off by a kill were made once more.
    const steps: Step[] = ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle'];
    expect(Object.fromEntries(steps.map((step) => [step, answered(step)]))).toEqual({
      researchTopic: 1, findExamples: 1, getStatistics: 1, writeArticle: 1,
    });
    expect(Object.fromEntries(steps.map((step) => [step, calls(step)]))).toEqual({
      researchTopic: 1, findExamples: 2, getStatistics: 2, writeArticle: 2,
    });
    // And Slack saw each message once, however many workers took part.
    expect(stack.slack.postedOfKind(CHANNEL, 'thread_root').filter((m) => m.ts === threadTs)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'status', threadTs)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'outcome', threadTs)).toHaveLength(1);
  }, 180_000);
});
