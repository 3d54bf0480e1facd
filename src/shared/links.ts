/**
 * Links in Markdown written by a model or a person: every form Slack's `markdown` block (standard
 * Markdown) or mrkdwn could turn into something clickable, with where each really goes, so the
 * reviewer decides on them (the draft card lists them) and the writer can drop those no source gave.
 *
 * Links are found by a real CommonMark parser (markdown-it, with GFM-style linkify for bare URLs,
 * `www.` and e-mail addresses), so each target is the one a renderer links to: backslash escapes and
 * entities undone (`https://docs.company.com\.evil.com` goes to docs.company.com.evil.com), titles,
 * code spans and nesting read as CommonMark reads them. Each link is mapped back to where it is
 * written, so `stripUnsourced` replaces exactly its characters. On top: Slack's `<url|label>`, and a
 * safety net: a `](` outside code that no link accounts for is listed as an unreadable link (another
 * renderer may link it) and broken up under strip-unsourced. Links in code are not links.
 *
 * Pure (no I/O, no clock), usable by activities and workflow code alike; linear in practice on hostile
 * input (markdown-it caches bracket scans; test/unit/links.test.ts prints times on 100 KB runs).
 */
import MarkdownIt, { type ParserInline, type StateBlock, type StateInline, type Token } from 'markdown-it';

export type LinkForm = 'inline' | 'reference' | 'definition' | 'autolink' | 'slack' | 'bare' | 'image' | 'unreadable';

export interface FoundLink {
  form: LinkForm;
  /** What a reader sees: the label's text, the image's alt text, or the URL itself for bare and autolinks (at most 2,000 characters). */
  label: string;
  /** The target a renderer links to (escapes and entities undone, percent-encoded as markdown-it does), whole: compare it whole, cut it only to show it. */
  url: string;
  /** The target's host, lower-cased, IDN in its ASCII (punycode) form; the address's domain for mailto:. Empty when the target is not a URL. At most 253 characters (a longer host is no DNS name: cut, marked unsafe). */
  domain: string;
  /** The target's scheme without the colon (`https`, `mailto`…); empty when none could be read. */
  scheme: string;
  /** Where the link is written in the text: [start, end). */
  start: number;
  end: number;
  /** Where its label is written, for links and images whose label is kept when the link is removed. */
  labelStart?: number;
  labelEnd?: number;
  /** The host was written with non-ASCII characters or is punycode (`xn--`): it may imitate another. */
  international: boolean;
  /** The domain the label itself names, when that is another than the target's (`[docs.company.com](https://evil.example)`). */
  labelDomain?: string;
  /** Not http(s) or mailto (javascript:, data:, file:…), not a URL at all, or a host too long to be a domain. */
  unsafe: boolean;
}

/** Schemes a published article may link to. */
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);

/** Longest label kept in a report (the text itself is never shortened, nor the URL compared). */
const MAX_FIELD = 2_000;

/** Longest domain name (RFC 1035: 253 characters written out); anything longer is cut wherever it is carried or shown. */
export const MAX_DOMAIN_CHARS = 253;

/** Longest target read after a `](` the parser did not take as a link (shown only). */
const MAX_UNREADABLE_URL = 200;

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

/** A host as carried and shown: at most MAX_DOMAIN_CHARS, a longer one cut with an ellipsis (and the link marked unsafe by the caller). */
function cappedHost(host: string): { domain: string; tooLong: boolean } {
  return host.length > MAX_DOMAIN_CHARS ? { domain: `${host.slice(0, MAX_DOMAIN_CHARS - 1)}…`, tooLong: true } : { domain: host, tooLong: false };
}

/** Reads a target as a browser would: WHATWG URL (lower-cases the scheme and host, IDN → punycode). */
function targetOf(raw: string): Target {
  const url = raw.trim();
  const parsed = parseUrl(/^www\./i.test(url) ? `http://${url}` : url);
  if (!parsed) return { domain: '', scheme: '', international: NON_ASCII.test(url.slice(0, 1_000)), unsafe: true };
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme === 'mailto') {
    const address = decodeSafely(parsed.pathname).split('?')[0] ?? '';
    const host = address.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : '';
    const ascii = host ? parseUrl(`http://${host}`)?.hostname ?? host.toLowerCase() : '';
    const { domain, tooLong } = cappedHost(ascii);
    return { domain, scheme, international: NON_ASCII.test(host.slice(0, 1_000)) || /(^|\.)xn--/.test(ascii), unsafe: tooLong };
  }
  const { domain, tooLong } = cappedHost(parsed.hostname.toLowerCase());
  const writtenHost = url.slice(0, 2_000).replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  return {
    domain,
    scheme,
    international: NON_ASCII.test(writtenHost) || /(^|\.)xn--/.test(domain),
    unsafe: tooLong || !SAFE_SCHEMES.has(scheme),
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

function found(form: LinkForm, label: string, url: string, start: number, end: number, labelSpan?: [number, number]): FoundLink {
  const target = targetOf(url);
  const named = form === 'bare' || form === 'autolink' || form === 'unreadable' ? undefined : domainNamedBy(label);
  return {
    form,
    label: label.slice(0, MAX_FIELD),
    url,
    ...target,
    start,
    end,
    ...(labelSpan ? { labelStart: labelSpan[0], labelEnd: labelSpan[1] } : {}),
    ...(named && target.domain && !sameSite(named, target.domain) ? { labelDomain: named } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The parser. markdown-it's default (CommonMark + GFM tables and strikethrough) preset, raw HTML off
// (`<a href>` stays text), linkify on: `http(s)://…`, `www.…` hosts and bare e-mail addresses, as
// GFM's extended autolinks (linkify-it's fuzzyLink also finds bare `example.com`; those are left out,
// as GFM leaves them, and `www.` needs a TLD linkify-it knows). Every target is let through
// (validateLink) so javascript: and data: links are listed and marked rather than left as text;
// nothing here renders HTML.
// Positions: markdown-it gives inline tokens none, so the inline rules that make links or code are
// wrapped to record where they start and end in their block's inline text, pending text records
// where it starts, and each block's inline text is then aligned with the lines it came from.

type MdToken = Token;
type InlineState = StateInline;
type InlineRule = (state: InlineState, silent: boolean) => boolean;

interface Span {
  start: number;
  end: number;
  labelStart?: number;
  labelEnd?: number;
}

/** Where each inline token is written in its block's inline text (links, images, code spans, text runs). */
const spans = new WeakMap<MdToken, Span>();

type TrackedState = InlineState & { pendingStart?: number };

const md = new MarkdownIt({ linkify: true, html: false });
md.validateLink = () => true;
// markdown-it 15 turns fuzzyLink off; on, with bare domains filtered out in bareLinks.
md.linkify.set({ fuzzyLink: true, fuzzyEmail: true });
// linkify's core rule and text_join rebuild tokens and lose where they were: bare links in text are found below instead, as the core rule finds them.
md.core.ruler.disable(['linkify', 'text_join', 'replacements', 'smartquotes']);

const BaseState = md.inline.State;
md.inline.State = class extends BaseState {
  override pushPending() {
    const start = (this as TrackedState).pendingStart ?? 0;
    const token = super.pushPending();
    spans.set(token, { start, end: start + token.content.length });
    return token;
  }
} as typeof BaseState;

/** markdown-it's own loop, plus: where the pending text (what no rule took) starts. */
md.inline.tokenize = function tokenize(this: ParserInline, state: TrackedState) {
  const rules = this.ruler.getRules('');
  const end = state.posMax;
  const maxNesting = state.md.options.maxNesting ?? 100;
  while (state.pos < end) {
    const prevPos = state.pos;
    if (!state.pending) state.pendingStart = state.pos;
    let ok = false;
    if (state.level < maxNesting) {
      for (const rule of rules) {
        ok = rule(state, false);
        if (ok) {
          if (prevPos >= state.pos) throw new Error("inline rule didn't increment state.pos");
          break;
        }
      }
    }
    if (ok) {
      if (state.pos >= end) break;
      continue;
    }
    state.pending += state.src[state.pos++];
  }
  if (state.pending) state.pushPending();
};

function wrapInline(name: string, labelOf?: (state: InlineState) => [number, number] | undefined, delimiters = false): void {
  const rule = md.inline.ruler.__rules__.find((r) => r.name === name)?.fn as InlineRule | undefined;
  if (!rule) throw new Error(`markdown-it has no inline rule ${name}`);
  md.inline.ruler.at(name, (state: InlineState, silent: boolean) => {
    const start = state.pos;
    const from = state.tokens.length;
    const pending = state.pending.length;
    const label = silent ? undefined : labelOf?.(state);
    const ok = rule(state, silent);
    if (!ok || silent) return ok;
    let at = start;
    let i = from;
    // Text pending before the rule is flushed as the rule's first token; linkify takes the scheme back from it.
    if (state.tokens[i]?.type === 'text' && spans.has(state.tokens[i]!)) {
      if (name === 'linkify') at -= pending - state.tokens[i]!.content.length;
      i += 1;
    } else if (name === 'linkify') at -= pending;
    if (delimiters) {
      // Emphasis and strikethrough push their markers as text, one after another.
      for (; i < state.tokens.length; i += 1) {
        const token = state.tokens[i]!;
        if (token.type === 'text' && !spans.has(token)) spans.set(token, { start: at, end: at + token.content.length });
        at += token.content.length;
      }
      return ok;
    }
    const token = state.tokens[i];
    if (token && !spans.has(token)) spans.set(token, { start: at, end: state.pos, ...(label ? { labelStart: label[0], labelEnd: label[1] } : {}) });
    return ok;
  });
}

/** fragments_join merges adjacent text tokens into the last of them: that one then spans them all (unknown if any was). */
const fragmentsJoin = md.inline.ruler2.__rules__.find((r) => r.name === 'fragments_join')?.fn;
if (!fragmentsJoin) throw new Error('markdown-it has no rule fragments_join');
md.inline.ruler2.at('fragments_join', (state: InlineState) => {
  const tokens = state.tokens;
  for (let i = 0; i + 1 < tokens.length; i += 1) {
    if (tokens[i]!.type !== 'text' || tokens[i + 1]!.type !== 'text') continue;
    const a = spans.get(tokens[i]!);
    const b = spans.get(tokens[i + 1]!);
    if (a && b && a.end === b.start) spans.set(tokens[i + 1]!, { start: a.start, end: b.end });
    else spans.delete(tokens[i + 1]!);
  }
  fragmentsJoin(state);
});

const labelAt = (state: InlineState, open: number, nested: boolean): [number, number] | undefined => {
  if (state.src[open] !== '[') return undefined;
  const end = md.helpers.parseLinkLabel(state, open, !nested);
  return end >= 0 ? [open + 1, end] : undefined;
};
wrapInline('link', (state) => labelAt(state, state.pos, false));
wrapInline('image', (state) => (state.src[state.pos] === '!' ? labelAt(state, state.pos + 1, true) : undefined));
wrapInline('autolink');
wrapInline('linkify');
wrapInline('backticks');
wrapInline('emphasis', undefined, true);
wrapInline('strikethrough', undefined, true);

/** `[ref]: url` definitions, as the block rule consumed them: [start, end) in the (normalised) text. */
const referenceRule = md.block.ruler.__rules__.find((r) => r.name === 'reference')?.fn;
if (!referenceRule) throw new Error('markdown-it has no block rule reference');
md.block.ruler.at('reference', (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
  const ok = referenceRule(state, startLine, endLine, silent);
  if (ok && !silent) ((state.env as { definitions?: [number, number][] }).definitions ??= []).push([state.bMarks[startLine]! + state.tShift[startLine]!, Math.min(state.eMarks[state.line - 1]! + 1, state.src.length)]);
  return ok;
});

/** The text as markdown-it reads it (CR LF and CR → LF, NUL → U+FFFD) and, when that changed anything, where each of its characters was in the original. */
function normalised(text: string): { text: string; original?: number[] } {
  if (!/[\r\0]/.test(text)) return { text };
  let out = '';
  const original: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    original.push(i);
    out += ch === '\r' ? '\n' : ch === '\0' ? '\uFFFD' : ch;
    // CR LF is one line break, placed at its CR.
    if (ch === '\r' && text[i + 1] === '\n') i += 1;
  }
  original.push(text.length);
  return { text: out, original };
}

/** Offsets of each line's start in the text, and the end of the last. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  starts.push(text.length + 1);
  return starts;
}

/** Each text's lines' lengths without trailing blanks, kept beside its line texts. */
const trimmedCache = new WeakMap<Map<number, string>, Map<number, number>>();

/**
 * Maps offsets in an inline token's content to offsets in the text. Each line of the content is
 * the tail of a line of the text (markers and indentation taken off; the last one trimmed), or, in
 * headings and table cells, a piece of it found after what the line's earlier cells used. Undefined
 * when a line cannot be found as written (a table cell with `\|`): the caller then treats the
 * block's lines as the link's place.
 */
function aligner(content: string, firstLine: number, text: string, starts: number[], cursors: Map<number, number>, lineTexts: Map<number, string>, tail: boolean): ((offset: number) => number) | undefined {
  const segments = content.split('\n');
  const trimmedLengths = trimmedCache.get(lineTexts) ?? new Map<number, number>();
  trimmedCache.set(lineTexts, trimmedLengths);
  const placed: { from: number; lead: number; at: number; pipes: number[] }[] = [];
  let from = 0;
  for (let k = 0; k < segments.length; k += 1) {
    const line = firstLine + k;
    if (line + 1 >= starts.length) return undefined;
    const lineText = lineTexts.get(line) ?? text.slice(starts[line]!, starts[line + 1]! - 1);
    lineTexts.set(line, lineText);
    const segment = segments[k]!;
    const body = segment.replace(/^[ \t]+/, '');
    const lead = segment.length - body.length;
    let trimmedLength = trimmedLengths.get(line) ?? lineText.length;
    if (!trimmedLengths.has(line)) {
      while (trimmedLength > 0 && (lineText[trimmedLength - 1] === ' ' || lineText[trimmedLength - 1] === '\t')) trimmedLength -= 1;
      trimmedLengths.set(line, trimmedLength);
    }
    const cursor = cursors.get(line) ?? 0;
    const tailAt = trimmedLength - body.length;
    let at = tail && tailAt >= cursor && lineText.startsWith(body, tailAt) ? tailAt : lineText.indexOf(body, cursor);
    // A table cell's `\|` reaches its content as `|`: look for the cell as written, and remember where each backslash was.
    let pipes: number[] = [];
    if (at < 0 && body.includes('|')) {
      at = lineText.indexOf(body.replace(/\|/g, '\\|'), cursor);
      if (at >= 0) for (let j = body.indexOf('|'); j >= 0; j = body.indexOf('|', j + 1)) pipes.push(j);
    } else pipes = [];
    if (at < 0 || !body) at = body ? -1 : Math.max(cursor, Math.min(lineText.length, trimmedLength));
    if (at < 0) return undefined;
    cursors.set(line, at + body.length + pipes.length);
    placed.push({ from, lead, at: starts[line]! + at, pipes });
    from += segment.length + 1;
  }
  return (offset: number) => {
    // The last line starting at or before the offset (binary search: a paragraph may have thousands of lines).
    let lo = 0;
    let hi = placed.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (placed[mid]!.from <= offset) lo = mid;
      else hi = mid - 1;
    }
    const p = placed[lo]!;
    const j = Math.max(0, offset - p.from - p.lead);
    // Backslashes before the cell's pipes that precede the offset (binary search: pipes are in order).
    let before = 0;
    let hiPipe = p.pipes.length;
    while (before < hiPipe) {
      const mid = (before + hiPipe) >> 1;
      if (p.pipes[mid]! < j) before = mid + 1;
      else hiPipe = mid;
    }
    return p.at + j + before;
  };
}

interface Region {
  start: number;
  end: number;
}

/** The text of a label's children as a reader sees it. */
function textOf(children: MdToken[] | null): string {
  let out = '';
  for (const child of children ?? []) {
    if (child.type === 'softbreak' || child.type === 'hardbreak') out += ' ';
    else if (child.type === 'image') out += textOf(child.children);
    else if (child.type === 'text' || child.type === 'text_special' || child.type === 'code_inline') out += child.content;
  }
  return out;
}

/** Bare URLs, `www.` and addresses in a text token, as markdown-it's linkify core rule finds them (where the token's place is unknown: the block's). */
function bareLinks(token: MdToken, previous: MdToken | undefined, place: ((offset: number) => number) | undefined, whole: Region, out: FoundLink[]): void {
  if (!md.linkify.test(token.content)) return;
  const span = place ? spans.get(token) : undefined;
  let matches = md.linkify.match(token.content) ?? [];
  if (matches[0]?.index === 0 && previous?.type === 'text_special') matches = matches.slice(1);
  for (const match of matches) {
    if (!match.schema && !/^www\./i.test(match.text)) continue;
    const url = md.normalizeLink(match.url);
    const [start, end] = span && place ? [place(span.start + match.index), place(span.start + match.lastIndex)] : [whole.start, whole.end];
    out.push(found('bare', match.text, url, start, end));
  }
}

/** Slack's `<url|label>` (and a `<url>` markdown-it did not take), outside code and links. */
function slackLinks(text: string, taken: (at: number) => boolean, out: FoundLink[]): void {
  for (let i = text.indexOf('<'); i >= 0 && i < text.length; ) {
    // Up to the next `>`, stopping at `<` or a line break: each character is looked at by one such scan.
    let end = i + 1;
    while (end < text.length && text[end] !== '>' && text[end] !== '<' && text[end] !== '\n') end += 1;
    if (text[end] === '>' && !taken(i)) {
      const inner = text.slice(i + 1, end);
      const bar = inner.indexOf('|');
      const url = bar >= 0 ? inner.slice(0, bar) : inner;
      if (/^(?:[a-z][a-z0-9+.-]{1,31}:[^\s]+|www\.[^\s]+)$/i.test(url) && !/^[@#!]/.test(url)) {
        out.push(found(bar >= 0 ? 'slack' : 'autolink', bar >= 0 ? inner.slice(bar + 1) : url, url, i, end + 1));
      }
    }
    i = text[end] === '<' ? end : text.indexOf('<', end + 1);
  }
}

/** Whether an offset lies in one of the regions: the regions merged once, then a binary search per question. */
function covered(regions: Region[]): (at: number) => boolean {
  const sorted = regions.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const merged: Region[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ start: r.start, end: r.end });
  }
  return (at) => {
    let lo = 0;
    let hi = merged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = merged[mid]!;
      if (at < r.start) hi = mid - 1;
      else if (at >= r.end) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/**
 * Every link in the text, in order of where it is written (a link before the image in its label):
 * inline `[label](url "title")`, reference `[label][ref]`, `[label][]` and `[ref]` with their
 * `[ref]: url` lines (also listed themselves: a renderer without reference links shows that line,
 * URL and all), autolinks `<https://…>` / `<mailto:…>` / `<a@b.example>`, Slack's `<url|label>`,
 * bare `http(s)://…`, `www.…` and e-mail addresses, images `![alt](url)`, and `](` no link accounts for.
 * Nothing inside inline code or code blocks.
 */
export function extractLinks(source: string): FoundLink[] {
  const { text, original } = normalised(source);
  const env: { definitions?: [number, number][] } = {};
  const blocks = md.parse(text, env);
  const starts = lineStarts(text);
  const cursors = new Map<number, number>();
  const lineTexts = new Map<number, string>();
  const links: FoundLink[] = [];
  const code: Region[] = [];

  let lastMap: [number, number] | null = null;
  for (let b = 0; b < blocks.length; b += 1) {
    const block = blocks[b]!;
    if ((block.type === 'fence' || block.type === 'code_block') && block.map) {
      code.push({ start: starts[block.map[0]]!, end: starts[block.map[1]]! - 1 });
      continue;
    }
    if (block.map) lastMap = block.map;
    if (block.type !== 'inline') continue;
    // Table cells' inline tokens carry no lines: their row's (the last block token that had some).
    const map = block.map ?? lastMap ?? [0, starts.length - 1];
    const parent = blocks[b - 1]?.type ?? '';
    const align = aligner(block.content, map[0], text, starts, cursors, lineTexts, parent !== 'th_open' && parent !== 'td_open' && parent !== 'heading_open');
    const whole = { start: starts[map[0]]!, end: starts[map[1]]! - 1 };
    const place = align ?? (() => whole.start);
    const spanOf = (token: MdToken): Span => {
      const span = spans.get(token);
      if (!span || !align) return { start: whole.start, end: whole.end };
      const out: Span = { start: place(span.start), end: place(span.end) };
      if (span.labelStart !== undefined && span.labelEnd !== undefined) {
        out.labelStart = place(span.labelStart);
        out.labelEnd = place(span.labelEnd);
      }
      return out;
    };
    const labelSpan = (span: Span): [number, number] | undefined =>
      span.labelStart !== undefined && span.labelEnd !== undefined ? [span.labelStart, span.labelEnd] : undefined;
    const children = block.children ?? [];
    for (let i = 0; i < children.length; i += 1) {
      const token = children[i]!;
      if (token.type === 'code_inline') {
        const span = spanOf(token);
        code.push(span);
      } else if (token.type === 'image') {
        const span = spanOf(token);
        links.push(found('image', textOf(token.children), String(token.attrGet('src') ?? ''), span.start, span.end, labelSpan(span)));
      } else if (token.type === 'text') {
        bareLinks(token, children[i - 1], align, whole, links);
      } else if (token.type === 'link_open') {
        // Up to its link_close: the label's text; images in it are listed after the link.
        let close = i + 1;
        while (close < children.length && !(children[close]!.type === 'link_close' && children[close]!.level === token.level)) close += 1;
        const inner = children.slice(i + 1, close);
        const span = spanOf(token);
        const href = String(token.attrGet('href') ?? '');
        const written = text.slice(span.start, span.end);
        if (token.markup === 'linkify') links.push(found('bare', textOf(inner), href, span.start, span.end));
        else if (token.markup === 'autolink') {
          const bar = written.indexOf('|');
          if (bar >= 0) links.push(found('slack', written.slice(bar + 1, -1), md.normalizeLink(written.slice(1, bar)), span.start, span.end));
          else links.push(found('autolink', textOf(inner), href, span.start, span.end));
        } else links.push(found(written.endsWith(')') ? 'inline' : 'reference', textOf(inner), href, span.start, span.end, labelSpan(span)));
        for (const child of inner) {
          if (child.type === 'image') {
            const s = spanOf(child);
            links.push(found('image', textOf(child.children), String(child.attrGet('src') ?? ''), s.start, s.end, labelSpan(s)));
          } else if (child.type === 'code_inline') code.push(spanOf(child));
        }
        i = close;
      }
    }
  }

  for (const [start, end] of env.definitions ?? []) {
    const line = text.slice(start, end);
    const own: { references?: Record<string, { href: string; title: string }> } = {};
    md.parse(line, own);
    const [key, reference] = Object.entries(own.references ?? {})[0] ?? [];
    if (reference) links.push(found('definition', /^\s*\[([^\]]*)\]/.exec(line)?.[1] ?? key ?? '', reference.href, start, end));
  }

  let taken = covered([...code, ...links]);
  const before = links.length;
  slackLinks(text, taken, links);
  if (links.length > before) {
    // What a Slack link holds is its own (a bare URL before its `|` is the same link).
    const slack = covered(links.slice(before));
    for (let i = before - 1; i >= 0; i -= 1) if (links[i]!.form === 'bare' && slack(links[i]!.start)) links.splice(i, 1);
    taken = covered([...code, ...links]);
  }
  // The safety net: a `](` outside code that no link accounts for (another renderer may link it).
  for (let at = text.indexOf(']('); at >= 0; at = text.indexOf('](', at + 2)) {
    if (taken(at)) continue;
    let end = at + 2;
    while (end < text.length && end - at < MAX_UNREADABLE_URL && !/[\s)]/.test(text[end]!)) end += 1;
    links.push(found('unreadable', '', text.slice(at + 2, end), at, at + 2));
  }

  links.sort((a, b) => a.start - b.start || b.end - a.end);
  if (!original) return links;
  const back = (offset: number) => original[offset] ?? source.length;
  return links.map((link) => ({
    ...link,
    start: back(link.start),
    end: back(link.end),
    ...(link.labelStart !== undefined && link.labelEnd !== undefined ? { labelStart: back(link.labelStart), labelEnd: back(link.labelEnd) } : {}),
  }));
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
 * Every URL the run's sources contain, normalised, whole and uncapped, each with the first source it
 * was found in: what the writer activity compares a draft's links with. It stays in the activity;
 * only the statuses of the draft's own links travel with the draft (draftLinkStatuses).
 */
export function sourceUrls(sources: SourceText[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const source of sources) {
    const text = source.text;
    const candidates = extractLinks(text).filter((link) => link.form !== 'unreadable').map((link) => link.url);
    // A source name may itself be an address (a document added from a URL).
    if (/^(?:https?:\/\/|www\.)\S+$/i.test(text.trim())) candidates.push(text.trim());
    for (const url of candidates) {
      const normal = normalizeUrl(url);
      if (normal && !out.has(normal)) out.set(normal, source.from.slice(0, MAX_FROM_CHARS));
    }
  }
  return out;
}

/** True when the link's target is among the known URLs. */
export function isSourced(link: FoundLink, known: ReadonlySet<string> | ReadonlyMap<string, string>): boolean {
  const normal = normalizeUrl(link.url);
  return normal !== undefined && known.has(normal);
}

/**
 * The statuses of the links a draft holds, and only those: its targets found in a source (`known`,
 * with `from`) and those in none (`unsourced`), each normalised, deduplicated and within the same caps
 * as before (a target past them is not carried: the card shows it as not checked, never as sourced).
 */
export function draftLinkStatuses(article: string, sources: ReadonlyMap<string, string>): Pick<LinkCheck, 'known' | 'from' | 'unsourced'> {
  const known: string[] = [];
  const from: string[] = [];
  const unsourced: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const link of extractLinks(article)) {
    const normal = normalizeUrl(link.url);
    if (!normal || seen.has(normal) || normal.length > MAX_KNOWN_URL_CHARS) continue;
    const origin = sources.get(normal);
    const size = normal.length + (origin?.length ?? 0);
    if (known.length + unsourced.length >= MAX_KNOWN_URLS || total + size > MAX_KNOWN_TOTAL_CHARS) break;
    seen.add(normal);
    total += size;
    if (origin === undefined) unsourced.push(normal);
    else {
      known.push(normal);
      from.push(origin);
    }
  }
  return { known, from, unsourced };
}

/** LINK_POLICY: `show` lists and marks links on the card; `strip-unsourced` also removes those in no source from what the writer produced. */
export type LinkPolicy = 'show' | 'strip-unsourced';
export const LINK_POLICIES: readonly LinkPolicy[] = ['show', 'strip-unsourced'];

/**
 * What the draft card needs about links beyond the text itself: the URLs the run's sources hold
 * (absent: the draft was written before links were checked), and what the writer removed.
 */
export interface LinkCheck {
  /**
   * Drafts checked since draft-scoped statuses (`unsourced` present): the draft's own targets that a
   * source holds. Older drafts: every URL of the run's sources.
   */
  known?: string[];
  /**
   * The draft's own targets that no source holds. Present: `known` and this cover only the links of
   * the draft they came with, so a link in neither (a reviewer's edit added it) was not checked.
   */
  unsourced?: string[];
  /** Where each known URL was found, by index ("research", "[2] corpus/guide.md"); absent in older drafts. */
  from?: string[];
  policy?: LinkPolicy;
  /** Links the writer removed under `strip-unsourced`: how many, and the first few domains. */
  removed?: { count: number; domains: string[] };
}

const REMOVED = '(link removed)';
const MAX_REMOVED_DOMAINS = 10;

/** What stands in place of a removed link: its label as written when that is words, else a note (a stray `](` is broken up). */
function replacementOf(link: FoundLink, text: string): string {
  if (link.form === 'definition') return '';
  if (link.form === 'unreadable') return '] (';
  if (link.form === 'bare' || link.form === 'autolink') return REMOVED;
  const label = link.labelStart !== undefined && link.labelEnd !== undefined ? text.slice(link.labelStart, link.labelEnd) : link.label;
  return label.trim() ? label : REMOVED;
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
export function stripUnsourced(text: string, known: ReadonlySet<string> | ReadonlyMap<string, string>): { text: string; removed: FoundLink[] } {
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
      out += current.slice(at, link.start) + (pass < LABEL_PASSES || link.form === 'unreadable' ? replacementOf(link, current) : link.form === 'definition' ? '' : REMOVED);
      at = link.end;
    }
    current = out + current.slice(at);
  }
  return { text: current, removed };
}

/** The summary the card shows for what was removed. */
export function removedSummary(removed: FoundLink[]): { count: number; domains: string[] } {
  const domains = [...new Set(removed.map((link) => link.domain || link.url.slice(0, 60)))].slice(0, MAX_REMOVED_DOMAINS).map((d) => d.slice(0, MAX_DOMAIN_CHARS));
  return { count: removed.length, domains };
}

/**
 * What the writer hands the card with a draft it wrote: the known URLs of the run's sources and,
 * under `strip-unsourced`, the draft with the links no source holds replaced by their text.
 */
export function checkDraftLinks(article: string, sources: SourceText[], policy: LinkPolicy): { article: string; links: LinkCheck } {
  const urls = sourceUrls(sources);
  if (policy !== 'strip-unsourced') return { article, links: { ...draftLinkStatuses(article, urls), policy } };
  const { text, removed } = stripUnsourced(article, urls);
  return { article: text, links: { ...draftLinkStatuses(text, urls), policy, ...(removed.length ? { removed: removedSummary(removed) } : {}) } };
}
