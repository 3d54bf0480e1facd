/**
 * Links as a CommonMark renderer reads them (review of issue 22, item 4): targets with escapes and
 * entities undone, titles and code spans that hide brackets, e-mail links, whole-URL comparison,
 * capped domains, code left alone, a stray `](` caught, stripping that changes nothing but the links,
 * and only the draft's own link statuses carried with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkBlocks } from '../../src/slack/blocks/links.js';
import { draftCardMessage, type DraftCardInput } from '../../src/slack/blocks/pipeline.js';
import { checkDraftLinks, extractLinks, MAX_DOMAIN_CHARS, normalizeUrl, removedSummary, stripUnsourced } from '../../src/shared/links.js';
import { blockProblems } from '../../src/stand-ins/slack/rules.js';

const linksText = (blocks: unknown[]) => ((blocks as { block_id?: string; text?: { text: string } }[]).find((b) => b.block_id === 'links')?.text?.text ?? '');

describe('targets as a renderer links them (escapes and entities undone)', () => {
  it('a backslash escape in the target: the link goes to docs.company.com.evil.com, and the card says so and warns', () => {
    const article = '[docs.company.com](https://docs.company.com\\.evil.com)';
    const [link, ...rest] = extractLinks(article);
    expect(rest).toEqual([]);
    expect(link).toMatchObject({ url: 'https://docs.company.com.evil.com', domain: 'docs.company.com.evil.com', labelDomain: 'docs.company.com' });
    // Even when a poisoned passage holds the same string (so the link is "sourced"), the real domain and the label warning show.
    const { links } = checkDraftLinks(article, [{ text: `Portal: ${article}`, from: '[1] corpus/poisoned.md' }], 'show');
    const text = linksText(linkBlocks(article, links));
    expect(text).toContain('*docs.company.com.evil.com*');
    expect(text).toContain('the label names *docs.company.com*');
    expect(text).toContain('_from [1] corpus/poisoned.md_');
  });

  it('an entity in the target: &#64; is an @, so the host is evil.com', () => {
    const [link] = extractLinks('[docs.company.com](https://docs.company.com&#64;evil.com)');
    expect(link).toMatchObject({ domain: 'evil.com', labelDomain: 'docs.company.com' });
  });
});

describe('pairing as CommonMark pairs (titles, code spans, escapes)', () => {
  it('a title holding "(" does not hide the link', () => {
    const links = extractLinks('[docs.company.com](https:\\/\\/evil.com "(")');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ domain: 'evil.com', labelDomain: 'docs.company.com' });
    const two = extractLinks('[x](https://a.example "(") and [docs.company.com](https://evil.com)');
    expect(two.map((l) => [l.domain, l.labelDomain])).toEqual([['a.example', undefined], ['evil.com', 'docs.company.com']]);
  });

  it('a code span holding "]" in the label: the label is read whole, and the phish warning fires', () => {
    const [link] = extractLinks('[docs.company.com `]` x](https://evil.com)');
    expect(link?.label).toBe('docs.company.com ] x');
    expect(extractLinks('[a `]` b](https://evil.com)')).toHaveLength(1);
    expect(extractLinks('[docs.company.com`]`](https://evil.com)')[0]).toMatchObject({ domain: 'evil.com' });
  });

  it('links in lists, quotes, headings, tables and after CR LF: each span is exactly the link as written', () => {
    const cases: [string, string][] = [
      ['- item [a](https://a.example)\n  - nested [b](https://b.example)\n', '[a](https://a.example)|[b](https://b.example)'],
      ['> quote [a](https://a.example)\n> > deeper https://b.example\n', '[a](https://a.example)|https://b.example'],
      ['# Title [a](https://a.example) #\n\nText\n===\n', '[a](https://a.example)'],
      ['| x | [a](https://a.example) |\n|---|---|\n| [a](https://a.example) | y |\n', '[a](https://a.example)|[a](https://a.example)'],
      ['| h | h2 |\n|---|---|\n| [a](https://a.example) \\| b [c\\|d](https://b.example) | c |\n', '[a](https://a.example)|[c\\|d](https://b.example)'],
      ['line one\r\nsee [a](https://a.example)\r\nand https://b.example\r\n', '[a](https://a.example)|https://b.example'],
      ['*[a](https://a.example)* and **www.b.org**', '[a](https://a.example)|www.b.org'],
      ['1. [multi\nline](https://a.example)', '[multi\nline](https://a.example)'],
    ];
    for (const [text, spans] of cases) {
      expect(extractLinks(text).map((l) => text.slice(l.start, l.end)).join('|'), JSON.stringify(text)).toBe(spans);
    }
  });

  it('a `](` the parser did not take as a link is listed as unreadable, and broken up under strip-unsourced', () => {
    const text = 'Not a link [x](https://evil.example but another renderer might';
    const links = extractLinks(text);
    expect(links.map((l) => l.form)).toEqual(['unreadable', 'bare']);
    const { text: out, removed } = stripUnsourced(text, new Set());
    expect(out).toBe('Not a link [x] ((link removed) but another renderer might');
    expect(removed).toHaveLength(2);
    const card = linksText(linkBlocks(text, { known: [], unsourced: [] }));
    expect(card).toContain('could not read');
  });
});

describe('placing links stays linear on hostile structure (times printed, not asserted)', () => {
  it('a 20,000-cell table row, 20,000 paragraph lines, blank-padded lines', () => {
    const cases: [string, string][] = [
      ['20,000-cell table row', `|${'a|'.repeat(20_000)}\n|${'-|'.repeat(20_000)}\n|${'[a](https://x.example)|'.repeat(2_000)}\n`],
      ['20,000 paragraph lines', 'word [a](https://x.example)\n'.repeat(20_000)],
      ['5,000 blank-padded lines', `x [a](https://x.example)${' '.repeat(50)}\n`.repeat(5_000)],
    ];
    for (const [name, text] of cases) {
      const started = performance.now();
      const links = extractLinks(text);
      console.log(`extractLinks: ${name} (${text.length} chars) → ${links.length} links in ${(performance.now() - started).toFixed(1)} ms`);
      expect(links.length).toBeGreaterThan(0);
      expect(links.every((l) => text.slice(l.start, l.end) === '[a](https://x.example)')).toBe(true);
    }
  });
});

describe('e-mail links are listed', () => {
  it('<evil@evil.com> and a bare address, as mailto: links with their domains', () => {
    expect(extractLinks('Write <evil@evil.com>.').map((l) => [l.form, l.scheme, l.domain])).toEqual([['autolink', 'mailto', 'evil.com']]);
    expect(extractLinks('Write to help@evil.example today.').map((l) => [l.form, l.url, l.domain])).toEqual([['bare', 'mailto:help@evil.example', 'evil.example']]);
  });
});

describe('URLs compared whole, domains capped', () => {
  it('two URLs that share their first 2,000 characters are different links', () => {
    const base = `https://ok.example/${'a'.repeat(2_100)}`;
    const { article, links } = checkDraftLinks(`Read [this](${base}Y).`, [{ text: `Source: ${base}X`, from: 'research (key facts)' }], 'strip-unsourced');
    expect(article).toBe('Read this.');
    expect(links.removed?.count).toBe(1);
    expect(extractLinks(`${base}Y`)[0]!.url).toBe(`${base}Y`);
  });

  it('a 100 KB host is cut to 253 characters wherever it is carried or shown, and marked', () => {
    const host = `${'a'.repeat(100_000)}.example`;
    const [link] = extractLinks(`[x](https://${host}/p)`);
    expect(link!.domain.length).toBeLessThanOrEqual(MAX_DOMAIN_CHARS);
    expect(link!.unsafe).toBe(true);
    expect(removedSummary([link!]).domains.every((d) => d.length <= MAX_DOMAIN_CHARS)).toBe(true);
    const { links } = checkDraftLinks(`[x](https://${host}/p)`, [], 'strip-unsourced');
    expect(JSON.stringify(links).length).toBeLessThan(1_000);
    expect(extractLinks(`mail <mailto:x@${host}>`)[0]!.domain.length).toBeLessThanOrEqual(MAX_DOMAIN_CHARS);
    expect(linksText(linkBlocks(`[x](https://${host}/p)`, { known: [], unsourced: [] }))).toContain('not a valid address');
  });
});

describe('code is not links', () => {
  it('inline code and code blocks are neither listed nor rewritten', () => {
    const text = [
      'Use `[x](https://evil.example)` or `<https://evil.example|y>` in code.',
      '',
      '```html',
      '<div><a href="https://evil.example">[x](https://evil.example)</a></div>',
      'https://evil.example and ](',
      '```',
      '',
      '    indented [x](https://evil.example)',
      '',
    ].join('\n');
    expect(extractLinks(text)).toEqual([]);
    expect(stripUnsourced(text, new Set()).text).toBe(text);
  });
});

describe('stripping changes nothing but the links (fast-check; the seed is printed on failure)', () => {
  const plain = fc.constantFrom('word', ' ', '\n', '\n\n', '> ', '- ', '1. ', '# ', '*em*', '**b**', '_u_', '~~s~~', 'é', '😀', '\u200F', '&amp;', '\\*', ':', '.', ',', '|', '(', ')', ']', '\t');
  const link = fc.tuple(fc.constantFrom('label', 'two words', 'docs.company.com', '*em*'), fc.constantFrom('https://evil.example/a', 'https://evil.example/b?c=d')).map(([label, url]) => ({ label, url }));
  const piece = fc.oneof(plain.map((text) => ({ text })), link);

  it('each unsourced [label](url) becomes its label, every other character stays', () => {
    fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
      const text = parts.map((p) => ('url' in p ? `[${p.label}](${p.url})` : p.text)).join('');
      const expected = parts.map((p) => ('url' in p ? p.label : p.text)).join('');
      // Only texts where each link is read as a link (CommonMark may take `[` after `!` as an image, etc.).
      const links = extractLinks(text).filter((l) => l.form === 'inline');
      fc.pre(links.length === parts.filter((p) => 'url' in p).length && extractLinks(text).length === links.length);
      expect(stripUnsourced(text, new Set()).text).toBe(expected);
    }), { numRuns: 2_000 });
  });
});

describe('structure-heavy random Markdown (fast-check; the seed is printed on failure)', () => {
  const piece = fc.constantFrom('\r\n', '\n', '\n\n', '| ', ' |', '\\|', '|---|---|\n', '```\n', '`', '> ', '- ', '1. ', '    ', '# ', '===\n', '*', '_', '~~',
    '[a](https://evil.example)', '[docs.company.com](https://e.example\\.evil.com)', '](', '[', ']', '(', ')', '<https://x.example|y z>', '<a@b.com>', 'a@b.com', 'www.b.org',
    'https://c.example/p', '&#64;', '\\.', '![i](https://i.example)', '[r]', '[r]: https://r.example\n', ' "(" ', 'text', ' ', '😀', '\u0000', '\t');
  const markdown = fc.array(piece, { maxLength: 60 }).map((parts) => parts.join(''));

  it('spans lie inside the text; stripping leaves no unsourced link and only rewrites where links were', () => {
    fc.assert(fc.property(markdown, (text) => {
      const links = extractLinks(text);
      for (const link of links) {
        expect(link.start).toBeGreaterThanOrEqual(0);
        expect(link.end).toBeLessThanOrEqual(text.length);
        expect(link.end).toBeGreaterThan(link.start);
      }
      const { text: out } = stripUnsourced(text, new Set());
      expect(extractLinks(out)).toEqual([]);
      if (!links.length) expect(out).toBe(text);
    }), { numRuns: 2_000 });
  });
});

describe('only the statuses of the draft\'s own links travel with it', () => {
  const sources = [{ text: Array.from({ length: 300 }, (_, i) => `https://source${i}.example/${'p'.repeat(90)}`).join(' '), from: 'research (key facts)' }];

  it('a draft with one sourced and one planted link carries two URLs, not the sources\' 300', () => {
    const article = `See [s](https://source7.example/${'p'.repeat(90)}) and [docs.company.com](https://evil.example).`;
    const { links } = checkDraftLinks(article, sources, 'show');
    expect(links.known).toEqual([normalizeUrl(`https://source7.example/${'p'.repeat(90)}`)]);
    expect(links.unsourced).toEqual(['https://evil.example']);
    expect(JSON.stringify(links).length).toBeLessThan(500);
    const text = linksText(linkBlocks(article, links));
    expect(text).toContain('1 not in any source');
    expect(text).toContain('_from research (key facts)_');
  });

  it('a link a person added after the check is shown as not checked (never as sourced); the card stays within Slack\'s limits', () => {
    const { links } = checkDraftLinks('See [s](https://source7.example/x).', sources, 'show');
    const edited = 'See [s](https://source7.example/x) and [mine](https://source8.example/' + 'p'.repeat(90) + ').';
    const text = linksText(linkBlocks(edited, links));
    expect(text).toContain('1 not checked');
    expect(text).toContain('not checked against the sources');
    const base: DraftCardInput = { workflowId: 'wf-1', topic: 'Links', article: edited, totalTokens: 10, version: 1, revisionsLeft: 1, links };
    expect(blockProblems(draftCardMessage(base).blocks as never, 'message')).toEqual([]);
  });
});
