/**
 * Token prices and cost arithmetic. Pure: the workflow computes cost from the usage each activity
 * returns, so the figures are in history, survive restarts and never depend on a worker's clock.
 */
import type { LlmUsage } from '../workflows/messages.js';

/** USD per 1M tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput: number;
}

export type PriceTable = Record<string, ModelPrice>;

/** List prices; override or extend with MODEL_PRICES (JSON). */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
};

/** Output caps (`max_tokens`) per model role: what makes a worst-case estimate possible. */
export const MAX_OUTPUT_TOKENS = {
  research: 800,
  writer: 1_500,
} as const;

const PER_MILLION = 1_000_000;

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

/** Worst case of a call before it is made: the whole prompt uncached plus a full `max_tokens` answer. */
export function worstCaseCost(model: string, promptTokens: number, maxOutputTokens: number, table: PriceTable): number | undefined {
  const price = priceFor(model, table);
  if (!price) return undefined;
  return (promptTokens * price.input + maxOutputTokens * price.output) / PER_MILLION;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * A deliberately high estimate of a prompt's tokens: one token per 3 UTF-8 bytes (English runs at
 * about 4 characters a token, other scripts use more bytes per character) plus per-message overhead.
 */
export function estimatePromptTokens(...parts: string[]): number {
  return parts.reduce((total, part) => total + Math.ceil(utf8Length(part) / 3) + 8, 0);
}

/** `$0.0123`: four decimals, as shown in Slack. */
export function formatUsd(amount: number | undefined): string {
  return amount === undefined ? 'cost unknown' : `$${amount.toFixed(4)}`;
}

/** `$0.50`: two decimals for budgets (four below a cent, so a tiny budget never reads as $0.00). */
export function formatBudget(amount: number): string {
  return `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
}

/** Validates a MODEL_PRICES value; returns a message describing the first problem, or the table. */
export function parsePriceTable(json: string): PriceTable | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return 'is not valid JSON';
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'must be a JSON object keyed by model name';
  const table: PriceTable = {};
  for (const [model, value] of Object.entries(parsed as Record<string, unknown>)) {
    const price = value as Partial<Record<keyof ModelPrice, unknown>>;
    const num = (key: keyof ModelPrice) => (typeof price?.[key] === 'number' && (price[key] as number) >= 0 ? (price[key] as number) : undefined);
    const input = num('input');
    const output = num('output');
    if (input === undefined || output === undefined) {
      return `entry "${model}" needs non-negative numbers "input" and "output" (USD per 1M tokens)`;
    }
    table[model] = { input, output, cachedInput: num('cachedInput') ?? input };
  }
  return table;
}
