// Block Kit and text rendering for the playground page. Everything is built with DOM calls and
// textContent: no string of the bot's (or a model's, or a visitor's) ever becomes HTML.
// Block reference: https://api.slack.com/reference/block-kit/blocks
// mrkdwn: https://api.slack.com/reference/surfaces/formatting

const EMOJI = {
  mag: '🔍', arrows_counterclockwise: '🔄', bell: '🔔', double_vertical_bar: '⏸️', heavy_minus_sign: '➖',
  hourglass: '⌛', hourglass_flowing_sand: '⏳', no_entry_sign: '🚫', octagonal_sign: '🛑', warning: '⚠️',
  white_check_mark: '✅', white_circle: '⚪', x: '❌', tada: '🎉', memo: '📝', rocket: '🚀', eyes: '👀',
  hourglass_done: '⌛', clock1: '🕐', money_with_wings: '💸', moneybag: '💰', heavy_check_mark: '✔️',
  large_green_circle: '🟢', large_yellow_circle: '🟡', red_circle: '🔴', newspaper: '📰', page_facing_up: '📄',
  information_source: 'ℹ️', thumbsup: '👍', '+1': '👍', stopwatch: '⏱️', link: '🔗', lock: '🔒', sparkles: '✨',
};

/** Creates an element with a class and children (strings become text nodes). */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Slack escapes &, < and > in text; show them as the characters they stand for. */
function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A link only for schemes that cannot run code. */
function safeLink(url, label) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return document.createTextNode(label ?? url);
  }
  if (!['http:', 'https:', 'mailto:'].includes(parsed.protocol)) return document.createTextNode(label ?? url);
  const a = el('a', 'link', label ?? url);
  a.href = parsed.href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

function emojiText(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}

/** `<…>` markup: links, user and channel mentions, special mentions, dates. */
function angle(inner, ctx) {
  const [target, label] = inner.split('|', 2);
  if (target.startsWith('@')) {
    const name = ctx.userName(target.slice(1));
    return el('span', 'mention', `@${name}`);
  }
  if (target.startsWith('#')) {
    return el('span', 'mention', `#${label ?? ctx.channelName(target.slice(1))}`);
  }
  if (target.startsWith('!subteam^')) return el('span', 'mention', label ?? `@${target.slice('!subteam^'.length)}`);
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    const text = Number.isFinite(seconds) ? new Date(seconds * 1000).toLocaleString() : (label ?? '');
    return el('span', 'date', text);
  }
  if (target.startsWith('!')) return el('span', 'mention', `@${target.slice(1)}`);
  return safeLink(decodeEntities(target), label === undefined ? undefined : decodeEntities(label));
}

// Emphasis as Slack reads it: the marker hugs non-space text and sits at a word boundary.
const INLINE = /<([^<>\n]+)>|`([^`\n]+)`|(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])|(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])|(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/;

/** mrkdwn inline text → nodes appended to `parent`. */
function inline(text, parent, ctx) {
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      parent.append(document.createTextNode(emojiText(decodeEntities(rest))));
      return;
    }
    const lead = match[3] ?? match[5] ?? match[7] ?? '';
    const before = rest.slice(0, match.index) + lead;
    if (before) parent.append(document.createTextNode(emojiText(decodeEntities(before))));
    if (match[1] !== undefined) parent.append(angle(match[1], ctx));
    else if (match[2] !== undefined) parent.append(el('code', 'code', decodeEntities(match[2])));
    else {
      const [tag, inner] = match[4] !== undefined ? ['strong', match[4]] : match[6] !== undefined ? ['em', match[6]] : ['s', match[8]];
      const node = el(tag, '');
      inline(inner, node, ctx);
      parent.append(node);
    }
    rest = rest.slice(match.index + match[0].length);
  }
}

/** mrkdwn text (https://api.slack.com/reference/surfaces/formatting) → a block of nodes. */
export function mrkdwn(text, ctx) {
  const root = el('div', 'mrkdwn');
  const parts = String(text ?? '').split('```');
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      root.append(el('pre', 'pre', decodeEntities(part.replace(/^\n/, ''))));
      return;
    }
    const lines = part.split('\n');
    let quote;
    lines.forEach((line, lineIndex) => {
      const quoted = /^(&gt;|>)\s?(.*)$/.exec(line);
      if (quoted) {
        quote ??= root.appendChild(el('blockquote', 'quote'));
        const row = el('div', '');
        inline(quoted[2], row, ctx);
        quote.append(row);
        return;
      }
      quote = undefined;
      inline(line, root, ctx);
      if (lineIndex < lines.length - 1) root.append(el('br', ''));
    });
  });
  return root;
}

export function plainText(text) {
  return el('span', 'plain', emojiText(String(text ?? '')));
}

/** A text object: plain_text or mrkdwn. */
export function textObject(object, ctx) {
  if (!object) return el('span', '');
  return object.type === 'mrkdwn' ? mrkdwn(object.text, ctx) : plainText(object.text);
}

// ── Standard Markdown, for `markdown` blocks (https://api.slack.com/reference/block-kit/blocks#markdown)

const MD_INLINE = /`([^`\n]+)`|\*\*(?=\S)([^\n]+?)\*\*|__(?=\S)([^\n]+?)__|(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])|(^|[^\w_])_(?=\S)([^_\n]+?)_(?![\w_])|~~([^~\n]+)~~|\[([^\]\n]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>()]+)/;

function mdInline(text, parent) {
  let rest = text;
  while (rest) {
    const match = MD_INLINE.exec(rest);
    if (!match) {
      parent.append(document.createTextNode(rest));
      return;
    }
    const lead = match[4] ?? match[6] ?? '';
    const before = rest.slice(0, match.index) + lead;
    if (before) parent.append(document.createTextNode(before));
    if (match[1] !== undefined) parent.append(el('code', 'code', match[1]));
    else if (match[2] !== undefined || match[3] !== undefined) {
      const node = el('strong', '');
      mdInline(match[2] ?? match[3], node);
      parent.append(node);
    } else if (match[5] !== undefined || match[7] !== undefined) {
      const node = el('em', '');
      mdInline(match[5] ?? match[7], node);
      parent.append(node);
    } else if (match[8] !== undefined) parent.append(el('s', '', match[8]));
    else if (match[9] !== undefined) parent.append(safeLink(match[10], match[9]));
    else parent.append(safeLink(match[11]));
    rest = rest.slice(match.index + match[0].length);
  }
}

/** Markdown → nodes: headings, paragraphs, lists, quotes, code fences, rules. */
export function markdown(text) {
  const root = el('div', 'markdown');
  const lines = String(text ?? '').split('\n');
  let paragraph = [];
  let list;
  const flush = () => {
    if (paragraph.length) {
      const p = el('p', '');
      paragraph.forEach((line, index) => {
        if (index) p.append(el('br', ''));
        mdInline(line, p);
      });
      root.append(p);
    }
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flush();
      list = undefined;
      const code = [];
      for (i += 1; i < lines.length && !/^```/.test(lines[i]); i += 1) code.push(lines[i]);
      root.append(el('pre', 'pre', code.join('\n')));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*(\d+)[.)]\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading) {
      flush();
      list = undefined;
      const h = el(`h${Math.min(heading[1].length + 2, 6)}`, 'md-heading');
      mdInline(heading[2], h);
      root.append(h);
    } else if (bullet || numbered) {
      flush();
      const tag = bullet ? 'ul' : 'ol';
      if (!list || list.tagName.toLowerCase() !== tag) list = root.appendChild(el(tag, ''));
      const li = el('li', '');
      mdInline(bullet ? bullet[1] : numbered[2], li);
      list.append(li);
    } else if (quote) {
      flush();
      list = undefined;
      const q = el('blockquote', 'quote');
      mdInline(quote[1], q);
      root.append(q);
    } else if (/^\s*(---|\*\*\*|___)\s*$/.test(line)) {
      flush();
      list = undefined;
      root.append(el('hr', ''));
    } else if (!line.trim()) {
      flush();
      list = undefined;
    } else {
      list = undefined;
      paragraph.push(line);
    }
  }
  flush();
  return root;
}

// ── Blocks and elements

function button(element, block, ctx) {
  const b = el('button', `sk-button${element.style ? ` ${element.style}` : ''}`, emojiText(element.text?.text ?? ''));
  b.type = 'button';
  b.dataset.actionId = element.action_id ?? '';
  b.dataset.blockId = block.block_id ?? '';
  if (element.url) b.title = element.url;
  b.addEventListener('click', () => ctx.onButton({ actionId: element.action_id ?? '', blockId: block.block_id ?? '' }, b));
  return b;
}

function element(element, block, ctx) {
  switch (element?.type) {
    case 'button':
      return button(element, block, ctx);
    case 'image': {
      const img = el('img', 'sk-image');
      if (/^https?:/.test(element.image_url ?? '')) img.src = element.image_url;
      img.alt = element.alt_text ?? '';
      return img;
    }
    case 'mrkdwn':
    case 'plain_text':
      return textObject(element, ctx);
    default:
      return el('span', 'unsupported', `[unsupported element: ${element?.type ?? 'none'}]`);
  }
}

function input(block, ctx) {
  const wrap = el('div', 'sk-input');
  wrap.dataset.blockId = block.block_id ?? '';
  const label = el('label', 'sk-label', emojiText(block.label?.text ?? ''));
  if (block.optional) label.append(el('span', 'optional', ' (optional)'));
  wrap.append(label);
  const e = block.element ?? {};
  if (e.type === 'plain_text_input') {
    const field = e.multiline ? el('textarea', 'sk-field') : el('input', 'sk-field');
    if (!e.multiline) field.type = 'text';
    field.dataset.actionId = e.action_id ?? '';
    field.name = `${block.block_id}/${e.action_id}`;
    if (e.placeholder?.text) field.placeholder = e.placeholder.text;
    if (e.max_length) field.maxLength = e.max_length;
    if (e.initial_value) field.value = e.initial_value;
    field.dataset.minLength = String(e.min_length ?? 0);
    field.dataset.required = block.optional ? '' : 'true';
    wrap.append(field);
  } else {
    wrap.append(el('div', 'unsupported', `[unsupported input: ${e.type ?? 'none'}]`));
  }
  if (block.hint?.text) wrap.append(el('div', 'hint', block.hint.text));
  const error = ctx.errors?.[block.block_id];
  if (error) wrap.append(el('div', 'field-error', error));
  return wrap;
}

/** One block → a node. Unknown blocks are shown as such, so a broken payload is visible. */
export function renderBlock(block, ctx) {
  const node = (() => {
    switch (block.type) {
      case 'section': {
        const section = el('div', 'sk-section');
        const body = el('div', 'sk-section-body');
        if (block.text) body.append(textObject(block.text, ctx));
        if (block.fields?.length) body.append(el('div', 'sk-fields', ...block.fields.map((f) => textObject(f, ctx))));
        section.append(body);
        if (block.accessory) section.append(el('div', 'sk-accessory', element(block.accessory, block, ctx)));
        return section;
      }
      case 'header':
        return el('div', 'sk-header', emojiText(block.text?.text ?? ''));
      case 'context':
        return el('div', 'sk-context', ...(block.elements ?? []).map((e) => element(e, block, ctx)));
      case 'divider':
        return el('hr', 'sk-divider');
      case 'actions':
        return el('div', 'sk-actions', ...(block.elements ?? []).map((e) => element(e, block, ctx)));
      case 'markdown':
        return el('div', 'sk-markdown', markdown(block.text));
      case 'image': {
        const img = el('img', 'sk-image-block');
        if (/^https?:/.test(block.image_url ?? '')) img.src = block.image_url;
        img.alt = block.alt_text ?? '';
        return img;
      }
      case 'input':
        return input(block, ctx);
      default:
        return el('div', 'unsupported', `[unsupported block: ${block.type}]`);
    }
  })();
  node.dataset.blockType = block.type ?? '';
  if (block.block_id) node.dataset.blockId = block.block_id;
  return node;
}

export function renderBlocks(blocks, ctx) {
  return el('div', 'blocks', ...(blocks ?? []).map((block) => renderBlock(block, ctx)));
}
