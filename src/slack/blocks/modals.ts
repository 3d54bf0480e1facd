/**
 * Modals opened from the draft card: request changes (feedback), edit (the draft's text), reject
 * (optional reason). `private_metadata` carries which pipeline and version the modal is about.
 */
import type { InputBlock, KnownBlock, View } from '@slack/types';

export const REQUEST_CHANGES_VIEW_ID = 'request_changes_modal';
export const EDIT_VIEW_ID = 'edit_draft_modal';
export const REJECT_VIEW_ID = 'reject_modal';

export const FEEDBACK_BLOCK_ID = 'feedback';
export const REASON_BLOCK_ID = 'reason';
/** Edit modals hold the article in several inputs (Slack caps one at 3,000 characters): `article_0`, `article_1`, … */
export const ARTICLE_BLOCK_PREFIX = 'article_';
export const TEXT_ACTION_ID = 'text';

const MAX_INPUT_CHARS = 3_000;
const MAX_INPUT_BLOCKS = 90; // modals take 100 blocks; leave room for the rest

export interface ModalContext {
  workflowId: string;
  version: number;
  channel: string;
}

/** Reads private_metadata back, refusing anything that is not ours. */
export function parseModalContext(metadata: string | undefined): ModalContext | undefined {
  try {
    const value = JSON.parse(metadata ?? '') as Partial<ModalContext>;
    if (typeof value.workflowId === 'string' && typeof value.version === 'number' && typeof value.channel === 'string') {
      return { workflowId: value.workflowId, version: value.version, channel: value.channel };
    }
  } catch {
    // fall through
  }
  return undefined;
}

function modal(callbackId: string, title: string, submit: string, context: ModalContext, blocks: KnownBlock[]): View {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** Shown the moment a card button is clicked, while the checks that need Temporal run; replaced by views.update. */
export const LOADING_VIEW_ID = 'loading_modal';

export function loadingModal(title: string, context: ModalContext): View {
  return {
    type: 'modal',
    callback_id: LOADING_VIEW_ID,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:hourglass_flowing_sand: Loading draft v${context.version}…` } }],
  };
}

/** Why nothing can be done, in place of the loading view (no submit button). */
export function noticeModal(title: string, text: string): View {
  return {
    type: 'modal',
    callback_id: 'notice_modal',
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

function textInput(blockId: string, label: string, options: { initial?: string; optional?: boolean; placeholder?: string; min?: number }): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: options.optional ?? false,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'plain_text_input',
      action_id: TEXT_ACTION_ID,
      multiline: true,
      max_length: MAX_INPUT_CHARS,
      ...(options.min ? { min_length: options.min } : {}),
      ...(options.initial !== undefined ? { initial_value: options.initial } : {}),
      ...(options.placeholder ? { placeholder: { type: 'plain_text', text: options.placeholder } } : {}),
    },
  };
}

export function requestChangesModal(context: ModalContext, revisionsLeft: number): View {
  return modal(REQUEST_CHANGES_VIEW_ID, `Request changes to v${context.version}`, 'Send', context, [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `The writer will revise the draft from the same research with your feedback (${revisionsLeft} revision${revisionsLeft === 1 ? '' : 's'} left).`,
      },
    },
    textInput(FEEDBACK_BLOCK_ID, 'What should change?', { placeholder: 'e.g. shorter intro, add a concrete example from healthcare', min: 3 }),
  ]);
}

export function rejectModal(context: ModalContext): View {
  return modal(REJECT_VIEW_ID, `Reject draft v${context.version}`, 'Reject', context, [
    textInput(REASON_BLOCK_ID, 'Reason (optional)', { optional: true, placeholder: 'Shown on the card and kept with the result' }),
  ]);
}

/** Splits text into chunks of at most `max` characters, preferring paragraph, then line, then word breaks. */
export function splitText(text: string, max: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while ([...rest].length > max) {
    const window = [...rest].slice(0, max).join('');
    const cut = [window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' ')].find((i) => i > max / 2) ?? window.length;
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  chunks.push(rest);
  return chunks;
}

/** A part of the edit modal and the exact text that joins it to the part before it (none for the first). */
interface EditChunk {
  text: string;
  /** The whitespace between this part and the one before, exactly (kept in the block ID, since Slack may trim an input's edges), or '' for a cut inside a word. */
  joiner: string;
}

/**
 * Whitespace kept in a block ID: runs of one character as hex code point and count
 * (`"\n\n"` → `ax2`, `"  \n"` → `20x2.a`). Undefined when it would not fit well inside Slack's
 * 255-character block ID (adversarial whitespace), and then the cut goes elsewhere.
 */
const MAX_JOINER_ID = 200;
function encodeJoiner(whitespace: string): string | undefined {
  const runs: string[] = [];
  const chars = [...whitespace];
  for (let i = 0; i < chars.length; ) {
    let j = i;
    while (j < chars.length && chars[j] === chars[i]) j++;
    runs.push(`${chars[i]!.codePointAt(0)!.toString(16)}${j - i > 1 ? `x${j - i}` : ''}`);
    i = j;
  }
  const encoded = runs.join('.');
  return encoded.length <= MAX_JOINER_ID ? encoded : undefined;
}

function decodeJoiner(encoded: string): string {
  return encoded
    .split('.')
    .map((run) => {
      const [hex, count] = run.split('x');
      const code = parseInt(hex ?? '', 16);
      // Only whitespace can be named here: a forged block ID cannot smuggle text in.
      const char = Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      return /^\s$/u.test(char) ? char.repeat(Math.min(Number(count ?? 1) || 1, MAX_INPUT_CHARS)) : '';
    })
    .join('');
}

const isSpace = (c: string | undefined) => c !== undefined && /^\s$/u.test(c);

/** Maximal whitespace runs of `cps` (code points) as [start, end) that can be kept in a block ID. */
function whitespaceRuns(cps: string[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < cps.length; ) {
    if (!isSpace(cps[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < cps.length && isSpace(cps[j])) j++;
    if (encodeJoiner(cps.slice(i, j).join('')) !== undefined) runs.push([i, j]);
    i = j;
  }
  return runs;
}

/**
 * A paragraph too long for one input, in parts: cut at the last whitespace in the second half of
 * each 3,000 characters (a line break before a space), the whitespace kept as the joiner; else
 * between two characters that are not whitespace (joined with nothing); else at 3,000.
 */
function splitParagraph(paragraph: string, joiner: string): EditChunk[] {
  const cps = [...paragraph];
  const chunks: EditChunk[] = [];
  // Whole runs (one that crosses a window's end is taken whole, so no part starts with whitespace).
  const allRuns = whitespaceRuns(cps);
  let at = 0;
  let nextJoiner = joiner;
  while (cps.length - at > MAX_INPUT_CHARS) {
    const low = at + MAX_INPUT_CHARS / 2;
    const high = at + MAX_INPUT_CHARS;
    const runs = allRuns.filter(([a, b]) => a > low && a <= high && b < cps.length);
    const run = runs.filter(([a, b]) => cps.slice(a, b).includes('\n')).at(-1) ?? runs.at(-1);
    let cut: number;
    let end: number;
    if (run) [cut, end] = run;
    else {
      cut = high;
      for (let c = high; c > low; c--) {
        if (!isSpace(cps[c - 1]) && !isSpace(cps[c])) {
          cut = c;
          break;
        }
      }
      end = cut;
    }
    chunks.push({ text: cps.slice(at, cut).join(''), joiner: nextJoiner });
    nextJoiner = cps.slice(cut, end).join('');
    at = end;
  }
  chunks.push({ text: cps.slice(at).join(''), joiner: nextJoiner });
  return chunks;
}

/**
 * The article's parts, exact: the article's outer whitespace aside, joining each part to the one
 * before with its joiner gives back the article character for character (tabs, NBSP, U+3000,
 * Markdown hard breaks and runs of blank lines included). Paragraphs (separated by whitespace
 * holding two line breaks) are packed whole into parts; a paragraph too long for one is cut.
 */
function editChunks(article: string): EditChunk[] {
  const text = article.trim();
  const cps = [...text];
  // Paragraph separators: whitespace runs with two line breaks or more.
  const separators = whitespaceRuns(cps).filter(([a, b]) => cps.slice(a, b).filter((c) => c === '\n').length >= 2);
  const pieces: Array<{ text: string; joiner: string }> = [];
  let start = 0;
  let joiner = '';
  for (const [a, b] of separators) {
    pieces.push({ text: cps.slice(start, a).join(''), joiner });
    joiner = cps.slice(a, b).join('');
    start = b;
  }
  pieces.push({ text: cps.slice(start).join(''), joiner });

  const chunks: EditChunk[] = [];
  let current: EditChunk | undefined;
  for (const piece of pieces) {
    if ([...piece.text].length > MAX_INPUT_CHARS) {
      if (current) chunks.push(current);
      current = undefined;
      chunks.push(...splitParagraph(piece.text, piece.joiner));
      continue;
    }
    if (current && [...current.text].length + [...piece.joiner].length + [...piece.text].length <= MAX_INPUT_CHARS) current.text += piece.joiner + piece.text;
    else {
      if (current) chunks.push(current);
      current = { text: piece.text, joiner: piece.joiner };
    }
  }
  if (current) chunks.push(current);
  return chunks.length ? chunks : [{ text: '', joiner: '' }];
}

/** The block ID of part `index`: the joiner to the part before in it (`_cut` for none, `_ws_<runs>` for whitespace). */
function editBlockId(index: number, joiner: string): string {
  if (index === 0) return `${ARTICLE_BLOCK_PREFIX}0`;
  return `${ARTICLE_BLOCK_PREFIX}${index}${joiner === '' ? '_cut' : `_ws_${encodeJoiner(joiner)!}`}`;
}

/**
 * The article in parts of at most 3,000 characters (Slack's limit for one input), cut between
 * paragraphs, or inside a paragraph that is itself too long, never with whitespace at a part's edge.
 */
export function editParts(article: string): string[] {
  return editChunks(article).map((chunk) => chunk.text);
}

/** The edit modal: the current draft, split over as many inputs as it needs. */
export function editModal(context: ModalContext, article: string): View | undefined {
  const parts = editChunks(article);
  if (parts.length > MAX_INPUT_BLOCKS) return undefined;
  return modal(EDIT_VIEW_ID, `Edit draft v${context.version}`, 'Approve edited', context, [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Submitting approves your edited version. Markdown is kept as you write it.' }],
    },
    ...parts.map((part, index) =>
      textInput(editBlockId(index, part.joiner), parts.length > 1 ? `Article (part ${index + 1} of ${parts.length})` : 'Article', {
        initial: part.text,
        optional: index > 0,
      }),
    ),
  ]);
}

type ViewValues = Record<string, Record<string, { value?: string | null }>>;

export function inputValue(values: ViewValues, blockId: string): string {
  return values[blockId]?.[TEXT_ACTION_ID]?.value ?? '';
}

/**
 * Joins the edit modal's parts back into one article, in block order, each with the joiner its
 * block ID names, never trimming at a cut (only the article's outer edges). Blank parts are left
 * out. Block IDs of modals opened before joiners were exact (`_word`, `_line`, none) still read.
 */
export function editedArticle(values: ViewValues): string {
  const parts = Object.keys(values)
    .map((id) => ({ id, match: /^article_(\d+)(?:(_word|_line|_cut)|_ws_([0-9a-f]+(?:x\d+)?(?:\.[0-9a-f]+(?:x\d+)?)*))?$/.exec(id) }))
    .filter((entry): entry is { id: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]))
    .map(({ id, match }) => ({
      text: inputValue(values, id),
      joiner: match[3] !== undefined ? decodeJoiner(match[3]) : match[2] === '_word' ? ' ' : match[2] === '_line' ? '\n' : match[2] === '_cut' ? '' : '\n\n',
    }))
    .filter((part) => part.text.trim());
  return parts.map((part, index) => (index === 0 ? part.text : `${part.joiner}${part.text}`)).join('').trim();
}
