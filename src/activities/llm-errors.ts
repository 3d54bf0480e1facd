/**
 * Maps provider errors to ApplicationFailure with explicit types and retryability.
 *
 * Why: Temporal names a failure after the thrown error's constructor, and LangChain rewraps some
 * OpenAI errors (a timeout becomes a plain Error named "TimeoutError"; 401/404/429 keep their OpenAI
 * class). Explicit types keep the retry policy honest whatever the SDKs do next.
 */
import { ApplicationFailure } from '@temporalio/common';
import { LlmFailure, type LlmFailureDetails } from '../shared/failure-types.js';
import type { LlmUsage } from '../workflows/messages.js';

interface ProviderErrorShape {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  code?: unknown;
  headers?: unknown;
  error?: unknown;
  lc_error_code?: unknown;
  constructor?: { name?: string };
}

/** Retry-After in ms from a Headers object or a plain record; seconds or an HTTP date. */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  let raw: string | null | undefined;
  if (headers && typeof (headers as Headers).get === 'function') {
    const ms = (headers as Headers).get('retry-after-ms');
    if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
    raw = (headers as Headers).get('retry-after');
  } else if (headers && typeof headers === 'object') {
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const ms = lower['retry-after-ms'];
    if ((typeof ms === 'string' || typeof ms === 'number') && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
    const value = lower['retry-after'];
    raw = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  }
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorCode(e: ProviderErrorShape): string | undefined {
  if (typeof e.code === 'string') return e.code;
  const inner = e.error as { code?: unknown } | undefined;
  return inner && typeof inner.code === 'string' ? inner.code : undefined;
}

function fail(type: string, message: string, nonRetryable: boolean, cause: unknown, nextRetryDelay?: number) {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable,
    cause: cause instanceof Error ? cause : undefined,
    ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
  });
}

/**
 * An answer that came back (and was billed) but cannot be used: never retried by Temporal, and
 * carrying the tokens of every call the activity made as `details[0]`, so the run's cost counts them.
 */
export function unusableOutput(type: string, message: string, usage: LlmUsage): ApplicationFailure {
  const details: LlmFailureDetails = { usage };
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

/** Attaches the usage of calls already made (and billed) to a failure that has no details yet. */
export function withUsage(failure: ApplicationFailure, usage: LlmUsage | undefined): ApplicationFailure {
  if (!usage || usage.totalTokens <= 0 || failure.details?.length) return failure;
  const details: LlmFailureDetails = { usage };
  return new ApplicationFailure(failure.message, failure.type, failure.nonRetryable, [details], failure.cause, failure.nextRetryDelay);
}

/**
 * Classifies an error thrown by a LangChain chat model call.
 * `step` names the pipeline step for the message people will read in Slack and the Web UI.
 */
export function toLlmFailure(error: unknown, step: string): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const e = (error && typeof error === 'object' ? error : { message: String(error) }) as ProviderErrorShape;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const status = typeof e.status === 'number' ? e.status : undefined;
  const name = typeof e.name === 'string' ? e.name : '';
  const className = e.constructor?.name ?? '';
  const code = errorCode(e);
  const where = `${step}: ${message}`;

  if (status === 401) {
    return fail(LlmFailure.Authentication, `The LLM provider rejected the API key (${where})`, true, error);
  }
  if (status === 403) return fail(LlmFailure.PermissionDenied, `The LLM provider denied access (${where})`, true, error);
  if (status === 404) return fail(LlmFailure.NotFound, `The model or endpoint was not found (${where})`, true, error);
  if (status === 429 && code === 'insufficient_quota') {
    return fail(LlmFailure.QuotaExceeded, `The LLM account is out of quota (${where})`, true, error);
  }
  if (status === 429) {
    return fail(LlmFailure.RateLimited, `Rate limited by the LLM provider (${where})`, false, error, retryAfterMs(e.headers));
  }
  if (name === 'ContextOverflowError' || className === 'ContextOverflowError') {
    return fail(LlmFailure.ContextOverflow, `The prompt is longer than the model accepts (${where})`, true, error);
  }
  if (status === 400 || status === 422) return fail(LlmFailure.BadRequest, `The LLM request was rejected (${where})`, true, error);
  if (status !== undefined && status >= 500) return fail(LlmFailure.ServerError, `LLM provider error ${status} (${where})`, false, error);
  if (name === 'TimeoutError' || className === 'APIConnectionTimeoutError') {
    return fail(LlmFailure.Timeout, `The LLM call timed out (${where})`, false, error);
  }
  if (className === 'APIConnectionError' || name === 'APIConnectionError') {
    return fail(LlmFailure.Connection, `Could not reach the LLM provider (${where})`, false, error);
  }
  const badShape =
    name === 'OutputParserException' ||
    e.lc_error_code === 'OUTPUT_PARSING_FAILURE' ||
    name.endsWith('ZodError') || // structured output that failed its schema (zod 4 names it $ZodError)
    name === 'SyntaxError'; // structured output that was not JSON
  if (badShape) {
    // Each attempt is billed, and the same prompt tends to fail the same way: no blind retries.
    return fail(LlmFailure.OutputInvalid, `The model's answer was not in the expected shape (${where})`, true, error);
  }
  return fail(LlmFailure.Unknown, `The LLM call failed (${where})`, false, error);
}
