/**
 * The thread's one note, when REVIEWERS names people who are not in the run's private channel (or
 * DM, or group DM): they were not asked and cannot decide, and what to do about it.
 */
import type { SlackMessage } from './pipeline.js';

/** Names shown before "and N more". */
const MAX_NAMED = 10;

export interface ReviewersOutsideInput {
  /** Reviewers (user IDs) outside the conversation. */
  outside: string[];
  /** How many reviewers are in it (0: nobody but the requester can act). */
  inside: number;
}

export function reviewersOutsideMessage({ outside, inside }: ReviewersOutsideInput): SlackMessage {
  const named = outside.slice(0, MAX_NAMED).map((id) => `<@${id}>`);
  const more = outside.length - named.length;
  const list = more > 0 ? `${named.join(', ')} and ${more} more` : named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0] ?? '';
  const are = outside.length === 1 ? 'is a reviewer' : 'are reviewers';
  const fix = inside > 0
    ? 'Invite them to this conversation if they should review here; the reviewers who are in it can decide meanwhile.'
    : 'No reviewer is in this conversation, so nobody can decide on this draft yet: invite a reviewer here, or start the research again in a channel the reviewers are in.';
  const text = `:lock: ${list} ${are} but not in this private conversation, so they were not asked and cannot see or decide on this draft. ${fix}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
