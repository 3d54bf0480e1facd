/**
 * Failure `type` names our activities raise as ApplicationFailure.
 * Temporal would otherwise record the thrown error's constructor name, which LangChain and
 * the Slack SDK do not keep stable, so retry decisions hang on these explicit names instead.
 * Pure: imported by workflow code for retry policies.
 */
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
  /** The model answered, but not in the shape we asked for. */
  InvalidOutput: 'LlmInvalidOutputError',
  /** Anything else: retried, since we cannot tell it is permanent. */
  Unknown: 'LlmUnknownError',
} as const;

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

/** Failure types that no retry can fix: listed in retry policies as well, as a second guard. */
export const NON_RETRYABLE_LLM_FAILURES: string[] = [
  LlmFailure.Authentication,
  LlmFailure.PermissionDenied,
  LlmFailure.NotFound,
  LlmFailure.BadRequest,
  LlmFailure.QuotaExceeded,
  LlmFailure.ContextOverflow,
];

export const NON_RETRYABLE_SLACK_FAILURES: string[] = [
  SlackFailure.Auth,
  SlackFailure.Channel,
  SlackFailure.InvalidRequest,
];
