/**
 * Slack activities: every message the pipeline writes goes through here, so each write is
 * durable, retried by Temporal and visible in the workflow's history.
 */
import type { WebClient } from '@slack/web-api';
import type { Decision } from '../workflows/messages.js';
import {
  decidedCardMessage,
  draftCardMessage,
  threadRootMessage,
  type SlackMessage,
} from '../slack/blocks/pipeline.js';
import { workflowUrl } from '../slack/blocks/text.js';
import { toSlackFailure } from './slack-errors.js';

/** The slice of the Web API the activities use; tests pass a real WebClient aimed at a stand-in. */
export interface SlackChatApi {
  chat: Pick<WebClient['chat'], 'postMessage' | 'update'>;
}

export interface SlackActivityDeps {
  slack: SlackChatApi;
  /** Base URL of the Temporal Web UI, for links. */
  temporalUiUrl: string;
  namespace: string;
}

/** Message metadata marks what a workflow posted, so a retried post can be recognised. */
export const METADATA_EVENT_TYPE = 'content_pipeline_message';

export interface AnnounceInput {
  channel: string;
  topic: string;
  requestedBy: string;
  workflowId: string;
}

export interface PostDraftInput {
  channel: string;
  threadTs: string;
  workflowId: string;
  topic: string;
  article: string;
  totalTokens: number;
}

export interface RecordDecisionInput extends PostDraftInput {
  draftTs: string;
  decision: Decision;
}

export function createSlackActivities({ slack, temporalUiUrl, namespace }: SlackActivityDeps) {
  async function post(kind: string, channel: string, workflowId: string, message: SlackMessage, threadTs?: string) {
    try {
      const result = await slack.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: METADATA_EVENT_TYPE, event_payload: { workflow_id: workflowId, kind } },
      });
      if (!result.ts) throw new Error('chat.postMessage returned no ts');
      return { ts: result.ts, channel: result.channel ?? channel };
    } catch (error) {
      throw toSlackFailure(error, 'chat.postMessage');
    }
  }

  return {
    /** The channel message that starts the pipeline's thread. */
    async announcePipeline(input: AnnounceInput): Promise<{ ts: string; channel: string }> {
      const message = threadRootMessage({
        ...input,
        workflowUrl: workflowUrl(temporalUiUrl, namespace, input.workflowId),
      });
      return post('thread_root', input.channel, input.workflowId, message);
    },

    /** The draft card with Approve / Reject, as a reply in the thread. */
    async postDraft(input: PostDraftInput): Promise<{ ts: string }> {
      const { ts } = await post('draft', input.channel, input.workflowId, draftCardMessage(input), input.threadTs);
      return { ts };
    },

    /** Replaces the card's buttons with who decided and when. */
    async recordDecision(input: RecordDecisionInput): Promise<void> {
      const message = decidedCardMessage(input);
      try {
        await slack.chat.update({ channel: input.channel, ts: input.draftTs, text: message.text, blocks: message.blocks });
      } catch (error) {
        throw toSlackFailure(error, 'chat.update');
      }
    },
  };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;
