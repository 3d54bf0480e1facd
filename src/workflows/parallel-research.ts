/**
 * ParallelResearchWorkflow: the three research steps at once, on the research task queue.
 * Completed steps are recorded in history, so a worker crash re-runs only what had not finished.
 * Each step reports to the parent as soon as it completes, so the thread can tick it off.
 */
import { condition, getExternalWorkflowHandle, isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import { kb, llmActivities } from './activities.js';
import {
  researchStepSignal,
  type LlmResult,
  type RealWorldExample,
  type ResearchBundle,
  type ResearchInput,
  type ResearchStep,
} from './messages.js';
import { DEFAULT_SETTINGS } from './policies.js';
import { SPEND_CEILINGS, spendRefusalOf } from './spend-refusal.js';

export const PROGRESS_AT_TASK_END = 'progress-at-task-end';

export interface ParallelResearchInput extends ResearchInput {
  llmAttemptTimeoutMs?: number;
  /** Write from the team's documents alone: only retrieval runs. */
  docsOnly?: boolean;
  /**
   * The run's conversation: retrieval searches only the documents bound to it. Absent in children
   * started before documents belonged to channels; the activity then reads it from the parent's memo.
   */
  channel?: string;
}

export async function parallelResearchWorkflow(input: ParallelResearchInput): Promise<ResearchBundle> {
  // Activities run on this workflow's own task queue (the research queue), the proxies' default.
  const { researchTopic, findExamples, getStatistics } = llmActivities(input.llmAttemptTimeoutMs ?? DEFAULT_SETTINGS.llmAttemptTimeoutMs);
  const parentId = workflowInfo().parent?.workflowId;
  // Who pays (spend ceilings) rides in each call's input: no event of its own in history.
  const request = { topic: input.topic, ...(input.spend ? { spend: input.spend } : {}) };

  // Patch `progress-at-task-end` (December 2026). Before it, each step but the last to finish
  // signalled the parent as it completed; steps that finished in the same workflow task then
  // signalled too, and the result had to wait for those signals' round trip. Now progress is
  // reported at the end of a workflow task (a condition is checked after every result of the task
  // has been applied), and only for steps that finished while others still run: when everything
  // finished in one task, our result carries every figure and goes at once.
  const atTaskEnd = patched(PROGRESS_AT_TASK_END);
  const stepCount = 3;
  let completed = 0;
  let allDone = false;
  const unreported: Array<{ step: ResearchStep; usage: LlmResult<unknown>['usage'] }> = [];

  async function report(name: ResearchStep, usage: LlmResult<unknown>['usage']): Promise<void> {
    try {
      await getExternalWorkflowHandle(parentId!).signal(researchStepSignal, { step: name, usage });
    } catch (error) {
      // Progress is a courtesy; the parent also gets every usage figure from our result.
      log.warn('Could not report research progress to the parent', { step: name, error: String(error) });
    }
  }

  async function step<T>(name: ResearchStep, call: Promise<LlmResult<T>>): Promise<LlmResult<T>> {
    const result = await call;
    completed += 1;
    if (!parentId) return result;
    if (atTaskEnd) {
      unreported.push({ step: name, usage: result.usage });
    } else if (completed < stepCount) {
      // The last step to finish is not reported: our result, which reaches the parent at once, has
      // every usage figure. (Completing with a signal in flight makes the server refuse the
      // completion and replay the task, so a signal sent is awaited.)
      await report(name, result.usage);
    }
    return result;
  }

  /**
   * Reports finished steps at the end of each workflow task, until every step has finished. Ends
   * quietly when the research is cancelled: a rejection here would be unhandled (nothing awaits
   * it until the research is done) and fail the workflow task, so the cancellation of the
   * research calls would never be sent.
   */
  async function reporter(): Promise<void> {
    try {
      for (;;) {
        await condition(() => unreported.length > 0 || allDone);
        if (allDone) return;
        await Promise.all(unreported.splice(0).map(({ step: name, usage }) => report(name, usage)));
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
    }
  }

  // Retrieval from the team's documents runs beside the research; whether there is an index to
  // search is the activity's to find out (its answer is in history), never this code's.
  const retrieving = kb.retrieveContext({ topic: input.topic, ...(input.channel ? { channel: input.channel } : {}), ...(input.docsOnly ? { docsOnly: true } : {}) });
  if (input.docsOnly) {
    const context = await retrieving;
    const none = { ...context.usage, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0, model: 'none' };
    return {
      facts: '', examples: [], statistics: '',
      usage: { researchTopic: none, findExamples: none, getStatistics: none },
      grounding: context.output, groundingUsage: context.usage,
    };
  }
  const reporting = atTaskEnd && parentId ? reporter() : undefined;
  const calls = [
    step('researchTopic', researchTopic(request)),
    step('findExamples', findExamples(request)),
    step('getStatistics', getStatistics(request)),
    retrieving,
  ] as const;
  let results: [LlmResult<string>, LlmResult<RealWorldExample[]>, LlmResult<string>, Awaited<typeof retrieving>];
  try {
    results = await Promise.all(calls);
  } catch (error) {
    // A call refused by a spend ceiling (patch `spend-ceilings`): its sibling calls are being paid
    // for; they finish and settle their reservations before the research gives up, rather than being
    // abandoned mid-call (an aborted call may be billed, and would be settled at 0).
    if (spendRefusalOf(error) && patched(SPEND_CEILINGS)) await Promise.allSettled(calls);
    throw error;
  }
  const [facts, examples, statistics, context] = results;
  allDone = true;
  await reporting; // no signal may be in flight when the workflow completes

  return {
    facts: facts.output,
    examples: examples.output,
    statistics: statistics.output,
    usage: { researchTopic: facts.usage, findExamples: examples.usage, getStatistics: statistics.usage },
    grounding: context.output,
    groundingUsage: context.usage,
  };
}
