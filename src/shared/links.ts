/**
 * Links in Markdown written by a model or a person: every form Slack's `markdown` block (standard
 * Markdown) or mrkdwn could turn into something clickable, with where each really goes, so the
 * reviewer decides on them (the draft card lists them) and the writer can drop those no source gave.
 *
 * Pure (no I/O, no clock), usable by activities and workflow code alike. Linear in the text's length
 * on hostile input: brackets and parentheses are matched once with a stack, every other scan stops
 * at the next character that could start another construct, and no regular expression can backtrack
 * (the one quantified group, a label's domain parts, ends in a dot its body cannot match, and runs
 * on at most 300 characters).
 */

export type LinkForm = 'inline' | 'reference' | 'definition' | 'autolink' | 'slack' | 'bare' | 'image';

export interface FoundLink {
  form: LinkForm;
  /** What a reader sees: the label, the image's alt text, or the URL itself for bare and autolinks. */
  label: string;
  /** The target as written. */
  url: string;
  /** The target's host, lower-cased, IDN in its ASCII (punycode) form; the address's domain for mailto:. Empty when the target is not a URL. */
  domain: string;
  /** The target's scheme without the colon (`https`, `mailto`…); empty when none could be read. */
  scheme: string;
  /** Where the link is written in the text: [start, end). */
  start: number;
  end: number;
  /** The host was written with non-ASCII characters or is punycode (`xn--`): it may imitate another. */
  international: boolean;
  /** The domain the label itself names, when that is another than the target's (`[docs.company.com](https://evil.example)`). */
  labelDomain?: string;
  /** Not http(s) or mailto (javascript:, data:, file:…), or not a URL at all. */
  unsafe: boolean;
}

/** Schemes a published article may link to. */
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);

/** Longest label or URL kept in a report (the text itself is never shortened). */
const MAX_FIELD = 2_000;

/** Longest reference label CommonMark accepts (999 characters inside the brackets). */
const MAX_REF_LABEL = 1_000;

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

/** For each opening bracket its closing one (and the reverse is not needed): one pass, one stack. Backslash-escaped ones do not count. */
function matchPairs(text: string, open: string, close: string): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\') {
      i += 1;
      continue;
    }
    if (ch === open) stack.push(i);
    else if (ch === close && stack.length) pairs.set(stack.pop()!, i);
  }
  return pairs;
}

/** Reference labels match case-insensitively with inner whitespace collapsed (CommonMark). */
function refKey(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}

interface Definition {
  url: string;
  label: string;
  start: number;
  end: number;
}

/** `[ref]: url "title"` lines, each a whole line; the first definition of a label wins (CommonMark). */
function definitionsIn(text: string): Map<string, Definition> {
  const out = new Map<string, Definition>();
  const line = /^ {0,3}\[([^\]\n]{1,999})\]:[ \t]*(?:<([^>\n]{0,4000})>|([^\s<]{1,4000}))[^\n]*\n?/gm;
  for (const match of text.matchAll(line)) {
    const key = refKey(match[1]!);
    const url = match[2] ?? match[3] ?? '';
    if (!key || !url || out.has(key)) continue;
    out.set(key, { url, label: match[1]!, start: match.index, end: match.index + match[0].length });
  }
  return out;
}

/** The host a label names when it reads as a URL or a bare domain (`docs.company.com`, `https://x.io/a`). */
function domainNamedBy(label: string): string | undefined {
  const text = label.trim();
  if (!text || text.length > 300 || /\s/.test(text)) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]{0,30}:\/\//i.test(text) ? text : /^(?:[a-z0-9-]{1,63}\.){1,20}[a-z][a-z0-9-]{1,62}(?:[/:?#]\S*)?$/i.test(text) ? `http://${text}` : undefined;
  if (!withScheme) return undefined;
  return targetOf(withScheme).domain || undefined;
}

/** Ignores a leading `www.` when comparing what a label names with where a link goes. */
function sameSite(a: string, b: string): boolean {
  const strip = (host: string) => host.replace(/^www\./, '');
  return strip(a) === strip(b);
}

/** Any character outside ASCII (a host written with one may imitate another). */
const NON_ASCII = /[^ -~\t\n\r]/;

interface Target {
  domain: string;
  scheme: string;
  international: boolean;
  unsafe: boolean;
}

/** Reads a target as a browser would: WHATWG URL (lower-cases the scheme and host, IDN → punycode). */
function targetOf(raw: string): Target {
  const url = raw.trim();
  const parsed = parseUrl(/^www\./i.test(url) ? `http://${url}` : url);
  if (!parsed) return { domain: '', scheme: '', international: NON_ASCII.test(url), unsafe: true };
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme === 'mailto') {
    const address = decodeSafely(parsed.pathname).split('?')[0] ?? '';
    const host = address.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : '';
    const ascii = host ? parseUrl(`http://${host}`)?.hostname ?? host.toLowerCase() : '';
    return { domain: ascii, scheme, international: NON_ASCII.test(host) || /(^|\.)xn--/.test(ascii), unsafe: false };
  }
  const domain = parsed.hostname.toLowerCase();
  const writtenHost = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  return {
    domain,
    scheme,
    international: NON_ASCII.test(writtenHost) || /(^|\.)xn--/.test(domain),
    unsafe: !SAFE_SCHEMES.has(scheme),
  };
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function found(form: LinkForm, label: string, url: string, start: number, end: number): FoundLink {
  const target = targetOf(url);
  const named = form === 'bare' || form === 'autolink' ? undefined : domainNamedBy(label);
  return {
    form,
    label: label.slice(0, MAX_FIELD),
    url: url.slice(0, MAX_FIELD),
    ...target,
    start,
    end,
    ...(named && target.domain && !sameSite(named, target.domain) ? { labelDomain: named } : {}),
  };
}

/** The destination inside `( … )` (from `from` to `to`) of an inline link or image: `<url>` or up to the first space; the title is ignored. */
function destinationOf(text: string, from: number, to: number): string {
  let start = from;
  while (start < to && isSpace(text[start])) start += 1;
  if (text[start] === '<') {
    let close = start + 1;
    while (close < to && text[close] !== '>' && text[close] !== '\n') close += 1;
    return close < to && text[close] === '>' ? text.slice(start + 1, close) : '';
  }
  let end = start;
  while (end < to && !isSpace(text[end])) end += 1;
  return text.slice(start, end);
}

/** Where a bare URL starting at `from` ends (GFM's extended autolink: at whitespace or `<`, less trailing punctuation). */
function bareEnd(text: string, from: number): number {
  let end = from;
  let open = 0;
  let close = 0;
  while (end < text.length && !isSpace(text[end]) && text[end] !== '<') {
    if (text[end] === '(') open += 1;
    else if (text[end] === ')') close += 1;
    end += 1;
  }
  // Trailing punctuation is not part of the link; nor is a `)` that closes nothing opened inside it.
  for (;;) {
    const last = text[end - 1];
    if (last !== undefined && '?!.,:*_~\'"'.includes(last)) end -= 1;
    else if (last === ')' && close > open) {
      end -= 1;
      close -= 1;
    } else return end;
  }
}

function startsWithAt(text: string, at: number, prefix: string): boolean {
  return text.slice(at, at + prefix.length).toLowerCase() === prefix;
}

/**
 * Every link in the text, in order: inline `[label](url "title")`, reference `[label][ref]`,
 * `[label][]` and `[ref]` with their `[ref]: url` lines (also listed themselves: a renderer without
 * reference links shows that line, URL and all), autolinks `<https://…>` / `<mailto:…>`, Slack's
 * `<url|label>`, bare `http(s)://…` and `www.…`, and images `![alt](url)`.
 */
export function extractLinks(text: string, nested = false): FoundLink[] {
  const definitions = definitionsIn(text);
  const brackets = matchPairs(text, '[', ']');
  const parens = matchPairs(text, '(', ')');
  const definitionAt = new Map<number, Definition>();
  for (const d of definitions.values()) definitionAt.set(d.start, d);
  const links: FoundLink[] = [];

  /** A `[ … ]` (or `![ … ]`) at `open`: the link it starts and where scanning resumes, or undefined. */
  const bracketed = (open: number, image: boolean): { link: FoundLink; next: number } | undefined => {
    const close = brackets.get(open);
    if (close === undefined) return undefined;
    // The label is copied only once the bracket is known to be a link: `[[[[…` copies nothing.
    const labelOf = () => text.slice(open + 1, close);
    const start = image ? open - 1 : open;
    const after = text[close + 1];
    if (after === '(') {
      const end = parens.get(close + 1);
      if (end === undefined) return undefined;
      const url = destinationOf(text, close + 2, end);
      if (!url) return undefined;
      return { link: found(image ? 'image' : 'inline', labelOf(), url, start, end + 1), next: end + 1 };
    }
    if (!definitions.size || close - open > MAX_REF_LABEL) return undefined;
    if (after === '[') {
      const refClose = brackets.get(close + 1);
      if (refClose !== undefined && refClose - close <= MAX_REF_LABEL) {
        const ref = text.slice(close + 2, refClose);
        const definition = definitions.get(refKey(ref || labelOf()));
        if (definition) return { link: found(image ? 'image' : 'reference', labelOf(), definition.url, start, refClose + 1), next: refClose + 1 };
      }
    }
    const definition = definitions.get(refKey(labelOf()));
    if (definition) return { link: found(image ? 'image' : 'reference', labelOf(), definition.url, start, close + 1), next: close + 1 };
    return undefined;
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const definition = definitionAt.get(i);
    if (definition) {
      links.push(found('definition', definition.label, definition.url, definition.start, definition.end));
      i = definition.end;
      continue;
    }
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '!' && text[i + 1] === '[') {
      const hit = bracketed(i + 1, true);
      if (hit) {
        links.push(hit.link);
        i = hit.next;
        continue;
      }
    }
    if (ch === '[') {
      const hit = bracketed(i, false);
      if (hit) {
        links.push(hit.link);
        // A link's label may hold an image (`[![badge](img)](url)`): listed too, after it (one level deep).
        for (const inner of nested || !hit.link.label.includes('![') ? [] : extractLinks(hit.link.label, true)) {
          if (inner.form === 'image') links.push({ ...inner, start: inner.start + i + 1, end: inner.end + i + 1 });
        }
        i = hit.next;
        continue;
      }
    }
    if (ch === '<') {
      // Up to the next `>`, stopping at `<` or a line break: each character is looked at by one such scan.
      let end = i + 1;
      while (end < text.length && text[end] !== '>' && text[end] !== '<' && text[end] !== '\n') end += 1;
      if (text[end] === '>') {
        const inner = text.slice(i + 1, end);
        const bar = inner.indexOf('|');
        const url = bar >= 0 ? inner.slice(0, bar) : inner;
        if (/^(?:[a-z][a-z0-9+.-]{1,31}:[^\s]+|www\.[^\s]+)$/i.test(url) && !/^[@#!]/.test(url)) {
          const slack = bar >= 0;
          links.push(found(slack ? 'slack' : 'autolink', slack ? inner.slice(bar + 1) : url, url, i, end + 1));
          i = end + 1;
          continue;
        }
      }
    }
    if ((ch === 'h' || ch === 'H' || ch === 'w' || ch === 'W') && (i === 0 || !isWordChar(text.charCodeAt(i - 1)))) {
      const scheme = startsWithAt(text, i, 'https://') ? 8 : startsWithAt(text, i, 'http://') ? 7 : startsWithAt(text, i, 'www.') ? 4 : 0;
      if (scheme) {
        const end = bareEnd(text, i);
        if (end > i + scheme) {
          const url = text.slice(i, end);
          links.push(found('bare', url, url, i, end));
          i = end;
          continue;
        }
      }
    }
    i += 1;
  }
  return links;
}

/**
 * A URL as it is compared with the sources: scheme and host lower-cased (WHATWG URL), the fragment
 * and a trailing slash ignored; `www.…` without a scheme read as `http://www.…`, as renderers link it.
 * Undefined when it is not a URL.
 */
export function normalizeUrl(raw: string): string | undefined {
  const text = raw.trim();
  const parsed = parseUrl(/^www\./i.test(text) ? `http://${text}` : text);
  if (!parsed) return undefined;
  parsed.hash = '';
  return parsed.href.replace(/\/+$/, '');
}

/** How many known URLs travel with a draft at most, how long each may be, and all together (the card's input stays small). */
export const MAX_KNOWN_URLS = 300;
export const MAX_KNOWN_URL_CHARS = 2_048;
export const MAX_KNOWN_TOTAL_CHARS = 32_000;

/** A text of the run's sources and where it came from, as the card names it ("research", "[2] corpus/guide.md"). */
export interface SourceText {
  text: string;
  from: string;
}

/** Longest source name kept beside a known URL. */
const MAX_FROM_CHARS = 120;

/**
 * The URLs the run's sources contain (research results, passages' text and source names),
 * normalised, deduplicated, capped, each with the first source it was found in. A URL past the cap
 * counts as unknown: the card then warns about a link it could have vouched for, never the other
 * way round.
 */
export function knownSourcesIn(sources: SourceText[]): { known: string[]; from: string[] } {
  const known: string[] = [];
  const from: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const source of sources) {
    const text = source.text;
    const candidates = extractLinks(text).map((link) => link.url);
    // A source name may itself be an address (a document added from a URL).
    if (/^(?:https?:\/\/|www\.)\S+$/i.test(text.trim())) candidates.push(text.trim());
    for (const url of candidates) {
      const normal = normalizeUrl(url);
      if (!normal || normal.length > MAX_KNOWN_URL_CHARS || seen.has(normal)) continue;
      if (known.length >= MAX_KNOWN_URLS || total + normal.length > MAX_KNOWN_TOTAL_CHARS) return { known, from };
      seen.add(normal);
      known.push(normal);
      from.push(source.from.slice(0, MAX_FROM_CHARS));
      total += normal.length + Math.min(source.from.length, MAX_FROM_CHARS);
    }
  }
  return { known, from };
}

/** The known URLs of plain texts (no source names). */
export function knownUrlsIn(texts: string[]): string[] {
  return knownSourcesIn(texts.map((text) => ({ text, from: '' }))).known;
}

/** True when the link's target is among the known URLs. */
export function isSourced(link: FoundLink, known: ReadonlySet<string>): boolean {
  const normal = normalizeUrl(link.url);
  return normal !== undefined && known.has(normal);
}

/** LINK_POLICY: `show` lists and marks links on the card; `strip-unsourced` also removes those in no source from what the writer produced. */
export type LinkPolicy = 'show' | 'strip-unsourced';
export const LINK_POLICIES: readonly LinkPolicy[] = ['show', 'strip-unsourced'];

/**
 * What the draft card needs about links beyond the text itself: the URLs the run's sources hold
 * (absent: the draft was written before links were checked), and what the writer removed.
 */
export interface LinkCheck {
  known?: string[];
  /** Where each known URL was found, by index ("research", "[2] corpus/guide.md"); absent in older drafts. */
  from?: string[];
  policy?: LinkPolicy;
  /** Links the writer removed under `strip-unsourced`: how many, and the first few domains. */
  removed?: { count: number; domains: string[] };
}

const REMOVED = '(link removed)';
const MAX_REMOVED_DOMAINS = 10;

/** What stands in place of a removed link: its label when that is plain words, else a note. */
function replacementOf(link: FoundLink): string {
  if (link.form === 'definition') return '';
  if (link.form === 'bare' || link.form === 'autolink') return REMOVED;
  const label = link.label.trim();
  return label ? label : REMOVED;
}

/** Passes that keep labels; as many again replace what is left by a fixed note. */
const LABEL_PASSES = 8;

/**
 * Replaces each link whose target is in no source by its label (a bare URL by "(link removed)",
 * a `[ref]: url` line by nothing). What replaces a link can form a new one with its neighbours (a
 * label that is itself an address, `htt[p](x)s://…`), so the text is checked again until nothing
 * unsourced is left; after LABEL_PASSES, what is left is replaced by the note alone, which consumes
 * the construct each time, so the loop ends.
 */
export function stripUnsourced(text: string, known: ReadonlySet<string>): { text: string; removed: FoundLink[] } {
  const removed: FoundLink[] = [];
  let current = text;
  for (let pass = 0; pass < 4 * LABEL_PASSES; pass += 1) {
    const unsourced = extractLinks(current).filter((link) => !isSourced(link, known));
    if (!unsourced.length) break;
    let out = '';
    let at = 0;
    for (const link of unsourced) {
      // Only the first pass counts: later passes remove what the first pass's labels left behind
      // (an image inside a link's label goes with the link's label, and is removed on the next pass).
      if (pass === 0) removed.push(link);
      if (link.start < at) continue;
      out += current.slice(at, link.start) + (pass < LABEL_PASSES ? replacementOf(link) : link.form === 'definition' ? '' : REMOVED);
      at = link.end;
    }
    current = out + current.slice(at);
  }
  return { text: current, removed };
}

/** The summary the card shows for what was removed. */
export function removedSummary(removed: FoundLink[]): { count: number; domains: string[] } {
  const domains = [...new Set(removed.map((link) => link.domain || link.url.slice(0, 60)))].slice(0, MAX_REMOVED_DOMAINS);
  return { count: removed.length, domains };
}

/**
 * What the writer hands the card with a draft it wrote: the known URLs of the run's sources and,
 * under `strip-unsourced`, the draft with the links no source holds replaced by their text.
 */
export function checkDraftLinks(article: string, sources: SourceText[], policy: LinkPolicy): { article: string; links: LinkCheck } {
  const { known, from } = knownSourcesIn(sources);
  if (policy !== 'strip-unsourced') return { article, links: { known, from, policy } };
  const { text, removed } = stripUnsourced(article, new Set(known));
  return { article: text, links: { known, from, policy, ...(removed.length ? { removed: removedSummary(removed) } : {}) } };
}
