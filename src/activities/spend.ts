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
import { SPEND_CEILING_REACHED, usageOfFailure } from '../shared/failure-types.js';
import { costOf, estimatePromptTokens, worstCaseCost, type PriceTable } from '../shared/pricing.js';
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

/**
 * The worst case of one activity's model calls: the prompt uncached plus a full answer; a structured
 * call may make one repair call carrying the first answer, counted too. Undefined when unpriced.
 */
export function callWorstCase(model: string, prompt: PromptMessages, maxOutput: number, prices: PriceTable, structured = false): number | undefined {
  const promptTokens = estimatePromptTokens(prompt.system, prompt.user);
  const first = worstCaseCost(model, promptTokens, maxOutput, prices);
  if (!structured || first === undefined) return first;
  const repair = worstCaseCost(model, promptTokens + maxOutput + REPAIR_PROMPT_TOKENS, maxOutput, prices);
  return repair === undefined ? undefined : first + repair;
}

/** The usage a call reports: its result's, or the billed calls a failure carries. */
function usageAfter(outcome: { value: { usage: LlmUsage } } | { error: unknown }): LlmUsage | undefined {
  if ('value' in outcome) return outcome.value.usage;
  return outcome.error instanceof ApplicationFailure ? usageOfFailure(outcome.error.details) : undefined;
}

function refusalFailure(step: string, refusal: SpendRefusal): ApplicationFailure {
  return ApplicationFailure.create({
    type: SPEND_CEILING_REACHED,
    message: `${step}: the ${refusal.limit} spend ceiling of $${refusal.limitUsd.toFixed(2)} would be passed ($${refusal.usedUsd.toFixed(4)} used, this call up to $${refusal.requestedUsd.toFixed(4)}); resets ${refusal.resetsAt}. Not called.`,
    nonRetryable: true,
    details: [refusal],
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
  call: () => Promise<T>,
): Promise<T> {
  if (!deps || !payer) return call();
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? 'no-workflow';
  const reservationId = `${workflowId}:${info.activityId}:${info.attempt}`;
  // An unpriced model cannot be bounded: it reserves nothing and is charged nothing (its usage still shows per run).
  const amountUsd = worstCaseUsd() ?? 0;
  const granted = await deps.account.reserve({
    teamId: payer.teamId,
    userId: payer.userId,
    workflowId,
    reservationId,
    amountUsd,
    ceilings: deps.ceilings,
    ttlMs: (info.startToCloseTimeoutMs ?? 0) + RESERVATION_TTL_MARGIN_MS,
    timeZone: deps.timeZone,
    drawFrom: payer.holdId,
  });
  if (granted.status === 'refused') {
    if (granted.limit === 'user-running') throw new Error(`${step}: unexpected running-pipelines refusal for a call`);
    throw refusalFailure(step, granted);
  }
  let outcome: { value: T } | { error: unknown } | undefined;
  try {
    outcome = { value: await call() };
    return outcome.value;
  } catch (error) {
    outcome = { error };
    throw error;
  } finally {
    const usage = outcome ? usageAfter(outcome) : undefined;
    const actualUsd = usage ? costOf(usage, deps.prices) ?? 0 : 0;
    try {
      await deps.account.settle({ teamId: payer.teamId, reservationId, actualUsd });
    } catch (error) {
      // The reservation then counts at its worst case until it expires: over-counted for a while, never lost.
      Context.current().log.warn('Could not settle a spend reservation; it will expire', { reservationId, error: String(error) });
    }
  }
}
