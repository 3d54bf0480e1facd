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

/** A part of the edit modal and how it joins the part before it. */
interface EditChunk {
  text: string;
  /** Between paragraphs ("\n\n"), or inside a paragraph too long for one input (" " or "\n"). */
  joiner: '\n\n' | ' ' | '\n' | '';
}

const JOINER_SUFFIX: Record<EditChunk['joiner'], string> = { '\n\n': '', ' ': '_word', '\n': '_line', '': '_cut' };

function editChunks(article: string): EditChunk[] {
  const chunks: EditChunk[] = [];
  let current: EditChunk | undefined;
  for (const paragraph of article.trim().split(/\n{2,}/)) {
    if ([...paragraph].length > MAX_INPUT_CHARS) {
      // Too long for one input: its own parts, cut at whitespace; Slack may trim an input's edges,
      // so the whitespace at each cut is kept in the block ID instead of in the text.
      if (current) chunks.push(current);
      current = undefined;
      splitText(paragraph, MAX_INPUT_CHARS).forEach((piece, index) => {
        // A run with no whitespace to cut at (a long URL, a code line) is cut inside it: joined back with nothing, no character dropped.
        const joiner: EditChunk['joiner'] = index === 0 ? '\n\n' : piece.startsWith('\n') ? '\n' : piece.startsWith(' ') ? ' ' : '';
        chunks.push({ text: (index === 0 || joiner === '' ? piece : piece.slice(1)).trimEnd(), joiner });
      });
      continue;
    }
    const joined: string = current ? `${current.text}\n\n${paragraph}` : paragraph;
    if (current && [...joined].length <= MAX_INPUT_CHARS) current.text = joined;
    else {
      if (current) chunks.push(current);
      current = { text: paragraph, joiner: '\n\n' };
    }
  }
  if (current) chunks.push(current);
  return chunks.length ? chunks : [{ text: '', joiner: '\n\n' }];
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
      textInput(`${ARTICLE_BLOCK_PREFIX}${index}${JOINER_SUFFIX[part.joiner]}`, parts.length > 1 ? `Article (part ${index + 1} of ${parts.length})` : 'Article', {
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

/** Joins the edit modal's parts back into one article, in block order, each with the joiner its block ID names. */
export function editedArticle(values: ViewValues): string {
  const parts = Object.keys(values)
    .map((id) => ({ id, match: /^article_(\d+)(_word|_line|_cut)?$/.exec(id) }))
    .filter((entry): entry is { id: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]))
    .map(({ id, match }) => ({ text: inputValue(values, id).trim(), joiner: match[2] === '_word' ? ' ' : match[2] === '_line' ? '\n' : match[2] === '_cut' ? '' : '\n\n' }))
    .filter((part) => part.text);
  return parts.map((part, index) => (index === 0 ? part.text : `${part.joiner}${part.text}`)).join('');
}
