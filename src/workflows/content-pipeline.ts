/**
 * ContentPipeline: research (child workflow) → write → post the draft → wait for a human → record it.
 * Deterministic: all I/O lives in activities; time and IDs come from the workflow context.
 */
import { condition, executeChild, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LlmActivities, SlackActivities } from '../activities/index.js';
import { researchChildWorkflowId } from '../shared/ids.js';
import {
  approveSignal,
  rejectSignal,
  statusQuery,
  type Decision,
  type LlmStep,
  type LlmUsage,
  type Outcome,
  type PipelineInput,
  type PipelineResult,
  type PipelineSettings,
  type PipelineStatus,
  type ReviewAction,
  type Stage,
  type StepUsage,
} from './messages.js';
import { parallelResearchWorkflow } from './parallel-research.js';
import { DEFAULT_SETTINGS, llmActivityOptions, SLACK_ACTIVITY_OPTIONS } from './policies.js';

function summariseUsage(steps: StepUsage[]): PipelineResult['usage'] {
  const sum = (pick: (u: LlmUsage) => number) => steps.reduce((total, step) => total + pick(step), 0);
  return {
    steps,
    inputTokens: sum((u) => u.inputTokens),
    outputTokens: sum((u) => u.outputTokens),
    totalTokens: sum((u) => u.totalTokens),
  };
}

export async function contentPipeline(input: PipelineInput): Promise<PipelineResult> {
  const settings: PipelineSettings = { ...DEFAULT_SETTINGS, ...input.settings };
  const { topic, requestedBy, channel } = input;
  const { workflowId } = workflowInfo();

  const slack = proxyActivities<SlackActivities>(SLACK_ACTIVITY_OPTIONS);
  const llm = proxyActivities<LlmActivities>(llmActivityOptions(settings.llmAttemptTimeoutMs));

  // Everything the status query reports; handlers and the main path share it.
  const state: Omit<PipelineStatus, 'topic' | 'requestedBy' | 'channel'> = { stage: 'starting' };
  const steps: StepUsage[] = [];
  const record = (step: LlmStep, usage: LlmUsage) => steps.push({ step, ...usage });
  const enter = (stage: Stage) => {
    state.stage = stage;
  };

  setHandler(statusQuery, (): PipelineStatus => ({ ...state, topic, requestedBy, channel }));

  // The first decision is final: Temporal does not dedupe signals, and two people may click at once.
  // A click can arrive while postDraft's completion is still on its way back to us, hence 'posting-draft'.
  const reviewOpen = () => state.stage === 'posting-draft' || state.stage === 'awaiting-review';
  const decide = (outcome: Outcome) => (action: ReviewAction) => {
    if (!reviewOpen() || state.decision) {
      log.info('Ignoring review signal', { outcome, userId: action.userId, stage: state.stage, decided: state.decision?.outcome });
      return;
    }
    state.decision = { outcome, by: action.userId, at: new Date().toISOString() };
  };
  setHandler(approveSignal, decide('approved'));
  setHandler(rejectSignal, decide('rejected'));

  const root = await slack.announcePipeline({ channel, topic, requestedBy, workflowId });
  const threadTs = root.ts;
  state.threadTs = threadTs;

  enter('researching');
  const research = await executeChild(parallelResearchWorkflow, {
    workflowId: researchChildWorkflowId(workflowId),
    taskQueue: settings.researchTaskQueue,
    args: [{ topic, llmAttemptTimeoutMs: settings.llmAttemptTimeoutMs }],
  });
  record('researchTopic', research.usage.researchTopic);
  record('findExamples', research.usage.findExamples);
  record('getStatistics', research.usage.getStatistics);

  enter('writing');
  const { usage: writeUsage, output: article } = await llm.writeArticle({
    topic,
    research: { facts: research.facts, examples: research.examples, statistics: research.statistics },
  });
  record('writeArticle', writeUsage);

  enter('posting-draft');
  const card = { channel, threadTs, workflowId, topic, article, totalTokens: summariseUsage(steps).totalTokens };
  const draftTs = (await slack.postDraft(card)).ts;
  state.draftTs = draftTs;

  enter('awaiting-review');
  const decided = await condition(() => state.decision !== undefined, settings.reviewTimeoutMs);
  const decision: Decision =
    decided && state.decision ? state.decision : { outcome: 'expired', at: new Date().toISOString() };
  state.decision = decision;

  enter('recording-decision');
  await slack.recordDecision({ ...card, draftTs, decision });

  enter('completed');
  return { workflowId, topic, article, decision, usage: summariseUsage(steps) };
}
