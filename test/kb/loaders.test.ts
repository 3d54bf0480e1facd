/**
 * Ordinary documents extract as they always did (every format of the corpus, HTML's headings,
 * lists and entities, Markdown's headings), now in the extraction worker; files past a limit or
 * not what their name says are refused with the limit and the flag that raises it.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atxHeading, MAX_HEADING_CHARS } from '../../src/kb/extract.js';
import { openBoundedZip, MAX_ZIP_ENTRIES, ZipBudgetError } from '../../src/kb/extract-zip.js';
import { parseKbArgs } from '../../src/kb/cli.js';
import { DEFAULT_FILE_LIMITS } from '../../src/kb/limits.js';
import { htmlText, HtmlTextOverLimit } from '../../src/kb/extract-html.js';
import { htmlToText, loadSections, markdownSections, OverLimitError, UnreadableFileError } from '../../src/kb/loaders.js';
import { docxOf, zipOf } from './loaders-bombs.js';

const CORPUS = join(import.meta.dirname, '../fixtures/kb/corpus');
const CORRUPT = join(import.meta.dirname, '../fixtures/kb/corrupt');

async function refusal(promise: Promise<unknown>): Promise<UnreadableFileError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnreadableFileError);
  return error as UnreadableFileError;
}

describe('loadSections on ordinary files', () => {
  it('reads every format of the corpus with its headings or pages', async () => {
    expect(await loadSections(join(CORPUS, 'gardening.md'))).toEqual([
      { section: 'Tomato growing › Watering', page: 0, text: 'Tomatoes want deep watering twice a week; mulch keeps the soil moist in July heat.' },
      { section: 'Tomato growing › Pruning', page: 0, text: 'Pinch suckers from indeterminate tomato plants so the fruit ripens before autumn frost.' },
    ]);
    expect(await loadSections(join(CORPUS, 'zephyr-handbook.html'))).toEqual([
      {
        section: 'Platform handbook › Zephyr ownership',
        page: 0,
        text: 'The Zephyr rollout protocol is owned by the platform team; Zephyr approvals need two reviewers & a green canary.\n\n- Zephyr freeze windows: Fridays after noon.',
      },
    ]);
    expect(await loadSections(join(CORPUS, 'zephyr-metrics.pdf'))).toEqual([
      { section: '', page: 1, text: 'Zephyr rollout metrics, 2026.\nZephyr canary promotions: 212 of 220 succeeded.' },
      { section: '', page: 2, text: 'Zephyr rollback time: median eleven minutes.\nZephyr waves halted by freeze flag: 4.' },
    ]);
    expect(await loadSections(join(CORPUS, 'zephyr-onboarding.docx'))).toEqual([
      {
        section: 'Zephyr onboarding',
        page: 0,
        text: 'New engineers shadow two Zephyr rollout waves before running the Zephyr rollout protocol alone.\n\nThe Zephyr checklist lives in the platform handbook.',
      },
    ]);
    const runbook = await loadSections(join(CORPUS, 'zephyr-runbook.txt'));
    expect(runbook).toHaveLength(1);
    expect(runbook[0]).toMatchObject({ section: '', page: 0 });
    expect(runbook[0]!.text).toMatch(/^Zephyr rollback runbook\.\n\nWhen a Zephyr rollout wave fails/);
  });

  it('reads a DOCX written by our own zip writer, bytes given rather than read', async () => {
    const data = await docxOf('Release notes', ['First &amp; foremost.', 'Second.']);
    expect(await loadSections('notes.docx', data)).toEqual([{ section: 'Release notes', page: 0, text: 'First & foremost.\n\nSecond.' }]);
  });

  it('refuses corrupt files as unreadable, not as over a limit', async () => {
    const docx = await refusal(loadSections(join(CORRUPT, 'broken.docx')));
    expect(docx).not.toBeInstanceOf(OverLimitError);
    expect(docx.message).toMatch(/not a readable DOCX/);
    const pdf = await refusal(loadSections(join(CORRUPT, 'broken.pdf')));
    expect(pdf).not.toBeInstanceOf(OverLimitError);
    expect(pdf.message).toMatch(/not a readable PDF/);
    const binary = await refusal(loadSections('x.md', Buffer.from('a\u0000b')));
    expect(binary.message).toMatch(/binary file/);
  });
});

describe('loadSections within the per-file limits', () => {
  it('refuses a file bigger on disk than maxFileBytes before reading it, naming the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kb-loaders-'));
    try {
      await writeFile(join(dir, 'big.md'), 'x'.repeat(3 * 1024 * 1024));
      const error = await refusal(loadSections(join(dir, 'big.md'), undefined, { ...DEFAULT_FILE_LIMITS, maxFileBytes: 1024 * 1024 }));
      expect(error).toBeInstanceOf(OverLimitError);
      expect((error as OverLimitError).limit).toBe('maxFileBytes');
      expect(error.message).toContain('3 MB on disk, over the 1 MB limit (raise it with --max-file-mb N)');
      // The same when the bytes are handed over.
      const given = await refusal(loadSections('big.md', Buffer.alloc(2 * 1024 * 1024, 'x'), { ...DEFAULT_FILE_LIMITS, maxFileBytes: 1024 * 1024 }));
      expect((given as OverLimitError).limit).toBe('maxFileBytes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses Markdown, text and HTML whose text is over maxChars, saying how much', async () => {
    const limits = { ...DEFAULT_FILE_LIMITS, maxChars: 1_000 };
    for (const [name, data] of [
      ['long.md', 'word '.repeat(300)],
      ['long.txt', 'word '.repeat(300)],
      ['long.html', `<p>${'word '.repeat(300)}</p>`],
    ] as const) {
      const error = await refusal(loadSections(name, Buffer.from(data), limits));
      expect((error as OverLimitError).limit).toBe('maxChars');
      // HTML's text is stopped as soon as it is over the limit, so its total is never known.
      expect(error.message).toMatch(name.endsWith('.html') ? /more than 1,000 characters of text, over the limit \(raise it with --max-chars N\)/ : /1,499 characters of text, over the 1,000 limit \(raise it with --max-chars N\)/);
    }
    // Markup is not text: a page heavy with tags but light on words passes.
    const heavy = `<div class="${'x'.repeat(2_000)}"><p>Short text.</p></div>`;
    expect(await loadSections('heavy.html', Buffer.from(heavy), limits)).toEqual([{ section: '', page: 0, text: 'Short text.' }]);
  });

  it('refuses a DOCX whose XML inflates past its share of maxChars, and one whose text is over maxChars', async () => {
    const big = await docxOf('Title', ['x'.repeat(2_000_000)]);
    const small = await refusal(loadSections('a.docx', big, { ...DEFAULT_FILE_LIMITS, maxChars: 1_000 }));
    expect((small as OverLimitError).limit).toBe('maxChars');
    expect(small.message).toContain('its XML inflates to more than 1 MB (at word/document.xml), over the limit for 1,000 characters at 10 bytes a character plus 1 MB (raise it with --max-chars N)');
    // XML within its allowance, text over the limit.
    const data = await docxOf('Title', ['x'.repeat(5_000)]);
    const text = await refusal(loadSections('a.docx', data, { ...DEFAULT_FILE_LIMITS, maxChars: 4_000 }));
    expect((text as OverLimitError).limit).toBe('maxChars');
    expect(text.message).toContain('more than 4,000 characters of text, over the limit (raise it with --max-chars N)');
  });

  it('stops an extraction at timeoutMs and one past maxHeapMb, then extracts the next file in a fresh worker', async () => {
    const html = Buffer.from('<p>zephyr <b>bold</b></p>'.repeat(400_000)); // 10 MB
    const slow = await refusal(loadSections('slow.html', html, { ...DEFAULT_FILE_LIMITS, timeoutMs: 20, maxChars: 100_000_000 }));
    expect((slow as OverLimitError).limit).toBe('timeoutMs');
    expect(slow.message).toContain('extraction still running after 0.02 s, over the limit (raise it with --extract-timeout-s N)');

    const lines = Buffer.from('zephyr line\n'.repeat(2_000_000)); // 24 MB of short lines: an array of 2 M strings
    const heavy = await refusal(loadSections('lines.md', lines, { ...DEFAULT_FILE_LIMITS, maxHeapMb: 16, maxChars: 100_000_000 }));
    expect((heavy as OverLimitError).limit).toBe('maxHeapMb');
    expect(heavy.message).toMatch(/more than 16 MB of memory/);

    expect(await loadSections(join(CORPUS, 'gardening.md'))).toHaveLength(2);
  });

  it('the heap limit named in the message is a flag of kb add', () => {
    const parsed = parseKbArgs(['add', 'docs', '--everywhere', '--max-heap-mb', '256']);
    if (!('kind' in parsed) || parsed.kind !== 'add') throw new Error(JSON.stringify(parsed));
    expect(parsed.fileLimits).toEqual({ ...DEFAULT_FILE_LIMITS, maxHeapMb: 256 });
    expect(parseKbArgs(['help'])).toEqual({ kind: 'help' });
  });
});

describe('htmlToText', () => {
  it('keeps headings as # lines, list items, line breaks and blocks; drops scripts, styles, head, templates', () => {
    const html = [
      '<!doctype html><html><head><title>T</title><style>p{}</style></head><body>',
      '<h1>Guide  <em>one</em></h1><p>Intro<br>next line</p>',
      '<!-- a comment --><script>var x = "<p>";</script><noscript>enable js</noscript><template><p>tpl</p></template>',
      '<h2>Steps</h2><ul><li>first</li><li>second</li></ul><hr><div>after</div>',
      '</body></html>',
    ].join('');
    expect(htmlToText(html)).toBe('# Guide one\n\nIntro\nnext line\n\n## Steps\n\n- first\n- second\n\nafter');
  });

  it('decodes entities exactly once', () => {
    expect(htmlToText('<p>&amp;lt;b&amp;gt; &lt;i&gt; &#60;x&#x3e; caf&eacute;&nbsp;!</p>')).toBe('&lt;b&gt; <i> <x> café !');
  });

  it('ends an unclosed <head> at <body>, an unclosed heading at the end', () => {
    expect(htmlToText('<head><title>x</title><body><p>kept</p>')).toBe('kept');
    expect(htmlToText('<h3>Open heading')).toBe('### Open heading');
  });

  it('ends an unclosed heading at the next block, so the body after it is kept', async () => {
    const long = 'Zephyr rollout notes. '.repeat(52).trim(); // 1,143 characters
    const sections = await loadSections('intro.html', Buffer.from(`<h2>Intro<p>${long}</p><p>More text.</p>`));
    expect(sections).toEqual([{ section: 'Intro', page: 0, text: `${long}\n\nMore text.` }]);
    expect(htmlToText('<h1>A<div>b</div><h2>C<li>d')).toBe('# A\n\nb\n\n## C\n\n- d');
    // A line break is part of a heading; an empty heading is no heading.
    expect(htmlToText('<h1>Title<br>Subtitle</h1><p>x</p><h2></h2><h3><div>y</div></h3>')).toBe('# Title Subtitle\n\nx\n\ny');
  });

  it('ends a heading with no block after it at MAX_HEADING_CHARS, the rest being body text', () => {
    const words = 'word '.repeat(300).trim();
    const text = htmlToText(`<h2>${words}`);
    const [heading, ...rest] = text.split('\n\n');
    expect(heading).toBe(`## ${words.slice(0, MAX_HEADING_CHARS).trim()}`);
    expect(rest.join(' ')).toBe(words.slice(MAX_HEADING_CHARS).trim());
    // A surrogate pair at the cut stays whole.
    const emoji = htmlToText(`<h1>${'a'.repeat(MAX_HEADING_CHARS - 1)}😀 tail`);
    expect(emoji).toBe(`# ${'a'.repeat(MAX_HEADING_CHARS - 1)}\n\n😀 tail`);
  });

  it('ignores a <head> after body content, and ends a <head> at content that cannot be in it', () => {
    expect(htmlToText('<p>Body</p><head><title>T</title></head><p>after</p>')).toBe('Body\n\nafter');
    expect(htmlToText('<html><head><title>T</title><meta charset="utf-8"><p>text</p>')).toBe('text');
    expect(htmlToText('<head><title>T</title><style>p{}</style>Loose text')).toBe('Loose text');
  });

  it('an unclosed <template> or <noscript> hides nothing; closed ones are still dropped', () => {
    expect(htmlToText('<p>a</p><template><p>b</p>')).toBe('a\n\nb');
    expect(htmlToText('<template>x</template><p>a</p><noscript><p>b</p>')).toBe('a\n\nb');
    expect(htmlToText('<noscript>enable js</noscript><template><p>t</p></template><p>a</p>')).toBe('a');
    // Only the unclosed opener is ignored: the closed template inside it stays hidden.
    expect(htmlToText('<template><template>inner</template><p>kept</p>')).toBe('kept');
  });

  it('an unclosed <script> takes the rest as script text, as a browser does; a page left with no text is reported', async () => {
    expect(htmlToText('<p>Hi</p><script>var x;<p>hidden</p>')).toBe('Hi');
    expect(htmlToText('<script src="a.js"/><p>script text</p></script><p>after</p>')).toBe('after');
    const error = await refusal(loadSections('app.html', Buffer.from('<!doctype html>\n<html><head>\n<script>\n</head><body><h1>Guide</h1><p>All the text.</p></body></html>')));
    expect(error).not.toBeInstanceOf(OverLimitError);
    expect(error.message).toBe(
      'app.html: no text found: the <script> opened on line 3 is never closed, so the rest of the file (59 characters) is read as its content, as a browser would; close it with </script>',
    );
    // A page of markup only (its scripts closed) is no text, and no error.
    expect(await loadSections('shell.html', Buffer.from('<html><head><script>app()</script></head><body><div id="root"></div></body></html>'))).toEqual([]);
  });

  it('never loses a paragraph behind unclosed headings, templates, noscripts or heads (generated markup)', () => {
    const fragment = fc.constantFrom('<h1>', '<h2>Title', '<h3>a<br>b', '<template>', '</template>', '<noscript>', '</noscript>', '<head>', '</head>', '<body>', '<title>T</title>', '<meta charset=utf-8>', '<div>', '</h2>', 'word ', '&amp; ', '😀');
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (fragments) => {
        const text = htmlToText(`${fragments.join('')}<p>zephyr sentinel</p>`);
        // Kept behind any number of unclosed ones; only a closed <template> or <noscript> hides it.
        if (!fragments.includes('</template>') && !fragments.includes('</noscript>')) expect(text).toContain('zephyr sentinel');
        expect(text.split('\n').filter((line) => line.startsWith('#')).every((line) => line.length <= MAX_HEADING_CHARS + 8)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('stops as soon as the text is over maxChars, never building the rest', () => {
    const html = '<p>zephyr words</p>'.repeat(200_000); // 3.8 MB
    const error = (() => {
      try {
        htmlText(html, 1_000);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(HtmlTextOverLimit);
    expect((error as HtmlTextOverLimit).offset).toBeLessThan(2_000);
    // A page of nothing but headings stops at twice the limit.
    expect(() => htmlText('<h1>heading'.repeat(100_000), 1_000)).toThrow(HtmlTextOverLimit);
    // Headings are not the body's text; white space is not text.
    expect(htmlText(`<h1>${'h'.repeat(150)}</h1><p>${' \n'.repeat(5_000)}${'x'.repeat(1_000)}</p>`, 1_000).text).toBe(`# ${'h'.repeat(150)}\n\n${'x'.repeat(1_000)}`);
  });

  it('collapses blank runs of three or more lines to one blank line', () => {
    expect(htmlToText('<p>a</p>\n\n\n<p>b</p>  \t c')).toBe('a\n\nb\n\n c');
  });
});

describe('markdownSections', () => {
  /** The pattern markdownSections used before (quadratic on a long line of spaces). */
  const OLD_HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

  it('reads ATX headings as the old pattern did, on thousands of generated lines', () => {
    const line = fc.array(fc.constantFrom('#', ' ', '\t', 'a', 'b', '\r', '\u2028', '\u00a0'), { maxLength: 14 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(line, (text) => {
        const old = OLD_HEADING.exec(text);
        const now = atxHeading(text);
        expect(now).toEqual(old ? { level: old[1]!.length, title: old[2]! } : null);
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads a heading path and cuts a heading that would ride on every chunk', () => {
    const long = 'H'.repeat(5_000);
    expect(markdownSections(`# Guide\n\nintro\n\n## Steps ##\n\nbody\n\n# ${long}\n\ntail`)).toEqual([
      { section: 'Guide', page: 0, text: 'intro' },
      { section: 'Guide › Steps', page: 0, text: 'body' },
      { section: `${'H'.repeat(MAX_HEADING_CHARS)}…`, page: 0, text: 'tail' },
    ]);
  });

  it('finishes on a heading line of a million spaces (the old pattern backtracked on it)', () => {
    const started = performance.now();
    const sections = markdownSections(`# x${' '.repeat(1_000_000)}y\nbody`);
    console.log(`markdownSections on a 1 MB heading line: ${Math.round(performance.now() - started)} ms`);
    expect(sections).toHaveLength(1);
    expect(sections[0]!.text).toBe('body');
  });
});

describe('the bounded zip reader', () => {
  const entry = (name: string, text: string) => ({ name, deflated: Buffer.from(text), declaredSize: text.length });

  it('refuses a zip with an absurd number of entries before reading any', () => {
    const many = zipOf(Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({ ...entry(`f${i}`, ''), deflated: Buffer.from([3, 0]) })));
    expect(() => openBoundedZip(many, 1_000)).toThrow(/10,001 entries|10001 entries/);
  });

  it('counts the bytes inflation produces, whatever the header declares', async () => {
    const data = await docxOf('Title', ['y'.repeat(3_000)]);
    const zip = openBoundedZip(data, 1_000_000);
    expect(zip.names).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
    const xml = (await zip.read('word/document.xml', 'utf-8')) as string;
    expect(zip.inflated).toBe(Buffer.byteLength(xml));
    const tight = openBoundedZip(data, 1_000);
    await expect(tight.read('word/document.xml', 'utf-8')).rejects.toBeInstanceOf(ZipBudgetError);
  });
});
