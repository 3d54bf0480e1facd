/**
 * ParallelResearchWorkflow: the three research steps at once, on the research task queue.
 * Completed steps are recorded in history, so a worker crash re-runs only what had not finished.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LlmActivities } from '../activities/index.js';
import type { ResearchBundle, ResearchInput } from './messages.js';
import { DEFAULT_SETTINGS, llmActivityOptions } from './policies.js';

export interface ParallelResearchInput extends ResearchInput {
  llmAttemptTimeoutMs?: number;
}

export async function parallelResearchWorkflow(input: ParallelResearchInput): Promise<ResearchBundle> {
  const { researchTopic, findExamples, getStatistics } = proxyActivities<LlmActivities>({
    ...llmActivityOptions(input.llmAttemptTimeoutMs ?? DEFAULT_SETTINGS.llmAttemptTimeoutMs),
    taskQueue: workflowInfo().taskQueue,
  });
  const request = { topic: input.topic };

  const [facts, examples, statistics] = await Promise.all([
    researchTopic(request),
    findExamples(request),
    getStatistics(request),
  ]);

  return {
    facts: facts.output,
    examples: examples.output,
    statistics: statistics.output,
    usage: { researchTopic: facts.usage, findExamples: examples.usage, getStatistics: statistics.usage },
  };
}
