/**
 * Slack activities: every message the pipeline writes goes through here, so each write is
 * durable, retried by Temporal and visible in the workflow's history.
 */
import type { WebClient } from '@slack/web-api';
import type { StatusView } from '../shared/progress.js';
import type { BudgetAnswer, Decision, UsageSummary } from '../workflows/messages.js';
import { budgetAnsweredMessage, budgetQuestionMessage } from '../slack/blocks/budget.js';
import { failureMessage, outcomeMessage } from '../slack/blocks/outcome.js';
import {
  decidedCardMessage,
  draftCardMessage,
  threadRootMessage,
  type SlackMessage,
} from '../slack/blocks/pipeline.js';
import { statusMessage } from '../slack/blocks/status.js';
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

export interface ThreadTarget {
  channel: string;
  threadTs: string;
  workflowId: string;
}

export interface PostDraftInput extends ThreadTarget {
  topic: string;
  article: string;
  totalTokens: number;
  costUsd?: number;
  costComplete?: boolean;
}

export interface StatusInput extends ThreadTarget {
  view: StatusView;
}

export interface UpdateStatusInput {
  channel: string;
  ts: string;
  view: StatusView;
}

export interface AskBudgetInput extends ThreadTarget {
  step: string;
  budgetUsd: number;
  spentUsd: number;
  estimateUsd: number;
  increaseUsd: number;
}

export interface RecordBudgetAnswerInput {
  channel: string;
  ts: string;
  step: string;
  budgetUsd: number;
  estimateUsd: number;
  increaseUsd: number;
  answer: BudgetAnswer;
  by?: string;
}

export interface OutcomeReplyInput extends ThreadTarget {
  topic: string;
  decision: Decision;
  usage: UsageSummary;
  budgetUsd: number;
}

export interface FailureReplyInput extends ThreadTarget {
  step: string;
  explanation: string;
  detail: string;
  usage: UsageSummary;
  budgetUsd: number;
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

  async function update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    try {
      await slack.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      throw toSlackFailure(error, 'chat.update');
    }
  }

  const urlOf = (workflowId: string) => workflowUrl(temporalUiUrl, namespace, workflowId);

  return {
    /** The channel message that starts the pipeline's thread. */
    async announcePipeline(input: AnnounceInput): Promise<{ ts: string; channel: string }> {
      const message = threadRootMessage({ ...input, workflowUrl: urlOf(input.workflowId) });
      return post('thread_root', input.channel, input.workflowId, message);
    },

    /** The draft card with Approve / Reject, as a reply in the thread. */
    async postDraft(input: PostDraftInput): Promise<{ ts: string }> {
      const { ts } = await post('draft', input.channel, input.workflowId, draftCardMessage(input), input.threadTs);
      return { ts };
    },

    /** Replaces the card's buttons with who decided and when. */
    async recordDecision(input: RecordDecisionInput): Promise<void> {
      await update(input.channel, input.draftTs, decidedCardMessage(input));
    },

    /** The one status message of the thread; later edited by updateStatus. */
    async postStatus(input: StatusInput): Promise<{ ts: string }> {
      const { ts } = await post('status', input.channel, input.workflowId, statusMessage(input.view), input.threadTs);
      return { ts };
    },

    async updateStatus(input: UpdateStatusInput): Promise<void> {
      await update(input.channel, input.ts, statusMessage(input.view));
    },

    /** Asks whether to spend past the budget: Allow +$Z or Stop. */
    async askBudget(input: AskBudgetInput): Promise<{ ts: string }> {
      const { ts } = await post('budget_question', input.channel, input.workflowId, budgetQuestionMessage(input), input.threadTs);
      return { ts };
    },

    async recordBudgetAnswer(input: RecordBudgetAnswerInput): Promise<void> {
      await update(input.channel, input.ts, budgetAnsweredMessage(input));
    },

    /** The final reply: outcome, total and per-step breakdown. */
    async postOutcome(input: OutcomeReplyInput): Promise<{ ts: string }> {
      const message = outcomeMessage({ ...input, workflowUrl: urlOf(input.workflowId) });
      const { ts } = await post('outcome', input.channel, input.workflowId, message, input.threadTs);
      return { ts };
    },

    /** What failed, why, and what to do about it. */
    async postFailure(input: FailureReplyInput): Promise<{ ts: string }> {
      const message = failureMessage({ ...input, workflowUrl: urlOf(input.workflowId) });
      const { ts } = await post('failure', input.channel, input.workflowId, message, input.threadTs);
      return { ts };
    },
  };
}

export type SlackActivities = ReturnType<typeof createSlackActivities>;
