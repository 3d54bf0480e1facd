/** The one reminder a waiting draft gets, mentioning whoever can decide. */
import { formatDuration } from '../../shared/duration.js';
import type { SlackMessage } from './pipeline.js';
import { userText } from './text.js';

/** `<@U…>` for people, `<!subteam^S…>` for user groups. */
export function reviewerMention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

export interface ReminderInput {
  topic: string;
  version: number;
  reviewers: string[];
  waitedMs: number;
}

export function reminderMessage({ topic, version, reviewers, waitedMs }: ReminderInput): SlackMessage {
  const who = reviewers.map(reviewerMention).join(' ');
  const text = `:bell: ${who} draft v${version} of *${userText(topic, 150)}* has waited ${formatDuration(waitedMs)} for a review. Approve, edit, request changes or reject it on the card above.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
