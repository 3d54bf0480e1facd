/**
 * Types of an approved article whose publication failed, and of `/research publish`'s workflow
 * input, and the failure type of a refused one. Shared by the workflows and the bot (no imports).
 */

export interface UnpublishedArticle {
  /** Where the article was to be published (PUBLISH_CHANNEL or the request's channel). */
  channel: string;
  /** The request's channel and thread. */
  sourceChannel: string;
  threadTs: string;
  slackError: string;
  requestedBy: string;
  approvedBy: string;
  edited: boolean;
  costUsd: number;
  costComplete: boolean;
}

/** `/research publish <workflow-id>`: publish an approved article whose publication failed. */
export interface RepublishInput {
  workflowId: string;
  topic: string;
  article: string;
  versions: number;
  unpublished: UnpublishedArticle;
  /** Who asked (requester or reviewer). */
  requestedBy: string;
  /**
   * The channel `/research publish` was typed in: the workflow publishes only when it is the run's
   * own (`unpublished.sourceChannel`). Absent in runs started before it was recorded.
   */
  askedFrom?: string;
}

/** The failure type of a republish asked from another channel than the run's. */
export const NOT_THE_RUNS_CHANNEL = 'NotTheRunsChannel';
