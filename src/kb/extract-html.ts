/**
 * HTML to Markdown-ish text in one linear pass over htmlparser2's tokenizer: headings become `#`
 * lines (so sections follow them), list items `- `, `<br>`/`<hr>` line breaks, block elements blank
 * lines; scripts, styles, `<noscript>`, `<template>` and `<head>` are dropped; entities are decoded
 * exactly once, by the tokenizer.
 *
 * The tokenizer, not htmlparser2's `Parser`: the parser keeps a stack of open elements that it
 * grows with `unshift` and searches with `indexOf`, so 80,000 nested `<div>`s take seconds and a
 * few MB of them, or of unmatched closing tags after them, minutes. Nothing here needs the tree:
 * only whether we are inside a dropped element (a counter per name) or a heading.
 */
import { Tokenizer } from 'htmlparser2';

const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'head']);
const BLOCKS = new Set(['p', 'div', 'section', 'article', 'header', 'footer', 'main', 'ul', 'ol', 'table', 'tr', 'blockquote', 'pre']);
const HEADING = /^h([1-6])$/;

/** Runs of spaces and tabs become one space; a blank run holding three or more line breaks becomes two. */
function tidy(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== ' ' && c !== '\t' && c !== '\n' && !/\s/.test(c)) {
      let j = i + 1;
      while (j < text.length && !/\s/.test(text[j]!)) j++;
      out += text.slice(i, j);
      i = j;
      continue;
    }
    // A run of white space: count its line breaks.
    let j = i;
    let breaks = 0;
    while (j < text.length && /\s/.test(text[j]!)) {
      if (text[j] === '\n') breaks++;
      j++;
    }
    const run = text.slice(i, j);
    if (breaks >= 3) {
      // What stood before the first line break stays (as one space if it was spaces or tabs).
      const head = run.slice(0, run.indexOf('\n'));
      out += `${head.replace(/[ \t]+/g, ' ')}\n\n`;
    } else {
      out += run.replace(/[ \t]+/g, ' ');
    }
    i = j;
  }
  return out.trim();
}

export function htmlToText(html: string): string {
  const parts: string[] = [];
  const open = new Map<string, number>(); // dropped elements currently open, by name
  let dropping = 0;
  let heading: { level: number; text: string[] } | undefined;
  let tagName = '';
  let closing = false;

  const emit = (text: string) => {
    if (dropping > 0) return;
    if (heading) heading.text.push(text);
    else parts.push(text);
  };
  const endHeading = () => {
    if (!heading) return;
    const text = heading.text.join('').replace(/\s+/g, ' ').trim();
    parts.push(`\n\n${'#'.repeat(heading.level)} ${text}\n\n`);
    heading = undefined;
  };
  const openDropped = (name: string) => {
    open.set(name, (open.get(name) ?? 0) + 1);
    dropping++;
  };
  const closeDropped = (name: string) => {
    const count = open.get(name) ?? 0;
    if (count === 0) return;
    open.set(name, count - 1);
    dropping--;
  };

  const onTag = (name: string, isClose: boolean) => {
    if (DROPPED.has(name)) {
      if (isClose) closeDropped(name);
      else openDropped(name);
      return;
    }
    if (name === 'body' && !isClose) {
      // <body> ends an unclosed <head>, as it does in a browser.
      const heads = open.get('head') ?? 0;
      open.set('head', 0);
      dropping -= heads;
      return;
    }
    if (dropping > 0) return;
    const level = HEADING.exec(name);
    if (level) {
      endHeading();
      if (!isClose) heading = { level: Number(level[1]), text: [] };
      return;
    }
    if (heading) {
      // Inside a heading everything is one line.
      if (name === 'br' || name === 'hr' || name === 'li' || BLOCKS.has(name)) heading.text.push(' ');
      return;
    }
    if (name === 'li' && !isClose) parts.push('\n- ');
    else if (name === 'br' || name === 'hr') parts.push('\n');
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
        closing = false;
      },
      onopentagend: () => onTag(tagName, closing),
      onselfclosingtag: () => onTag(tagName, closing),
      onclosetag: (start, end) => onTag(html.slice(start, end).toLowerCase(), true),
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
  return tidy(parts.join(''));
}
