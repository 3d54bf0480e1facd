/**
 * Pure Block Kit builders for everything the pipeline posts: the thread's parent message,
 * the draft card with its review buttons, and the card once a decision is recorded.
 */
import type { ActionsBlock, ContextBlock, KnownBlock } from '@slack/types';
import type { Decision } from '../../workflows/messages.js';
import { formatUsd } from '../../shared/pricing.js';
import { escapeMrkdwn, link, truncate, userMention } from './text.js';

export const APPROVE_ACTION_ID = 'approve_draft';
export const REJECT_ACTION_ID = 'reject_draft';
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
  const safeTopic = escapeMrkdwn(topic);
  return {
    text: `Researching "${truncate(safeTopic, MAX_FALLBACK_CHARS - 60)}" for ${userMention(requestedBy)}`,
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
  /** Tokens spent so far by the whole pipeline. */
  totalTokens: number;
  /** USD spent so far on priced steps. */
  costUsd?: number;
  /** False when some step used a model without a price. */
  costComplete?: boolean;
}

function articleBlocks({ topic, article }: Pick<DraftCardInput, 'topic' | 'article'>): KnownBlock[] {
  return [
    { type: 'header', text: { type: 'plain_text', text: truncate(`Draft: ${topic}`, 150), emoji: true } },
    // The markdown block renders standard Markdown, which is what the writer produces.
    { type: 'markdown', text: truncate(article, MAX_ARTICLE_CHARS) },
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

function reviewActions(workflowId: string): ActionsBlock {
  return {
    type: 'actions',
    block_id: REVIEW_BLOCK_ID,
    elements: [
      {
        type: 'button',
        action_id: APPROVE_ACTION_ID,
        text: { type: 'plain_text', text: 'Approve', emoji: true },
        style: 'primary',
        value: workflowId,
      },
      {
        type: 'button',
        action_id: REJECT_ACTION_ID,
        text: { type: 'plain_text', text: 'Reject', emoji: true },
        style: 'danger',
        value: workflowId,
      },
    ],
  };
}

export function draftCardMessage(input: DraftCardInput): SlackMessage {
  return {
    text: `Draft ready for review: ${truncate(escapeMrkdwn(input.topic), MAX_FALLBACK_CHARS - 30)}`,
    blocks: [...articleBlocks(input), usageContext(input), reviewActions(input.workflowId)],
  };
}

/** Unix seconds for Slack's `<!date>` formatting, which shows each reader their own time zone. */
function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
}

export function decisionLine(decision: Decision): string {
  const when = slackDate(decision.at);
  switch (decision.outcome) {
    case 'approved':
      return `:white_check_mark: Approved by ${userMention(decision.by ?? 'unknown')} · ${when}`;
    case 'rejected':
      return `:x: Rejected by ${userMention(decision.by ?? 'unknown')} · ${when}`;
    case 'expired':
      return `:hourglass: Review expired without a decision · ${when}`;
    case 'stopped':
      return `:octagonal_sign: Stopped${decision.by ? ` by ${userMention(decision.by)}` : ''} · ${when}`;
  }
}

export interface DecidedCardInput extends DraftCardInput {
  decision: Decision;
}

/** The draft card after the review: same article, buttons replaced by who decided and when. */
export function decidedCardMessage(input: DecidedCardInput): SlackMessage {
  const line = decisionLine(input.decision);
  return {
    text: `Draft ${input.decision.outcome}: ${truncate(escapeMrkdwn(input.topic), MAX_FALLBACK_CHARS - 30)}`,
    blocks: [
      ...articleBlocks(input),
      usageContext(input),
      { type: 'section', block_id: 'decision', text: { type: 'mrkdwn', text: line } },
    ],
  };
}
