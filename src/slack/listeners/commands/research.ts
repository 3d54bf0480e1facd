/**
 * `/research <topic>`: ack at once (Slack allows 3 s), then start the pipeline.
 * Validation is pure and synchronous, so a bad topic is answered in the ack itself.
 */
import type { App } from '@slack/bolt';
import { parseResearchCommand } from '../../../shared/topic.js';
import {
  emptyTopicReply,
  startedReply,
  TEMPORAL_UNAVAILABLE_REPLY,
  topicTooLongReply,
  usageHelp,
} from '../../blocks/replies.js';
import type { ListenerDeps } from '../deps.js';

export const RESEARCH_COMMAND = '/research';

export function registerResearchCommand(app: App, { pipelines, maxTopicLength }: ListenerDeps): void {
  app.command(RESEARCH_COMMAND, async ({ command, ack, respond, logger }) => {
    const parsed = parseResearchCommand(command.text, maxTopicLength);
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: usageHelp(command.command) });
      return;
    }
    if (parsed.kind === 'invalid') {
      const text = parsed.reason === 'empty' ? emptyTopicReply(command.command) : topicTooLongReply(parsed.limit);
      await ack({ response_type: 'ephemeral', text });
      return;
    }

    await ack({ response_type: 'ephemeral', text: startedReply(parsed.topic) });
    try {
      const { workflowId } = await pipelines.start({
        topic: parsed.topic,
        requestedBy: command.user_id,
        channel: command.channel_id,
      });
      logger.info(`Started ${workflowId} for ${command.user_id} in ${command.channel_id}`);
    } catch (error) {
      logger.error(`Could not start a pipeline for ${command.user_id}: ${String(error)}`);
      await respond({ response_type: 'ephemeral', replace_original: false, text: TEMPORAL_UNAVAILABLE_REPLY });
    }
  });
}
