/**
 * Failure `type` names our activities raise as ApplicationFailure.
 * Temporal would otherwise record the thrown error's constructor name, which LangChain and
 * the Slack SDK do not keep stable, so retry decisions hang on these explicit names instead.
 * Pure: imported by workflow code for retry policies.
 */
import type { LlmUsage } from '../workflows/messages.js';

export const LlmFailure = {
  /** 401: the API key is wrong or revoked. */
  Authentication: 'LlmAuthenticationError',
  /** 403: the key may not use this model or project. */
  PermissionDenied: 'LlmPermissionDeniedError',
  /** 404: unknown model or endpoint. */
  NotFound: 'LlmModelNotFoundError',
  /** 400/422: the request itself is wrong; sending it again cannot help. */
  BadRequest: 'LlmBadRequestError',
  /** 429 with `insufficient_quota`: out of credit, not a transient limit. */
  QuotaExceeded: 'LlmQuotaExceededError',
  /** Prompt longer than the model's context window. */
  ContextOverflow: 'LlmContextOverflowError',
  /** 429: transient rate limit; retried, honouring Retry-After. */
  RateLimited: 'LlmRateLimitedError',
  /** 5xx from the provider. */
  ServerError: 'LlmServerError',
  /** The HTTP call took longer than the client timeout. */
  Timeout: 'LlmTimeoutError',
  /** The provider could not be reached. */
  Connection: 'LlmConnectionError',
  /**
   * The model answered, but the answer cannot be used (not the JSON asked for, even after the one
   * repair attempt; or empty). Never retried blindly: each attempt is billed.
   */
  OutputInvalid: 'LlmOutputInvalidError',
  /** The model declined to answer (`message.refusal`); asking again the same way will not change that. */
  Refusal: 'LlmRefusalError',
  /** The answer stopped at the output cap (`finish_reason: "length"`): it is cut off, and a retry hits the same cap. */
  OutputTruncated: 'LlmOutputTruncatedError',
  /** Anything else: retried, since we cannot tell it is permanent. */
  Unknown: 'LlmUnknownError',
} as const;

/**
 * An LLM activity given the run's remaining budget found, before calling the model, that the call
 * could cost more (its worst case: the prompt it would send plus a full `max_tokens` answer). Not
 * retried: the workflow asks a person (Allow +$ / Stop) and calls again only if allowed.
 */
export const BUDGET_EXCEEDED = 'BudgetExceededError';

export interface BudgetExceededDetails {
  /** Worst case in USD of the call that was not made. */
  worstCaseUsd: number;
  remainingUsd: number;
}

/**
 * An LLM activity asked the workspace's spend account (src/workflows/spend-account.ts) for the call's
 * worst case and was refused: a team or per-person daily/monthly ceiling would be passed. The model
 * was not called. Not retried: the workflow asks the requester (wait for the reset, or Stop).
 * `details[0]` is the account's refusal (`SpendRefusal`: limit, used, limit, requested, resetsAt).
 */
export const SPEND_CEILING_REACHED = 'SpendCeilingReached';

export const SlackFailure = {
  /** Token missing, revoked or lacking a scope. */
  Auth: 'SlackAuthError',
  /** Channel gone, archived, or the bot cannot post there. */
  Channel: 'SlackChannelError',
  /** The request was malformed (blocks invalid, message too long). */
  InvalidRequest: 'SlackInvalidRequestError',
  /** `ratelimited`: retried after Retry-After. */
  RateLimited: 'SlackRateLimitedError',
  /** Slack 5xx, timeouts, connection resets. */
  Unavailable: 'SlackUnavailableError',
} as const;

/** The provider refused the request before doing any work (nothing billed), and a retry cannot help. */
export const LLM_FAILURES_BEFORE_WORK: string[] = [
  LlmFailure.Authentication,
  LlmFailure.PermissionDenied,
  LlmFailure.NotFound,
  LlmFailure.BadRequest,
  LlmFailure.QuotaExceeded,
  LlmFailure.ContextOverflow,
];

/** Failure types that no retry can fix: listed in retry policies as well, as a second guard. */
export const NON_RETRYABLE_LLM_FAILURES: string[] = [
  ...LLM_FAILURES_BEFORE_WORK,
  LlmFailure.OutputInvalid,
  LlmFailure.Refusal,
  LlmFailure.OutputTruncated,
];

/**
 * What an LLM activity's failure carries as `details[0]` when calls were made and billed before it
 * failed (an unusable answer, a refusal, a cut-off answer, a failed repair call): the tokens of every
 * such call, so the workflow can add them to the run's cost and budget.
 */
export interface LlmFailureDetails {
  usage: LlmUsage;
}

/** The usage an LLM failure carries, if any (`details` as Temporal hands them to the workflow). */
export function usageOfFailure(details: readonly unknown[] | undefined | null): LlmUsage | undefined {
  const first = details?.[0] as Partial<LlmFailureDetails> | undefined;
  const usage = first?.usage;
  if (!usage || typeof usage !== 'object' || typeof usage.model !== 'string') return undefined;
  const counts = [usage.inputTokens, usage.outputTokens, usage.cachedInputTokens, usage.totalTokens];
  return counts.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0) ? usage : undefined;
}

export const NON_RETRYABLE_SLACK_FAILURES: string[] = [
  SlackFailure.Auth,
  SlackFailure.Channel,
  SlackFailure.InvalidRequest,
];
