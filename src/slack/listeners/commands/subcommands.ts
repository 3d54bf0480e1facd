/**
 * `/research help | status | cancel <workflow-id>`, and a polite answer for words that look like a
 * subcommand we do not have. Anything else is a topic (quote it to research a word like "status").
 */
import { formatDuration } from '../../../shared/duration.js';
import { isPipelineWorkflowId } from '../../../shared/ids.js';
import { escapeMrkdwn, link, workflowUrl } from '../../blocks/text.js';
import { unreadableRunReply, usageHelp } from '../../blocks/replies.js';
import { kbReply } from '../../blocks/sources.js';
import type { ListenerDeps } from '../deps.js';
import { spendStatusText } from '../../blocks/spend.js';
import { mayCancel, spendersText } from '../authorization.js';
import { channelProblem } from '../../blocks/channel-access.js';
import { DETAILS_ELSEWHERE, scrubDetails } from '../../../shared/scrub.js';
import type { PipelineFacts } from '../../../temporal/pipelines.js';

export type Subcommand =
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'kb' }
  | { kind: 'cancel'; workflowId: string }
  | { kind: 'publish'; workflowId: string }
  | { kind: 'unknown'; word: string };

/** Single words that read as commands, not topics: answered with help instead of a pipeline. */
const COMMAND_LIKE = new Set([
  'list', 'ls', 'show', 'stop', 'abort', 'kill', 'delete', 'remove', 'start', 'new', 'run', 'version',
  'settings', 'config', 'approve', 'reject', 'retry', 'restart', 'resume', 'pause', 'usage', '?', '-h', '--help',
]);

export function parseSubcommand(text: string | undefined): Subcommand | undefined {
  const trimmed = (text ?? '').trim();
  const [first = '', ...rest] = trimmed.split(/\s+/);
  const word = first.toLowerCase();
  if (word === 'help' && rest.length === 0) return { kind: 'help' };
  if (word === 'status' && rest.length === 0) return { kind: 'status' };
  if (word === 'kb' && rest.length === 0) return { kind: 'kb' };
  // `cancel <id>` (or a bare `cancel`); "cancel culture in tech" is a topic.
  if (word === 'cancel' && rest.length <= 1) return { kind: 'cancel', workflowId: rest[0] ?? '' };
  // `publish <id>` (or a bare `publish`); "publish or perish" is a topic.
  if (word === 'publish' && (rest.length === 0 || (rest.length === 1 && rest[0]!.startsWith('research-')))) return { kind: 'publish', workflowId: rest[0] ?? '' };
  if (rest.length === 0 && (COMMAND_LIKE.has(word) || word.startsWith('-'))) return { kind: 'unknown', word: first };
  return undefined;
}

export function fullHelp(command: string): string {
  return [
    usageHelp(command),
    '',
    '*On the draft card*',
    '• *Approve*: publish it. • *Edit*: fix it yourself, then approve your version.',
    '• *Request changes*: send it back with feedback; a revision reuses the research.',
    '• *Reject*: stop here (with an optional reason). • *Cancel pipeline*: stop at any point.',
    '',
    '*Grounding in your documents*',
    '• When documents are shared with this conversation (`npm run kb -- add <folders> --channel <its ID>` on the server), every',
    '  article here also draws on the passages most relevant to the topic, cites them with [n] and ends with *Sources*.',
    '  Documents answer only in the conversations they were added for.',
    '• The draft card lists the sources and how many statements your documents support, and names the unsupported ones.',
    `• \`${command} <topic> --docs-only\`: write from your documents alone (no model research); says so when they hold nothing relevant.`,
    '• Without a knowledge base, or when nothing in it is relevant, the article says it was not grounded in team documents.',
    '',
    '*Other commands*',
    `• \`${command} status\`: your running pipelines in this channel.`,
    `• \`${command} kb\`: the documents this conversation may draw on (collections, files, last ingest).`,
    `• \`${command} cancel <workflow-id>\`: cancel one of them (requester or reviewers).`,
    `• \`${command} publish <workflow-id>\`: publish an approved article again after publishing failed (the thread says why; requester or reviewers).`,
    `• \`${command} help\`: this message. To research a word like "status", put it in quotes.`,
  ].join('\n');
}

export interface SubcommandContext {
  command: string;
  userId: string;
  channelId: string;
  /** The Slack workspace the command came from (whose spend account `status` reads). */
  teamId?: string;
  reply: (text: string) => Promise<unknown>;
}

/**
 * The one answer to an ID this person may not act on from here: unknown, another channel's, or a
 * run they are neither the requester nor a reviewer of all get these words, so the answer tells
 * nothing about whether the run exists, how it is doing, or where it was published.
 */
export function notActionableHere(command: string, verb: 'cancel' | 'publish', workflowId: string, deps: Pick<ListenerDeps, 'reviewers'>): string {
  const done = verb === 'cancel' ? 'nothing was cancelled' : 'nothing was published';
  const where = verb === 'cancel' ? `\`${command} status\` lists yours` : 'the thread\'s "Not published" note names it';
  return `I can't ${verb} \`${workflowId}\` from here, so ${done}. Use this command in the channel where the pipeline was started (${where}); only ${spendersText(deps)} can ${verb} it.`;
}

/**
 * The run behind a workflow ID, when this person may act on it from this channel: it exists, it
 * was started in this channel, and they are its requester or a reviewer. Permission is decided
 * before anything about the run is said; undefined means the one refusal above.
 */
async function actionableRun(workflowId: string, context: SubcommandContext, deps: ListenerDeps): Promise<PipelineFacts | undefined> {
  const facts = await deps.pipelines.describe(workflowId);
  // Asked whatever the run, so an unknown ID takes the same path as a known one.
  const allowed = await mayCancel(deps, context.userId, facts?.requestedBy, facts);
  return facts && allowed && facts.channel === context.channelId ? facts : undefined;
}

/** `/research publish <workflow-id>`: re-publish an approved article whose publication failed. */
async function republish(workflowId: string, context: SubcommandContext, deps: ListenerDeps): Promise<void> {
  const { command, reply } = context;
  if (!isPipelineWorkflowId(workflowId)) {
    await reply(`Please give the workflow ID of the approved pipeline, e.g. \`${command} publish research-my-topic-20261125-abc123\` (the thread's "Not published" note names it).`);
    return;
  }
  const facts = await actionableRun(workflowId, context, deps);
  if (!facts) {
    await reply(notActionableHere(command, 'publish', workflowId, deps));
    return;
  }
  if (facts.running) {
    await reply(`\`${workflowId}\` is still running; it publishes its article itself once a reviewer approves it.`);
    return;
  }
  if (facts.unreadable) {
    await reply(unreadableRunReply(facts.unreadable.keyId));
    return;
  }
  const result = await deps.pipelines.republish(workflowId, context.userId, context.channelId);
  switch (result.kind) {
    case 'refused':
      await reply(notActionableHere(command, 'publish', workflowId, deps));
      return;
    case 'not-approved':
      await reply(`\`${workflowId}\` ended ${result.outcome}, so there is no approved article to publish.`);
      return;
    case 'already-published':
      await reply(`The article of \`${workflowId}\` is already published in <#${result.channel}>; nothing was posted again.`);
      return;
    case 'in-progress':
      await reply(`Publishing \`${workflowId}\` is under way; the thread will say when it is done.`);
      return;
    case 'published':
      await reply(`Published in <#${result.channel}>${result.parts > 1 ? ` in ${result.parts} parts` : ''}. The thread says so too.`);
      return;
    case 'failed': {
      const advice = result.slackError ? channelProblem(result.slackError, result.channel) : undefined;
      await reply(advice
        ? `Still not published. ${advice.what} ${advice.fix} Then try \`${command} publish ${workflowId}\` again.`
        : `Publishing failed again: ${escapeMrkdwn(scrubDetails(result.message))} (${DETAILS_ELSEWHERE}). Try again later.`);
      return;
    }
  }
}

/** `status`'s paragraph on the viewer's usage against the spend ceilings ('' when none is set). */
async function spendingParagraph(context: SubcommandContext, deps: ListenerDeps): Promise<string> {
  if (!deps.spendLimits) return '';
  try {
    const text = spendStatusText(await deps.spendLimits(context.teamId, context.userId));
    return text ? `\n\n${text}` : '';
  } catch {
    return "\n\n:warning: I could not read this workspace's spending limits just now (the spend account in Temporal did not answer); try again in a minute.";
  }
}

export async function runSubcommand(sub: Subcommand, context: SubcommandContext, deps: ListenerDeps): Promise<void> {
  const { command, reply } = context;
  switch (sub.kind) {
    case 'help':
      await reply(fullHelp(command));
      return;
    case 'unknown':
      await reply(`I don't have a \`${escapeMrkdwn(sub.word)}\` subcommand, so nothing was started.\n\n${fullHelp(command)}`);
      return;
    case 'kb':
      await reply(kbReply(deps.kb ? await deps.kb(context.channelId) : undefined, context.channelId));
      return;
    case 'status': {
      const [runs, spending] = await Promise.all([deps.pipelines.listRunning(context.userId, context.channelId), spendingParagraph(context, deps)]);
      if (runs.length === 0) {
        await reply(`You have no running pipelines in this channel. Start one with \`${command} <topic>\`.${spending}`);
        return;
      }
      const now = Date.now();
      const lines = runs.map(
        (run) =>
          `• ${run.unreadable ? `_${escapeMrkdwn(run.topic)}_` : `*${escapeMrkdwn(run.topic)}*`}: ${run.stage}, started ${formatDuration(now - run.startTime.getTime())} ago · ` +
          `\`${run.workflowId}\` · ${link(workflowUrl(deps.temporalUiUrl, deps.namespace, run.workflowId), 'Temporal UI')}`,
      );
      await reply([`Your running pipelines in this channel (${runs.length}):`, ...lines].join('\n') + spending);
      return;
    }
    case 'publish':
      await republish(sub.workflowId, context, deps);
      return;
    case 'cancel': {
      if (!isPipelineWorkflowId(sub.workflowId)) {
        await reply(`Please give the workflow ID to cancel, e.g. \`${command} cancel research-my-topic-20261125-abc123\` (see \`${command} status\`).`);
        return;
      }
      const facts = await actionableRun(sub.workflowId, context, deps);
      if (!facts) {
        await reply(notActionableHere(command, 'cancel', sub.workflowId, deps));
        return;
      }
      if (!facts.running) {
        await reply(`\`${sub.workflowId}\` has already finished (${facts.outcome ?? facts.status.toLowerCase()}), so there is nothing to cancel.`);
        return;
      }
      if (facts.unreadable) {
        await reply(unreadableRunReply(facts.unreadable.keyId));
        return;
      }
      const delivery = await deps.pipelines.cancel(sub.workflowId, context.userId, context.channelId);
      await reply(delivery.delivered ? `Cancelling \`${sub.workflowId}\`; the thread will say when it has stopped.` : 'That pipeline has already finished.');
      return;
    }
  }
}
