/**
 * Slack activities: every message the pipeline writes goes through here, so each write is
 * durable, retried by Temporal and visible in the workflow's history.
 */
import type { WebClient } from '@slack/web-api';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { SlackFailure } from '../shared/failure-types.js';
import type { StatusView } from '../shared/progress.js';
import type { Decision, UsageSummary } from '../workflows/messages.js';
import { budgetAnsweredMessage, budgetQuestionMessage, type BudgetAnsweredInput, type CeilingQuestion } from '../slack/blocks/budget.js';
import { failureMessage, outcomeMessage } from '../slack/blocks/outcome.js';
import {
  decidedCardMessage,
  draftCardMessage,
  threadRootMessage,
  type DraftCardInput,
  type SlackMessage,
} from '../slack/blocks/pipeline.js';
import { statusMessage } from '../slack/blocks/status.js';
import { publishMessages, type PublishInput } from '../slack/blocks/publish.js';
import { reminderMessage } from '../slack/blocks/reminder.js';
import { supersededCardMessage, type SupersededCardInput } from '../slack/blocks/pipeline.js';
import { workflowUrl } from '../slack/blocks/text.js';
import { publishFailedMessage, republishedMessage, undeliverableNotice, type UndeliverableNoticeInput } from '../slack/blocks/channel-access.js';
import { toSlackFailure } from './slack-errors.js';
import { reviewersOutsideMessage, type ReviewersOutsideInput } from '../slack/blocks/reviewers-outside.js';

/** The slice of the Web API the activities use; tests pass a real WebClient aimed at a stand-in. */
export interface SlackChatApi {
  chat: Pick<WebClient['chat'], 'postMessage' | 'update' | 'postEphemeral'>;
  /**
   * Read access, to look before re-posting on a retry (scopes channels:history, groups:history).
   * Without it a retried post cannot be recognised and is simply posted again.
   */
  conversations?: Pick<WebClient['conversations'], 'history' | 'replies'> & Partial<Pick<WebClient['conversations'], 'info' | 'members'>>;
  /** For REVIEWERS that name user groups (scope usergroups:read). */
  usergroups?: { users: Pick<WebClient['usergroups']['users'], 'list'> };
}

/** Posts a JSON body to a response_url; resolves with the HTTP status and body. */
export type ResponseUrlPoster = (url: string, body: Record<string, unknown>) => Promise<{ status: number; body: string }>;

const postToResponseUrl: ResponseUrlPoster = async (url, body) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
};

export interface SlackActivityDeps {
  slack: SlackChatApi;
  /** How to post to a command's response_url (fetch by default). */
  respond?: ResponseUrlPoster;
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

/** The draft card (its fields are documented on DraftCardInput), as a reply in the thread. */
export interface PostDraftInput extends ThreadTarget, DraftCardInput {}

export type OpenThreadInput = AnnounceInput;

export interface PostStatusInput {
  channel: string;
  threadTs: string;
  workflowId: string;
  /** What the status message shows first. */
  view: StatusView;
}

export interface NotifyRequesterInput extends UndeliverableNoticeInput {
  responseUrl: string;
}

export interface PublishFailedReplyInput extends ThreadTarget {
  publishChannel: string;
  slackError: string;
  command: string;
  botUserId?: string;
}

export interface RepublishedReplyInput extends ThreadTarget {
  publishChannel: string;
  by: string;
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
  /** Asked because a workspace spend ceiling refused the call: Wait for the reset / Stop. */
  ceiling?: CeilingQuestion;
}

export interface RecordBudgetAnswerInput extends BudgetAnsweredInput {
  channel: string;
  ts: string;
}

export interface OutcomeReplyInput extends ThreadTarget {
  topic: string;
  decision: Decision;
  usage: UsageSummary;
  budgetUsd: number;
  versions?: number;
  published?: { channel: string; ts: string; parts: number };
}

export interface SupersedeInput extends SupersededCardInput {
  channel: string;
  draftTs: string;
}

export interface ReminderInput extends ThreadTarget {
  topic: string;
  version: number;
  reviewers: string[];
  waitedMs: number;
}

export interface PublishArticleInput extends Omit<PublishInput, 'workflowUrl'> {
  /** Where to publish (PUBLISH_CHANNEL or the request's channel). */
  channel: string;
  sourceChannel: string;
  threadTs: string;
  workflowId: string;
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

/** How far back before the first attempt a retry looks for its message (clock skew between us and Slack). */
const LOOKUP_CLOCK_SKEW_MS = 60_000;
const LOOKUP_PAGE_SIZE = 100;
const LOOKUP_MAX_PAGES = 5;

interface PostedPayload {
  workflow_id: string;
  kind: string;
  key?: string;
}

interface LookupQuery {
  channel: string;
  threadTs: string | undefined;
  payload: PostedPayload;
  text: string;
  /** When the activity was first scheduled: its message cannot be older. */
  sinceMs: number;
}

interface PostedMessage {
  ts?: string;
  text?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

function isPostedMessage(message: PostedMessage, payload: PostedPayload, text: string): boolean {
  const { event_type: eventType, event_payload: found } = message.metadata ?? {};
  if (eventType !== METADATA_EVENT_TYPE || !found) return false;
  if (found.workflow_id !== payload.workflow_id || found.kind !== payload.kind || found.key !== payload.key) return false;
  return payload.key !== undefined || message.text === text;
}

/** This activity's attempt number and when its first attempt was scheduled; undefined outside an activity. */
function currentAttempt(): { attempt: number; firstScheduledMs: number } | undefined {
  try {
    const { attempt, scheduledTimestampMs } = Context.current().info;
    return { attempt, firstScheduledMs: scheduledTimestampMs };
  } catch {
    return undefined;
  }
}

export function createSlackActivities({ slack, temporalUiUrl, namespace, respond = postToResponseUrl }: SlackActivityDeps) {
  /**
   * Posts a message marked with metadata (workflow, kind and, when a kind can occur more than once
   * per workflow, a distinguishing `key` such as a draft's version). Exactly once: on a retry the
   * earlier attempt may have been accepted by Slack with its answer lost (a 500 or a timeout after
   * the write, a worker killed mid-call), so it first looks for that message and returns it.
   */
  /** REVIEWERS' user IDs, with user groups expanded (usergroups.users.list), sorted. */
  async function expandReviewers(reviewers: string[]): Promise<string[]> {
    const users = new Set(reviewers.filter((id) => !id.startsWith('S')));
    for (const group of reviewers.filter((id) => id.startsWith('S'))) {
      if (!slack.usergroups) throw ApplicationFailure.create({ type: SlackFailure.Auth, message: 'REVIEWERS names a user group, but no usergroups client is configured', nonRetryable: true });
      try {
        const result = await slack.usergroups.users.list({ usergroup: group });
        for (const user of result.users ?? []) users.add(user);
      } catch (error) {
        throw toSlackFailure(error, 'usergroups.users.list');
      }
    }
    return [...users].sort();
  }

  async function post(kind: string, channel: string, workflowId: string, message: SlackMessage, threadTs?: string, key?: string) {
    const payload = { workflow_id: workflowId, kind, ...(key !== undefined ? { key } : {}) };
    const retry = currentAttempt();
    if (retry && retry.attempt > 1) {
      const earlier = await findPosted({ channel, threadTs, payload, text: message.text, sinceMs: retry.firstScheduledMs });
      if (earlier) return earlier;
    }
    try {
      const result = await slack.chat.postMessage({
        channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: METADATA_EVENT_TYPE, event_payload: payload },
      });
      if (!result.ts) throw new Error('chat.postMessage returned no ts');
      return { ts: result.ts, channel: result.channel ?? channel };
    } catch (error) {
      throw toSlackFailure(error, 'chat.postMessage');
    }
  }

  /**
   * The message an earlier attempt posted, if Slack has it: same metadata, and (without a key)
   * the same fallback text, so a later message of the same kind is never mistaken for it.
   * Reads the thread's replies, or the channel's history since the activity was first scheduled.
   * If the bot may not read the channel, it says so in the log and the caller posts.
   */
  async function findPosted(query: LookupQuery): Promise<{ ts: string; channel: string } | undefined> {
    const conversations = slack.conversations;
    if (!conversations) return undefined;
    const { channel, threadTs, payload, text } = query;
    const oldest = ((query.sinceMs - LOOKUP_CLOCK_SKEW_MS) / 1000).toFixed(6);
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    let cursor: string | undefined;
    try {
      for (let page = 0; page < LOOKUP_MAX_PAGES; page += 1) {
        const common = { channel, include_all_metadata: true, oldest, limit: LOOKUP_PAGE_SIZE, ...(cursor ? { cursor } : {}) };
        const result = threadTs ? await conversations.replies({ ...common, ts: threadTs }) : await conversations.history(common);
        const found = (result.messages as PostedMessage[] | undefined)?.find((m) => isPostedMessage(m, payload, text));
        if (found?.ts) return { ts: found.ts, channel };
        cursor = result.response_metadata?.next_cursor || undefined;
        if (!result.has_more || !cursor) return undefined;
      }
      return undefined;
    } catch (error) {
      const failure = toSlackFailure(error, method);
      if (!failure.nonRetryable) throw failure;
      Context.current().log.warn(`Cannot look for an earlier ${payload.kind} post before retrying (${failure.message}); posting again`, {
        workflowId: payload.workflow_id,
      });
      return undefined;
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
    /**
     * The channel message that starts the pipeline's thread. Its own activity, posted before any
     * LLM call: a channel the bot cannot post in (not_in_channel, channel_not_found, is_archived)
     * fails it with a SlackChannelError whose details name Slack's error, and the run ends there.
     * A retry finds the root an earlier attempt already posted.
     */
    async openThread(input: OpenThreadInput): Promise<{ threadTs: string; channel: string }> {
      const root = await post('thread_root', input.channel, input.workflowId, threadRootMessage({ ...input, workflowUrl: urlOf(input.workflowId) }));
      return { threadTs: root.ts, channel: root.channel };
    },

    /** The one status message of the thread, as its first reply (later edited by updateStatus). */
    async postStatusMessage(input: PostStatusInput): Promise<{ ts: string }> {
      const { ts } = await post('status', input.channel, input.workflowId, statusMessage(input.view), input.threadTs);
      return { ts };
    },

    /**
     * Tells the requester, ephemerally through the command's response_url, that the run could not
     * open its thread and how to fix it. The response_url works where the bot cannot post; Slack
     * accepts 5 posts within 30 minutes, so an expired or used-up URL is not retried.
     */
    async notifyRequester(input: NotifyRequesterInput): Promise<void> {
      const { responseUrl, ...notice } = input;
      let answer: { status: number; body: string };
      try {
        answer = await respond(responseUrl, { response_type: 'ephemeral', replace_original: false, text: undeliverableNotice(notice) });
      } catch (error) {
        throw ApplicationFailure.create({ type: SlackFailure.Unavailable, message: `response_url could not be reached: ${String(error)}` });
      }
      if (answer.status >= 500 || answer.status === 429) {
        throw ApplicationFailure.create({ type: SlackFailure.Unavailable, message: `response_url answered HTTP ${answer.status}` });
      }
      if (answer.status >= 400 || /"ok"\s*:\s*false/.test(answer.body)) {
        throw ApplicationFailure.create({ type: SlackFailure.InvalidRequest, message: `response_url refused the notice (HTTP ${answer.status}: ${answer.body.slice(0, 200)})`, nonRetryable: true });
      }
    },

    /** The thread's note that the approved article could not be published, and how to publish it later. */
    async postPublishFailed(input: PublishFailedReplyInput): Promise<{ ts: string }> {
      const message = publishFailedMessage({ ...input, channel: input.publishChannel });
      const { ts } = await post('publish_failed', input.channel, input.workflowId, message, input.threadTs);
      return { ts };
    },

    /** The thread's note that `/research publish` published the article. */
    async postRepublished(input: RepublishedReplyInput): Promise<{ ts: string }> {
      const { ts } = await post('republished', input.channel, input.workflowId, republishedMessage(input.publishChannel, input.by), input.threadTs);
      return { ts };
    },

    /** The draft card with Approve / Reject, as a reply in the thread. */
    async postDraft(input: PostDraftInput): Promise<{ ts: string }> {
      // Keyed by version: a retried post of v2 must find v2, never the v1 card.
      const { ts } = await post('draft', input.channel, input.workflowId, draftCardMessage(input), input.threadTs, `v${input.version ?? 1}`);
      return { ts };
    },

    /** Replaces the card's buttons with who decided and when. */
    async recordDecision(input: RecordDecisionInput): Promise<void> {
      await update(input.channel, input.draftTs, decidedCardMessage(input));
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

    /** Expands REVIEWERS (user IDs and user-group IDs) into the user IDs allowed to decide. */
    async resolveReviewers({ reviewers }: { reviewers: string[] }): Promise<string[]> {
      return expandReviewers(reviewers);
    },

    /**
     * REVIEWERS (users and groups) as user IDs, split by whether they may act in `channel`: in a
     * public channel every reviewer; in a private channel, DM or group DM only its members
     * (conversations.info, then conversations.members; scopes channels/groups/im/mpim:read). A
     * conversation Slack will not describe counts as private; its members must then be readable,
     * or the activity fails and is retried: never every reviewer by default.
     */
    async reviewersIn({ reviewers, channel }: { reviewers: string[]; channel: string }): Promise<{ allowed: string[]; outside: string[] }> {
      const users = await expandReviewers(reviewers);
      const conversations = slack.conversations;
      if (!conversations?.info || !conversations.members) {
        throw ApplicationFailure.create({ type: SlackFailure.Auth, message: 'REVIEWERS is set, but no conversations client is configured to check who is in the channel', nonRetryable: true });
      }
      let isPublic: boolean;
      try {
        const info = (await conversations.info({ channel })).channel;
        isPublic = info?.is_private === false && !info.is_im && !info.is_mpim;
      } catch (error) {
        // A rate limit or an outage is no answer: retried, never taken as "private" (which would
        // leave every named reviewer outside a public channel for the whole run). A conversation the
        // bot cannot see fails in conversations.members below all the same.
        throw toSlackFailure(error, 'conversations.info');
      }
      if (isPublic) return { allowed: users, outside: [] };
      const members = new Set<string>();
      let cursor: string | undefined;
      try {
        do {
          const page = await conversations.members({ channel, limit: 200, ...(cursor ? { cursor } : {}) });
          for (const member of page.members ?? []) members.add(member);
          cursor = page.response_metadata?.next_cursor || undefined;
        } while (cursor);
      } catch (error) {
        throw toSlackFailure(error, 'conversations.members');
      }
      return { allowed: users.filter((id) => members.has(id)), outside: users.filter((id) => !members.has(id)) };
    },

    /** Once per run: which reviewers are outside the private conversation, and what to do. */
    async postReviewersOutside(input: ThreadTarget & ReviewersOutsideInput): Promise<{ ts: string }> {
      const { ts } = await post('reviewers_outside', input.channel, input.workflowId, reviewersOutsideMessage(input), input.threadTs);
      return { ts };
    },

    /** The older card once changes are requested: buttons gone, "superseded by vN". */
    async supersedeDraft(input: SupersedeInput): Promise<void> {
      await update(input.channel, input.draftTs, supersededCardMessage(input));
    },

    /** One reminder in the thread, mentioning the reviewers. */
    async postReminder(input: ReminderInput): Promise<{ ts: string }> {
      const { ts } = await post('reminder', input.channel, input.workflowId, reminderMessage(input), input.threadTs);
      return { ts };
    },

    /** The approved article as new top-level message(s); further parts go in the first one's thread. */
    async publishArticle(input: PublishArticleInput): Promise<{ channel: string; ts: string; parts: number }> {
      const messages = publishMessages({ ...input, workflowUrl: urlOf(input.workflowId) });
      const first = await post('publish_1', input.channel, input.workflowId, messages[0]!);
      for (const [index, message] of messages.slice(1).entries()) {
        await post(`publish_${index + 2}`, first.channel, input.workflowId, message, first.ts);
      }
      return { channel: first.channel, ts: first.ts, parts: messages.length };
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
