/**
 * HTML to Markdown-ish text in one linear pass over htmlparser2's tokenizer: headings become `#`
 * lines (so sections follow them), list items `- `, `<br>`/`<hr>` line breaks, block elements blank
 * lines; scripts, styles, titles, `<noscript>`, `<template>` and `<head>` are dropped; entities are
 * decoded exactly once, by the tokenizer.
 *
 * Broken markup never drops more than a browser would hide:
 * - a heading ends at the next block-level opener (`<p>`, `<div>`, `<li>`, another heading …) or
 *   once it reaches MAX_HEADING_CHARS, the rest being body text (a browser would keep a `<p>` inside
 *   an unclosed `<h2>`, but would show it, not fold a page into one heading line);
 * - `<head>` ends, as in a browser, at the first tag or text that cannot be in it, and a `<head>`
 *   after body content is ignored;
 * - an unclosed `<template>`, `<noscript>` or `<head>` hides nothing: the text is read again (once)
 *   as if those openers were not there;
 * - an unclosed `<script>`, `<style>`, `<title>` or `<iframe>` takes the rest of the file as its text, as the
 *   HTML tokenizer (and a browser) does: the reader sees nothing of it either. When that leaves no
 *   text at all, `unclosed` says where, and the caller reports the file instead of indexing nothing.
 *
 * The tokenizer, not htmlparser2's `Parser`: the parser keeps a stack of open elements that it
 * grows with `unshift` and searches with `indexOf`, so 80,000 nested `<div>`s take seconds and a
 * few MB of them, or of unmatched closing tags after them, minutes. Nothing here needs the tree:
 * only whether we are inside a dropped element (a counter per name) or a heading.
 */
import { Tokenizer } from 'htmlparser2';

/**
 * Elements whose content is raw text to the tokenizer (never parsed as markup, up to their closing
 * tag) and never shown as text. (`<textarea>`, `<xmp>` and `<plaintext>` are raw text too, but shown.)
 */
const RAW_TEXT = new Set(['script', 'style', 'title', 'iframe', 'noembed', 'noframes']);
/** Elements hidden until their closing tag; left unclosed, they hide nothing. */
const HIDDEN = new Set(['noscript', 'template', 'head']);
const BLOCKS = new Set(['p', 'div', 'section', 'article', 'header', 'footer', 'main', 'ul', 'ol', 'table', 'tr', 'blockquote', 'pre']);
/** Openers that end an unclosed heading (besides BLOCKS and other headings). `<br>` does not: `<h1>Title<br>Subtitle</h1>` is one heading. */
const ENDS_HEADING = new Set([...BLOCKS, 'li', 'hr', 'dl', 'dt', 'dd', 'form', 'fieldset', 'figure', 'figcaption', 'nav', 'aside', 'address', 'details', 'summary', 'dialog', 'menu', 'center', 'body']);
/** What may stand in a `<head>` (any other opener, or text, ends it as in a browser). */
const HEAD_CONTENT = new Set(['title', 'meta', 'link', 'base', 'style', 'script', 'noscript', 'template', 'html', 'head']);
const HEADING = /^h([1-6])$/;

/** A heading longer than this is cut: every chunk of its section carries it (split.ts). */
export const MAX_HEADING_CHARS = 200;

/** Text that passed `maxChars`: thrown from inside the tokenizer's callbacks, stopping the pass. */
export class HtmlTextOverLimit extends Error {
  constructor(readonly limit: number, readonly offset: number) {
    super(`more than ${limit} characters of text by character ${offset} of the markup`);
    this.name = 'HtmlTextOverLimit';
  }
}

export interface HtmlText {
  text: string;
  /** An element left open at the end that took the rest of the file as its (dropped) content. */
  unclosed?: { name: string; line: number; chars: number };
}

/** What `\s` matches in a regular expression, by character code. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Characters other than white space (as `\s` means it). */
function nonSpaceLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) n++;
  return n;
}

/**
 * Runs of spaces and tabs become one space; a blank run holding three or more line breaks becomes
 * two. One pass by character code: the runs between words are mostly one space or one or two line
 * breaks, kept as they are without a regular expression each.
 */
function tidy(text: string): string {
  const out: string[] = [];
  let word = 0; // where the current stretch without white space began
  let i = 0;
  while (i < text.length) {
    if (!isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    if (i > word) out.push(text.slice(word, i));
    let j = i;
    let breaks = 0;
    let firstBreak = -1;
    while (j < text.length && isSpace(text.charCodeAt(j))) {
      if (text.charCodeAt(j) === 10) {
        breaks++;
        if (firstBreak < 0) firstBreak = j;
      }
      j++;
    }
    const run = text.slice(i, j);
    if (breaks >= 3) {
      // What stood before the first line break stays (as one space if it was spaces or tabs).
      out.push(`${text.slice(i, firstBreak).replace(/[ \t]+/g, ' ')}\n\n`);
    } else if (run === ' ' || run === '\n' || run === '\n\n') {
      out.push(run);
    } else {
      out.push(run.replace(/[ \t]+/g, ' '));
    }
    i = j;
    word = j;
  }
  if (text.length > word) out.push(text.slice(word));
  return out.join('').trim();
}

/** The text of `html` (see the top of this file). */
export function htmlToText(html: string): string {
  return htmlText(html).text;
}

/**
 * The text of `html`, stopping with HtmlTextOverLimit as soon as its body text (headings aside)
 * holds more than `maxChars` characters other than white space, or body and headings together
 * twice that: either is over the limit whatever the tidying does, and the rest is never built.
 */
export function htmlText(html: string, maxChars = Number.POSITIVE_INFINITY): HtmlText {
  const first = textPass(html, maxChars, new Set());
  // Unclosed hiding elements hid the rest of the file: read it again without their openers.
  if (first.unclosedHidden.size === 0) return first.result;
  return textPass(html, maxChars, first.unclosedHidden).result;
}

function textPass(html: string, maxChars: number, ignoredOpeners: ReadonlySet<number>): { result: HtmlText; unclosedHidden: Set<number> } {
  const parts: string[] = [];
  /** Openers (offset of the name) of the hiding elements still open, by name. */
  const hiddenOpen = new Map<string, number[]>();
  let rawOpen: { name: string; offset: number; chars: number } | undefined;
  let hiding = 0;
  let bodyStarted = false;
  let bodyChars = 0;
  let headingChars = 0;
  let heading: { level: number; text: string } | undefined;
  let tagName = '';
  let tagOffset = 0;

  const headOpen = () => hiddenOpen.get('head')?.length ?? 0;
  const closeHead = () => {
    const heads = headOpen();
    if (heads === 0) return;
    hiddenOpen.set('head', []);
    hiding -= heads;
  };
  const endHeading = () => {
    if (!heading) return;
    const text = heading.text.replace(/\s+/g, ' ').trim();
    // Headings are not the body's text, but the whole text is refused past twice the limit
    // (extract.ts sectionsWithin): a page of nothing but headings stops here, not at the end.
    // What tidying leaves of `\n\n## text` at least (a single space survives it; the first heading's breaks are trimmed).
    if (text) headingChars += 2 + heading.level + 1 + text.length;
    if (bodyChars + headingChars > 2 * maxChars + 2) throw new HtmlTextOverLimit(maxChars, tagOffset);
    if (text) parts.push(`\n\n${'#'.repeat(heading.level)} ${text}\n\n`);
    heading = undefined;
  };
  const pushBody = (text: string) => {
    bodyChars += nonSpaceLength(text);
    if (bodyChars > maxChars || bodyChars + headingChars > 2 * maxChars + 2) throw new HtmlTextOverLimit(maxChars, tagOffset);
    parts.push(text);
  };
  const emit = (text: string) => {
    if (rawOpen) {
      rawOpen.chars += nonSpaceLength(text);
      return;
    }
    if (hiding > 0) {
      // Text in a <head> (outside its title, scripts and styles) ends it, as in a browser.
      if (hiding === headOpen() && nonSpaceLength(text) > 0) closeHead();
      else return;
    }
    if (!bodyStarted && nonSpaceLength(text) > 0) bodyStarted = true;
    if (!heading) return pushBody(text);
    const piece = text.replace(/\s+/g, ' ');
    if (heading.text.length + piece.length <= MAX_HEADING_CHARS) {
      heading.text += piece;
      return;
    }
    // The heading is full: what does not fit is body text.
    let keep = MAX_HEADING_CHARS - heading.text.length;
    const code = piece.charCodeAt(keep - 1);
    if (keep > 0 && code >= 0xd800 && code <= 0xdbff) keep--; // never split a surrogate pair
    heading.text += piece.slice(0, keep);
    endHeading();
    pushBody(piece.slice(keep));
  };

  const onOpen = (name: string) => {
    if (RAW_TEXT.has(name)) {
      rawOpen = { name, offset: tagOffset, chars: 0 };
      return;
    }
    if (HIDDEN.has(name)) {
      if (ignoredOpeners.has(tagOffset)) return;
      // A <head> after body content is ignored, as in a browser.
      if (name === 'head' && bodyStarted) return;
      const stack = hiddenOpen.get(name) ?? [];
      stack.push(tagOffset);
      hiddenOpen.set(name, stack);
      hiding++;
      return;
    }
    if (headOpen() > 0 && !HEAD_CONTENT.has(name)) closeHead();
    if (!HEAD_CONTENT.has(name)) bodyStarted = true;
    if (hiding > 0) return;
    const level = HEADING.exec(name);
    if (level) {
      endHeading();
      heading = { level: Number(level[1]), text: '' };
      return;
    }
    if (heading) {
      if (!ENDS_HEADING.has(name)) {
        if (name === 'br') heading.text += ' ';
        return;
      }
      endHeading();
    }
    if (name === 'li') parts.push('\n- ');
    else if (name === 'br' || name === 'hr') parts.push('\n');
    else if (BLOCKS.has(name)) parts.push('\n\n');
  };

  const onClose = (name: string) => {
    if (RAW_TEXT.has(name)) {
      if (rawOpen?.name === name) rawOpen = undefined;
      return;
    }
    if (HIDDEN.has(name)) {
      const stack = hiddenOpen.get(name);
      if (stack?.length) {
        stack.pop();
        hiding--;
      }
      return;
    }
    if (hiding > 0) return;
    if (HEADING.test(name)) return endHeading();
    // Inside a heading everything is one line.
    if (heading) {
      if (BLOCKS.has(name) || name === 'li') heading.text += ' ';
      return;
    }
    if (name === 'br') parts.push('\n'); // </br> is a <br> in a browser
    else if (BLOCKS.has(name)) parts.push('\n\n');
  };

  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      ontext: (start, end) => emit(html.slice(start, end)),
      // &nbsp; is a plain space in extracted text (as it always was here).
      ontextentity: (codepoint) => emit(codepoint === 0xa0 ? ' ' : String.fromCodePoint(codepoint)),
      onopentagname: (start, end) => {
        tagName = html.slice(start, end).toLowerCase();
        tagOffset = start;
      },
      onopentagend: () => onOpen(tagName),
      // As in a browser (and the tokenizer), `/>` closes nothing but void elements: `<script/>` still
      // starts script text, `<template/>` a template.
      onselfclosingtag: () => onOpen(tagName),
      onclosetag: (start, end) => {
        tagOffset = start;
        onClose(html.slice(start, end).toLowerCase());
      },
      onattribdata: () => {},
      onattribentity: () => {},
      onattribend: () => {},
      onattribname: () => {},
      oncdata: () => {},
      oncomment: () => {},
      ondeclaration: () => {},
      onprocessinginstruction: () => {},
      onend: () => {},
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  endHeading();

  const unclosedHidden = new Set<number>();
  for (const stack of hiddenOpen.values()) for (const offset of stack) unclosedHidden.add(offset);
  const result: HtmlText = { text: tidy(parts.join('')) };
  if (rawOpen) {
    let line = 1;
    for (let i = html.indexOf('\n'); i !== -1 && i < rawOpen.offset; i = html.indexOf('\n', i + 1)) line++;
    result.unclosed = { name: rawOpen.name, line, chars: rawOpen.chars };
  }
  return { result, unclosedHidden };
}
