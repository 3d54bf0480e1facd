/**
 * The App Home tab (views.publish) and the New research modal, as pure Block Kit builders.
 * A Home view holds at most 100 blocks (https://api.slack.com/reference/block-kit/blocks);
 * whatever the number of runs, the lists are paged (newest first) so the view stays well under it.
 */
import type { KnownBlock, View } from '@slack/types';
import { formatUsd } from '../../shared/pricing.js';
import { DETAILS_ELSEWHERE, scrubDetails } from '../../shared/scrub.js';
import { escapeMrkdwn, link, messageUrl, userText, workflowUrl } from './text.js';
import type { SpendLines } from './spend.js';

export const HOME_NEW_RESEARCH_ACTION_ID = 'home_new_research';
export const HOME_PAGE_ACTION_ID = 'home_page';
export const NEW_RESEARCH_CALLBACK_ID = 'home_new_research_modal';
export const NEW_RESEARCH_TOPIC_BLOCK = 'topic';
export const NEW_RESEARCH_TOPIC_ACTION = 'topic_input';
export const NEW_RESEARCH_CHANNEL_BLOCK = 'channel';
export const NEW_RESEARCH_CHANNEL_ACTION = 'channel_select';

/** Runs per page in each list: 2 blocks per run keeps a full Home far below Slack's 100. */
export const HOME_PAGE_SIZE = 10;
export const MAX_HOME_BLOCKS = 100;

export interface HomeRun {
  workflowId: string;
  topic: string;
  /** Memo stage (`researching`, `awaiting-review`, …) or the closed status. */
  stage: string;
  version: number;
  costUsd: number | undefined;
  channel: string | undefined;
  /** The thread's parent message, once the workflow records it in its memo (`threadTs`). */
  threadTs?: string | undefined;
  startTime: Date;
  running: boolean;
  /** Its memo could not be decoded (its encryption key is gone): `topic` is a neutral placeholder, not the person's words. */
  unreadable?: boolean;
}

export interface HomeData {
  userId: string;
  recent: HomeRun[];
  /** True when older runs exist beyond this page. */
  moreRecent: boolean;
  page: number;
  awaitingReview: HomeRun[];
  spend: { todayUsd: number; monthUsd: number; todayRuns: number; monthRuns: number; partial: boolean };
  /** Set when Temporal could not be read: shown instead of the lists. */
  error?: string;
  /**
   * Set when Slack could not say which conversations the viewer is in: the lists hold public
   * channels' runs only, and this says why and what to do.
   */
  membershipNote?: string;
  /**
   * Spend ceilings set (issue 21): the viewer's usage against each, from the spend account; shown
   * instead of `spend` (which is then not counted). `error`: the account could not be read.
   */
  limits?: { lines: SpendLines[]; error?: string };
}

export interface HomeLinks {
  temporalUiUrl: string;
  namespace: string;
  now: Date;
  /** The workspace's URL (auth.test), for links to threads; without it the channel is named. */
  workspaceUrl?: string | undefined;
}

export function age(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

function runBlocks(run: HomeRun, links: HomeLinks): KnownBlock[] {
  const where = run.channel ? `<#${run.channel}>` : 'its channel';
  const thread = run.channel && run.threadTs && links.workspaceUrl ? link(messageUrl(links.workspaceUrl, run.channel, run.threadTs), 'Thread') : 'Thread';
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${run.unreadable ? `_${escapeMrkdwn(run.topic)}_` : `*${userText(run.topic, 150)}*`}\n${escapeMrkdwn(run.stage)}${run.version > 0 ? ` · draft v${run.version}` : ''} · ${formatUsd(run.costUsd)} · ${age(run.startTime, links.now)}`,
      },
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `${thread} in ${where} · ${link(workflowUrl(links.temporalUiUrl, links.namespace, run.workflowId), 'Temporal UI')} · \`${run.workflowId}\`` },
      ],
    },
  ];
}

export function homeView(data: HomeData, links: HomeLinks): View {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Content pipeline', emoji: true } },
    {
      type: 'actions',
      elements: [
        { type: 'button', action_id: HOME_NEW_RESEARCH_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'New research' }, value: 'new' },
      ],
    },
  ];
  if (data.error) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:warning: Could not read the pipelines from Temporal (${userText(scrubDetails(data.error), 300)}; ${DETAILS_ELSEWHERE}). Open the Home tab again in a minute; if it persists, ask whoever runs the bot to check its Temporal connection.` } });
    return { type: 'home', blocks };
  }
  if (data.membershipNote) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:lock: Runs in private channels and direct messages are hidden for now: I could not check which ones you are in (${escapeMrkdwn(data.membershipNote)}).` } });
  }
  const { spend, limits } = data;
  const partial = spend.partial ? ' (at least: too many runs to count them all)' : '';
  if (limits?.error) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:warning: Could not read this workspace's spending limits (${userText(scrubDetails(limits.error), 300)}; ${DETAILS_ELSEWHERE}). Open the Home tab again in a minute; if it persists, ask whoever runs the bot to check its Temporal workers.` } });
  } else if (limits) {
    // At most 10 fields per section (https://api.slack.com/reference/block-kit/blocks#section); there are at most 4.
    blocks.push({ type: 'header', text: { type: 'plain_text', text: 'Spending limits' } });
    blocks.push({ type: 'section', fields: limits.lines.map((line) => ({ type: 'mrkdwn' as const, text: `*${escapeMrkdwn(line.label)}*\n${line.text}` })) });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Used = spent plus what running steps hold at their worst case. A request that would pass a limit is not started.' }] });
  } else {
    blocks.push({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Team spend today*\n${formatUsd(spend.todayUsd)} · ${spend.todayRuns} run${spend.todayRuns === 1 ? '' : 's'}${partial}` },
        { type: 'mrkdwn', text: `*This month*\n${formatUsd(spend.monthUsd)} · ${spend.monthRuns} run${spend.monthRuns === 1 ? '' : 's'}${partial}` },
      ],
    });
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: 'Drafts waiting for your review' } });
  if (data.awaitingReview.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nothing is waiting for you.' }] });
  for (const run of data.awaitingReview.slice(0, HOME_PAGE_SIZE)) blocks.push(...runBlocks(run, links));

  blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: data.page > 0 ? `Your pipelines (page ${data.page + 1})` : 'Your pipelines' } });
  if (data.recent.length === 0) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: data.page > 0 ? 'No older pipelines.' : 'None yet: press *New research* or type `/research <topic>` in a channel.' }] });
  }
  for (const run of data.recent.slice(0, HOME_PAGE_SIZE)) blocks.push(...runBlocks(run, links));
  const paging = [
    ...(data.page > 0 ? [{ type: 'button' as const, action_id: `${HOME_PAGE_ACTION_ID}_newer`, text: { type: 'plain_text' as const, text: 'Newer' }, value: String(data.page - 1) }] : []),
    ...(data.moreRecent ? [{ type: 'button' as const, action_id: `${HOME_PAGE_ACTION_ID}_older`, text: { type: 'plain_text' as const, text: 'Older' }, value: String(data.page + 1) }] : []),
  ];
  if (paging.length) blocks.push({ type: 'actions', elements: paging });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Updated ${links.now.toISOString().replace('T', ' ').slice(0, 16)} UTC` }] });
  return { type: 'home', blocks: blocks.slice(0, MAX_HOME_BLOCKS) };
}

/** The New research modal: a topic and the channel whose thread will hold the run. */
export function newResearchModal(maxTopicLength: number): View {
  return {
    type: 'modal',
    callback_id: NEW_RESEARCH_CALLBACK_ID,
    title: { type: 'plain_text', text: 'New research' },
    submit: { type: 'plain_text', text: 'Start' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: NEW_RESEARCH_TOPIC_BLOCK,
        label: { type: 'plain_text', text: 'Topic' },
        element: { type: 'plain_text_input', action_id: NEW_RESEARCH_TOPIC_ACTION, max_length: maxTopicLength, placeholder: { type: 'plain_text', text: 'e.g. heat pumps in cold climates' } },
      },
      {
        type: 'input',
        block_id: NEW_RESEARCH_CHANNEL_BLOCK,
        label: { type: 'plain_text', text: 'Channel for the thread' },
        hint: { type: 'plain_text', text: 'The draft is reviewed there; the bot must be a member of the channel.' },
        element: { type: 'conversations_select', action_id: NEW_RESEARCH_CHANNEL_ACTION, filter: { include: ['public', 'private'], exclude_bot_users: true } },
      },
    ],
  };
}
