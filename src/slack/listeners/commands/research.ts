/**
 * `/research <topic>`: ack at once (Slack allows 3 s), then start the pipeline.
 * Validation is pure and synchronous, so a bad topic is answered in the ack itself. The topic is
 * sanitized first (Slack markup becomes plain words), so nothing the bot posts about it can ping.
 * The workflow ID is derived from the command delivery, so Slack delivering the same command again
 * (`X-Slack-Retry-Num`) reaches the pipeline the first delivery started instead of a second one.
 */
import type { App } from '@slack/bolt';
import { readResearchCommand } from '../../../shared/topic.js';
import {
  emptyTopicReply,
  startedReply,
  TEMPORAL_UNAVAILABLE_REPLY,
  topicTooLongReply,
  usageHelp,
} from '../../blocks/replies.js';
import { afterPendingAcks } from '../after-ack.js';
import type { ListenerDeps } from '../deps.js';
import { parseSubcommand, runSubcommand } from './subcommands.js';
import { errorChain } from '../../../shared/error-chain.js';
import { SpendCheckUnavailableError } from '../../../temporal/admission.js';
import { admissionRefusedReply, admittingReply, spendCheckUnavailableReply } from '../../blocks/spend.js';

export const RESEARCH_COMMAND = '/research';

export function registerResearchCommand(app: App, deps: ListenerDeps): void {
  const { pipelines } = deps;
  app.command(RESEARCH_COMMAND, async ({ command, ack, respond, logger, context }) => {
    // help / status / cancel <id> / command-like words: answered, never started as a topic.
    const subcommand = parseSubcommand(command.text);
    if (subcommand) {
      await ack();
      const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
      try {
        await runSubcommand(subcommand, { command: command.command, userId: command.user_id, channelId: command.channel_id, ...(command.team_id || context.teamId ? { teamId: command.team_id || context.teamId } : {}), reply }, deps);
      } catch (error) {
        logger.error(`/research ${subcommand.kind} for ${command.user_id} failed: ${errorChain(error)}`);
        await reply(TEMPORAL_UNAVAILABLE_REPLY);
      }
      return;
    }
    const { text, docsOnly } = docsOnlyFlag(command.text);
    const parsed = readResearchCommand(text);
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: usageHelp(command.command) });
      return;
    }
    if (parsed.kind === 'invalid') {
      const text = parsed.reason === 'empty' ? emptyTopicReply(command.command) : topicTooLongReply(parsed.limit);
      await ack({ response_type: 'ephemeral', text });
      return;
    }

    // With spend ceilings set, the run is admitted first: the ack says so, and a refusal follows it.
    const started = deps.spendLimits ? admittingReply(parsed.topic) : startedReply(parsed.topic);
    await ack({ response_type: 'ephemeral', text: started + (docsOnly ? ' Grounded in your documents only (--docs-only).' : '') });
    await afterPendingAcks();
    const retry = context.retryNum ? ` (Slack retry ${context.retryNum}${context.retryReason ? `, ${context.retryReason}` : ''})` : '';
    const teamId = command.team_id || context.teamId;
    try {
      const { workflowId, refused } = await pipelines.start(
        {
          topic: parsed.topic, requestedBy: command.user_id, channel: command.channel_id,
          // Whose spend account the run's calls reserve from.
          ...(teamId ? { teamId } : {}),
          // Where the workflow tells the requester, ephemerally, if it cannot open its thread here.
          responseUrl: command.response_url, command: command.command,
          ...(context.botUserId ? { botUserId: context.botUserId } : {}),
          ...(docsOnly ? { docsOnly: true } : {}),
        },
        { idempotencyKey: commandDeliveryKey(command), visibility: await deps.channelVisibility(command.channel_id) },
      );
      if (refused) {
        logger.info(`Not started for ${command.user_id} in ${command.channel_id}: spend limit ${refused.limit}${retry}`);
        await respond({ response_type: 'ephemeral', replace_original: false, text: admissionRefusedReply(refused, (command.text ?? text).trim(), command.command) });
        return;
      }
      logger.info(`Started ${workflowId} for ${command.user_id} in ${command.channel_id}${retry}`);
    } catch (error) {
      logger.error(`Could not start a pipeline for ${command.user_id}: ${errorChain(error)}`);
      const reply = error instanceof SpendCheckUnavailableError ? spendCheckUnavailableReply((command.text ?? text).trim(), command.command) : TEMPORAL_UNAVAILABLE_REPLY;
      await respond({ response_type: 'ephemeral', replace_original: false, text: reply });
    }
  });
}

/** `--docs-only` anywhere in the command: ground only on the team's documents. */
export function docsOnlyFlag(text: string | undefined): { text: string; docsOnly: boolean } {
  const raw = text ?? '';
  const stripped = raw.replace(/(^|\s)--docs-only(?=\s|$)/gi, ' ').replace(/\s+/g, ' ').trim();
  return { text: stripped, docsOnly: stripped !== raw.replace(/\s+/g, ' ').trim() };
}

/**
 * What identifies one `/research` invocation: Slack resends the same body (same trigger_id) when it
 * retries a delivery, while a new invocation always has a new trigger_id.
 */
export function commandDeliveryKey(command: {
  team_id?: string;
  channel_id: string;
  user_id: string;
  command: string;
  text: string;
  trigger_id: string;
}): string {
  return [command.team_id ?? '', command.channel_id, command.user_id, command.command, command.text, command.trigger_id].join('\n');
}
