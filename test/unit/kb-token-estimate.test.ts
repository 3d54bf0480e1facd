/**
 * The price `kb add` prints is an upper bound: its estimate (ingest.ts) is never below what
 * OpenAI's tokenizers count on the text a reviewer measured at up to four times the old estimate
 * (spaced digits, control characters, random printable ASCII, base64), nor below what the
 * embeddings stand-in bills, nor above the text's UTF-8 bytes. The stand-in bills at least what
 * OpenAI would (never more lenient). js-tiktoken is used here only, on small inputs: it is
 * quadratic on long text without spaces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/kb/ingest.js';
import { estimateEmbeddingTokens } from '../../src/stand-ins/openai-embeddings.js';

const cl100k = getEncoding('cl100k_base');
const o200k = getEncoding('o200k_base');
const real = (text: string) => Math.max(cl100k.encode(text).length, o200k.encode(text).length);

/** mulberry32: the same strings on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(22);
const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');

const REVIEWED: Record<string, string> = {
  'digits separated by spaces': Array.from({ length: 500 }, () => pick('0123456789', 1)).join(' '),
  'control characters': pick(controls, 1000),
  'random printable ASCII': pick(printable, 1000),
  base64: Buffer.from(pick(printable, 750)).toString('base64'),
  'random letters': pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 1000),
  'random capitals': pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1000),
  'one run of random lower case': pick('abcdefghijklmnopqrstuvwxyz', 1000),
  hex: pick('0123456789abcdef', 1000),
  'mixed whitespace': pick(' \t\n\r', 1000),
  CJK: Array.from({ length: 400 }, () => String.fromCodePoint(0x4e00 + Math.floor(next() * 20000))).join(''),
  emoji: Array.from({ length: 300 }, () => String.fromCodePoint(0x1f300 + Math.floor(next() * 700))).join(''),
  'accented letters': pick('éèàüößçñøåÆŒ', 1000),
  'RTL marks and lone surrogates': pick('\u200f\u202e\ud800\udfff\u0645\u05d0', 600),
};

const FIXTURES = join(import.meta.dirname, '../fixtures/kb/corpus');
const PROSE: Record<string, string> = {
  'runbook (text)': readFileSync(join(FIXTURES, 'zephyr-runbook.txt'), 'utf8'),
  'rollout (Markdown)': readFileSync(join(FIXTURES, 'zephyr-rollout.md'), 'utf8'),
  'source code': readFileSync(join(import.meta.dirname, '../../src/kb/split.ts'), 'utf8'),
};

describe('kb add token estimate', () => {
  it.each(Object.entries(REVIEWED))('is never below cl100k/o200k, nor above the UTF-8 bytes: %s', (_, text) => {
    const estimate = estimateTokens(text);
    expect(estimate).toBeGreaterThanOrEqual(real(text));
    expect(estimate).toBeLessThanOrEqual(Buffer.byteLength(text, 'utf8'));
  });

  it('counts the reviewer\'s worst cases at a token a character, where the old estimate said a quarter', () => {
    expect(estimateTokens(REVIEWED['digits separated by spaces']!)).toBeGreaterThanOrEqual(999);
    expect(estimateTokens(REVIEWED['control characters']!)).toBeGreaterThanOrEqual(990);
    expect(estimateTokens(REVIEWED['random printable ASCII']!)).toBeGreaterThan(759);
  });

  it.each(Object.entries({ ...REVIEWED, ...PROSE }))('is never below what the embeddings stand-in bills: %s', (_, text) => {
    expect(estimateTokens(text)).toBeGreaterThanOrEqual(estimateEmbeddingTokens(text));
  });

  it.each(Object.entries(PROSE))('stays within twice the real count on prose and code: %s', (_, text) => {
    expect(estimateTokens(text)).toBeGreaterThanOrEqual(real(text));
    expect(estimateTokens(text)).toBeLessThanOrEqual(real(text) * 2.5);
  });

  it('is linear: 5 MB of letters without a space is estimated at once', () => {
    const text = pick('abcdefghijklmnopqrstuvwxyz', 1000).repeat(5_000);
    expect(estimateTokens(text)).toBe(Math.ceil((text.length * 3) / 4));
  });
});

describe('embeddings stand-in billing', () => {
  it.each(Object.entries({ ...REVIEWED, ...PROSE }))('never bills less than cl100k/o200k count: %s', (_, text) => {
    expect(estimateEmbeddingTokens(text)).toBeGreaterThanOrEqual(real(text));
  });
});
