/**
 * Timeouts and retry policies for every activity: the cost-safety net.
 * startToClose bounds one attempt, scheduleToClose bounds all attempts together, and the
 * retry policy fails fast on errors no retry can fix (bad key, no quota, unknown model).
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_LLM_FAILURES, NON_RETRYABLE_SLACK_FAILURES } from '../shared/failure-types.js';
import type { PipelineSettings } from './messages.js';
import { CONTENT_PIPELINE_TASK_QUEUE, RESEARCH_TASK_QUEUE } from './messages.js';

export const DEFAULT_SETTINGS: PipelineSettings = {
  researchTaskQueue: RESEARCH_TASK_QUEUE,
  reviewTimeoutMs: 72 * 3_600_000,
  llmAttemptTimeoutMs: 90_000,
  maxCostUsd: 0.5,
  researchModel: 'gpt-4o-mini',
  writerModel: 'gpt-4o-mini',
  maxRevisions: 3,
  reviewers: [],
  reminderAfterMs: 4 * 3_600_000,
  searchAttributes: false,
};

export { CONTENT_PIPELINE_TASK_QUEUE };

/** LLM and embedding calls: 3 attempts with backoff, failing fast on errors a retry cannot fix. */
const LLM_RETRY: ActivityOptions['retry'] = {
  maximumAttempts: 3,
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE_LLM_FAILURES,
};

/** At most 3 attempts per LLM step, with backoff; scheduleToClose leaves room for them and their waits. */
export function llmActivityOptions(attemptTimeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: attemptTimeoutMs,
    scheduleToCloseTimeout: attemptTimeoutMs * 3 + 60_000,
    // LLM activities heartbeat while they wait for the model, which is how a cancellation reaches
    // them (and aborts the HTTP call) and how a dead worker is noticed before the attempt times out.
    heartbeatTimeout: Math.min(attemptTimeoutMs, 10_000),
    retry: LLM_RETRY,
  };
}

/**
 * Edits of the live status message: cosmetic, so a few quick attempts and then move on
 * (the workflow logs and carries on rather than waiting minutes for a progress line).
 */
export const STATUS_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '45s',
  retry: {
    maximumAttempts: 3,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    nonRetryableErrorTypes: NON_RETRYABLE_SLACK_FAILURES,
  },
};

/** The budget estimate: pure computation on the worker, so a few quick attempts. */
export const ESTIMATE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
};

/** The same, as the local activity that runs started before the estimates-as-activities patch used. */
export const LEGACY_LOCAL_ESTIMATE_OPTIONS: LocalActivityOptions = ESTIMATE_ACTIVITY_OPTIONS;

/** Slack writes are quick; a few more attempts ride out rate limits and blips. */
export const SLACK_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '20s',
  scheduleToCloseTimeout: '5m',
  retry: {
    maximumAttempts: 6,
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: NON_RETRYABLE_SLACK_FAILURES,
  },
};

/**
 * Retrieval from the knowledge base: one embedding call and a local (or object-store) search.
 * Quick, so a short attempt timeout; retried like an LLM call, failing fast on the same errors.
 */
export const KB_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '4m',
  retry: LLM_RETRY,
};
