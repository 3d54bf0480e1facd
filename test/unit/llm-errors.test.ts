import { afterEach, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { ContextOverflowError, addLangChainErrorFields } from '@langchain/core/errors';
import { OutputParserException } from '@langchain/core/output_parsers';
import { retryAfterMs, toLlmFailure } from '../../src/activities/llm-errors.js';
import { LlmFailure, NON_RETRYABLE_LLM_FAILURES } from '../../src/shared/failure-types.js';
import { expectFailure } from '../harness/failures.js';

const STEP = 'writeArticle';

function headers(values: Record<string, string> = {}): Headers {
  return new Headers({ 'x-request-id': 'req_123', ...values });
}

/** The error body shape the OpenAI API returns (and the SDK keeps in `error`). */
function body(message: string, code: string | null = null, type = 'invalid_request_error') {
  return { message, type, code, param: null };
}

/** What LangChain's @langchain/openai does to 401/404/429 errors before rethrowing them. */
function asLangChainWraps<T extends Error>(error: T, lcCode: Parameters<typeof addLangChainErrorFields>[1]): T {
  return addLangChainErrorFields(error, lcCode) as T;
}

/** LangChain turns OpenAI's APIConnectionTimeoutError into a plain Error named "TimeoutError". */
function langChainTimeout(message = 'Request timed out.'): Error {
  const error = new Error(message);
  error.name = 'TimeoutError';
  return error;
}


describe('toLlmFailure: non-retryable client errors', () => {
  it('401 → LlmAuthenticationError, non-retryable', () => {
    const error = new OpenAI.AuthenticationError(
      401,
      body('Incorrect API key provided: sk-test.', 'invalid_api_key'),
      undefined,
      headers(),
    );
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.Authentication, nonRetryable: true });
    expect(failure.message).toContain('rejected the API key');
    expect(failure.message).toContain(`${STEP}: 401 Incorrect API key provided`);
  });

  it('401 as rethrown by LangChain (lc_error_code added) is still an authentication failure', () => {
    const error = asLangChainWraps(
      new OpenAI.AuthenticationError(401, body('Incorrect API key'), undefined, headers()),
      'MODEL_AUTHENTICATION',
    );
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.Authentication, nonRetryable: true });
  });

  it('403 → LlmPermissionDeniedError, non-retryable', () => {
    const error = new OpenAI.PermissionDeniedError(
      403,
      body('You are not allowed to sample from this model', 'model_not_allowed'),
      undefined,
      headers(),
    );
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.PermissionDenied, nonRetryable: true });
    expect(failure.message).toContain('denied access');
  });

  it('404 → LlmModelNotFoundError, non-retryable', () => {
    const error = asLangChainWraps(
      new OpenAI.NotFoundError(
        404,
        body('The model `gpt-9` does not exist or you do not have access to it.', 'model_not_found'),
        undefined,
        headers(),
      ),
      'MODEL_NOT_FOUND',
    );
    const failure = toLlmFailure(error, 'researchTopic');
    expectFailure(failure, { type: LlmFailure.NotFound, nonRetryable: true });
    expect(failure.message).toContain('researchTopic: 404 The model `gpt-9` does not exist');
  });

  it('400 → LlmBadRequestError, non-retryable', () => {
    const error = new OpenAI.BadRequestError(
      400,
      body("Invalid value for 'temperature'", 'invalid_value'),
      undefined,
      headers(),
    );
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.BadRequest, nonRetryable: true });
    expect(failure.message).toContain('request was rejected');
  });

  it('422 → LlmBadRequestError, non-retryable', () => {
    const error = new OpenAI.UnprocessableEntityError(422, body('Unprocessable'), undefined, headers());
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.BadRequest, nonRetryable: true });
  });

  it('429 insufficient_quota → LlmQuotaExceededError, non-retryable, no retry delay', () => {
    const error = new OpenAI.RateLimitError(
      429,
      body('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'),
      undefined,
      headers({ 'retry-after': '20' }),
    );
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.QuotaExceeded, nonRetryable: true });
    expect(failure.message).toContain('out of quota');
  });

  it('429 insufficient_quota is recognised from a nested error.code too', () => {
    const error = { status: 429, message: 'quota', error: { code: 'insufficient_quota' } };
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.QuotaExceeded, nonRetryable: true });
  });

  it('a context overflow (as LangChain reports it) → LlmContextOverflowError, non-retryable', () => {
    const original = new OpenAI.BadRequestError(
      400,
      body("This model's maximum context length is 128000 tokens.", 'context_length_exceeded'),
      undefined,
      headers(),
    );
    const error = ContextOverflowError.fromError(original);
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.ContextOverflow, nonRetryable: true });
    expect(failure.message).toContain('longer than the model accepts');
  });

  it('every non-retryable type is also listed for the retry policy', () => {
    for (const type of [
      LlmFailure.Authentication,
      LlmFailure.PermissionDenied,
      LlmFailure.NotFound,
      LlmFailure.BadRequest,
      LlmFailure.QuotaExceeded,
      LlmFailure.ContextOverflow,
      LlmFailure.OutputInvalid,
      LlmFailure.Refusal,
      LlmFailure.OutputTruncated,
    ]) {
      expect(NON_RETRYABLE_LLM_FAILURES).toContain(type);
    }
    for (const type of [
      LlmFailure.RateLimited,
      LlmFailure.ServerError,
      LlmFailure.Timeout,
      LlmFailure.Connection,
      LlmFailure.Unknown,
    ]) {
      expect(NON_RETRYABLE_LLM_FAILURES).not.toContain(type);
    }
  });
});

describe('toLlmFailure: rate limits', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('429 without Retry-After → LlmRateLimitedError, retryable, no explicit delay', () => {
    const error = asLangChainWraps(
      new OpenAI.RateLimitError(429, body('Rate limit reached for gpt-4o-mini', 'rate_limit_exceeded'), undefined, headers()),
      'MODEL_RATE_LIMIT',
    );
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.RateLimited, nonRetryable: false, nextRetryDelay: undefined });
    expect(failure.message).toContain('Rate limited');
  });

  it('429 with Retry-After seconds → delay in ms', () => {
    const error = new OpenAI.RateLimitError(429, body('Rate limit reached'), undefined, headers({ 'retry-after': '7' }));
    expectFailure(toLlmFailure(error, STEP), {
      type: LlmFailure.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 7_000,
    });
  });

  it('429 prefers retry-after-ms over retry-after', () => {
    const error = new OpenAI.RateLimitError(
      429,
      body('Rate limit reached'),
      undefined,
      headers({ 'retry-after-ms': '1500', 'retry-after': '2' }),
    );
    expectFailure(toLlmFailure(error, STEP), {
      type: LlmFailure.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 1_500,
    });
  });

  it('429 with an HTTP-date Retry-After → time until that date', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    const error = new OpenAI.RateLimitError(
      429,
      body('Rate limit reached'),
      undefined,
      headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }),
    );
    expectFailure(toLlmFailure(error, STEP), {
      type: LlmFailure.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 30_000,
    });
  });

  it('429 from a plain object with a header record', () => {
    const error = { status: 429, message: 'slow down', headers: { 'retry-after': '3' } };
    expectFailure(toLlmFailure(error, STEP), {
      type: LlmFailure.RateLimited,
      nonRetryable: false,
      nextRetryDelay: 3_000,
    });
  });
});

describe('toLlmFailure: transient errors', () => {
  it.each([500, 502, 503, 504])('%d → LlmServerError, retryable', (status) => {
    const error = new OpenAI.InternalServerError(status, body('The server had an error'), undefined, headers());
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.ServerError, nonRetryable: false });
    expect(failure.message).toContain(`LLM provider error ${status}`);
  });

  it('5xx built by the SDK from a response (APIError.generate) is a server error', () => {
    const error = OpenAI.APIError.generate(503, { error: body('Service Unavailable') }, undefined, headers());
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.ServerError, nonRetryable: false });
  });

  it('a LangChain TimeoutError → LlmTimeoutError, retryable', () => {
    const failure = toLlmFailure(langChainTimeout(), STEP);
    expectFailure(failure, { type: LlmFailure.Timeout, nonRetryable: false });
    expect(failure.message).toContain('timed out');
    expect(failure.message).toContain(`${STEP}: Request timed out.`);
  });

  it("the SDK's own APIConnectionTimeoutError → LlmTimeoutError (not a connection error)", () => {
    const error = new OpenAI.APIConnectionTimeoutError();
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.Timeout, nonRetryable: false });
  });

  it('APIConnectionError → LlmConnectionError, retryable', () => {
    const error = new OpenAI.APIConnectionError({
      message: 'Connection error.',
      cause: new Error('connect ECONNREFUSED 127.0.0.1:11434'),
    });
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.Connection, nonRetryable: false });
    expect(failure.message).toContain('Could not reach the LLM provider');
  });

  it('an APIConnectionError built by APIError.generate (no status) is a connection error', () => {
    const error = OpenAI.APIError.generate(undefined, new Error('socket hang up'), 'Connection error.', undefined);
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.Connection, nonRetryable: false });
  });

  it('an OutputParserException → LlmOutputInvalidError, non-retryable (each attempt is billed)', () => {
    const error = new OutputParserException('Failed to parse. Text: "not json"', 'not json');
    const failure = toLlmFailure(error, STEP);
    expectFailure(failure, { type: LlmFailure.OutputInvalid, nonRetryable: true });
    expect(failure.message).toContain('not in the expected shape');
  });

  it('any error carrying lc_error_code OUTPUT_PARSING_FAILURE is invalid output', () => {
    const error = addLangChainErrorFields(new Error('bad JSON'), 'OUTPUT_PARSING_FAILURE');
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.OutputInvalid, nonRetryable: true });
  });
});

describe('toLlmFailure: everything else', () => {
  it('an unknown Error → LlmUnknownError, retryable', () => {
    const failure = toLlmFailure(new Error('something odd'), STEP);
    expectFailure(failure, { type: LlmFailure.Unknown, nonRetryable: false });
    expect(failure.message).toBe(`The LLM call failed (${STEP}: something odd)`);
  });

  it('an unexpected status such as 409 is unknown, not permanent', () => {
    const error = new OpenAI.ConflictError(409, body('Conflict'), undefined, headers());
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.Unknown, nonRetryable: false });
  });

  it.each([
    ['a string', 'boom'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
  ])('a thrown non-Error (%s) is unknown, with its text in the message and no cause', (_label, thrown) => {
    const failure = toLlmFailure(thrown, STEP);
    expectFailure(failure, { type: LlmFailure.Unknown, nonRetryable: false });
    expect(failure.message).toContain(String(thrown));
    expect(failure.cause).toBeUndefined();
  });

  it('keeps the original error as the cause', () => {
    const error = new OpenAI.AuthenticationError(401, body('bad key'), undefined, headers());
    expect(toLlmFailure(error, STEP).cause).toBe(error);
    const timeout = langChainTimeout();
    expect(toLlmFailure(timeout, STEP).cause).toBe(timeout);
  });

  it('passes an ApplicationFailure through unchanged', () => {
    const original = ApplicationFailure.create({
      type: 'SomethingElse',
      message: 'already classified',
      nonRetryable: true,
      nextRetryDelay: 1234,
    });
    const failure = toLlmFailure(original, STEP);
    expect(failure).toBe(original);
    expect(failure.type).toBe('SomethingElse');
    expect(failure.message).toBe('already classified');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.nextRetryDelay).toBe(1234);
  });

  it('status decides before the error name', () => {
    const error = Object.assign(new Error('odd'), { name: 'TimeoutError', status: 401 });
    expectFailure(toLlmFailure(error, STEP), { type: LlmFailure.Authentication, nonRetryable: true });
  });
});

describe('retryAfterMs', () => {
  const NOW = Date.parse('2015-10-21T07:28:00Z');

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', '5'],
    ['a number', 5],
    ['an empty record', {}],
    ['empty Headers', new Headers()],
  ])('returns undefined for %s', (_label, value) => {
    expect(retryAfterMs(value, NOW)).toBeUndefined();
  });

  it('reads Retry-After seconds from Headers', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '5' }), NOW)).toBe(5_000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0' }), NOW)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': '1.5' }), NOW)).toBe(1_500);
  });

  it('reads Headers case-insensitively', () => {
    expect(retryAfterMs(new Headers({ 'Retry-After': '4' }), NOW)).toBe(4_000);
    expect(retryAfterMs(new Headers({ 'Retry-After-Ms': '40' }), NOW)).toBe(40);
  });

  it('prefers retry-after-ms when it is a number', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), NOW)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), NOW)).toBe(250);
  });

  it('falls back to retry-after when retry-after-ms is not a number', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }), NOW)).toBe(2_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }), NOW)).toBe(30_000);
  });

  it('uses the current time by default for an HTTP-date', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const ms = retryAfterMs(new Headers({ 'retry-after': inAMinute }));
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });

  it('never returns a negative delay', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:00:00 GMT' }), NOW)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': '-3' }), NOW)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '-100' }), NOW)).toBe(0);
  });

  it('returns undefined for a value that is neither seconds nor a date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': 'later, maybe' }), NOW)).toBeUndefined();
  });

  it('reads a plain header record (lower-case or canonical case, string or number)', () => {
    expect(retryAfterMs({ 'retry-after': '10' }, NOW)).toBe(10_000);
    expect(retryAfterMs({ 'Retry-After': '3' }, NOW)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': 2 }, NOW)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }, NOW)).toBe(10_000);
  });

  it('ignores empty or non-scalar values in a record', () => {
    expect(retryAfterMs({ 'retry-after': '' }, NOW)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': ['5'] }, NOW)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': null }, NOW)).toBeUndefined();
  });
});
