/**
 * Types of an approved article whose publication failed, and of `/research publish`'s workflow
 * input. Types only, shared by the workflows and the bot.
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
}
