/**
 * Money arithmetic and formatting, pure and free of any table: what workflow code may use. The
 * prices themselves come from outside (src/shared/pricing.ts, through the estimateBudget activity).
 */
import type { LlmUsage } from '../workflows/messages.js';

/** USD per 1M tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput: number;
}

export type PriceTable = Record<string, ModelPrice>;

/**
 * The budget when the guard is switched off (MAX_COST_USD=off): a finite number, so it travels in
 * workflow input as JSON, that no run can reach; shown as "unlimited".
 */
export const UNLIMITED_BUDGET_USD = 1e12;

export const PER_MILLION = 1_000_000;

/** Exact name first, then without a date suffix (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`). */
export function priceFor(model: string, table: PriceTable): ModelPrice | undefined {
  return table[model] ?? table[model.replace(/-\d{4}-\d{2}-\d{2}$/, '')];
}

/** Cost of one call in USD, or undefined when the model has no price (never a made-up number). */
export function costOf(usage: LlmUsage, table: PriceTable): number | undefined {
  const price = priceFor(usage.model, table);
  if (!price) return undefined;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return ((usage.inputTokens - cached) * price.input + cached * price.cachedInput + usage.outputTokens * price.output) / PER_MILLION;
}

/** `$0.0123`: four decimals, as shown in Slack. */
export function formatUsd(amount: number | undefined): string {
  return amount === undefined ? 'cost unknown' : `$${amount.toFixed(4)}`;
}

/** `$0.50`: two decimals for budgets (four below a cent, so a tiny budget never reads as $0.00). */
export function formatBudget(amount: number): string {
  if (amount >= UNLIMITED_BUDGET_USD) return 'unlimited';
  return `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
}

