/**
 * Hostile files meet limits: DOCX zip bombs (64 MiB and 268 MB of text from 66 KB and 262 KB),
 * PDF stream bombs, a PDF over the page limit and 5 MB of pathological HTML. Each is refused with
 * the limit it ran into (or, for the HTML, simply finishes), the work happening in the extraction
 * worker: this process's heap stays where it was. Times and peak memory are printed, not asserted.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILE_LIMITS, type FileLimitName } from '../../src/kb/limits.js';
import { loadSections, OverLimitError, type Section } from '../../src/kb/loaders.js';
import { docxBomb, PATHOLOGICAL_HTML, pdfStreamBomb, pdfWithPages } from './loaders-bombs.js';

const MB = 1024 * 1024;

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
    const error = expectOver(await measured(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 64 MiB`, () => loadSections('bomb.docx', data)), 'maxChars');
    expect(error.message).toContain('its XML inflates to more than 20.1 MB (at word/document.xml), over the limit for 2,000,000 characters at 10 bytes a character plus 1 MB (raise it with --max-chars N)');
  });

  it('a DOCX whose headers lie about the size (1 KB declared, 64 MiB inflated) is stopped the same way', async () => {
    const data = await docxBomb(64, true);
    expectOver(await measured(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 64 MiB, 1 KB declared`, () => loadSections('bomb.docx', data)), 'maxChars');
  });

  it('a 262 KB DOCX that inflates to 268 MB is stopped the same way', async () => {
    const data = await docxBomb(256);
    expect(data.length).toBeLessThan(400 * 1024);
    expectOver(await measured(`DOCX bomb, ${Math.round(data.length / 1024)} KB → 268 MB`, () => loadSections('bomb.docx', data)), 'maxChars');
  });

  it('a PDF whose content stream inflates to 512 MiB of text operators is stopped at maxHeapMb', async () => {
    const data = await pdfStreamBomb(512, 'text');
    const error = expectOver(await measured(`PDF stream bomb (text), ${Math.round(data.length / 1024)} KB → 512 MiB`, () => loadSections('bomb.pdf', data)), 'maxHeapMb');
    expect(error.message).toMatch(/more than 512 MB of memory.*--max-heap-mb N/);
  });

  it('a PDF whose content stream inflates to 1 GiB of blanks (outside the V8 heap) is stopped at maxHeapMb', async () => {
    const data = await pdfStreamBomb(1024, 'blank');
    expectOver(await measured(`PDF stream bomb (blank), ${Math.round(data.length / 1024)} KB → 1 GiB`, () => loadSections('bomb.pdf', data)), 'maxHeapMb');
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
    it(`5 MB of pathological HTML (${name}) finishes`, { timeout: 60_000 }, async () => {
      const html = make(5 * MB);
      // Characters raised so that no limit stops it: the parser and the sectioning go through it all.
      const outcome = await measured(`5 MB HTML, ${name}`, () => loadSections('page.html', Buffer.from(html), { ...DEFAULT_FILE_LIMITS, maxChars: 50_000_000 }));
      expect(outcome.error).toBeUndefined();
      expect(Array.isArray(outcome.sections)).toBe(true);
    });
  }
});
