/**
 * The LLM activities' side of the spend ceilings (issue 21): before a call, reserve its worst case
 * from the workspace's spend account; after it, settle what it actually cost. The reservation is
 * the activity's business alone: the pipeline's history gains no event for it.
 *
 * - Reservation ID `${workflowId}:${activityId}:${attempt}`: a retried attempt reserves anew, and the
 *   reservation of an attempt that died with its worker counts at its worst case until it expires
 *   (ttl = the attempt's start-to-close timeout + 60 s), so it is never lost and never counted twice.
 * - The run's first calls draw from its admission hold (`${pipelineWorkflowId}:admission`, reserved by
 *   the bot before the run started), so an admitted run is not refused for what others spent since.
 * - Refused → a non-retryable ApplicationFailure `SpendCeilingReached` whose details are the refusal;
 *   the model is not called. The workflow turns it into the Allow (wait for the reset) / Stop question.
 * - The account cannot be reached → the error propagates and Temporal retries the attempt: no call
 *   is made unreserved (fail closed).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { LLM_FAILURES_BEFORE_WORK, LlmFailure, SPEND_CEILING_REACHED, usageOfFailure } from '../shared/failure-types.js';
import { costOf, estimatePromptTokens, formatBudget, formatUsd, worstCaseCost, type PriceTable } from '../shared/pricing.js';
import type { PromptMessages } from '../shared/prompts.js';
import type { SpendAccount } from '../temporal/spend.js';
import type { SpendCeilings, SpendRefusal } from '../workflows/spend-messages.js';
import type { LlmUsage, SpendPayer } from '../workflows/messages.js';

export interface SpendDeps {
  /** `spendAccountFor(client, { taskQueue })` over the worker's own Client (encrypted payloads). */
  account: SpendAccount;
  ceilings: SpendCeilings;
  /** SPEND_TIMEZONE. */
  timeZone: string;
  /** The worker's price table (MODEL_PRICES), which worst cases and actual costs are priced with. */
  prices: PriceTable;
}

/** Beyond the attempt's start-to-close timeout, how long a never-settled reservation keeps counting. */
export const RESERVATION_TTL_MARGIN_MS = 60_000;

/** Tokens of the repair message a structured call may add (repairPrompt's text plus the parse problem). */
const REPAIR_PROMPT_TOKENS = 400;

/** Down to whole micro-dollars (the account's unit): a run's calls then never ask more than its admission hold, which is their sum. */
const floorMicros = (usd: number) => Math.floor(usd * 1_000_000) / 1_000_000;

/**
 * The worst case of one model call: the prompt uncached plus a full answer (the same formula as
 * worstCaseOf in estimates.ts, which the bot's admission hold and the per-run budget use, so a run's
 * research calls add up to its hold). Undefined when unpriced.
 */
export function callWorstCase(model: string, prompt: PromptMessages, maxOutput: number, prices: PriceTable): number | undefined {
  const cost = worstCaseCost(model, estimatePromptTokens(prompt.system, prompt.user), maxOutput, prices);
  return cost === undefined ? undefined : floorMicros(cost);
}

/** The worst case of a structured call's one repair call: the prompt, the first answer and the repair message, and a full answer. */
export function repairWorstCase(model: string, prompt: PromptMessages, maxOutput: number, prices: PriceTable): number | undefined {
  const cost = worstCaseCost(model, estimatePromptTokens(prompt.system, prompt.user) + maxOutput + REPAIR_PROMPT_TOKENS, maxOutput, prices);
  return cost === undefined ? undefined : floorMicros(cost);
}

/** How long a settle may take before the attempt stops waiting (the reservation then expires instead). */
const SETTLE_WAIT_MS = 15_000;

/**
 * Stops waiting for the account when the attempt is cancelled. A worker shutting down stops running
 * workflow tasks, the account's included, so with a single worker the answer would never come and the
 * shutdown would wait on this attempt for good. The Update may still land later; nothing is called
 * without a grant, and an unsettled grant expires.
 */
function untilCancelled<T>(work: Promise<T>): Promise<T> {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits at most `ms` for `work` (settling after a cancelled call must not hold the worker either). */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Asks the account for a further call within the same activity (a structured call's repair); throws SpendCeilingReached when refused. */
export type ReserveMore = (worstCaseUsd: number | undefined, billedSoFar: LlmUsage) => Promise<void>;

/**
 * Failures the provider answered before doing any work it bills for (4xx, a 429). Any other failure
 * without usage (a client timeout, a dropped connection, a 5xx, a cancelled attempt) may have been
 * billed in full, so it settles at its worst case: counting too much until the day ends is the price
 * of never counting too little.
 */
const NOT_BILLED = new Set<string>([...LLM_FAILURES_BEFORE_WORK, LlmFailure.RateLimited, SPEND_CEILING_REACHED]);

function knownUnbilled(error: unknown): boolean {
  return error instanceof ApplicationFailure && typeof error.type === 'string' && NOT_BILLED.has(error.type);
}

/** The usage a call reports: its result's, or the billed calls a failure carries. */
function usageAfter(outcome: { value: { usage: LlmUsage } } | { error: unknown }): LlmUsage | undefined {
  if ('value' in outcome) return outcome.value.usage;
  return outcome.error instanceof ApplicationFailure ? usageOfFailure(outcome.error.details) : undefined;
}

function refusalFailure(step: string, refusal: SpendRefusal, billed?: LlmUsage): ApplicationFailure {
  return ApplicationFailure.create({
    type: SPEND_CEILING_REACHED,
    message: `${step}: the ${refusal.limit} spend ceiling of ${formatBudget(refusal.limitUsd)} would be passed (${formatUsd(refusal.usedUsd)} used, this call up to ${formatUsd(refusal.requestedUsd)}); resets ${refusal.resetsAt}. Not called.`,
    nonRetryable: true,
    // The tokens of calls already made in this attempt ride along (as every LLM failure's do), so
    // they are counted by the run and settled with the account.
    details: [billed ? { ...refusal, usage: billed } : refusal],
  });
}

/**
 * Runs `call` under a reservation of `worstCaseUsd` when spend ceilings are on and the run says who
 * pays; otherwise just runs it. Settles the actual cost afterwards, whatever happened (0 when the
 * call failed before the model answered).
 */
export async function withReservation<T extends { usage: LlmUsage }>(
  deps: SpendDeps | undefined,
  payer: SpendPayer | undefined,
  step: string,
  worstCaseUsd: () => number | undefined,
  call: (reserveMore: ReserveMore) => Promise<T>,
): Promise<T> {
  if (!deps || !payer) return call(async () => undefined);
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? 'no-workflow';
  // The run ID too: a workflow run again under the same ID (the research child after a ceiling's reset,
  // a reset of the pipeline) counts its activity IDs from 1 again, and a reused ID would be answered
  // from the account's memory of the first run's call instead of being counted.
  const reservationId = `${workflowId}:${info.workflowExecution?.runId ?? 'no-run'}:${info.activityId}:${info.attempt}`;
  // An unpriced model cannot be bounded: it reserves nothing and is charged nothing (its usage still shows per run).
  const amountUsd = worstCaseUsd() ?? 0;
  const ask = (id: string, amount: number) => untilCancelled(deps.account.reserve({
    teamId: payer.teamId,
    userId: payer.userId,
    workflowId,
    reservationId: id,
    amountUsd: amount,
    ceilings: deps.ceilings,
    ttlMs: (info.startToCloseTimeoutMs ?? 0) + RESERVATION_TTL_MARGIN_MS,
    timeZone: deps.timeZone,
    drawFrom: payer.holdId,
  }));
  const granted = await ask(reservationId, amountUsd);
  if (granted.status === 'refused') {
    if (granted.limit === 'user-running') throw new Error(`${step}: unexpected running-pipelines refusal for a call`);
    throw refusalFailure(step, granted);
  }
  // Further calls of this attempt (a repair) reserve on their own, settled at 0: the first
  // reservation settles what every call of the attempt cost.
  const extra: Array<{ id: string; amountUsd: number }> = [];
  const reserveMore: ReserveMore = async (worstCase, billedSoFar) => {
    const id = `${reservationId}:more${extra.length + 1}`;
    const more = await ask(id, worstCase ?? 0);
    if (more.status === 'refused') {
      if (more.limit === 'user-running') throw new Error(`${step}: unexpected running-pipelines refusal for a call`);
      throw refusalFailure(step, more, billedSoFar);
    }
    extra.push({ id, amountUsd: worstCase ?? 0 });
  };
  let outcome: { value: T } | { error: unknown } | undefined;
  try {
    outcome = { value: await call(reserveMore) };
    return outcome.value;
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    const usage = outcome ? usageAfter(outcome) : undefined;
    // Usage known: what it cost (a repair's tokens are in the first call's usage). Unknown: 0 only when
    // the provider refused before working; otherwise every reservation of the attempt at its worst case.
    const unbilled = outcome !== undefined && 'error' in outcome && knownUnbilled(outcome.error);
    const actualUsd = usage ? costOf(usage, deps.prices) ?? 0 : unbilled ? 0 : amountUsd;
    const settlements: Array<readonly [string, number]> = [[reservationId, actualUsd], ...extra.map((more) => [more.id, usage || unbilled ? 0 : more.amountUsd] as const)];
    for (const [id, cost] of settlements) {
      try {
        await within(deps.account.settle({ teamId: payer.teamId, reservationId: id, actualUsd: cost }), SETTLE_WAIT_MS, 'settling with the spend account');
      } catch (error) {
        // The reservation then counts at its worst case until it expires: over-counted for a while, never lost.
        Context.current().log.warn('Could not settle a spend reservation; it will expire', { reservationId: id, error: String(error) });
      }
    }
  }
}
