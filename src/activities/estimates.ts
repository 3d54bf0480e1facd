/**
 * The budget estimate before a call: prompt size, output cap and price, all of which live outside
 * the workflow's determinism (prompts and prices are edited between deploys). Computed here and
 * recorded in history, so a run that waits for days keeps the path it started on whatever a later
 * deploy changes in src/shared/prompts.ts or src/shared/pricing.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import { BUDGET_EXCEEDED, type BudgetExceededDetails } from '../shared/failure-types.js';
import { DEFAULT_PRICES, estimatePromptTokens, MAX_OUTPUT_TOKENS, worstCaseCost, type PriceTable } from '../shared/pricing.js';
import { articlePrompt, evidencePrompt, examplesPrompt, keyFactsPrompt, revisionPrompt, statisticsPrompt, type PromptMessages } from '../shared/prompts.js';
import type { Passage, ResearchBundle } from '../workflows/messages.js';

export type EstimateStep = 'research' | 'writing' | 'revision' | 'evidence';

export interface EstimateInput {
  step: EstimateStep;
  topic: string;
  /** The model the step will call. */
  model: string;
  /** The run's price table (from the bot's config); the worker's built-in table when absent. */
  prices?: PriceTable;
  /** The findings the writing or revision prompt carries. */
  research?: Omit<ResearchBundle, 'usage'>;
  /** The draft and the feedback a revision prompt carries. */
  article?: string;
  feedback?: string;
  /** The passages an evidence check carries (with `article`, the draft it checks). */
  passages?: Passage[];
}

export interface BudgetEstimate {
  /** Worst case in USD of the step's call(s); absent when the model has no price ("cost unknown"). */
  worstCaseUsd?: number;
  /** The price table this estimate used, which the workflow then prices the step's usage with. */
  prices: PriceTable;
}

function promptsOf(input: EstimateInput): { prompts: PromptMessages[]; maxOutput: number } {
  const research = input.research ?? { facts: '', examples: [], statistics: '' };
  switch (input.step) {
    case 'research':
      return { prompts: [keyFactsPrompt(input.topic), examplesPrompt(input.topic), statisticsPrompt(input.topic)], maxOutput: MAX_OUTPUT_TOKENS.research };
    case 'writing':
      return { prompts: [articlePrompt(input.topic, research)], maxOutput: MAX_OUTPUT_TOKENS.writer };
    case 'revision':
      return { prompts: [revisionPrompt(input.topic, research, input.article ?? '', input.feedback ?? '')], maxOutput: MAX_OUTPUT_TOKENS.writer };
    case 'evidence':
      return { prompts: [evidencePrompt(input.article ?? '', input.passages ?? [])], maxOutput: MAX_OUTPUT_TOKENS.writer };
  }
}

/** Worst case of a step: every prompt uncached (one token per 3 bytes) plus a full `max_tokens` answer; undefined when unpriced. */
export function worstCaseOf(input: EstimateInput): number | undefined {
  const prices = input.prices ?? DEFAULT_PRICES;
  const { prompts, maxOutput } = promptsOf(input);
  let total: number | undefined = 0;
  for (const prompt of prompts) {
    const cost = worstCaseCost(input.model, estimatePromptTokens(prompt.system, prompt.user), maxOutput, prices);
    total = cost === undefined || total === undefined ? undefined : total + cost;
  }
  return total;
}

/**
 * What is left of the run's budget, handed to an LLM activity that checks it itself before calling
 * the model (no separate estimate on the path when the call fits, the usual case).
 */
export interface CallBudget {
  remainingUsd: number;
  /** The model the budget guard prices the call as (the run's setting). */
  model: string;
  /** The run's price table, as recorded by its first estimate. */
  prices: PriceTable;
}

/** Throws BudgetExceededError (not retried) when the call's worst case is more than what is left. */
export function refuseOverBudget(input: EstimateInput, remainingUsd: number): void {
  const worstCaseUsd = worstCaseOf(input);
  if (worstCaseUsd === undefined || worstCaseUsd <= remainingUsd) return;
  const details: BudgetExceededDetails = { worstCaseUsd, remainingUsd };
  throw ApplicationFailure.create({
    type: BUDGET_EXCEEDED,
    message: `The ${input.step} call could cost up to $${worstCaseUsd.toFixed(4)}; $${Math.max(0, remainingUsd).toFixed(4)} of the budget is left. Not called.`,
    nonRetryable: true,
    details: [details],
  });
}

export function createEstimateActivities() {
  return {
    /** Worst case of the next step (see worstCaseOf), with the price table it used. */
    async estimateBudget(input: EstimateInput): Promise<BudgetEstimate> {
      const total = worstCaseOf(input);
      return { ...(total !== undefined ? { worstCaseUsd: total } : {}), prices: input.prices ?? DEFAULT_PRICES };
    },
  };
}

export type EstimateActivities = ReturnType<typeof createEstimateActivities>;
