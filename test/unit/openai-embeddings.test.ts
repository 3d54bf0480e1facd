/**
 * The stand-in's /v1/embeddings, through LangChain's real OpenAIEmbeddings (and so the OpenAI SDK,
 * which asks for base64): OpenAI's shape and rules, and vectors that make retrieval meaningful.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { answerEmbeddings, bagOfWordsVector, estimateEmbeddingTokens } from '../../src/stand-ins/openai-embeddings.js';
import { FakeOpenAI } from '../../src/stand-ins/openai.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('stand-in /v1/embeddings', () => {
  const openai = new FakeOpenAI();
  const embeddings = () => new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'sk-test', maxRetries: 0, configuration: { baseURL: openai.baseUrl } });
  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(() => {
    openai.embeddings.length = 0;
  });

  it('answers OpenAIEmbeddings with unit vectors of the model\'s size, and bills real-shaped usage', async () => {
    const texts = ['Temporal retries activities with backoff', 'LanceDB stores vectors on disk'];
    const vectors = await embeddings().embedDocuments(texts);
    expect(vectors).toHaveLength(2);
    for (const v of vectors) {
      expect(v).toHaveLength(1536);
      expect(Math.sqrt(cosine(v, v))).toBeCloseTo(1, 5);
    }
    expect(openai.embeddings).toHaveLength(1);
    expect(openai.embeddings[0]!.request.encoding_format).toBe('base64');
    expect(openai.embeddings[0]!.tokens).toBe(texts.reduce((n, t) => n + estimateEmbeddingTokens(t), 0));
  });

  it('makes retrieval meaningful: a query is nearest the passage that shares its words', async () => {
    const passages = [
      'The payment service retries a failed charge three times with exponential backoff.',
      'Our office plants are watered every Tuesday by the facilities team.',
      'Incident runbook: when the payment queue backs up, page the on-call engineer.',
    ];
    const client = embeddings();
    const [vectors, query] = await Promise.all([client.embedDocuments(passages), client.embedQuery('How does the payment service retry a failed charge?')]);
    const scores = vectors.map((v) => cosine(query, v));
    expect(scores.indexOf(Math.max(...scores))).toBe(0);
    expect(scores[1]).toBeLessThan(scores[2]!);
    expect(scores[1]).toBeLessThan(0.2);
  });

  it('is deterministic, honours dimensions for v3 models, and refuses what OpenAI refuses', () => {
    expect(bagOfWordsVector('same words here', 64)).toEqual(bagOfWordsVector('Same, words; here!', 64));
    const small = answerEmbeddings({ model: 'text-embedding-3-small', input: 'x y', dimensions: 256 });
    expect((small.body as { data: Array<{ embedding: number[] }> }).data[0]!.embedding).toHaveLength(256);
    expect(answerEmbeddings({ model: 'text-embedding-ada-002', input: 'x', dimensions: 256 }).status).toBe(400);
    expect(answerEmbeddings({ model: 'text-embedding-3-small', input: '' }).status).toBe(400);
    expect(answerEmbeddings({ model: 'text-embedding-3-small', input: Array.from({ length: 2049 }, () => 'a') }).status).toBe(400);
    expect(answerEmbeddings({ model: 'text-embedding-3-small', input: 'word '.repeat(9000) }).status).toBe(400); // 9,000 tokens in cl100k_base
    expect(answerEmbeddings({ model: 'no-such-embedder', input: 'x' }).status).toBe(404);
  });

  it('answers scripted failures (e.g. 429) for the next calls, without billing them', async () => {
    openai.embeddingScripts.push({ status: 429, headers: { 'retry-after': '1' } });
    const error = await embeddings().embedQuery('anything').then(() => undefined, (e: unknown) => e);
    expect((error as { status?: number }).status).toBe(429);
    expect(openai.embeddings[0]).toMatchObject({ status: 429, tokens: 0 });
  });
});
