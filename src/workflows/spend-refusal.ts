/**
 * A workspace spend ceiling's refusal as workflow code sees it: an LLM activity reserved from the
 * spend account, was refused and did not call the model (SpendCeilingReached, the refusal in its
 * details). Patch `spend-ceilings` (December 2026, issue 21): called only when such a refusal
 * arrives, so runs without one record no marker; before it, a refusal failed the run like any
 * failed step.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { SPEND_CEILING_REACHED } from '../shared/failure-types.js';
import type { SpendRefusal } from './spend-messages.js';

export const SPEND_CEILINGS = 'spend-ceilings';

/**
 * The refusal a SpendCeilingReached failure carries, found through the activity failure (and the
 * research child's failure around it); undefined for any other error.
 */
export function spendRefusalOf(error: unknown): SpendRefusal | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof ApplicationFailure) {
      return current.type === SPEND_CEILING_REACHED ? (current.details?.[0] as SpendRefusal | undefined) : undefined;
    }
    current = current.cause;
  }
  return undefined;
}
