/**
 * A search never returns no version of a file because its two tables were opened at different
 * moments: LanceDB tables are snapshots (no check for newer versions unless asked), so chunks
 * opened before a new version was recorded and files after would drop the old rows as stale and
 * retry on the same stale snapshot. The retry runs on the latest version of both.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from '@lancedb/lancedb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/kb');
const MODEL = 'text-embedding-3-small';

describe('search across table snapshots', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const config = () => ({ embeddingModel: MODEL, apiKey: 'sk-test', baseUrl: openai.baseUrl });
  const open = () => LanceVectorStore.open(makeEmbeddings(config(), { maxRetries: 0 }), { uri: join(dir, '.kb') });

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-snap-'));
    await cp(join(FIXTURES, 'corpus'), join(dir, 'docs'), { recursive: true });
    return () => rm(dir, { recursive: true, force: true });
  });

  async function add() {
    const store = await open();
    try {
      return await ingest({ store, embeddings: store.embeddings as ReturnType<typeof makeEmbeddings>, model: MODEL, paths: ['docs'], root: dir, binding: { everywhere: true } });
    } finally {
      store.close();
    }
  }

  it('chunks opened before a new version was recorded and files after: the new version is found, not nothing', async () => {
    await add();
    const reader = await open();
    try {
      const runbook = async () => (await reader.similaritySearch('Zephyr runbook restore region', 20)).filter((d) => d.metadata.source === 'zephyr-runbook.txt').map((d) => d.pageContent);
      expect((await runbook()).join()).toContain('fifteen minutes');

      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), 'Zephyr runbook, version two: restore region by region within ten minutes.');
      expect((await add()).updated).toEqual(['docs/zephyr-runbook.txt']);
      // The reader's files table as if opened after the new record; its chunks table still the old snapshot.
      await (reader as unknown as { files: Table }).files.checkoutLatest();

      const found = await runbook();
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('version two');
    } finally {
      reader.close();
    }
  });
});
