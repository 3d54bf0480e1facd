/**
 * The contract between the bot, the workers and the workflows: inputs, results, signals and queries.
 * Defined once here and imported as typed objects everywhere; nobody signals by a string name.
 * Imports only @temporalio/workflow (defineSignal/defineQuery also work outside a workflow).
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PriceTable } from '../shared/money.js';
import type { EvidenceReport, Grounding, GroundingCard, Passage, RetrieveContextInput, StatementCheck } from './grounding.js';
import type { UnpublishedArticle } from './publication.js';

export type { RepublishInput, UnpublishedArticle } from './publication.js';

export const CONTENT_PIPELINE_TASK_QUEUE = 'content-pipeline';
export const RESEARCH_TASK_QUEUE = 'research';

/** What a `/research` command asks for. */
export interface PipelineRequest {
  topic: string;
  /** Slack user ID of the person who typed the command. */
  requestedBy: string;
  /** Slack channel ID the command came from; the thread lives there. */
  channel: string;
  /**
   * The Slack workspace (team ID) the command came from: whose spend account the run's LLM calls
   * reserve from (src/workflows/spend-account.ts). Absent in runs started before spend ceilings.
   */
  teamId?: string;
  /** `/research <topic> --docs-only`: write from the team's documents alone, no model research. */
  docsOnly?: boolean;
  /**
   * The command's response_url: where the requester is told, ephemerally, that the thread could not
   * be opened (it works where the bot cannot post; Slack accepts 5 posts within 30 minutes).
   */
  responseUrl?: string;
  /** The bot's user ID, so advice can name it ("/invite @Content Pipeline"). */
  botUserId?: string;
  /** The slash command as typed (`/research`), for advice that names a subcommand. */
  command?: string;
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
  /**
   * USD per 1M tokens by model name; a model missing here shows "cost unknown". Absent: the
   * worker's built-in table, read by the estimateBudget activity (never by workflow code).
   */
  prices?: PriceTable;
  /** Models by role, so the budget guard can price a call before making it. */
  researchModel: string;
  writerModel: string;
  /** How many times reviewers may send a draft back with feedback. */
  maxRevisions: number;
  /** Slack user IDs (U…/W…) and user-group IDs (S…) who may decide; empty means anyone in the channel. */
  reviewers: string[];
  /** One reminder to the reviewers after the draft has waited this long. */
  reminderAfterMs: number;
  /** Where approved articles are published; the request's channel when unset. */
  publishChannel?: string;
  /** Whether the server has our search attributes (src/workflows/search-attributes.ts) registered. */
  searchAttributes: boolean;
}

export interface PipelineInput extends PipelineRequest {
  settings?: Partial<PipelineSettings>;
}

export type LlmStep = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle' | 'reviseArticle' | 'retrieveContext' | 'checkEvidence';
export type ResearchStep = 'researchTopic' | 'findExamples' | 'getStatistics';

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
  /** Who pays for the call (spend ceilings); absent in runs without a workspace: no reservation. */
  spend?: SpendPayer;
}

/**
 * Whose spend account an LLM call reserves from (src/activities/spend.ts): the run's workspace and
 * requester, and the run's admission hold, which its first calls draw from. A payload field only:
 * the pipeline's history gains no event for a reservation.
 */
export interface SpendPayer {
  teamId: string;
  userId: string;
  /** `${pipelineWorkflowId}:admission`. */
  holdId: string;
}

export type { EvidenceReport, Grounding, GroundingCard, Passage, RetrieveContextInput, StatementCheck };

export interface ResearchBundle {
  facts: string;
  examples: RealWorldExample[];
  statistics: string;
  usage: Record<ResearchStep, LlmUsage>;
  /** Passages from the team's documents (absent in runs started before grounding existed). */
  grounding?: Grounding;
  /** Embedding tokens of the retrieval query. */
  groundingUsage?: LlmUsage;
}

/** `undeliverable`: the thread could not be opened (the bot cannot post in the channel); no LLM call was made. */
export type Outcome = 'approved' | 'rejected' | 'expired' | 'stopped' | 'cancelled' | 'undeliverable';

export interface Decision {
  outcome: Outcome;
  /** Slack user ID of the reviewer; absent when the review expired. */
  by?: string;
  /** ISO timestamp (workflow time, deterministic). */
  at: string;
  /** Draft version the decision applies to. */
  version?: number;
  /** Optional reason given with a rejection. */
  reason?: string;
  /** Set on `expired` when the run reached its own deadline (just before PIPELINE_TIMEOUT), not a review window's end. */
  deadline?: boolean;
  /** Set on `stopped` at a workspace spend ceiling: which one, in words ("the team's daily spend ceiling ($20.00, TEAM_DAILY_USD)"). */
  ceiling?: string;
  /** Set when the reviewer approved their own edit of the draft. */
  edit?: { charactersChanged: number; originalLength: number; editedLength: number };
}

export type Stage =
  | 'starting'
  | 'researching'
  | 'writing'
  | 'posting-draft'
  | 'awaiting-review'
  | 'awaiting-budget'
  | 'revising'
  | 'recording-decision'
  | 'publishing'
  | 'completed'
  | 'stopped'
  | 'cancelled'
  | 'undeliverable'
  | 'failed';

export interface StepUsage extends LlmUsage {
  step: LlmStep;
  /** Draft version a writing or revision step produced. */
  version?: number;
  /** USD; absent when the model has no price. */
  costUsd?: number;
}

export interface PipelineResult {
  workflowId: string;
  topic: string;
  /** The final text: as approved (edited if the reviewer edited it), or the last draft. */
  article: string;
  decision: Decision;
  /** Draft versions posted (1 + revisions). */
  versions: number;
  usage: UsageSummary;
  /** Where the approved article was published. */
  published?: { channel: string; ts: string; parts: number };
  /**
   * Set when the approved article could not be published: where it should have gone, Slack's
   * error, and the thread; `/research publish <workflow-id>` publishes `article` from here.
   */
  unpublished?: UnpublishedArticle;
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
  /** Current draft version (0 before the first draft). */
  version: number;
  maxRevisions: number;
  /** Slack user who cancelled the run, if someone did. */
  cancelledBy?: string;
}

/** The current draft, for the Edit modal. */
export interface DraftSnapshot {
  version: number;
  article: string;
  revisionsLeft: number;
  decided: boolean;
}

/** A reviewer's click, forwarded by the Bolt app. */
export interface ReviewAction {
  /** Slack user ID of whoever clicked. */
  userId: string;
  /** The draft version the click was made on; a click on an older card is ignored. */
  version?: number;
}

export interface CancelAction extends ReviewAction {
  /**
   * The channel the cancel was asked from (the card's button or `/research cancel`): the workflow
   * refuses one from any other channel than the run's. Absent in signals sent before it was
   * recorded, which came from the card in the run's own thread.
   */
  channel?: string;
}

export interface RejectAction extends ReviewAction {
  reason?: string;
}

export interface ChangesRequest extends ReviewAction {
  feedback: string;
}

export interface EditedApproval extends ReviewAction {
  article: string;
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
export const rejectSignal = defineSignal<[RejectAction]>('reject');
export const requestChangesSignal = defineSignal<[ChangesRequest]>('requestChanges');
export const approveEditedSignal = defineSignal<[EditedApproval]>('approveEdited');
/**
 * Cancel from Slack (button or `/research cancel`): the workflow checks who asks, then stops its
 * work and completes with outcome `cancelled`. (A Temporal cancellation from the Web UI or CLI,
 * an operator's, still ends the run Cancelled.)
 */
export const cancelSignal = defineSignal<[CancelAction]>('cancel');
export const draftQuery = defineQuery<DraftSnapshot>('draft');
export const budgetSignal = defineSignal<[BudgetAction]>('budget');
export const researchStepSignal = defineSignal<[ResearchStepReport]>('researchStepDone');
export const statusQuery = defineQuery<PipelineStatus>('status');
