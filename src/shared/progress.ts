/**
 * What the live status message shows, as plain data. The workflow builds it from its own state
 * (deterministic), the Slack activity renders it (src/slack/blocks/status.ts).
 */
import type { LlmStep } from '../workflows/messages.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepView {
  key: LlmStep | 'review';
  label: string;
  state: StepState;
  tokens?: number;
  /** USD; absent when unpriced or not yet known. */
  costUsd?: number;
  /** True when the step used a model without a price. */
  unpriced?: boolean;
  durationMs?: number;
  /** Extra words, e.g. "awaiting review" or "approved by <@U1>". */
  note?: string;
}

export type RunState = 'running' | 'waiting' | 'completed' | 'stopped' | 'failed';

export interface StatusView {
  /** For the Cancel button while the run is live. */
  workflowId: string;
  topic: string;
  state: RunState;
  steps: StepView[];
  totalTokens: number;
  totalCostUsd: number;
  /** Labels of steps whose cost is unknown. */
  unpricedSteps: string[];
  budgetUsd: number;
  elapsedMs: number;
  /** One line under the steps: what is happening now or how it ended. */
  headline: string;
}

export const STEP_LABELS: Record<StepView['key'], string> = {
  researchTopic: 'Key facts',
  findExamples: 'Real-world examples',
  getStatistics: 'Statistics',
  writeArticle: 'Writing the article',
  reviseArticle: 'Revision',
  retrieveContext: 'Searching your documents',
  checkEvidence: 'Evidence check',
  review: 'Review',
};
