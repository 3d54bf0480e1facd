/**
 * Hostile files meet limits: DOCX zip bombs (64 MiB and 268 MB of text from 66 KB and 262 KB),
 * PDF stream bombs, a PDF over the page limit and 5 MB of pathological HTML. Each is refused with
 * the limit it ran into (or, for the HTML, finishes within a time limit of its own), the work
 * happening in the extraction worker.
 *
 * Memory is asserted where it is measured cleanly: each bomb runs in a child process
 * (extract-child.ts) whose peak resident memory, worker thread included, must stay within
 * maxHeapMb + WORKER_OVERHEAD_MB + a margin above its own baseline: the limits loadSections
 * promises. Times are printed, never asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FILE_LIMITS, type FileLimitName, type FileLimits } from '../../src/kb/limits.js';
import { loadSections, OverLimitError, WORKER_OVERHEAD_MB, type Section } from '../../src/kb/loaders.js';
import { docxBomb, PATHOLOGICAL_HTML, pdfStreamBomb, pdfWithPages } from './loaders-bombs.js';

const MB = 1024 * 1024;
/**
 * Above maxHeapMb + WORKER_OVERHEAD_MB: what grows between two looks of loadSections' memory
 * watch (every 25 ms) and while a stopped worker is being torn down.
 */
const MARGIN_MB = 96;

interface ChildRun {
  sections?: number;
  error?: string;
  limit?: FileLimitName;
  message?: string;
  ms: number;
  baselineMb: number;
  peakMb: number;
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'kb-bombs-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Extracts `data` in a child process (extract-child.ts), returning how it ended and its memory. */
async function inChild(label: string, name: string, data: Buffer, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<ChildRun> {
  const file = join(folder, name);
  await writeFile(file, data);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'extract-child.ts'), file, JSON.stringify(limits)], {
    maxBuffer: 4 * MB,
  });
  const run = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildRun;
  console.log(`${label}: ${run.ms} ms, peak RSS ${run.peakMb} MB over a baseline of ${run.baselineMb} MB, ${run.message ?? 'extracted'}`);
  // What loadSections promises: the extraction's memory within its limits, whatever the file.
  expect(run.peakMb - run.baselineMb).toBeLessThan(limits.maxHeapMb + WORKER_OVERHEAD_MB + MARGIN_MB);
  return run;
}

function expectChildOver(run: ChildRun, limit: FileLimitName): string {
  expect(run.error).toBe('OverLimitError');
  expect(run.limit).toBe(limit);
  return run.message!;
}

/** Runs one extraction, sampling this process's resident memory (the worker's included). */
async function measured(label: string, run: () => Promise<Section[]>): Promise<{ sections?: Section[]; error?: unknown }> {
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  let outcome: { sections?: Section[]; error?: unknown };
  try {
    outcome = { sections: await run() };
  } catch (error) {
    outcome = { error };
  } finally {
    clearInterval(sampler);
  }
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`${label}: ${Math.round(performance.now() - started)} ms, peak RSS ${Math.round(peak / MB)} MB, ${outcome.error ? (outcome.error as Error).message : 'extracted'}`);
  // The bomb went off in the worker: this process's heap did not take it.
  expect(heapAfter - heapBefore).toBeLessThan(64 * MB);
  return outcome;
}

function expectOver(outcome: { error?: unknown }, limit: FileLimitName): OverLimitError {
  expect(outcome.error).toBeInstanceOf(OverLimitError);
  expect((outcome.error as OverLimitError).limit).toBe(limit);
  return outcome.error as OverLimitError;
}

describe('hostile files meet the per-file limits', () => {
  it('a 66 KB DOCX that inflates to 64 MiB is stopped at maxChars while inflating', async () => {
    const data = await docxBomb(64);
    expect(data.length).toBeLessThan(100 * 1024);
    const message = expectChildOver(await inChild(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 64 MiB`, 'bomb-64.docx', data), 'maxChars');
    expect(message).toContain('its XML inflates to more than 20.1 MB (at word/document.xml), over the limit for 2,000,000 characters at 10 bytes a character plus 1 MB (raise it with --max-chars N)');
  });

  it('a DOCX whose headers lie about the size (1 KB declared, 64 MiB inflated) is stopped the same way', async () => {
    const data = await docxBomb(64, true);
    expectChildOver(await inChild(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 64 MiB, 1 KB declared`, 'liar.docx', data), 'maxChars');
  });

  it('a 262 KB DOCX that inflates to 268 MB is stopped the same way', async () => {
    const data = await docxBomb(256);
    expect(data.length).toBeLessThan(400 * 1024);
    expectChildOver(await inChild(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 268 MB`, 'bomb-268.docx', data), 'maxChars');
  });

  it('a PDF whose content stream inflates to 512 MiB of text operators is stopped at maxHeapMb', async () => {
    const data = await pdfStreamBomb(512, 'text');
    const message = expectChildOver(await inChild(`PDF stream bomb (text), ${Math.round(data.length / 1024)} KB → 512 MiB`, 'bomb-text.pdf', data), 'maxHeapMb');
    expect(message).toMatch(/more than 512 MB of memory.*--max-heap-mb N/);
  });

  it('a PDF whose content stream inflates to 1 GiB of blanks (outside the V8 heap) is stopped at maxHeapMb', async () => {
    const data = await pdfStreamBomb(1024, 'blank');
    expectChildOver(await inChild(`PDF stream bomb (blank), ${Math.round(data.length / 1024)} KB → 1 GiB`, 'bomb-blank.pdf', data), 'maxHeapMb');
  });

  it('a smaller heap limit is a lower memory ceiling (the 1 GiB PDF stream bomb with --max-heap-mb 128)', async () => {
    const data = await pdfStreamBomb(1024, 'blank');
    const message = expectChildOver(await inChild('PDF stream bomb (blank), 1 GiB, heap limit 128 MB', 'bomb-blank-128.pdf', data, { ...DEFAULT_FILE_LIMITS, maxHeapMb: 128 }), 'maxHeapMb');
    expect(message).toContain('more than 128 MB of memory');
  });

  it('a PDF over the page limit is refused by its page count, and one over maxChars by its text', async () => {
    const data = pdfWithPages(30);
    const pages = expectOver(await measured('PDF of 30 pages, limit 25', () => loadSections('long.pdf', data, { ...DEFAULT_FILE_LIMITS, maxPages: 25 })), 'maxPages');
    expect(pages.message).toContain('30 pages, over the 25 limit (raise it with --max-pages N)');
    const chars = expectOver(await measured('PDF of 30 pages, limit 50 characters', () => loadSections('long.pdf', data, { ...DEFAULT_FILE_LIMITS, maxChars: 50 })), 'maxChars');
    expect(chars.message).toMatch(/more than 50 characters of text by page \d+ of 30, over the limit \(raise it with --max-chars N\)/);
    // Within its limits the same file reads page by page.
    const sections = (await loadSections('long.pdf', data)).map((s) => [s.page, s.text]);
    expect(sections).toHaveLength(30);
    expect(sections[29]).toEqual([30, 'Page 30']);
  });

  for (const [name, make] of Object.entries(PATHOLOGICAL_HTML)) {
    it(`5 MB of pathological HTML (${name}) finishes well inside the extraction time limit`, async () => {
      const html = make(5 * MB);
      // Characters raised so that no limit stops it: the parser and the sectioning go through it
      // all. A third of the default time limit: markup that went quadratic again would run into it
      // (a limit, as kb add would meet it, not a timing).
      const limits = { ...DEFAULT_FILE_LIMITS, maxChars: 50_000_000, timeoutMs: 20_000 };
      const outcome = await measured(`5 MB HTML, ${name}`, () => loadSections('page.html', Buffer.from(html), limits));
      expect(outcome.error).toBeUndefined();
      expect(Array.isArray(outcome.sections)).toBe(true);
    });
  }
});
