/**
 * Worst-case cost of a call before it is made, from its prompts and the run's price table.
 */
import { estimatePromptTokens, worstCaseCost, type PriceTable } from '../shared/pricing.js';
import type { PromptMessages } from '../shared/prompts.js';

export function promptWorstCase(model: string, maxOutput: number, prompts: PromptMessages[], prices: PriceTable): number | undefined {
  let total = 0;
  for (const prompt of prompts) {
    const cost = worstCaseCost(model, estimatePromptTokens(prompt.system, prompt.user), maxOutput, prices);
    if (cost === undefined) return undefined;
    total += cost;
  }
  return total;
}
