/**
 * `/research publish <workflow-id>`: publishes an approved article whose publication failed (the
 * bot was removed from PUBLISH_CHANNEL, say), once the channel is fixed. A workflow of its own, so
 * the Slack writes stay in activities (retried, in history); the bot starts it with the workflow
 * ID `<pipeline id>-publish` and reuse policy "allow duplicate failed only": it publishes once,
 * and can be tried again while it fails.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { slack } from './activities.js';
import type { RepublishInput } from './messages.js';
import { NOT_THE_RUNS_CHANNEL } from './publication.js';

export async function republishArticle(input: RepublishInput): Promise<{ channel: string; ts: string; parts: number }> {
  const { workflowId, topic, article, versions, unpublished: target } = input;
  // Only from the run's own channel, whatever the bot checked: nothing is posted anywhere else.
  if (input.askedFrom !== undefined && input.askedFrom !== target.sourceChannel) {
    throw ApplicationFailure.create({ type: NOT_THE_RUNS_CHANNEL, message: 'Publishing was asked from another channel than the run\'s; nothing was posted.', nonRetryable: true });
  }
  const published = await slack.publishArticle({
    channel: target.channel, sourceChannel: target.sourceChannel, threadTs: target.threadTs, workflowId, topic, article,
    requestedBy: target.requestedBy, approvedBy: target.approvedBy, versions, edited: target.edited,
    costUsd: target.costUsd, costComplete: target.costComplete,
  });
  await slack.postRepublished({ channel: target.sourceChannel, threadTs: target.threadTs, workflowId, publishChannel: published.channel, by: input.requestedBy });
  return published;
}
