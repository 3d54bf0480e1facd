/**
 * What a person is told when the bot cannot post where it needs to: the requester (ephemerally,
 * through the command's response_url) when a run cannot open its thread, the thread when the
 * approved article cannot be published, and the operator at startup when PUBLISH_CHANNEL is unusable.
 * Each says what happened and how to fix it. Pure text: no Block Kit needed.
 */
import type { SlackMessage } from './pipeline.js';
import { userText } from './text.js';

/** One mrkdwn section and its fallback text. */
function lineMessage(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** How the bot is named in the advice: its mention (Slack renders the name) or a fallback. */
function botName(botUserId: string | undefined): string {
  return botUserId ? `<@${botUserId}>` : '@Content Pipeline'; // the manifest's display name
}

/** Why the bot cannot post in a channel, and what fixes it (a sentence each), from Slack's error. */
export function channelProblem(slackError: string, channel: string, botUserId?: string): { what: string; fix: string } {
  const bot = botName(botUserId);
  const invite = `Invite me with \`/invite ${bot}\` in that channel.`;
  switch (slackError) {
    case 'channel_not_found':
      return channel.startsWith('D')
        ? { what: 'I can’t post in this direct message: apps can only post in their own DMs.', fix: 'Use a channel I’m in, or my own Messages tab.' }
        : { what: `I can’t see <#${channel}>: it is a private channel I’m not a member of (or it no longer exists).`, fix: invite };
    case 'not_in_channel':
      return { what: `I’m not a member of <#${channel}>.`, fix: invite };
    case 'is_archived':
      return { what: `<#${channel}> is archived, so nothing can be posted in it.`, fix: 'Unarchive it, or use another channel.' };
    default:
      return { what: `Slack refused my post in <#${channel}> (\`${slackError}\`): a workspace or channel setting keeps apps from posting there.`, fix: 'Ask a workspace admin, or use another channel.' };
  }
}

export interface UndeliverableNoticeInput {
  command: string;
  topic: string;
  channel: string;
  slackError: string;
  workflowId: string;
  botUserId?: string;
}

/** The requester's ephemeral notice: the run could not open its thread, so it ended before any LLM call. */
export function undeliverableNotice(input: UndeliverableNoticeInput): string {
  const { what, fix } = channelProblem(input.slackError, input.channel, input.botUserId);
  return [
    `:warning: I couldn’t start research on *${userText(input.topic, 200)}*. ${what}`,
    `${fix} Then run \`${input.command}\` again.`,
    `Nothing was researched or spent (\`${input.workflowId}\`, ended as undeliverable).`,
  ].join('\n');
}

export interface PublishFailedInput {
  channel: string;
  slackError: string;
  workflowId: string;
  command: string;
  botUserId?: string;
}

/** The thread's line when the approved article could not be published. */
export function publishFailedLine(input: PublishFailedInput): string {
  const { what, fix } = channelProblem(input.slackError, input.channel, input.botUserId);
  return `:warning: *Not published.* ${what} ${fix} Then run \`${input.command} publish ${input.workflowId}\` to publish the approved article (it is kept in the workflow's result).`;
}

/** The thread's line after `/research publish` published the article. */
export function republishedLine(channel: string, by: string): string {
  return `:white_check_mark: *Published* in <#${channel}> at <@${by}>’s request.`;
}

export function publishFailedMessage(input: PublishFailedInput): SlackMessage {
  return lineMessage(publishFailedLine(input));
}

export function republishedMessage(channel: string, by: string): SlackMessage {
  return lineMessage(republishedLine(channel, by));
}
