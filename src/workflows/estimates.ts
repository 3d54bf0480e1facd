/**
 * Worst-case cost of a call before it is made. Prompt sizes, output caps and prices come from
 * outside the workflow's determinism, so the estimateBudget activity computes them and history
 * records its answer: a later change of prompt or price never changes a run in flight.
 *
 * Patch `estimates-as-activities` (December 2026): the estimate used to be a local activity. A
 * local activity's result can reach the workflow grouped with other results on its first run and
 * on its own on replay (temporalio/sdk-typescript#1744, temporalio/sdk-python#1881); the status
 * writer, acting on an edit that completed in the same task, then issued its command before or
 * after the memo depending on the grouping, and a replay failed with a nondeterminism error (seen
 * once in CI). A normal activity's result is an event in history, ordered the same both times.
 */
import { patched } from '@temporalio/workflow';
import type { EstimateInput } from '../activities/estimates.js';
import { estimates, legacyLocalEstimates } from './activities.js';

export const ESTIMATES_AS_ACTIVITIES = 'estimates-as-activities';

/**
 * Patch `budget-checked-in-call` (December 2026): the writing step no longer waits for an estimate
 * of its own. The writeArticle activity is given what is left of the budget and the run's prices,
 * computes the same worst case from the prompt it would send, and refuses (BudgetExceededError,
 * its worst case in the details, so in history) before calling the model; BudgetGuard.spend turns
 * that into the usual question. Revision and the evidence check still estimate first.
 */
export const BUDGET_CHECKED_IN_CALL = 'budget-checked-in-call';
import type { CostLedger } from './ledger.js';
import type { RunContext } from './run.js';

export type EstimateRequest = Omit<EstimateInput, 'topic' | 'prices'>;

/** The worst case in USD, or undefined when the model has no price; the ledger adopts the prices used. */
export async function estimateCost(run: RunContext, ledger: CostLedger, request: EstimateRequest): Promise<number | undefined> {
  const { prices } = run.settings;
  const estimator = patched(ESTIMATES_AS_ACTIVITIES) ? estimates : legacyLocalEstimates;
  const estimate = await estimator.estimateBudget({ ...request, topic: run.topic, ...(prices ? { prices } : {}) });
  ledger.usePrices(estimate.prices);
  return estimate.worstCaseUsd;
}
