/**
 * `npm run kb` against the stand-in embeddings: every format is read with its headings or pages,
 * re-ingest is incremental, an interrupted ingest resumes with the file it was on, and a corrupt
 * file is reported and skipped while the rest is indexed.
 */
import { cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { kbStats } from '../../src/kb/stats.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { runKb } from '../../src/kb/cli.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/kb');

describe('knowledge base ingest', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const config = () => ({ embeddingModel: 'text-embedding-3-small', apiKey: 'sk-test', baseUrl: openai.baseUrl });

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-'));
    openai.embeddings.length = 0;
    openai.embeddingScripts.length = 0;
    await cp(join(FIXTURES, 'corpus'), join(dir, 'docs'), { recursive: true });
    return () => rm(dir, { recursive: true, force: true });
  });

  async function run(paths: string[], onProgress?: Parameters<typeof ingest>[0]['onProgress']) {
    const embeddings = makeEmbeddings(config(), { maxRetries: 0 });
    const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
    try {
      const report = await ingest({ store, embeddings, model: 'text-embedding-3-small', paths, root: dir, binding: { everywhere: false, channels: ['C0KB'] }, ...(onProgress ? { onProgress } : {}) });
      return { report, records: await store.fileRecords(), chunks: await store.chunkCount() };
    } finally {
      store.close();
    }
  }

  it('indexes every format with its section or page, counting the tokens the provider billed', async () => {
    const progress: number[] = [];
    const { report, records } = await run(['docs'], (p) => progress.push(p.filesDone));
    expect(report.added.sort()).toEqual([
      'docs/gardening.md', 'docs/zephyr-handbook.html', 'docs/zephyr-metrics.pdf', 'docs/zephyr-onboarding.docx', 'docs/zephyr-rollout.md', 'docs/zephyr-runbook.txt',
    ]);
    expect(report.skipped).toEqual([]);
    const billed = openai.embeddings.reduce((sum, e) => sum + e.tokens, 0);
    expect(report.tokens).toBe(billed);
    expect(records.reduce((sum, r) => sum + r.tokens, 0)).toBe(billed);
    expect(progress.at(-1)).toBe(6);

    const embeddings = makeEmbeddings(config(), { maxRetries: 0 });
    const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
    const hits = await store.similaritySearch('Zephyr rollback median minutes', 8);
    store.close();
    const pdf = hits.find((h) => h.metadata.source === 'zephyr-metrics.pdf');
    // Stored relative to the folder added, with the collection (the folder's name) beside it.
    expect(pdf?.metadata.collection).toBe('docs');
    expect(pdf?.metadata).toMatchObject({ page: 2 });
    expect(pdf?.pageContent).toContain('median eleven minutes');
    const html = (await run([])).records.find((r) => r.path === 'zephyr-handbook.html');
    expect(html?.chunks).toBe(1);
  });

  it('re-ingests incrementally: unchanged skipped, changed re-embedded, deleted removed', async () => {
    await run(['docs']);
    const calls = openai.embeddings.length;
    const again = await run(['docs']);
    expect(again.report.unchanged).toHaveLength(6);
    expect(openai.embeddings.length).toBe(calls); // nothing embedded

    await writeFile(join(dir, 'docs/zephyr-runbook.txt'), 'Zephyr rollback runbook v2: restore within ten minutes.');
    await unlink(join(dir, 'docs/gardening.md'));
    const next = await run(['docs']);
    expect(next.report.updated).toEqual(['docs/zephyr-runbook.txt']);
    expect(next.report.removed).toEqual(['docs/gardening.md']);
    expect(next.report.unchanged).toHaveLength(4);
    expect(next.records.map((r) => r.path)).not.toContain('gardening.md');
    expect(next.records.map((r) => r.path)).toContain('zephyr-rollout.md');
    const runbook = next.records.find((r) => r.path === 'zephyr-runbook.txt')!;
    expect(runbook.chunks).toBe(1);
    // Old chunks of the changed file are gone, the deleted file's chunks too.
    expect(next.chunks).toBe(next.records.reduce((sum, r) => sum + r.chunks, 0));
  });

  it('resumes an interrupted ingest with the file it was on, keeping the finished ones', async () => {
    // The third file's embedding call fails as if the process died mid-run.
    openai.embeddingScripts.push({}, {}, { status: 500 });
    await expect(run(['docs'])).rejects.toThrow();
    const done = (await run([])).records.map((r) => `${r.collection}/${r.path}`);
    expect(done).toHaveLength(2);
    openai.embeddings.length = 0;
    const resumed = await run(['docs']);
    expect(resumed.report.unchanged.sort()).toEqual(done.sort());
    expect(resumed.report.added).toHaveLength(4);
    expect(openai.embeddings).toHaveLength(4); // only the files not finished before
    expect(resumed.chunks).toBe(resumed.records.reduce((sum, r) => sum + r.chunks, 0));
  });

  it('reports and skips a corrupt file while the rest is indexed', async () => {
    await cp(join(FIXTURES, 'corrupt'), join(dir, 'mixed'), { recursive: true });
    const { report } = await run(['mixed']);
    expect(report.added).toEqual(['mixed/zephyr-good.md']);
    expect(report.skipped.map((s) => s.path).sort()).toEqual(['mixed/broken.docx', 'mixed/broken.pdf']);
    expect(report.skipped.find((s) => s.path === 'mixed/broken.pdf')?.reason).toMatch(/not a readable PDF/);
  });

  it('the command line adds, lists, reports stats and removes', async () => {
    const lines: string[] = [];
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: join(dir, '.kb') };
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await runKb(['add', 'docs', '--channel', 'C0KB'], env, (l) => lines.push(l))).toBe(0);
      expect(lines.join('\n')).toMatch(/files 6\/6 · chunks \d+ · tokens [\d,]+ · \$/);
      expect(lines.join('\n')).toMatch(/Added 6, updated 0, unchanged 0, removed 0, skipped 0/);
      lines.length = 0;
      expect(await runKb(['remove', 'docs/gardening.md'], env, (l) => lines.push(l))).toBe(0);
      expect(lines).toEqual(['Removed 1 file(s): docs/gardening.md']);
      lines.length = 0;
      expect(await runKb(['list'], env, (l) => lines.push(l))).toBe(0);
      expect(lines.join('\n')).not.toMatch(/gardening/);
      expect(lines.join('\n')).toMatch(/docs\/zephyr-rollout\.md/);
      const stats = await kbStats(join(dir, '.kb'));
      expect(stats).toMatchObject({ exists: true, files: 5, models: ['text-embedding-3-small'] });
      lines.length = 0;
      expect(await runKb(['add', 'docs', '--everywhere'], { ...env, RAG_TOP_K: 'lots' }, (l) => lines.push(l))).toBe(1);
      expect(lines.join('\n')).toMatch(/RAG_TOP_K is not a whole number/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('stats of a missing index say so without creating one', async () => {
    expect(await kbStats(join(dir, 'nothing-here'))).toMatchObject({ exists: false, files: 0 });
  });
});
