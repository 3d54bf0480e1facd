/**
 * Figure 9's process: builds a knowledge base of BENCH_KB_CHUNKS synthetic chunks with the real
 * ingest (against the stand-in embeddings at OPENAI_BASE_URL), then runs the real retrieveContext
 * activity BENCH_KB_QUERIES times, as a worker would. Prints one JSON line: ingest time, retrieval
 * latencies, and this process's RSS (the memory retrieval takes in a worker).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createKbActivities } from '../../src/activities/kb.js';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { LanceVectorStore } from '../../src/kb/store.js';

const chunks = Number(process.env.BENCH_KB_CHUNKS ?? 10_000);
const queries = Number(process.env.BENCH_KB_QUERIES ?? 200);
const sectionsPerFile = 20;
const baseUrl = process.env.OPENAI_BASE_URL!;
const config = { embeddingModel: 'text-embedding-3-small', apiKey: 'sk-bench', baseUrl };

// A seeded generator: the same corpus on every run.
let seed = 42;
const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
const vocabulary = Array.from({ length: 5_000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5]}`);
const word = () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!;
// One section ≈ 600 characters: one chunk each (CHUNK_SIZE is 1,000).
const section = () => Array.from({ length: 90 }, word).join(' ');

const dir = await mkdtemp(join(tmpdir(), 'bench-kb-'));
try {
  const files = Math.ceil(chunks / sectionsPerFile);
  await mkdir(join(dir, 'docs'));
  let written = 0;
  for (let f = 0; f < files; f++) {
    const n = Math.min(sectionsPerFile, chunks - written);
    written += n;
    const body = Array.from({ length: n }, (_, s) => `## Section ${s}\n\n${section()}`).join('\n\n');
    await writeFile(join(dir, 'docs', `doc-${String(f).padStart(5, '0')}.md`), `# Document ${f}\n\n${body}\n`);
  }

  const embeddings = makeEmbeddings(config, { maxRetries: 0 });
  const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
  const started = performance.now();
  const report = await ingest({ store, embeddings, model: config.embeddingModel, paths: ['docs'], root: dir, binding: { everywhere: true } });
  const ingestMs = performance.now() - started;
  store.close();

  const rssBefore = process.memoryUsage().rss;
  const { retrieveContext } = createKbActivities({
    kb: { uri: join(dir, '.kb'), embeddingModel: config.embeddingModel, topK: 6, minScore: 0, embeddings: () => makeEmbeddings(config, { maxRetries: 0 }) },
  });
  const env = new MockActivityEnvironment();
  const latencies: number[] = [];
  let peakRss = rssBefore;
  for (let i = 0; i < queries; i++) {
    const topic = `${word()} ${word()} ${word()}`;
    const t = performance.now();
    const { output } = (await env.run(retrieveContext, { topic, channel: 'C0BENCH' })) as Awaited<ReturnType<typeof retrieveContext>>;
    latencies.push(performance.now() - t);
    if (!output.passages.length) throw new Error(`no passages for "${topic}"`);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  console.log(JSON.stringify({ chunks: report.chunks, files: report.added.length, tokens: report.tokens, ingestMs, latencies, rssBeforeMb: rssBefore / 2 ** 20, peakRssMb: peakRss / 2 ** 20 }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
