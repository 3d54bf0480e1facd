/**
 * Short ephemeral replies the bot gives a single person: usage help and polite refusals.
 */
import { userText } from './text.js';

export function usageHelp(command = '/research'): string {
  return [
    `*${command} <topic>* researches a topic, drafts a ~500-word article and posts it in a thread for review.`,
    `Example: \`${command} durable execution for AI agents\``,
    'You will see progress in the thread, then *Approve* or *Reject* buttons on the draft.',
  ].join('\n');
}

export function emptyTopicReply(command = '/research'): string {
  return `Please tell me what to research.\n${usageHelp(command)}`;
}

export function topicTooLongReply(limit: number): string {
  return `That topic is a bit long: please keep it to ${limit} characters at most (a phrase works best).`;
}

export const TEMPORAL_UNAVAILABLE_REPLY =
  ':warning: The research pipeline is temporarily unavailable, so nothing was started. Please try again in a minute.';

export const PIPELINE_FINISHED_REPLY = 'This pipeline has already finished, so the click changed nothing.';

export const UNKNOWN_BUTTON_REPLY = 'That button does not belong to a pipeline I know, so nothing changed.';

/**
 * A run whose memo the bot cannot decode: its payload key was removed from PAYLOAD_KEYS, so no
 * worker can carry it on either. Said instead of forwarding a click or command it would never act on.
 */
export function unreadableRunReply(keyId: string | undefined): string {
  return (
    `This pipeline was started under an encryption key${keyId ? ` ("${keyId}")` : ''} the bot no longer has, so it cannot go on and nothing changed. ` +
    'Ask whoever runs the bot to put that key back in PAYLOAD_KEYS (`npm run keys -- check` lists the runs that need it), then try again.'
  );
}

export const OTHER_CHANNEL_REPLY = 'That button belongs to a pipeline in another channel, so nothing changed.';

export const REVIEW_FAILED_REPLY =
  ':warning: I could not pass your decision on right now, so nothing changed. Please try the button again in a minute.';

export function startedReply(topic: string): string {
  return `On it: researching *${userText(topic, 1_000)}*. Follow along in the thread I am starting in this channel.`;
}
