/**
 * The contract between the bot, the workers and the workflows: inputs, results, signals and queries.
 * Defined once here and imported as typed objects everywhere; nobody signals by a string name.
 * Imports only @temporalio/workflow (defineSignal/defineQuery also work outside a workflow).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PriceTable } from '../shared/pricing.js';

export const CONTENT_PIPELINE_TASK_QUEUE = 'content-pipeline';
export const RESEARCH_TASK_QUEUE = 'research';

/** What a `/research` command asks for. */
export interface PipelineRequest {
  topic: string;
  /** Slack user ID of the person who typed the command. */
  requestedBy: string;
  /** Slack channel ID the command came from; the thread lives there. */
  channel: string;
}

/** Tunables the bot passes at start from config, so the workflow itself never reads the environment. */
export interface PipelineSettings {
  /** Task queue of the ParallelResearchWorkflow child and its activities. */
  researchTaskQueue: string;
  /** How long a draft waits for Approve / Reject before it expires. */
  reviewTimeoutMs: number;
  /** start-to-close timeout of one LLM attempt. */
  llmAttemptTimeoutMs: number;
  /** Spending cap of one run in USD; a call that could cross it waits for a person to allow more. */
  maxCostUsd: number;
  /** USD per 1M tokens by model name; a model missing here shows "cost unknown". */
  prices: PriceTable;
  /** Models by role, so the budget guard can price a call before making it. */
  researchModel: string;
  writerModel: string;
}

export interface PipelineInput extends PipelineRequest {
  settings?: Partial<PipelineSettings>;
}

export type LlmStep = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle';
export type ResearchStep = Exclude<LlmStep, 'writeArticle'>;

/** Token usage of one LLM call, as reported by the provider (`usage_metadata`). */
export interface LlmUsage {
  /** The model we asked for (the configured name, used for pricing). */
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (billed at a lower rate). */
  cachedInputTokens: number;
  totalTokens: number;
}

export interface LlmResult<T> {
  output: T;
  usage: LlmUsage;
}

export interface RealWorldExample {
  title: string;
  description: string;
}

export interface ResearchInput {
  topic: string;
}

export interface ResearchBundle {
  facts: string;
  examples: RealWorldExample[];
  statistics: string;
  usage: Record<ResearchStep, LlmUsage>;
}

export type Outcome = 'approved' | 'rejected' | 'expired' | 'stopped';

export interface Decision {
  outcome: Outcome;
  /** Slack user ID of the reviewer; absent when the review expired. */
  by?: string;
  /** ISO timestamp (workflow time, deterministic). */
  at: string;
}

export type Stage =
  | 'starting'
  | 'researching'
  | 'writing'
  | 'posting-draft'
  | 'awaiting-review'
  | 'awaiting-budget'
  | 'recording-decision'
  | 'completed'
  | 'stopped'
  | 'failed';

export interface StepUsage extends LlmUsage {
  step: LlmStep;
  /** USD; absent when the model has no price. */
  costUsd?: number;
}

export interface PipelineResult {
  workflowId: string;
  topic: string;
  article: string;
  decision: Decision;
  usage: UsageSummary;
}

export interface UsageSummary {
  steps: StepUsage[];
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Sum over priced steps, USD. */
  costUsd: number;
  /** Steps whose model has no price: their cost is not in `costUsd`. */
  unpricedSteps: LlmStep[];
}

export interface PipelineStatus {
  stage: Stage;
  topic: string;
  requestedBy: string;
  channel: string;
  /** `ts` of the parent message; the pipeline's thread. */
  threadTs?: string;
  /** `ts` of the draft card awaiting review. */
  draftTs?: string;
  decision?: Decision;
  usage?: UsageSummary;
  budgetUsd?: number;
}

/** A reviewer's click, forwarded by the Bolt app. */
export interface ReviewAction {
  /** Slack user ID of whoever clicked. */
  userId: string;
}

/** The child's report that one research step finished, so the parent can tick it off at once. */
export interface ResearchStepReport {
  step: ResearchStep;
  usage: LlmUsage;
}

export type BudgetAnswer = 'allow' | 'stop';

export interface BudgetAction extends ReviewAction {
  answer: BudgetAnswer;
}

export const approveSignal = defineSignal<[ReviewAction]>('approve');
export const rejectSignal = defineSignal<[ReviewAction]>('reject');
export const budgetSignal = defineSignal<[BudgetAction]>('budget');
export const researchStepSignal = defineSignal<[ResearchStepReport]>('researchStepDone');
export const statusQuery = defineQuery<PipelineStatus>('status');
