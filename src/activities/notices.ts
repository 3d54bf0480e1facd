/**
 * Answers to people whose click or submission the workflow did not act on: an ephemeral message
 * (only they see it) in the pipeline's thread, saying why, with their own text given back.
 * https://api.slack.com/methods/chat.postEphemeral (channel + user; thread_ts to show it in the thread).
 */
import { refusalNotice, type RefusalNoticeInput } from '../slack/blocks/notices.js';
import type { SlackChatApi } from './slack.js';
import { toSlackFailure } from './slack-errors.js';

export interface TellUserInput extends RefusalNoticeInput {
  channel: string;
  user: string;
  threadTs?: string;
}

export function createNoticeActivities({ slack }: { slack: SlackChatApi }) {
  return {
    async tellUser(input: TellUserInput): Promise<void> {
      const message = refusalNotice(input);
      try {
        await slack.chat.postEphemeral({
          channel: input.channel,
          user: input.user,
          ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
          text: message.text,
          blocks: message.blocks,
        });
      } catch (error) {
        throw toSlackFailure(error, 'chat.postEphemeral');
      }
    },
  };
}

export type NoticeActivities = ReturnType<typeof createNoticeActivities>;
