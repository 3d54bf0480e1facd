/**
 * Worst-case cost of a call before it is made. Prompt sizes, output caps and prices come from
 * outside the workflow's determinism, so the estimateBudget (local) activity computes them and
 * history records its answer: a later change of prompt or price never changes a run in flight.
 */
import type { EstimateInput } from '../activities/estimates.js';
import { estimates } from './activities.js';
import type { CostLedger } from './ledger.js';
import type { RunContext } from './run.js';

export type EstimateRequest = Omit<EstimateInput, 'topic' | 'prices'>;

/** The worst case in USD, or undefined when the model has no price; the ledger adopts the prices used. */
export async function estimateCost(run: RunContext, ledger: CostLedger, request: EstimateRequest): Promise<number | undefined> {
  const { prices } = run.settings;
  const estimate = await estimates.estimateBudget({ ...request, topic: run.topic, ...(prices ? { prices } : {}) });
  ledger.usePrices(estimate.prices);
  return estimate.worstCaseUsd;
}
