/**
 * The peer of issue 15: the seed article's design, translated to TypeScript and nothing more.
 * ContentPipeline → child ParallelResearchWorkflow (three LLM activities at once) → one writing
 * activity → wait for one approval signal. No Slack, no cost, no status, no budget, no review
 * loop: what the article's reader would write first. It lives in bench/ only, as the baseline
 * our own layers are measured against.
 */
import { condition, defineSignal, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PeerActivities } from './activities.js';

export const peerApproveSignal = defineSignal('approve');

/** The article's timeouts: 60 s for research calls, 90 s for writing, 3 attempts. */
const research = proxyActivities<PeerActivities>({
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '10m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['AuthenticationError'] },
});
const writing = proxyActivities<PeerActivities>({
  startToCloseTimeout: '90s',
  scheduleToCloseTimeout: '10m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['AuthenticationError'] },
});

export interface PeerResearch {
  research: string;
  examples: string[];
  statistics: string;
}

export async function peerParallelResearchWorkflow(topic: string): Promise<PeerResearch> {
  const [facts, examples, statistics] = await Promise.all([
    research.peerResearchTopic(topic),
    research.peerFindExamples(topic),
    research.peerGetStatistics(topic),
  ]);
  return { research: facts, examples, statistics };
}

export interface PeerPipelineInput {
  topic: string;
  researchTaskQueue: string;
}

export async function peerContentPipeline({ topic, researchTaskQueue }: PeerPipelineInput): Promise<string> {
  let approved = false;
  setHandler(peerApproveSignal, () => {
    approved = true;
  });
  const data = await executeChild(peerParallelResearchWorkflow, {
    args: [topic],
    workflowId: `${workflowInfo().workflowId}-research`,
    taskQueue: researchTaskQueue,
  });
  const context = `Research: ${data.research}\nExamples: ${data.examples.join('; ')}\nStatistics: ${data.statistics}`;
  const article = await writing.peerWriteArticle(topic, context);
  // "Signals for human review": the run waits for one approval, however long it takes.
  await condition(() => approved);
  return article;
}
