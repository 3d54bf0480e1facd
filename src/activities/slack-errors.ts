/**
 * Maps @slack/web-api errors to ApplicationFailure with explicit types, so Temporal's retry policy
 * (not the Slack SDK's own retry loop) decides what is tried again and when.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode } from '@slack/web-api';
import { SlackFailure } from '../shared/failure-types.js';

const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'ekm_access_denied',
]);

const CHANNEL_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/** `details[0]` of a SlackChannelError. */
export interface ChannelFailureDetails {
  slackError: string;
  method: string;
}

interface SlackErrorShape {
  code?: unknown;
  message?: unknown;
  data?: { error?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
}

export function toSlackFailure(error: unknown, method: string): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const e = (error && typeof error === 'object' ? error : {}) as SlackErrorShape;
  const cause = error instanceof Error ? error : undefined;
  const detail = typeof e.message === 'string' ? e.message : String(error);

  if (e.code === ErrorCode.RateLimitedError) {
    const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : 1;
    return ApplicationFailure.create({
      type: SlackFailure.RateLimited,
      message: `Slack rate-limited ${method}; retrying in ${seconds}s`,
      nextRetryDelay: seconds * 1_000,
      cause,
    });
  }
  if (e.code === ErrorCode.PlatformError) {
    const slackError = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
    if (AUTH_ERRORS.has(slackError)) {
      return ApplicationFailure.create({
        type: SlackFailure.Auth,
        message: `Slack refused ${method} (${slackError}): check SLACK_BOT_TOKEN and the app's scopes`,
        nonRetryable: true,
        cause,
      });
    }
    if (CHANNEL_ERRORS.has(slackError)) {
      // The Slack error in the details, so the workflow can tell the person what to do about it.
      const details: ChannelFailureDetails = { slackError, method };
      return ApplicationFailure.create({
        type: SlackFailure.Channel,
        message: `Slack could not ${method} in this channel (${slackError}): is the bot still a member?`,
        nonRetryable: true,
        details: [details],
        cause,
      });
    }
    if (TRANSIENT_PLATFORM_ERRORS.has(slackError)) {
      return ApplicationFailure.create({ type: SlackFailure.Unavailable, message: `Slack ${method}: ${slackError}`, cause });
    }
    return ApplicationFailure.create({
      type: SlackFailure.InvalidRequest,
      message: `Slack rejected ${method} (${slackError})`,
      nonRetryable: true,
      cause,
    });
  }
  if (e.code === ErrorCode.HTTPError && typeof e.statusCode === 'number' && e.statusCode < 500 && e.statusCode !== 408) {
    return ApplicationFailure.create({
      type: SlackFailure.InvalidRequest,
      message: `Slack answered HTTP ${e.statusCode} to ${method}`,
      nonRetryable: true,
      cause,
    });
  }
  // HTTP 5xx, request errors (timeouts, resets) and anything unknown: transient.
  return ApplicationFailure.create({ type: SlackFailure.Unavailable, message: `Slack ${method} failed: ${detail}`, cause });
}
