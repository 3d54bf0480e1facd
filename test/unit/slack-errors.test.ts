import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { toSlackFailure } from '../../src/activities/slack-errors.js';
import { NON_RETRYABLE_SLACK_FAILURES, SlackFailure } from '../../src/shared/failure-types.js';
import { expectFailure } from '../harness/failures.js';

const METHOD = 'chat.postMessage';

/** What WebClient throws when Slack answers `{ ok: false, error }`. */
function platformError(error: string, extra: Record<string, unknown> = {}): WebAPIPlatformError {
  return new WebAPIPlatformError({ ok: false, error, ...extra });
}


describe('toSlackFailure: platform errors', () => {
  it.each([
    'invalid_auth',
    'not_authed',
    'account_inactive',
    'token_revoked',
    'token_expired',
    'no_permission',
    'not_allowed_token_type',
    'ekm_access_denied',
  ])('%s → SlackAuthError, non-retryable', (code) => {
    const failure = toSlackFailure(platformError(code), METHOD);
    expectFailure(failure, { type: SlackFailure.Auth, nonRetryable: true });
    expect(failure.message).toContain(`(${code})`);
    expect(failure.message).toContain('SLACK_BOT_TOKEN');
  });

  it('missing_scope → SlackAuthError, non-retryable, naming the method', () => {
    const error = platformError('missing_scope', { needed: 'chat:write', provided: 'commands' });
    const failure = toSlackFailure(error, 'chat.update');
    expectFailure(failure, { type: SlackFailure.Auth, nonRetryable: true });
    expect(failure.message).toBe(
      "Slack refused chat.update (missing_scope): check SLACK_BOT_TOKEN and the app's scopes",
    );
  });

  it.each([
    'channel_not_found',
    'not_in_channel',
    'is_archived',
    'restricted_action',
    'message_not_found',
    'cant_update_message',
    'edit_window_closed',
  ])('%s → SlackChannelError, non-retryable', (code) => {
    const failure = toSlackFailure(platformError(code), METHOD);
    expectFailure(failure, { type: SlackFailure.Channel, nonRetryable: true });
    expect(failure.message).toContain(`(${code})`);
    expect(failure.message).toContain(METHOD);
  });

  it.each(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited'])(
    '%s → SlackUnavailableError, retryable',
    (code) => {
      const failure = toSlackFailure(platformError(code), METHOD);
      expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
      expect(failure.message).toBe(`Slack ${METHOD}: ${code}`);
    },
  );

  it.each(['invalid_blocks', 'msg_too_long', 'invalid_arguments', 'no_text', 'some_future_error'])(
    'an unknown platform error (%s) → SlackInvalidRequestError, non-retryable',
    (code) => {
      const failure = toSlackFailure(platformError(code), METHOD);
      expectFailure(failure, { type: SlackFailure.InvalidRequest, nonRetryable: true });
      expect(failure.message).toBe(`Slack rejected ${METHOD} (${code})`);
    },
  );

  it('a platform error without an error string is an invalid request ("unknown_error")', () => {
    const failure = toSlackFailure({ code: ErrorCode.PlatformError, data: {} }, METHOD);
    expectFailure(failure, { type: SlackFailure.InvalidRequest, nonRetryable: true });
    expect(failure.message).toContain('unknown_error');
  });
});

describe('toSlackFailure: rate limits', () => {
  it('WebAPIRateLimitedError → SlackRateLimitedError, retryable after Retry-After seconds', () => {
    const failure = toSlackFailure(new WebAPIRateLimitedError(30), METHOD);
    expectFailure(failure, { type: SlackFailure.RateLimited, nonRetryable: false, nextRetryDelay: 30_000 });
    expect(failure.message).toBe(`Slack rate-limited ${METHOD}; retrying in 30s`);
  });

  it.each([1, 3, 60])('retryAfter %d s → nextRetryDelay %d000 ms', (seconds) => {
    const failure = toSlackFailure(new WebAPIRateLimitedError(seconds), METHOD);
    expect(failure.nextRetryDelay).toBe(seconds * 1_000);
  });

  it('defaults to one second when retryAfter is missing', () => {
    const failure = toSlackFailure({ code: ErrorCode.RateLimitedError }, METHOD);
    expectFailure(failure, { type: SlackFailure.RateLimited, nonRetryable: false, nextRetryDelay: 1_000 });
  });
});

describe('toSlackFailure: HTTP errors', () => {
  it.each([400, 401, 403, 404, 410, 413])('HTTP %d → SlackInvalidRequestError, non-retryable', (status) => {
    const error = new WebAPIHTTPError(status, 'Client Error', { 'content-type': 'text/plain' }, 'nope');
    const failure = toSlackFailure(error, METHOD);
    expectFailure(failure, { type: SlackFailure.InvalidRequest, nonRetryable: true });
    expect(failure.message).toBe(`Slack answered HTTP ${status} to ${METHOD}`);
  });

  it.each([500, 502, 503, 504])('HTTP %d → SlackUnavailableError, retryable', (status) => {
    const error = new WebAPIHTTPError(status, 'Service Unavailable', {}, '<html>down</html>');
    const failure = toSlackFailure(error, METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
    expect(failure.message).toContain(`statusCode = ${status}`);
  });

  it('HTTP 408 (request timeout) is retryable', () => {
    const failure = toSlackFailure(new WebAPIHTTPError(408, 'Request Timeout', {}), METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
  });
});

describe('toSlackFailure: request errors and the rest', () => {
  it('WebAPIRequestError (connection reset) → SlackUnavailableError, retryable', () => {
    const original = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const failure = toSlackFailure(new WebAPIRequestError(original), METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
    expect(failure.message).toBe(`Slack ${METHOD} failed: A request error occurred: socket hang up`);
  });

  it('WebAPIRequestError from a client timeout is retryable', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const failure = toSlackFailure(new WebAPIRequestError(timeout), METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
  });

  it('an unknown Error is treated as transient', () => {
    const failure = toSlackFailure(new Error('chat.postMessage returned no ts'), METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
    expect(failure.message).toBe(`Slack ${METHOD} failed: chat.postMessage returned no ts`);
  });

  it('a thrown non-Error is transient, with its text in the message and no cause', () => {
    const failure = toSlackFailure('weird', METHOD);
    expectFailure(failure, { type: SlackFailure.Unavailable, nonRetryable: false });
    expect(failure.message).toBe(`Slack ${METHOD} failed: weird`);
    expect(failure.cause).toBeUndefined();
  });

  it('classifies plain objects that carry the SDK codes (e.g. after serialization)', () => {
    expectFailure(
      toSlackFailure({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, METHOD),
      { type: SlackFailure.Channel, nonRetryable: true },
    );
    expectFailure(toSlackFailure({ code: 'slack_webapi_rate_limited_error', retryAfter: 5 }, METHOD), {
      type: SlackFailure.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 5_000,
    });
    expectFailure(toSlackFailure({ code: 'slack_webapi_http_error', statusCode: 404 }, METHOD), {
      type: SlackFailure.InvalidRequest,
      nonRetryable: true,
    });
  });

  it('keeps the original error as the cause', () => {
    for (const error of [
      platformError('invalid_auth'),
      platformError('channel_not_found'),
      platformError('internal_error'),
      platformError('invalid_blocks'),
      new WebAPIRateLimitedError(2),
      new WebAPIHTTPError(400, 'Bad Request', {}),
      new WebAPIRequestError(new Error('ECONNREFUSED')),
    ]) {
      expect(toSlackFailure(error, METHOD).cause).toBe(error);
    }
  });

  it('passes an ApplicationFailure through unchanged', () => {
    const original = ApplicationFailure.create({ type: 'Other', message: 'already classified', nonRetryable: true });
    expect(toSlackFailure(original, METHOD)).toBe(original);
    expect(original.type).toBe('Other');
    expect(original.nonRetryable).toBe(true);
  });

  it('lists exactly the non-retryable types for the retry policy', () => {
    expect([...NON_RETRYABLE_SLACK_FAILURES].sort()).toEqual(
      [SlackFailure.Auth, SlackFailure.Channel, SlackFailure.InvalidRequest].sort(),
    );
  });
});
