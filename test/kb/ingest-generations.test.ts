/**
 * Generations: a changed file's new chunks are written beside the old ones, its record then names
 * the new generation, then the old chunks go. A crash anywhere in between leaves exactly one
 * version searchable (the previous one until the record moves on), and the next run finishes the
 * file. An index of version 2 gains the column in place (generation 0), nothing re-embedded.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeBinding } from '../../src/kb/channels.js';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { KB_SCHEMA_VERSION, migrate, MIGRATIONS, schemaVersion } from '../../src/kb/schema.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/kb');
const MODEL = 'text-embedding-3-small';
const V2_TEXT = 'Zephyr rollback runbook v2: pull the blue lever, then restore within ten minutes.';

describe('generations: a crash mid-file leaves the previous version searchable', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const config = () => ({ embeddingModel: MODEL, apiKey: 'sk-test', baseUrl: openai.baseUrl });
  const uri = () => join(dir, '.kb');

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-gen-'));
    openai.embeddings.length = 0;
    openai.embeddingScripts.length = 0;
    await cp(join(FIXTURES, 'corpus'), join(dir, 'docs'), { recursive: true });
    return () => rm(dir, { recursive: true, force: true });
  });

  async function withStore<T>(work: (store: LanceVectorStore) => Promise<T>): Promise<T> {
    const store = await LanceVectorStore.open(makeEmbeddings(config(), { maxRetries: 0 }), { uri: uri() });
    try {
      return await work(store);
    } finally {
      store.close();
    }
  }

  const run = (paths: string[], tamper?: (store: LanceVectorStore) => void) =>
    withStore(async (store) => {
      tamper?.(store);
      const report = await ingest({ store, embeddings: store.embeddings as ReturnType<typeof makeEmbeddings>, model: MODEL, paths, root: dir, binding: { everywhere: false, channels: ['C0KB'] } });
      return { report, records: await store.fileRecords(), chunks: await store.chunkCount() };
    });

  /** What search returns of the runbook for a query about it. */
  const runbookHits = () =>
    withStore(async (store) => (await store.similaritySearch('Zephyr rollback runbook restore minutes lever', 20)).filter((d) => d.metadata.source === 'zephyr-runbook.txt').map((d) => d.pageContent));

  it('a crash after the new chunks are written (before the record) keeps the old text searchable; the next run finishes the file', async () => {
    await run(['docs']);
    const old = await runbookHits();
    expect(old.join()).toContain('fifteen minutes');

    await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), V2_TEXT);
    await expect(
      run(['docs'], (store) => {
        store.recordFile = async () => {
          throw new Error('the process died here');
        };
      }),
    ).rejects.toThrow('the process died here');
    // Both versions are stored, only the recorded one is searched: exactly the old text.
    const during = await withStore(async (store) => ({ chunks: await store.chunkCount(), recorded: (await store.fileRecords()).reduce((sum, r) => sum + r.chunks, 0) }));
    expect(during.chunks).toBeGreaterThan(during.recorded);
    expect(await runbookHits()).toEqual(old);

    const next = await run(['docs']);
    expect(next.report.updated).toEqual(['docs/zephyr-runbook.txt']);
    expect(next.records.find((r) => r.path === 'zephyr-runbook.txt')).toMatchObject({ generation: 2, chunks: 1 });
    expect(next.chunks).toBe(next.records.reduce((sum, r) => sum + r.chunks, 0)); // the interrupted version cleared
    expect(await runbookHits()).toEqual([V2_TEXT]);
  });

  it('a crash after the record (before the old chunks go) searches only the new text; the next run clears the old', async () => {
    await run(['docs']);
    await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), V2_TEXT);
    await expect(
      run(['docs'], (store) => {
        store.removeChunksOf = async () => {
          throw new Error('the process died here');
        };
      }),
    ).rejects.toThrow('the process died here');
    expect(await runbookHits()).toEqual([V2_TEXT]);

    const next = await run(['docs']);
    expect(next.report.unchanged).toHaveLength(6);
    expect(next.chunks).toBe(next.records.reduce((sum, r) => sum + r.chunks, 0));
    expect(await runbookHits()).toEqual([V2_TEXT]);
  });

  it('the chunks of a new file interrupted before its record are never searched, and are cleared by the next run', async () => {
    await writeFile(join(dir, 'docs', 'zephyr-lever.md'), '# Lever\n\nThe Zephyr blue lever restores the previous release.');
    await expect(
      run(['docs'], (store) => {
        const record = store.recordFile.bind(store);
        store.recordFile = async (r) => {
          if (r.path === 'zephyr-lever.md') throw new Error('the process died here');
          await record(r);
        };
      }),
    ).rejects.toThrow('the process died here');
    const hits = await withStore(async (store) => (await store.similaritySearch('Zephyr blue lever restores', 20)).map((d) => d.metadata.source));
    expect(hits).not.toContain('zephyr-lever.md');
    const next = await run(['docs']);
    expect(next.report.added).toContain('docs/zephyr-lever.md');
    expect(next.chunks).toBe(next.records.reduce((sum, r) => sum + r.chunks, 0));
  });

  it('migrates a version-2 index in place: generation 0 on every chunk and file, vectors untouched, nothing re-embedded; the next change is generation 1', async () => {
    const text = await readFile(join(dir, 'docs', 'zephyr-runbook.txt'), 'utf8');
    const hash = createHash('sha256').update(await readFile(join(dir, 'docs', 'zephyr-runbook.txt'))).digest('hex');
    const [vector] = await makeEmbeddings(config(), { maxRetries: 0 }).embedDocuments([text]);
    const channels = encodeBinding({ everywhere: false, channels: ['C0KB'] });
    // The index as version 2 wrote it.
    const old = await connect(uri());
    await old.createTable('kb_meta', [{ key: 'schemaVersion', value: '2' }]);
    await old.createTable('collections', [{ name: 'docs', root: join(dir, 'docs'), channels, createdAt: '2026-12-02T10:00:00.000Z', updatedAt: '2026-12-02T10:00:00.000Z' }]);
    await old.createTable('chunks', [{ vector: vector!, text, source: 'zephyr-runbook.txt', section: '', page: 0, chunk: 0, collection: 'docs', channels }]);
    await old.createTable('files', [{ path: 'zephyr-runbook.txt', hash, model: MODEL, chunks: 1, tokens: 66, bytes: text.length, ingestedAt: '2026-12-02T10:00:00.000Z', collection: 'docs' }]);
    expect(await schemaVersion(old)).toBe(2);
    old.close();
    const embedded = openai.embeddings.length;

    expect(await runbookHits()).toEqual([text]); // opening migrates; the record's generation 0 is the chunk's
    const db = await connect(uri());
    expect(await schemaVersion(db)).toBe(KB_SCHEMA_VERSION);
    expect(KB_SCHEMA_VERSION).toBe(3);
    expect(await migrate(db)).toEqual({ from: 3, to: 3, applied: [] });
    await MIGRATIONS.find((m) => m.version === 3)!.apply(db, new Date()); // idempotent: a second process finds the columns there
    const chunks = (await (await db.openTable('chunks')).query().toArray()) as Array<{ vector: Float32Array; generation: number }>;
    const files = (await (await db.openTable('files')).query().toArray()) as Array<{ generation: number }>;
    db.close();
    expect(chunks.map((c) => Number(c.generation))).toEqual([0]);
    expect(files.map((f) => Number(f.generation))).toEqual([0]);
    expect(Array.from(chunks[0]!.vector)).toEqual(Array.from(new Float32Array(vector!)));
    expect(openai.embeddings.length).toBe(embedded + 1); // the search's query only: no chunk re-embedded

    const first = await run(['docs']);
    expect(first.report.unchanged).toEqual(['docs/zephyr-runbook.txt']);
    expect(first.report.added).toHaveLength(5);
    await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), V2_TEXT);
    const next = await run(['docs']);
    expect(next.records.find((r) => r.path === 'zephyr-runbook.txt')).toMatchObject({ generation: 1 });
    expect(next.chunks).toBe(next.records.reduce((sum, r) => sum + r.chunks, 0));
    expect(await runbookHits()).toEqual([V2_TEXT]);
  });
});
