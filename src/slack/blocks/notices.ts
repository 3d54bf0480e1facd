/**
 * The ephemeral answer to a click or a submission the workflow did not act on: why, and, when the
 * person wrote something (an edit, feedback, a reason), their text given back so nothing is lost.
 * Their text is escaped, then split into sections within Slack's limits
 * (https://api.slack.com/reference/block-kit/blocks#section: text ≤ 3,000 characters; ≤ 50 blocks
 * per message, https://api.slack.com/reference/block-kit/blocks).
 */
import type { SlackMessage } from './pipeline.js';
import { escapeMrkdwn, slackLength, userText } from './text.js';

export interface RefusalNoticeInput {
  /** Why nothing changed (our words; may hold mentions). */
  reason: string;
  /** The person's own text, given back. */
  returned?: { label: string; text: string };
}

const SECTION_MAX = 3_000;
const FENCE = '```';
/** Room for the fences (and newlines) around each piece. */
const PIECE_MAX = SECTION_MAX - 2 * FENCE.length - 2;
/** Blocks per message, less the reason and the label. */
const MAX_PIECES = 48;
/** An escaped character is at most 5 long (`&amp;`): a line cut into pieces this long always fits. */
const RAW_PIECE = Math.floor(PIECE_MAX / 5);

/** Escaped text, split at line ends (or, for a very long line, between characters) into pieces that fit a section. */
export function pieces(text: string): string[] {
  const out: string[] = [];
  let current = '';
  const lines = text.split('\n').flatMap((line) => {
    if (slackLength(escapeMrkdwn(line)) <= PIECE_MAX) return [line];
    const chars = Array.from(line);
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += RAW_PIECE) parts.push(chars.slice(i, i + RAW_PIECE).join(''));
    return parts;
  });
  for (const line of lines) {
    const escaped = userText(line, PIECE_MAX);
    const joined = current ? `${current}\n${escaped}` : escaped;
    if (slackLength(joined) <= PIECE_MAX) {
      current = joined;
    } else {
      out.push(current);
      current = escaped;
    }
  }
  if (current) out.push(current);
  return out;
}

export function refusalNotice({ reason, returned }: RefusalNoticeInput): SlackMessage {
  const blocks: SlackMessage['blocks'] = [{ type: 'section', text: { type: 'mrkdwn', text: `:information_source: ${reason}` } }];
  if (returned?.text.trim()) {
    const all = pieces(returned.text);
    const shown = all.slice(0, MAX_PIECES);
    const more = all.length > shown.length ? ` (the first ${shown.length} of ${all.length} parts: it is longer than one Slack message holds)` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${returned.label}*, so it is not lost${more}:` } });
    for (const piece of shown) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${FENCE}\n${piece}\n${FENCE}` } });
  }
  return { text: reason, blocks };
}
