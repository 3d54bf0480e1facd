/** The link extractor (src/shared/links.ts): every form, the phish-like and international ones, hostile input, sources, stripping. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDraftLinks, draftLinkStatuses, extractLinks, MAX_KNOWN_URLS, normalizeUrl, sourceUrls, stripUnsourced } from '../../src/shared/links.js';

const one = (text: string) => {
  const links = extractLinks(text);
  expect(links, text).toHaveLength(1);
  return links[0]!;
};

describe('extractLinks: every form a renderer could make clickable', () => {
  it.each([
    ['inline', 'See [the guide](https://docs.example.com/guide "Guide").', { form: 'inline', label: 'the guide', url: 'https://docs.example.com/guide', domain: 'docs.example.com' }],
    ['inline with <…> destination (the target as linked: percent-encoded)', 'See [x](<https://a.example/with space>).', { form: 'inline', url: 'https://a.example/with%20space', domain: 'a.example' }],
    ['inline with parentheses in the URL', '[wiki](https://en.example.org/wiki/Foo_(bar)) after', { url: 'https://en.example.org/wiki/Foo_(bar)' }],
    ['image', '![diagram](https://img.example/d.png)', { form: 'image', label: 'diagram', domain: 'img.example' }],
    ['autolink', 'Go to <https://Auto.Example/Path>.', { form: 'autolink', url: 'https://Auto.Example/Path', domain: 'auto.example' }],
    ['mailto autolink', 'Write <mailto:team@Mail.Example>', { form: 'autolink', scheme: 'mailto', domain: 'mail.example' }],
    ['inline mailto', '[write us](mailto:a@b.example?subject=hi)', { form: 'inline', scheme: 'mailto', domain: 'b.example' }],
    ['Slack style', 'Click <https://slack.example/x|here now>', { form: 'slack', label: 'here now', url: 'https://slack.example/x' }],
    ['bare https', 'Read https://bare.example/a/b?c=1.', { form: 'bare', url: 'https://bare.example/a/b?c=1', domain: 'bare.example' }],
    ['bare http in parentheses', '(see http://paren.example/x)', { form: 'bare', url: 'http://paren.example/x' }],
    ['bare www', 'Visit www.example.org/docs, then.', { form: 'bare', label: 'www.example.org/docs', url: 'http://www.example.org/docs', domain: 'www.example.org', scheme: 'http' }],
  ])('%s', (_name, text, expected) => {
    expect(one(text)).toMatchObject(expected);
  });

  it('reference links: full, collapsed and shortcut, and the definition line itself', () => {
    const text = 'A [full][g], a [G][] and a [g].\n\n[g]: https://ref.example/guide "Title"\n';
    const links = extractLinks(text);
    expect(links.map((l) => [l.form, l.label, l.url])).toEqual([
      ['reference', 'full', 'https://ref.example/guide'],
      ['reference', 'G', 'https://ref.example/guide'],
      ['reference', 'g', 'https://ref.example/guide'],
      ['definition', 'g', 'https://ref.example/guide'],
    ]);
    // Brackets without a definition are text (citations such as [1] stay citations).
    expect(extractLinks('As shown [1] and [see above].')).toEqual([]);
  });

  it('an image inside a link: both', () => {
    const links = extractLinks('[![badge](https://badge.example/b.svg)](https://ci.example/run)');
    expect(links.map((l) => [l.form, l.domain])).toEqual([['inline', 'ci.example'], ['image', 'badge.example']]);
  });

  it('escaped brackets are not links (the stray `](` is listed as unreadable, for renderers that would link it); Slack mentions are not links', () => {
    expect(extractLinks('\\[not a link](x) <@U123> <!here> <#C123|general>').map((l) => [l.form, l.url])).toEqual([['unreadable', 'x']]);
    expect(extractLinks('\\[not a link] <@U123> <!here> <#C123|general>')).toEqual([]);
  });

  it('marks a label that names another domain than the target (a classic phish), but not the same site', () => {
    expect(one('[docs.company.com](https://evil.example/login)').labelDomain).toBe('docs.company.com');
    expect(one('[https://docs.company.com/sso](https://evil.example)').labelDomain).toBe('docs.company.com');
    expect(one('<https://evil.example|www.bank.example>').labelDomain).toBe('www.bank.example');
    expect(one('[docs.company.com](https://www.docs.company.com/a)').labelDomain).toBeUndefined();
    expect(one('[the docs](https://evil.example)').labelDomain).toBeUndefined();
  });

  it('flags international (IDN / punycode) hosts and shows their ASCII form; flags unsafe schemes', () => {
    const idn = one('[PayPal](https://раураl.com/login)');
    expect(idn.international).toBe(true);
    expect(idn.domain).toMatch(/^xn--/);
    expect(one('https://xn--80ak6aa92e.com/').international).toBe(true);
    expect(one('[ok](https://plain.example)').international).toBe(false);
    expect(one('[click](javascript:alert(1))')).toMatchObject({ unsafe: true, scheme: 'javascript' });
    expect(one('[x](data:text/html;base64,PHNjcmlwdD4=)').unsafe).toBe(true);
    expect(one('[x](https://fine.example)').unsafe).toBe(false);
  });

  it('spans cover the link, so the text between links is untouched', () => {
    const text = 'a [b](https://c.example) d https://e.example f';
    expect(extractLinks(text).map((l) => text.slice(l.start, l.end))).toEqual(['[b](https://c.example)', 'https://e.example']);
  });

  it('linear on hostile input: 100 KB runs of [[[[ (((( ]( and friends (time printed, not asserted)', () => {
    for (const unit of ['[', '(', '](', '[a](', '![', '<', '<https://a', 'https://a)', '[a][', '\\[', '[x]: ', 'www.']) {
      const text = unit.repeat(Math.ceil(100_000 / unit.length));
      const started = performance.now();
      const links = extractLinks(text);
      console.log(`extractLinks: 100 KB of ${JSON.stringify(unit)} → ${links.length} links in ${(performance.now() - started).toFixed(1)} ms`);
      expect(Array.isArray(links)).toBe(true);
    }
    // Deep nesting that is a link: [[[[x](u)](u)](u)…
    const nested = `${'['.repeat(20_000)}x${'](https://n.example)'.repeat(20_000)}`;
    const started = performance.now();
    const links = extractLinks(nested);
    console.log(`extractLinks: 20,000 nested links → ${links.length} links in ${(performance.now() - started).toFixed(1)} ms`);
    expect(links.length).toBeGreaterThan(0);
  });
});

describe('sources: which URLs a run had', () => {
  it('normalises scheme and host case, the fragment and a trailing slash', () => {
    expect(normalizeUrl('HTTPS://Docs.Example.COM/Guide/#part')).toBe('https://docs.example.com/Guide');
    expect(normalizeUrl('https://docs.example.com/Guide')).toBe('https://docs.example.com/Guide');
    expect(normalizeUrl('www.example.org/a')).toBe('http://www.example.org/a');
    expect(normalizeUrl('not a url')).toBeUndefined();
  });

  it('collects every URL of the research texts and passages, deduplicated, with the first source that holds it', () => {
    const texts = ['Facts: see https://a.example/x/ and [b](https://b.example).', 'https://a.example/x#top', 'https://source.example/doc.pdf'];
    expect([...sourceUrls(texts.map((text) => ({ text, from: '' }))).keys()]).toEqual(['https://a.example/x', 'https://b.example', 'https://source.example/doc.pdf']);
    expect([...sourceUrls([{ text: 'a https://a.example', from: 'research' }, { text: 'again https://a.example and https://b.example', from: '[2] corpus/b.md' }])])
      .toEqual([['https://a.example', 'research'], ['https://b.example', '[2] corpus/b.md']]);
  });

  it("carries the statuses of the draft's own links only, capped", () => {
    const sources = sourceUrls([{ text: 'https://a.example https://c.example', from: 'research' }]);
    expect(draftLinkStatuses('[a](https://a.example) and [b](https://b.example)', sources)).toEqual({ known: ['https://a.example'], from: ['research'], unsourced: ['https://b.example'] });
    const many = Array.from({ length: 1_000 }, (_, i) => `https://u${i}.example/`).join(' ');
    const statuses = draftLinkStatuses(many, new Map());
    expect(statuses.known!.length + statuses.unsourced!.length).toBe(MAX_KNOWN_URLS);
  });
});

describe('stripUnsourced: links no source holds are replaced by their text', () => {
  const known = new Set(['https://ok.example/a']);

  it('keeps sourced links and the text around them; each removed one is counted once', () => {
    const text = 'Keep [ok](https://ok.example/a/#x). Drop [docs.company.com](https://evil.example), ![logo](https://img.evil/x.png), <https://auto.evil|click>, https://bare.evil/p and <https://angle.evil>.\n\n[r]: https://ref.evil\n';
    const { text: out, removed } = stripUnsourced(text, known);
    expect(out).toBe('Keep [ok](https://ok.example/a/#x). Drop docs.company.com, logo, click, (link removed) and (link removed).\n\n');
    expect(removed.map((l) => l.domain)).toEqual(['evil.example', 'img.evil', 'auto.evil', 'bare.evil', 'angle.evil', 'ref.evil']);
    expect(extractLinks(out).every((l) => known.has(normalizeUrl(l.url)!))).toBe(true);
  });

  it('a label that is itself an address does not become a new bare link', () => {
    const { text } = stripUnsourced('Go [https://docs.company.com](https://evil.example) now', known);
    expect(extractLinks(text).filter((l) => !known.has(normalizeUrl(l.url)!))).toEqual([]);
  });

  it('checkDraftLinks: show leaves the draft as written; strip-unsourced strips and says what; only the draft\'s own links travel', () => {
    const draft = 'A [planted](https://evil.example) and [real](https://ok.example/a).';
    const sources = [{ text: 'Research says https://ok.example/a and https://other.example/unused', from: 'research (key facts)' }];
    const known = { known: ['https://ok.example/a'], from: ['research (key facts)'] };
    expect(checkDraftLinks(draft, sources, 'show')).toEqual({ article: draft, links: { ...known, unsourced: ['https://evil.example'], policy: 'show' } });
    expect(checkDraftLinks(draft, sources, 'strip-unsourced')).toEqual({
      article: 'A planted and [real](https://ok.example/a).',
      links: { ...known, unsourced: [], policy: 'strip-unsourced', removed: { count: 1, domains: ['evil.example'] } },
    });
  });
});

describe('property-based: random and adversarial text (fast-check; the seed is printed on failure)', () => {
  const piece = fc.constantFrom('[', ']', '(', ')', '<', '>', '|', '!', '\\', ' ', '\n', '`', ':', '/', '.', 'http', 'https://', 'www.', 'mailto:', 'a', 'ok.example',
    'https://ok.example/a', 'https://evil.example', '[x]: ', '<@U1>', '<!here>', '@channel', '\u200F', '\u0000', '😀', '\uD83D', 'ра', '&', '"');
  const hostile = fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 200 }).map((parts) => parts.join(''));
  const known = new Set(['https://ok.example/a']);

  it('extractLinks never throws; spans lie inside the text, in order', () => {
    fc.assert(fc.property(hostile, (text) => {
      let last = -1;
      for (const link of extractLinks(text)) {
        expect(link.start).toBeGreaterThanOrEqual(0);
        expect(link.end).toBeLessThanOrEqual(text.length);
        expect(link.end).toBeGreaterThan(link.start);
        if (link.form !== 'image') expect(link.start).toBeGreaterThan(last);
        last = link.start;
      }
    }), { numRuns: 3_000 });
  });

  it('stripUnsourced leaves no link outside the known set, and keeps text without links unchanged', () => {
    fc.assert(fc.property(hostile, (text) => {
      const { text: out } = stripUnsourced(text, known);
      expect(extractLinks(out).filter((l) => !known.has(normalizeUrl(l.url) ?? ''))).toEqual([]);
      if (!extractLinks(text).length) expect(out).toBe(text);
    }), { numRuns: 3_000 });
  });
});
