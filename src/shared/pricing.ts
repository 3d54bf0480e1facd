/**
 * The price table and worst-case estimates: values from outside the workflow's determinism. Only
 * activities, the config and the bot read this module; the workflows get its figures through the
 * estimateBudget activity, so they are in history (changing a price never changes a running run).
 */
import { PER_MILLION, priceFor, type ModelPrice, type PriceTable } from './money.js';

export { costOf, formatBudget, formatUsd, priceFor, UNLIMITED_BUDGET_USD, type ModelPrice, type PriceTable } from './money.js';

/**
 * OpenAI's list prices (Standard tier, USD per 1M tokens) for its current chat and embedding
 * models; override or extend with MODEL_PRICES (JSON). Checked on 2026-12-02 against OpenAI's model
 * pages (developers.openai.com/api/docs/models/…) and secondary copies of its pricing page
 * (developers.openai.com/api/docs/pricing) dated 2026-06 to 2026-11: see README → Cost.
 * Embedding models have no output or cached-input price (their output is not billed).
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5.5': { input: 5, output: 30, cachedInput: 0.5 },
  'gpt-5.5-pro': { input: 30, output: 180, cachedInput: 30 },
  'gpt-5.4': { input: 2.5, output: 15, cachedInput: 0.25 },
  'gpt-5.4-pro': { input: 30, output: 180, cachedInput: 30 },
  'gpt-5.4-mini': { input: 0.75, output: 4.5, cachedInput: 0.075 },
  'gpt-5.4-nano': { input: 0.2, output: 1.25, cachedInput: 0.02 },
  'gpt-5.1': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'text-embedding-3-small': { input: 0.02, output: 0, cachedInput: 0.02 },
  'text-embedding-3-large': { input: 0.13, output: 0, cachedInput: 0.13 },
  'text-embedding-ada-002': { input: 0.1, output: 0, cachedInput: 0.1 },
};

/** Output caps (`max_tokens`) per model role: what makes a worst-case estimate possible. */
export const MAX_OUTPUT_TOKENS = {
  research: 800,
  writer: 1_500,
} as const;

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
