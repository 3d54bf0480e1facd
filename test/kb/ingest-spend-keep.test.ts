/**
 * `kb add` spends no more than it said and keeps what it cannot prove stale:
 * - billing is watched while embedding: past the estimate (an upper bound) with a margin, or past
 *   --max-run-tokens, the rest is not embedded, reported as skipped, and a file stopped half-way
 *   keeps its previous version searchable (its half-written one is cleared);
 * - only limits about the file itself (bytes, characters, pages) and content not readable as its
 *   format remove what was indexed of a file; an extraction stopped by time or memory, a worker
 *   that failed, EMFILE or a bug keep it;
 * - flag values are checked after conversion (0 bytes, a timeout setTimeout cannot hold), and a run
 *   that would remove more than half a collection (or more than 10 files) asks first.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import { parseKbArgs, type KbPrompt } from '../../src/kb/cli.js';
import { runKbIn } from '../harness/kb.js';
import { CountingEmbeddings } from '../../src/kb/embeddings.js';
import { BILLING_MARGIN, EMBED_BATCH, ingest, type IngestOptions } from '../../src/kb/ingest.js';
import { DEFAULT_FILE_LIMITS } from '../../src/kb/limits.js';
import { ExtractorError, loadSections, OverLimitError, UnreadableFileError } from '../../src/kb/loaders.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const MODEL = 'text-embedding-3-small';

/** Embeddings billed `factor` times what the stand-in counts: text the estimate did not foresee. */
class OverBilled extends CountingEmbeddings {
  factor = 1;
  protected override async embeddingWithRetry(request: EmbeddingCreateParams) {
    const before = this.tokens;
    const response = await super.embeddingWithRetry(request);
    this.tokens = before + (this.tokens - before) * this.factor;
    return response;
  }
}

/** A Markdown file of about `chunks` chunks, each sentence naming its version. */
function document(name: string, version: string, chunks: number): string {
  const sentence = (i: number) => `The ${name} procedure step ${i} is described in version ${version} of this guide. `;
  return `# ${name}\n\n${Array.from({ length: chunks * 10 }, (_, i) => sentence(i)).join('')}`;
}

describe('kb add spends what it said and keeps what it cannot prove stale', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const env = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: join(dir, '.kb') });

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-spend-'));
    openai.embeddings.length = 0;
    openai.embeddingScripts.length = 0;
    return () => rm(dir, { recursive: true, force: true });
  });

  async function run(paths: string[], extra: Partial<IngestOptions> & { factor?: number } = {}) {
    const embeddings = new OverBilled({ model: MODEL, apiKey: 'sk-test', maxRetries: 0, batchSize: 256, configuration: { baseURL: openai.baseUrl } });
    embeddings.factor = extra.factor ?? 1;
    const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
    try {
      const report = await ingest({ store, embeddings, model: MODEL, paths, root: dir, binding: { everywhere: true }, ...extra });
      const billed = embeddings.tokens;
      const records = await store.fileRecords();
      const texts = new Map<string, string[]>();
      for (const doc of await store.similaritySearch('procedure step version guide', 1000)) texts.set(String(doc.metadata.source), [...(texts.get(String(doc.metadata.source)) ?? []), doc.pageContent]);
      return { report, records, chunks: await store.chunkCount(), orphans: await store.orphanSources(), texts, billed };
    } finally {
      store.close();
    }
  }

  const cli = (args: string[], prompt?: KbPrompt) => runKbIn(dir, args, env(), prompt);

  describe('billing is watched while embedding', () => {
    it('past the estimate and its margin the rest is not embedded: reported, previous versions kept, nothing half-written left', async () => {
      await mkdir(join(dir, 'docs'));
      const names = Array.from({ length: 12 }, (_, i) => `guide-${String(i).padStart(2, '0')}`);
      for (const name of names) await writeFile(join(dir, 'docs', `${name}.md`), document(name, 'one', 3));
      const first = await run(['docs']);
      expect(first.report.added).toHaveLength(12);

      for (const name of names) await writeFile(join(dir, 'docs', `${name}.md`), document(name, 'two', 3));
      const { report, records, orphans, texts, billed } = await run(['docs'], { factor: 4 });
      const estimate = report.plan!.tokens;
      const allowed = Math.ceil(estimate * BILLING_MARGIN) + 1_000;
      expect(report.updated.length).toBeGreaterThan(0);
      expect(report.updated.length).toBeLessThan(12);
      const notEmbedded = report.skipped.filter((s) => s.kind === 'billing');
      expect(notEmbedded.length + report.updated.length).toBe(12);
      for (const s of notEmbedded) {
        expect(s.reason).toMatch(new RegExp(`^not embedded: the run's billed tokens \\([\\d,]+\\) passed ${allowed.toLocaleString('en')}, its estimate of ${estimate.toLocaleString('en')} and a margin — kept what was indexed`));
      }
      // It stopped before the next file once past its bound: at most one file's billing beyond it.
      const perFile = billed / report.updated.length;
      expect(billed).toBeLessThanOrEqual(allowed + perFile);
      expect(report.tokens).toBe(billed);
      // The files not embedded are still searchable in their previous version; the others in the new one.
      for (const name of names) {
        const shown = `docs/${name}.md`;
        const version = report.updated.includes(shown) ? 'two' : 'one';
        expect(texts.get(`${name}.md`)?.every((t) => t.includes(`version ${version}`))).toBe(true);
        expect(records.find((r) => r.path === `${name}.md`)?.hash).toEqual(version === 'one' ? first.records.find((r) => r.path === `${name}.md`)!.hash : expect.any(String));
      }
      expect(orphans).toEqual([]);
    });

    it('a file stopped half-way by --max-run-tokens keeps its previous version, and its half-written one is cleared', async () => {
      await mkdir(join(dir, 'docs'));
      const chunks = EMBED_BATCH * 3;
      await writeFile(join(dir, 'docs', 'manual.md'), document('manual', 'one', chunks));
      const first = await run(['docs']);
      expect(first.report.added).toEqual(['docs/manual.md']);
      const before = first.chunks;

      await writeFile(join(dir, 'docs', 'manual.md'), document('manual', 'two', chunks));
      const limit = first.report.plan!.tokens; // a new version the size of the old: within the limit as estimated
      const { report, records, chunks: after, orphans, texts, billed } = await run(['docs'], { factor: 3, runLimits: { maxRunTokens: limit, askAboveTokens: limit } });
      expect(report.plan!.tokens).toBeLessThanOrEqual(limit);
      expect(report.updated).toEqual([]);
      expect(report.skipped).toEqual([{ path: 'docs/manual.md', kind: 'billing', reason: expect.stringMatching(/^not embedded: the run's billed tokens \([\d,]+\) passed [\d,]+ \(--max-run-tokens\)|this run's limit/) }]);
      expect(report.skipped[0]!.reason).toContain(`this run's limit of ${limit.toLocaleString('en')} (--max-run-tokens)`);
      // Stopped after a batch or two, not after the whole file.
      expect(billed).toBeLessThan(limit * 3);
      expect(records).toEqual(first.records);
      expect(after).toBe(before);
      expect(orphans).toEqual([]);
      expect(texts.get('manual.md')?.every((t) => t.includes('version one'))).toBe(true);
    });

    it('through the CLI a run limited to exactly its estimate embeds everything: the stand-in never bills past the estimate', async () => {
      await mkdir(join(dir, 'docs'));
      await writeFile(join(dir, 'docs', 'a.md'), document('alpha', 'one', 2));
      await writeFile(join(dir, 'docs', 'b.md'), document('beta', 'one', 2));
      const planned = await cli(['add', 'docs', '--everywhere', '--max-run-tokens', '1']);
      const estimate = Number(/~([\d,]+) tokens/.exec(planned.text)![1]!.replace(/,/g, ''));
      expect(planned.code).toBe(1);
      const { code, text } = await cli(['add', 'docs', '--everywhere', '--max-run-tokens', String(estimate), '--yes']);
      // The stand-in bills at most the estimate: everything is embedded, exit 0.
      expect(code).toBe(0);
      expect(text).toMatch(/Added 2, updated 0, unchanged 0, removed 0, skipped 0/);
    });
  });

  describe('what is indexed of a file goes only when the file itself is at fault', () => {
    const stops: Array<[string, (path: string) => Error]> = [
      ['a time limit (timeoutMs)', (path) => new OverLimitError(path, 'timeoutMs', 'extraction still running after 60 s, over the limit')],
      ['a memory limit (maxHeapMb)', (path) => new OverLimitError(path, 'maxHeapMb', 'extraction needed more than 512 MB of memory, over the limit')],
      ['a worker that failed', (path) => new ExtractorError(path, 'its worker stopped without an answer, exit code 1')],
      ['EMFILE', () => Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })],
      ['a bug', () => new TypeError("Cannot read properties of undefined (reading 'length')")],
    ];

    it.each(stops)('%s keeps the indexed version, is reported as kept, and the rest of the run goes on', async (_, error) => {
      await mkdir(join(dir, 'docs'));
      await writeFile(join(dir, 'docs', 'a.md'), document('alpha', 'one', 1));
      await writeFile(join(dir, 'docs', 'b.md'), document('beta', 'one', 1));
      const first = await run(['docs']);
      await writeFile(join(dir, 'docs', 'a.md'), document('alpha', 'two', 1));
      await writeFile(join(dir, 'docs', 'b.md'), document('beta', 'two', 1));
      const { report, records, texts } = await run(['docs'], {
        loadSections: async (path, data, limits) => {
          if (path.endsWith('a.md')) throw error(path);
          return loadSections(path, data, limits);
        },
      });
      expect(report.removed).toEqual([]);
      expect(report.updated).toEqual(['docs/b.md']);
      expect(report.skipped).toEqual([{ path: 'docs/a.md', kind: 'stopped', reason: expect.stringMatching(/ — kept what was indexed$/) }]);
      expect(records.find((r) => r.path === 'a.md')).toEqual(first.records.find((r) => r.path === 'a.md'));
      expect(texts.get('a.md')?.every((t) => t.includes('version one'))).toBe(true);
    });

    it('content that is not its format, and a limit about the file itself, still remove the old version', async () => {
      await mkdir(join(dir, 'docs'));
      for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(dir, 'docs', `${name}.md`), document(name, 'one', 1));
      await run(['docs']);
      for (const name of ['a', 'b', 'c']) await writeFile(join(dir, 'docs', `${name}.md`), document(name, 'two', 1));
      const { report, records } = await run(['docs'], {
        loadSections: async (path, data, limits) => {
          if (path.endsWith('a.md')) throw new UnreadableFileError(path, 'looks like a binary file, not text');
          if (path.endsWith('b.md')) throw new OverLimitError(path, 'maxPages', '1,204 pages, over the 1,000 limit');
          return loadSections(path, data, limits);
        },
      });
      expect(report.removed.sort()).toEqual(['docs/a.md', 'docs/b.md']);
      expect(report.skipped).toEqual([
        { path: 'docs/a.md', kind: 'unparseable', reason: 'looks like a binary file, not text' },
        { path: 'docs/b.md', kind: 'limit', reason: '1,204 pages, over the 1,000 limit (raise it with --max-pages N)' },
      ]);
      expect(records.map((r) => r.path).sort()).toEqual(['c.md', 'd.md', 'e.md']);
    });

    it('a real extraction stopped at its time limit keeps the indexed version (through the real worker)', async () => {
      await mkdir(join(dir, 'docs'));
      await writeFile(join(dir, 'docs', 'page.html'), '<h1>Page</h1><p>version one</p>');
      await writeFile(join(dir, 'docs', 'other.md'), document('other', 'one', 1));
      const first = await run(['docs']);
      await writeFile(join(dir, 'docs', 'page.html'), `<h1>Page</h1><p>version two</p>${'<p>'.repeat(200_000)}`);
      const { report, records } = await run(['docs'], { fileLimits: { ...DEFAULT_FILE_LIMITS, timeoutMs: 1 } });
      expect(report.removed).toEqual([]);
      expect(report.skipped).toEqual([{ path: 'docs/page.html', kind: 'stopped', reason: expect.stringMatching(/^extraction still running after 0\.001 s, over the limit \(raise it with --extract-timeout-s N\) — kept what was indexed$/) }]);
      expect(records).toEqual(first.records);
    });
  });

  describe('flags and removals that would wipe the index', () => {
    it('values are checked after conversion: 0 bytes, a timeout setTimeout cannot hold, a heap too small to start', () => {
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-file-mb', '0.0000001'])).toEqual({ error: '--max-file-mb takes 0.001 to 4,096 (not "0.0000001"), e.g. --max-file-mb 50.' });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--extract-timeout-s', '2147484'])).toEqual({ error: '--extract-timeout-s takes 0.1 to 2,147,483 (not "2147484"), e.g. --extract-timeout-s 60.' });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--extract-timeout-s=0.01'])).toHaveProperty('error');
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-heap-mb', '8'])).toEqual({ error: '--max-heap-mb takes 16 to 16,384 (not "8"), e.g. --max-heap-mb 512.' });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-heap-mb', '1.5'])).toHaveProperty('error');
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-chars', '1e12'])).toHaveProperty('error');
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--extract-timeout-s', '2147483', '--max-heap-mb', '256', '--max-file-mb', '0.001'])).toMatchObject({
        kind: 'add', fileLimits: { ...DEFAULT_FILE_LIMITS, timeoutMs: 2_147_483_000, maxHeapMb: 256, maxFileBytes: 1048 },
      });
      expect(2_147_483_000).toBeLessThanOrEqual(2 ** 31 - 1);
    });

    it('the price line counts the files to remove; more than half a collection asks, is refused without a terminal, and --yes goes ahead', async () => {
      await mkdir(join(dir, 'docs'));
      for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await writeFile(join(dir, 'docs', `${name}.md`), document(name, 'one', 2));
      expect((await cli(['add', 'docs', '--everywhere'])).code).toBe(0);
      // One limit set too low would remove every file; refused without a terminal, nothing changed.
      const noTerminal: KbPrompt = { interactive: false, ask: () => Promise.reject(new Error('asked with no terminal')) };
      await writeFile(join(dir, 'docs', 'g.md'), document('g', 'one', 2));
      const refused = await cli(['add', 'docs', '--everywhere', '--max-file-mb', '0.001'], noTerminal);
      expect(refused.code).toBe(1);
      expect(refused.text).toContain('About to remove 6 file(s) from the index (nothing to embed).');
      expect(refused.text).toContain('Refused: it would remove 6 indexed file(s) (more than 10, or more than half of a collection) and there is no terminal to ask on. Run it again with --yes to remove them. Nothing was embedded or removed.');
      expect(refused.text).toContain('  − would remove docs/a.md');
      const listed = await cli(['list']);
      expect(listed.text).toContain('(6 files, from');

      // On a terminal it asks, naming the count; "n" changes nothing.
      const questions: string[] = [];
      const answering = (answer: string): KbPrompt => ({ interactive: true, ask: async (q) => (questions.push(q), answer) });
      for (const name of ['a', 'b', 'c', 'd']) await rm(join(dir, 'docs', `${name}.md`));
      const no = await cli(['add', 'docs', '--everywhere'], answering('n'));
      expect(no.code).toBe(1);
      expect(no.text).toMatch(/About to embed \d+ chunks, ~[\d,]+ tokens, ~\$[\d.]+ \(text-embedding-3-small\) from 1 file\(s\), and remove 4 file\(s\) from the index/);
      expect(questions).toEqual(['That removes 4 indexed file(s). Continue? [y/N] ']);
      expect((await cli(['list'])).text).toContain('(6 files, from');

      const yes = await cli(['add', 'docs', '--everywhere', '--yes'], noTerminal);
      expect(yes.code).toBe(0);
      expect(yes.text).toMatch(/Added 1, updated 0, unchanged 2, removed 4, skipped 0/);
      // Removing fewer than half (and at most 10) does not ask.
      await rm(join(dir, 'docs', 'e.md'));
      expect((await cli(['add', 'docs', '--everywhere'], noTerminal)).text).toMatch(/removed 1, skipped 0/);
    });
  });
});
