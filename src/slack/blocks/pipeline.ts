/**
 * Pure Block Kit builders for everything the pipeline posts: the thread's parent message,
 * the draft card with its review buttons, and the card once a decision is recorded.
 */
import type { ActionsBlock, Button, ContextBlock, KnownBlock } from '@slack/types';
import type { Decision, GroundingCard } from '../../workflows/messages.js';
import { formatUsd } from '../../shared/pricing.js';
import type { LinkCheck } from '../../shared/links.js';
import { linkBlocks } from './links.js';
import { groundingBlocks } from './sources.js';
import { cut, link, markdownText, userMention, userText } from './text.js';

export const APPROVE_ACTION_ID = 'approve_draft';
export const REQUEST_CHANGES_ACTION_ID = 'request_changes';
export const EDIT_ACTION_ID = 'edit_draft';
export const REJECT_ACTION_ID = 'reject_draft';
export const CANCEL_ACTION_ID = 'cancel_pipeline';
export const REVIEW_BLOCK_ID = 'review';

/** Slack's `markdown` block accepts about 12,000 characters; keep headroom for the rest of the card. */
export const MAX_ARTICLE_CHARS = 11_000;
/** Limit for the notification fallback `text` we send alongside blocks. */
const MAX_FALLBACK_CHARS = 300;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface ThreadRootInput {
  topic: string;
  requestedBy: string;
  workflowId: string;
  workflowUrl: string;
}

export function threadRootMessage({ topic, requestedBy, workflowId, workflowUrl }: ThreadRootInput): SlackMessage {
  const safeTopic = userText(topic, 1_000);
  return {
    text: `Researching "${userText(topic, MAX_FALLBACK_CHARS - 60)}" for ${userMention(requestedBy)}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:mag: Researching *${safeTopic}* for ${userMention(requestedBy)}` },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `Workflow \`${workflowId}\` · ${link(workflowUrl, 'open in Temporal UI')}` },
          { type: 'mrkdwn', text: 'Progress and the draft for review will appear in this thread.' },
        ],
      },
    ],
  };
}

export interface DraftCardInput {
  workflowId: string;
  topic: string;
  article: string;
  /** Draft version: 1 for the first draft, +1 per revision. */
  version?: number;
  /** How many more times reviewers may request changes. */
  revisionsLeft?: number;
  /** Tokens spent so far by the whole pipeline. */
  totalTokens: number;
  /** USD spent so far on priced steps. */
  costUsd?: number;
  /** False when some step used a model without a price. */
  costComplete?: boolean;
  /** Sources and evidence check of a run that searched the team's documents. */
  sources?: GroundingCard;
  /** PUBLISH_CHANNEL, when approving publishes there rather than in the request's channel. */
  publishChannel?: string;
  /** The URLs the run's sources hold and what the writer removed (the card lists the article's links against them). */
  links?: LinkCheck;
}

function articleBlocks({ topic, article, version = 1 }: Pick<DraftCardInput, 'topic' | 'article' | 'version'>): KnownBlock[] {
  return [
    { type: 'header', text: { type: 'plain_text', text: cut(`Draft v${version}: ${userText(topic, 150)}`, 150), emoji: true } },
    // The markdown block renders standard Markdown, which is what the writer produces.
    { type: 'markdown', text: markdownText(article, MAX_ARTICLE_CHARS) },
    { type: 'divider' },
  ];
}

function usageContext({ totalTokens, costUsd, costComplete = true }: Pick<DraftCardInput, 'totalTokens' | 'costUsd' | 'costComplete'>): ContextBlock {
  const cost = costUsd === undefined ? '' : ` · ${formatUsd(costUsd)}${costComplete ? '' : ' + cost unknown'}`;
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${totalTokens.toLocaleString('en-US')} tokens used so far${cost}` }],
  };
}

/** The actions block of version N is `review:vN`, so a click says which version it was made on. */
export function reviewBlockId(version: number): string {
  return `${REVIEW_BLOCK_ID}:v${version}`;
}

/** The version a review click was made on, from its block ID; undefined for cards without one. */
export function versionFromBlockId(blockId: string | undefined): number | undefined {
  const match = /^review:v(\d{1,4})$/.exec(blockId ?? '');
  return match ? Number(match[1]) : undefined;
}

function button(actionId: string, text: string, workflowId: string, style?: 'primary' | 'danger'): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text, emoji: true }, value: workflowId, ...(style ? { style } : {}) };
}

function reviewActions({ workflowId, version = 1, revisionsLeft = 0 }: DraftCardInput): ActionsBlock {
  return {
    type: 'actions',
    block_id: reviewBlockId(version),
    elements: [
      button(APPROVE_ACTION_ID, 'Approve', workflowId, 'primary'),
      ...(revisionsLeft > 0 ? [button(REQUEST_CHANGES_ACTION_ID, 'Request changes', workflowId)] : []),
      button(EDIT_ACTION_ID, 'Edit', workflowId),
      button(REJECT_ACTION_ID, 'Reject', workflowId, 'danger'),
      button(CANCEL_ACTION_ID, 'Cancel pipeline', workflowId),
    ],
  };
}

export function draftCardMessage(input: DraftCardInput): SlackMessage {
  const left = input.revisionsLeft ?? 0;
  const note =
    left > 0
      ? `Approve it, edit it yourself, request changes (${left} revision${left === 1 ? '' : 's'} left), or reject it.`
      : 'No revisions left: approve it, edit it yourself, or reject it.';
  // Said before anyone approves: the article leaves this conversation for another one.
  const where = input.publishChannel ? ` Approving publishes it in <#${input.publishChannel}>.` : '';
  return {
    text: `Draft v${input.version ?? 1} ready for review: ${userText(input.topic, MAX_FALLBACK_CHARS - 40)}`,
    blocks: [
      ...articleBlocks(input),
      ...groundingBlocks(input.sources, input.article),
      ...linkBlocks(input.article, input.links, { awaitingReview: true }),
      usageContext(input),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${note}${where}` }] },
      reviewActions(input),
    ],
  };
}

export interface SupersededCardInput extends DraftCardInput {
  nextVersion: number;
  requestedBy: string;
  feedback: string;
}

/** An older version once changes were requested: no buttons, a pointer to the next version. */
export function supersededCardMessage(input: SupersededCardInput): SlackMessage {
  return {
    text: `Draft v${input.version ?? 1} superseded by v${input.nextVersion}`,
    blocks: [
      ...articleBlocks(input),
      ...linkBlocks(input.article, input.links),
      {
        type: 'section',
        block_id: 'superseded',
        text: {
          type: 'mrkdwn',
          text: `:arrows_counterclockwise: Superseded by v${input.nextVersion}: ${userMention(input.requestedBy)} requested changes: “${userText(input.feedback, 1_500)}”`,
        },
      },
    ],
  };
}

/** Unix seconds for Slack's `<!date>` formatting, which shows each reader their own time zone. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
}

export function decisionLine(decision: Decision): string {
  const when = slackDate(decision.at);
  const by = userMention(decision.by ?? 'unknown');
  switch (decision.outcome) {
    case 'approved':
      return decision.edit
        ? `:white_check_mark: Approved by ${by} with their edits (${decision.edit.charactersChanged.toLocaleString('en-US')} characters changed) · ${when}`
        : `:white_check_mark: Approved by ${by} · ${when}`;
    case 'rejected':
      return `:x: Rejected by ${by} · ${when}${decision.reason ? `\nReason: “${userText(decision.reason, 1_000)}”` : ''}`;
    case 'expired':
      return decision.deadline
        ? `:hourglass: Expired: the pipeline reached its time limit · ${when}`
        : `:hourglass: Review expired without a decision · ${when}`;
    case 'stopped':
      return `:octagonal_sign: Stopped${decision.by ? ` by ${by}` : ''} · ${when}`;
    case 'cancelled':
      return `:no_entry_sign: Pipeline cancelled${decision.by ? ` by ${by}` : ''} · ${when}`;
    case 'undeliverable':
      return `:warning: The thread could not be opened · ${when}`;
  }
}

export interface DecidedCardInput extends DraftCardInput {
  decision: Decision;
}

/** The draft card after the review: same article, buttons replaced by who decided and when. */
export function decidedCardMessage(input: DecidedCardInput): SlackMessage {
  const line = decisionLine(input.decision);
  return {
    text: `Draft ${input.decision.outcome}: ${userText(input.topic, MAX_FALLBACK_CHARS - 30)}`,
    blocks: [
      ...articleBlocks(input),
      ...linkBlocks(input.article, input.links),
      usageContext(input),
      { type: 'section', block_id: 'decision', text: { type: 'mrkdwn', text: line } },
    ],
  };
}
