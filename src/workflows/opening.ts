/**
 * Opening a run: the thread's root message first, one fast Slack call, so a channel the bot cannot
 * post in (a private channel it was not invited to, a DM, an archived channel) is known before any
 * LLM call. Research then starts beside the status message, as before. When the thread cannot be
 * opened, the requester is told at once through the command's response_url, and the run ends with
 * outcome `undeliverable`: no LLM call, visible in the Web UI (memo, stage) and in the metrics.
 */
import { ActivityFailure, ApplicationFailure, log } from '@temporalio/workflow';
import { SlackFailure } from '../shared/failure-types.js';
import { slack } from './activities.js';
import type { PipelineResult } from './messages.js';
import type { RunParts } from './outcome.js';

/** Slack's error when an activity failed because of the channel (not_in_channel, channel_not_found, is_archived, …). */
export function channelErrorOf(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type === SlackFailure.Channel) {
      const details = current.details?.[0] as { slackError?: unknown } | undefined;
      return typeof details?.slackError === 'string' ? details.slackError : 'channel_not_found';
    }
    if (!(current instanceof ActivityFailure) && !(current instanceof ApplicationFailure)) return undefined;
    current = current.cause;
  }
  return undefined;
}

/** Posts the thread's root. Returns Slack's error instead when the bot cannot post in the channel. */
export async function openThread({ run }: RunParts): Promise<{ slackError?: string }> {
  const { channel, topic, requestedBy, workflowId } = run;
  try {
    const opened = await slack.openThread({ channel, topic, requestedBy, workflowId });
    run.posted.threadTs = opened.threadTs;
    return {};
  } catch (error) {
    const slackError = channelErrorOf(error);
    if (slackError === undefined) throw error;
    return { slackError };
  }
}

/** Ends a run whose thread could not be opened: the requester is told how to fix it; nothing else happens. */
export async function endUndeliverable({ run, ledger, status }: RunParts, slackError: string): Promise<PipelineResult> {
  const { workflowId, topic, channel } = run;
  run.decision = { outcome: 'undeliverable', at: new Date().toISOString(), reason: slackError };
  status.runState = 'failed';
  status.enter('undeliverable', `Could not open the thread in ${channel} (${slackError}); nothing was researched`);
  if (run.responseUrl) {
    try {
      await slack.notifyRequester({
        responseUrl: run.responseUrl, command: run.command, topic, channel, slackError, workflowId,
        ...(run.botUserId ? { botUserId: run.botUserId } : {}),
      });
    } catch (error) {
      // The URL expired or was used up: the Web UI (memo, stage) still says what happened.
      log.warn('Could not tell the requester that the thread could not be opened', { error: String(error) });
    }
  } else {
    log.warn('The thread could not be opened and the run has no response_url to tell the requester', { slackError });
  }
  await status.close();
  return { workflowId, topic, article: '', decision: run.decision, versions: 0, usage: ledger.summary() };
}
