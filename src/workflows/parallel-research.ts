/**
 * ParallelResearchWorkflow: the three research steps at once, on the research task queue.
 * Completed steps are recorded in history, so a worker crash re-runs only what had not finished.
 * Each step reports to the parent as soon as it completes, so the thread can tick it off.
 */
import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { kb, llmActivities } from './activities.js';
import {
  researchStepSignal,
  type LlmResult,
  type ResearchBundle,
  type ResearchInput,
  type ResearchStep,
} from './messages.js';
import { DEFAULT_SETTINGS } from './policies.js';

export interface ParallelResearchInput extends ResearchInput {
  llmAttemptTimeoutMs?: number;
  /** Write from the team's documents alone: only retrieval runs. */
  docsOnly?: boolean;
}

export async function parallelResearchWorkflow(input: ParallelResearchInput): Promise<ResearchBundle> {
  // Activities run on this workflow's own task queue (the research queue), the proxies' default.
  const { researchTopic, findExamples, getStatistics } = llmActivities(input.llmAttemptTimeoutMs ?? DEFAULT_SETTINGS.llmAttemptTimeoutMs);
  const parentId = workflowInfo().parent?.workflowId;
  const request = { topic: input.topic };

  const stepCount = 3;
  let completed = 0;

  async function step<T>(name: ResearchStep, call: Promise<LlmResult<T>>): Promise<LlmResult<T>> {
    const result = await call;
    completed += 1;
    // The last step to finish is not reported: our result, which reaches the parent at once, has
    // every usage figure. Reporting it would cost a round trip before completing (the signal must
    // be delivered first: completing with a signal in flight makes the server refuse the
    // completion and replay the task).
    if (parentId && completed < stepCount) {
      try {
        await getExternalWorkflowHandle(parentId).signal(researchStepSignal, { step: name, usage: result.usage });
      } catch (error) {
        // Progress is a courtesy; the parent also gets every usage figure from our result.
        log.warn('Could not report research progress to the parent', { step: name, error: String(error) });
      }
    }
    return result;
  }

  // Retrieval from the team's documents runs beside the research; whether there is an index to
  // search is the activity's to find out (its answer is in history), never this code's.
  const retrieving = kb.retrieveContext({ topic: input.topic, ...(input.docsOnly ? { docsOnly: true } : {}) });
  if (input.docsOnly) {
    const context = await retrieving;
    const none = { ...context.usage, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0, model: 'none' };
    return {
      facts: '', examples: [], statistics: '',
      usage: { researchTopic: none, findExamples: none, getStatistics: none },
      grounding: context.output, groundingUsage: context.usage,
    };
  }
  const [facts, examples, statistics, context] = await Promise.all([
    step('researchTopic', researchTopic(request)),
    step('findExamples', findExamples(request)),
    step('getStatistics', getStatistics(request)),
    retrieving,
  ]);

  return {
    facts: facts.output,
    examples: examples.output,
    statistics: statistics.output,
    usage: { researchTopic: facts.usage, findExamples: examples.usage, getStatistics: statistics.usage },
    grounding: context.output,
    groundingUsage: context.usage,
  };
}
