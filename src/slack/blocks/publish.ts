/**
 * The published article: Slack's `markdown` block, split so that no block and no message goes
 * past Slack's limits (a markdown block takes ~12,000 characters, and `msg_blocks_too_long` has been
 * seen near 13,000 in one message), with a footer saying who asked, who approved and what it cost.
 */
import { formatUsd } from '../../shared/pricing.js';
import type { SlackMessage } from './pipeline.js';
import { splitText } from './modals.js';
import { defuseMentions, link, userMention, userText } from './text.js';

/** Characters of article per message: one markdown block, with room for the footer. */
export const PUBLISH_CHARS_PER_MESSAGE = 10_000;

export interface PublishInput {
  topic: string;
  article: string;
  requestedBy: string;
  approvedBy: string;
  versions: number;
  edited: boolean;
  costUsd: number;
  costComplete: boolean;
  workflowUrl: string;
}

export function publishMessages(input: PublishInput): SlackMessage[] {
  const parts = splitText(defuseMentions(input.article), PUBLISH_CHARS_PER_MESSAGE);
  const footer = [
    `Requested by ${userMention(input.requestedBy)}`,
    `approved by ${userMention(input.approvedBy)}${input.edited ? ' (with edits)' : ''}`,
    `${input.versions} version${input.versions === 1 ? '' : 's'}`,
    `cost ${formatUsd(input.costUsd)}${input.costComplete ? '' : ' + cost unknown'}`,
    link(input.workflowUrl, 'workflow'),
  ].join(' · ');
  return parts.map((part, index) => {
    const last = index === parts.length - 1;
    const label = parts.length > 1 ? ` (part ${index + 1} of ${parts.length})` : '';
    return {
      text: `${userText(input.topic, 200 - label.length)}${label}`,
      blocks: [
        { type: 'markdown', text: part },
        ...(last ? [{ type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: footer }] }] : []),
      ],
    };
  });
}
