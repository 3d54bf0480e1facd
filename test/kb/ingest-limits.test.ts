/**
 * `kb add` against hostile folders and files: only a path that is not there is removed (an
 * unreadable folder, file or link loop keeps what was indexed, is reported and makes the exit code
 * non-zero); a file over a limit is skipped with the reason, never read when its size is over the
 * limit, and loses what was indexed of it; a run is priced before it spends, refused above its
 * token limit, and asks above a threshold (--yes for scripts, refused without a terminal).
 *
 * This machine runs tests as root, so permissions cannot make EACCES: the file system is injected
 * for EACCES/EIO, and a real symbolic link loop gives a real ELOOP through the real CLI.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKbArgs, runKb, streamPrompt, type KbPrompt } from '../../src/kb/cli.js';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { estimateTokens, ingest, nodeFs, type IngestFs, type IngestOptions, type LoadSections } from '../../src/kb/ingest.js';
import { DEFAULT_FILE_LIMITS, DEFAULT_RUN_LIMITS, type FileLimitName } from '../../src/kb/limits.js';
import { loadSections, UnreadableFileError } from '../../src/kb/loaders.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { runKbIn } from '../harness/kb.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/kb');
const MODEL = 'text-embedding-3-small';

/** The shape kb-extract's OverLimitError has (loaders.ts): an UnreadableFileError naming its limit. */
class OverLimitError extends UnreadableFileError {
  constructor(path: string, readonly limit: FileLimitName, reason: string) {
    super(path, reason);
  }
}

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/** The real file system, except that the paths named fail with the error given, on the call named. */
function failing(rules: Array<{ call: keyof IngestFs; path: string; code: string }>): IngestFs {
  const fail = (call: keyof IngestFs, path: string) => {
    const rule = rules.find((r) => r.call === call && r.path === path);
    if (rule) throw errno(rule.code, call, path);
  };
  return {
    stat: async (path) => (fail('stat', path), nodeFs.stat(path)),
    readdir: async (path, options) => (fail('readdir', path), nodeFs.readdir(path, options)),
    open: async (path, flags) => (fail('open', path), nodeFs.open(path, flags)),
  };
}

describe('kb add against hostile folders and files', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const config = () => ({ embeddingModel: MODEL, apiKey: 'sk-test', baseUrl: openai.baseUrl });
  const env = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: join(dir, '.kb') });

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-limits-'));
    openai.embeddings.length = 0;
    openai.embeddingScripts.length = 0;
    await cp(join(FIXTURES, 'corpus'), join(dir, 'docs'), { recursive: true });
    await mkdir(join(dir, 'docs', 'sub'));
    await writeFile(join(dir, 'docs', 'sub', 'zephyr-escalation.md'), '# Escalation\n\nPage the Zephyr on-call lead after two failed waves.');
    return () => rm(dir, { recursive: true, force: true });
  });

  async function run(paths: string[], extra: Partial<IngestOptions> = {}) {
    const embeddings = makeEmbeddings(config(), { maxRetries: 0 });
    const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
    try {
      const report = await ingest({ store, embeddings, model: MODEL, paths, root: dir, binding: { everywhere: false, channels: ['C0KB'] }, ...extra });
      return { report, records: (await store.fileRecords()).map((r) => r.path).sort(), chunks: await store.chunkCount(), collections: await store.collections() };
    } finally {
      store.close();
    }
  }

  const cli = (args: string[], prompt?: KbPrompt) => runKbIn(dir, args, env(), prompt);

  const ALL = ['gardening.md', 'sub/zephyr-escalation.md', 'zephyr-handbook.html', 'zephyr-metrics.pdf', 'zephyr-onboarding.docx', 'zephyr-rollout.md', 'zephyr-runbook.txt'];

  describe('only a path that is not there is removed', () => {
    it('an unreadable subfolder (EACCES) keeps its files and is reported; the rest is indexed as usual', async () => {
      expect((await run(['docs'])).records).toEqual(ALL);
      const before = (await run([])).chunks;
      const { report, records, chunks } = await run(['docs'], { fs: failing([{ call: 'readdir', path: join(dir, 'docs', 'sub'), code: 'EACCES' }]) });
      expect(report.removed).toEqual([]);
      expect(records).toEqual(ALL);
      expect(chunks).toBe(before);
      expect(report.skipped).toEqual([{ path: 'docs/sub', reason: 'could not read: permission denied (EACCES) — kept what was indexed', kind: 'unreadable' }]);
      expect(report.unchanged).toHaveLength(6);
    });

    it('a folder given that cannot be read (EIO) keeps its whole collection; one that is gone (ENOENT) is removed', async () => {
      await run(['docs']);
      const io = await run(['docs'], { fs: failing([{ call: 'stat', path: join(dir, 'docs'), code: 'EIO' }]) });
      expect(io.report.removed).toEqual([]);
      expect(io.records).toEqual(ALL);
      expect(io.collections.map((c) => c.name)).toEqual(['docs']);
      expect(io.report.skipped).toEqual([{ path: 'docs', reason: 'could not read: input/output error (EIO) — kept what was indexed', kind: 'unreadable' }]);

      // Removing a whole collection asks first (more than half of it); confirmed, it goes.
      const goneFs = failing([{ call: 'stat', path: join(dir, 'docs'), code: 'ENOENT' }]);
      const unasked = await run(['docs'], { fs: goneFs });
      expect(unasked.report.refused).toBe('not-confirmed');
      expect(unasked.report.plan).toMatchObject({ removals: 7, asks: ['removals'] });
      expect(unasked.records).toEqual(ALL);
      const gone = await run(['docs'], { fs: goneFs, confirm: async () => true });
      expect(gone.report.removed).toHaveLength(7);
      expect(gone.records).toEqual([]);
      expect(gone.chunks).toBe(0);
      expect(gone.collections).toEqual([]);
    });

    it('a file that cannot be opened (EACCES) keeps its chunks; a file that is gone is removed', async () => {
      await run(['docs']);
      await rm(join(dir, 'docs', 'gardening.md'));
      const { report, records } = await run(['docs'], { fs: failing([{ call: 'open', path: join(dir, 'docs', 'zephyr-runbook.txt'), code: 'EACCES' }]) });
      expect(report.removed).toEqual(['docs/gardening.md']);
      expect(records).toContain('zephyr-runbook.txt');
      expect(report.skipped).toEqual([{ path: 'docs/zephyr-runbook.txt', reason: 'could not read: permission denied (EACCES) — kept what was indexed', kind: 'unreadable' }]);
    });

    it('a real symbolic link loop (ELOOP), as the folder added and as a subfolder, removes nothing and exits 2 through the CLI', async () => {
      expect((await cli(['add', 'docs', '--channel', 'C0KB'])).code).toBe(0);
      // The subfolder replaced by a link to itself: stat gives ELOOP.
      await rename(join(dir, 'docs', 'sub'), join(dir, 'sub-moved'));
      await symlink('sub', join(dir, 'docs', 'sub'));
      const sub = await cli(['add', 'docs', '--channel', 'C0KB']);
      expect(sub.code).toBe(2);
      expect(sub.text).toMatch(/removed 0, skipped 1/);
      expect(sub.text).toContain('✗ skipped docs/sub: could not read: too many symbolic links (a link loop?) (ELOOP) — kept what was indexed');
      expect((await run([])).records).toEqual(ALL);

      // The folder added replaced by a link to itself.
      await rename(join(dir, 'docs'), join(dir, 'docs-moved'));
      await symlink('docs', join(dir, 'docs'));
      const top = await cli(['add', 'docs', '--channel', 'C0KB']);
      expect(top.code).toBe(2);
      expect(top.text).toMatch(/removed 0, skipped 1/);
      expect(top.text).toContain('(ELOOP) — kept what was indexed');
      const after = await run([]);
      expect(after.records).toEqual(ALL);
      expect(after.chunks).toBeGreaterThan(0);
    });

    it('a symbolic link to a folder is not followed: reported, and what was indexed under its name kept', async () => {
      await run(['docs']);
      await rename(join(dir, 'docs', 'sub'), join(dir, 'elsewhere'));
      await symlink(join(dir, 'elsewhere'), join(dir, 'docs', 'sub'));
      const { report, records } = await run(['docs']);
      expect(records).toEqual(ALL);
      expect(report.skipped).toEqual([expect.objectContaining({ path: 'docs/sub', reason: expect.stringContaining('a symbolic link, which kb add does not follow') })]);
      // A link that leads nowhere is nothing: what was under that name is gone.
      await rm(join(dir, 'elsewhere'), { recursive: true });
      const dangling = await run(['docs']);
      expect(dangling.report.removed).toEqual(['docs/sub/zephyr-escalation.md']);
      expect(dangling.report.skipped).toEqual([]);
    });
  });

  describe('per-file limits', () => {
    it('a file over the size limit is never read, is skipped with the flag that raises it, and loses what was indexed of it', async () => {
      await run(['docs']);
      const reads: string[] = [];
      const watching: IngestFs = {
        ...nodeFs,
        open: async (path, flags) => {
          const handle = await nodeFs.open(path, flags);
          return {
            stat: () => handle.stat(),
            close: () => handle.close(),
            read: (buffer, offset, length, position) => (reads.push(path), handle.read(buffer, offset, length, position)),
          };
        },
      };
      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), `Zephyr runbook, now long. ${'Restore the previous release. '.repeat(40)}`);
      const { report, records } = await run(['docs'], { fs: watching, fileLimits: { ...DEFAULT_FILE_LIMITS, maxFileBytes: 600 } });
      const big = ['docs/zephyr-metrics.pdf', 'docs/zephyr-onboarding.docx', 'docs/zephyr-runbook.txt'];
      expect(report.skipped.map((s) => s.path).sort()).toEqual(big);
      expect(report.skipped.every((s) => s.kind === 'limit' && /^[\d.,]+ (bytes|KB) on disk, over the 600 bytes limit \(raise it with --max-file-mb N\)$/.test(s.reason))).toBe(true);
      expect(reads.filter((p) => big.some((b) => p.endsWith(b.slice('docs/'.length))))).toEqual([]);
      expect(report.removed.sort()).toEqual(big);
      expect(records).toEqual(ALL.filter((p) => !big.includes(`docs/${p}`)));
    });

    it('a file that says it is empty but never ends is read only to one byte past the limit; a pipe given is not opened', async () => {
      let served = 0;
      const endless: IngestFs = {
        ...nodeFs,
        open: async (path, flags) => {
          if (!path.endsWith('zephyr-runbook.txt')) return nodeFs.open(path, flags);
          return {
            stat: async () => ({ size: 0 }),
            close: async () => {},
            read: async (buffer, offset, length) => {
              buffer.fill(0x61, offset, offset + length);
              served += length;
              return { bytesRead: length };
            },
          };
        },
      };
      const { report } = await run(['docs'], { fs: endless, fileLimits: { ...DEFAULT_FILE_LIMITS, maxFileBytes: 100_000 } });
      expect(report.skipped).toEqual([{ path: 'docs/zephyr-runbook.txt', reason: 'more than 97.7 KB on disk, over the limit (raise it with --max-file-mb N)', kind: 'limit' }]);
      expect(served).toBe(100_001);
      expect(report.added).toHaveLength(6);

      execFileSync('mkfifo', [join(dir, 'pipe.md')]);
      const pipe = await run(['pipe.md']);
      expect(pipe.report.skipped).toEqual([{ path: 'pipe.md', reason: 'not a regular file or folder', kind: 'unparseable' }]);
    });

    it('a file the loader stops at a limit (OverLimitError) is skipped with its reason and loses its old chunks; one over --max-chars too', async () => {
      await run(['docs']);
      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), 'Zephyr runbook v2: restore within ten minutes.');
      await writeFile(join(dir, 'docs', 'gardening.md'), `# Tomatoes\n\n${'Water them in the morning. '.repeat(20)}`);
      const reason = 'more than 2,000,000 characters after extraction (raise it with --max-chars N)';
      const { report, records } = await run(['docs'], {
        fileLimits: { ...DEFAULT_FILE_LIMITS, maxChars: 300 },
        loadSections: async (path, data, limits) => {
          if (path.endsWith('zephyr-runbook.txt')) throw new OverLimitError(path, 'maxChars', reason);
          return (loadSections as LoadSections)(path, data, limits);
        },
      });
      expect(report.skipped).toEqual([
        { path: 'docs/gardening.md', reason: '539 characters of text, over the 300 limit (raise it with --max-chars N)', kind: 'limit' },
        { path: 'docs/zephyr-runbook.txt', reason, kind: 'limit' },
      ]);
      expect(report.removed.sort()).toEqual(['docs/gardening.md', 'docs/zephyr-runbook.txt']);
      expect(records).not.toContain('zephyr-runbook.txt');
      expect(records).not.toContain('gardening.md');

      // Through the CLI: the skipped file is named with its reason, and that its old version is gone.
      await writeFile(join(dir, 'docs', 'gardening.md'), '# Tomatoes\n\nWater them.');
      expect((await cli(['add', 'docs', '--channel', 'C0KB'])).code).toBe(0);
      await writeFile(join(dir, 'docs', 'gardening.md'), `# Tomatoes\n\n${'Water them in the morning. '.repeat(20)}`);
      const { code, text } = await cli(['add', 'docs', '--channel', 'C0KB', '--max-chars', '300']);
      expect(code).toBe(2);
      expect(text).toContain('✗ skipped docs/gardening.md: 539 characters of text, over the 300 limit (raise it with --max-chars N) — what was indexed of it is removed');
    });

    it('the limits reach the loader as the flags set them', async () => {
      const seen: unknown[] = [];
      const parsed = parseKbArgs(['add', 'docs', '--everywhere', '--max-file-mb', '2', '--max-chars=1000', '--max-pages', '3', '--extract-timeout-s', '1.5']);
      if (!('kind' in parsed) || parsed.kind !== 'add') throw new Error(JSON.stringify(parsed));
      expect(parsed.fileLimits).toEqual({ ...DEFAULT_FILE_LIMITS, maxFileBytes: 2 * 1024 * 1024, maxChars: 1000, maxPages: 3, timeoutMs: 1500 });
      await run(['docs'], { fileLimits: parsed.fileLimits, loadSections: async (path, data, limits) => (seen.push(limits), loadSections(path, data)) });
      expect(seen).toHaveLength(7);
      expect(seen.every((l) => JSON.stringify(l) === JSON.stringify(parsed.fileLimits))).toBe(true);
    });
  });

  describe('a price before it spends', () => {
    it('above --max-run-tokens the run is refused: nothing embedded, created or removed, exit 1, the largest files and the flag named', async () => {
      const { code, text } = await cli(['add', 'docs', '--channel', 'C0KB', '--max-run-tokens', '50']);
      expect(code).toBe(1);
      expect(text).toMatch(/About to embed \d+ chunks, ~[\d,]+ tokens, ~\$[\d.]+ \(text-embedding-3-small\) from 7 file\(s\) \(tokens an upper bound: a word a token per 4 letters/);
      expect(text).toMatch(/Refused: ~[\d,]+ tokens is over this run's limit of 50\. Largest: docs\/zephyr-rollout\.md \(~\d+ tokens\)/);
      expect(text).toMatch(/--max-run-tokens N \(e\.g\. --max-run-tokens \d+\)\. Nothing was embedded or removed\./);
      expect(openai.embeddings).toEqual([]);
      expect(await run([])).toMatchObject({ records: [], chunks: 0, collections: [] });

      // An existing collection with a vanished file: a refused run removes nothing either.
      expect((await cli(['add', 'docs', '--channel', 'C0KB'])).code).toBe(0);
      await rm(join(dir, 'docs', 'gardening.md'));
      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), `Zephyr runbook v2. ${'Restore region by region. '.repeat(30)}`);
      const refused = await cli(['add', 'docs', '--channel', 'C0KB', '--max-run-tokens', '50']);
      expect(refused.code).toBe(1);
      expect((await run([])).records).toEqual(ALL);
    });

    it('above --ask-above-tokens with no terminal and no --yes it refuses naming --yes, and never waits for input', async () => {
      const noTerminal: KbPrompt = { interactive: false, ask: () => Promise.reject(new Error('asked with no terminal')) };
      const { code, text } = await cli(['add', 'docs', '--channel', 'C0KB', '--ask-above-tokens', '10'], noTerminal);
      expect(code).toBe(1);
      expect(text).toContain('there is no terminal to ask on. Run it again with --yes to embed. Nothing was embedded or removed.');
      expect(openai.embeddings).toEqual([]);

      const yes = await cli(['add', 'docs', '--channel', 'C0KB', '--ask-above-tokens', '10', '--yes']);
      expect(yes.code).toBe(0);
      const billed = openai.embeddings.reduce((sum, e) => sum + e.tokens, 0);
      expect(yes.text).toMatch(new RegExp(`Embedded \\d+ chunks, ${billed.toLocaleString('en')} tokens billed \\(estimated ~[\\d,]+\\)`));
    });

    it('the prompt on a stream is interactive only on a terminal, and input that ends is a no, not a wait', async () => {
      const piped = new PassThrough();
      expect(streamPrompt(piped, new PassThrough()).interactive).toBe(false);
      const terminal = Object.assign(new PassThrough(), { isTTY: true });
      const prompt = streamPrompt(terminal, new PassThrough());
      expect(prompt.interactive).toBe(true);
      const yes = prompt.ask('Continue? [y/N] ');
      terminal.write('y\n');
      expect(await yes).toBe('y');
      const ended = Object.assign(new PassThrough(), { isTTY: true });
      const answer = streamPrompt(ended, new PassThrough()).ask('Continue? [y/N] ');
      ended.end();
      expect(await answer).toBe('');
    });

    it('on a terminal it asks: "y" embeds, anything else changes nothing', async () => {
      const questions: string[] = [];
      const answering = (answer: string): KbPrompt => ({ interactive: true, ask: async (q) => (questions.push(q), answer) });
      const no = await cli(['add', 'docs', '--channel', 'C0KB', '--ask-above-tokens', '10'], answering(''));
      expect(no.code).toBe(1);
      expect(no.text).toContain('Not confirmed: nothing was embedded or removed.');
      expect(questions).toEqual(['That is above 10 tokens (--ask-above-tokens). Continue? [y/N] ']);
      expect(openai.embeddings).toEqual([]);
      const yes = await cli(['add', 'docs', '--channel', 'C0KB', '--ask-above-tokens', '10'], answering('y'));
      expect(yes.code).toBe(0);
      expect(yes.text).toMatch(/Added 7, updated 0, unchanged 0, removed 0, skipped 0/);
      // Under the threshold nothing is asked.
      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), 'Zephyr runbook v2.');
      expect((await cli(['add', 'docs', '--channel', 'C0KB'], answering('n'))).code).toBe(0);
      expect(questions).toHaveLength(2);
    });

    it('the estimate is made before spending and is close to what the provider billed', async () => {
      const plans: number[] = [];
      const { report } = await run(['docs'], { onPlan: (p) => plans.push(p.tokens) });
      const billed = openai.embeddings.reduce((sum, e) => sum + e.tokens, 0);
      expect(plans).toEqual([report.plan!.tokens]);
      expect(report.tokens).toBe(billed);
      // Non-ASCII counts a token a character (the stand-in: a quarter), so never below.
      expect(report.plan!.tokens).toBeGreaterThanOrEqual(billed);
      expect(report.plan!.tokens).toBeLessThanOrEqual(billed * 1.2);
    });

    it('estimates a word a token per four letters, text beyond ASCII at its UTF-8 bytes (test/unit/kb-token-estimate.test.ts: an upper bound)', () => {
      expect(estimateTokens('abcdefgh')).toBe(2);
      expect(estimateTokens('設定を変更する')).toBe(21);
      expect(estimateTokens('😀😀')).toBe(8);
      expect(estimateTokens('')).toBe(1);
    });
  });

  describe('flags', () => {
    it('a bad value names the flag and an example; limit flags belong to add only', () => {
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-chars', 'lots'])).toEqual({ error: `--max-chars needs a positive whole number (not "lots"), e.g. --max-chars ${DEFAULT_FILE_LIMITS.maxChars}.` });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-file-mb=-1'])).toEqual({ error: '--max-file-mb needs a positive number (not "-1"), e.g. --max-file-mb 50.' });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-pages', '1.5'])).toMatchObject({ error: expect.stringContaining('--max-pages needs a positive whole number') });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--max-run-tokens'])).toEqual({ error: `--max-run-tokens needs a positive whole number, e.g. --max-run-tokens ${DEFAULT_RUN_LIMITS.maxRunTokens}.` });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--ask-above-tokens', '0'])).toMatchObject({ error: expect.stringContaining('--ask-above-tokens needs a positive whole number') });
      expect(parseKbArgs(['list', '--yes'])).toEqual({ error: '--yes is an option of add only.' });
      expect(parseKbArgs(['add', 'docs', '--everywhere', '--yes', '--ask-above-tokens', '5', '--max-run-tokens', '9'])).toMatchObject({
        kind: 'add', yes: true, runLimits: { maxRunTokens: 9, askAboveTokens: 5 }, fileLimits: DEFAULT_FILE_LIMITS,
      });
    });

    it('USAGE lists every limit with its default from limits.ts, --yes, and the exit codes', async () => {
      const lines: string[] = [];
      expect(await runKb(['help'], {}, (l) => lines.push(l))).toBe(0);
      const usage = lines.join('\n');
      expect(usage).toMatch(/--max-file-mb N +largest file read, in MB \[50; 0\.001 to 4,096\]/);
      expect(usage).toMatch(/--max-chars N +.*\[2,000,000; 1 to 500,000,000\]/);
      expect(usage).toMatch(/--max-pages N +.*\[1,000; 1 to 1,000,000\]/);
      expect(usage).toMatch(/--extract-timeout-s N +.*\[60; 0\.1 to 2,147,483\]/);
      expect(usage).toMatch(/--max-heap-mb N +memory one file's text extraction may use, in MB \[512; 16 to 16,384\]/);
      expect(usage).toMatch(/--max-run-tokens N +.*\[10,000,000; 1 to/);
      expect(usage).toMatch(/--ask-above-tokens N +.*\[1,000,000; 1 to/);
      expect(usage).toMatch(/--yes +do not ask/);
      expect(usage).toContain('Exit codes: 0 done; 1 nothing done (usage, settings, a refused or failed run); 2 finished, but some files or paths were skipped');
    });
  });
});
