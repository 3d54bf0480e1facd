/**
 * What the App Home tab shows, read from Temporal visibility alone (no second database): the
 * search attributes `RequestedBy`, `Stage`, `CostUsd`, `Channel`, `ChannelVisibility` and the
 * memo the workflow keeps (`topic`, `channel`, `stage`, `version`, `costUsd`), which the client's
 * payload codec decrypts.
 *
 * Both lists show only runs of conversations the viewer may see: public channels, and the
 * conversations Slack says they are in. That filter is part of the visibility query, so a page of
 * ten is ten rows the viewer may see. Runs started before `Channel` existed match neither and are
 * listed to no one. Team totals stay numbers, without topics. A run whose memo cannot be decoded
 * (its key was removed from PAYLOAD_KEYS) is one row saying so, not a Home that fails.
 */
import type { Client } from '@temporalio/client';
import { ChannelAttribute, CostUsdAttribute } from '../workflows/search-attributes.js';
import { listRuns, UNREADABLE_RUN_TOPIC, type ListedRun } from './listing.js';
import { HOME_PAGE_SIZE, type HomeData, type HomeRun } from '../slack/blocks/home.js';
import { errorChain } from '../shared/error-chain.js';
import { log } from '../ops/log.js';
import { safeSlackId } from '../shared/ids.js';
import type { SpendConfig } from '../config.js';
import type { SpendUsage } from '../workflows/spend-messages.js';
import { spendUsageLines, type SpendLines } from '../slack/blocks/spend.js';

/** Most runs summed for the spend figures; past it the figure says "at least". */
export const MAX_SPEND_RUNS = 2_000;

export interface HomeSourceOptions {
  /** REVIEWERS (users and groups); empty: anyone may review, so every waiting draft is listed. */
  reviewers: string[];
  /** Members of a user group, for REVIEWERS that name groups. */
  groupMembers?: (groupId: string) => Promise<string[]>;
  /** The conversations the viewer is in (src/slack/membership.ts); throws when Slack cannot say. */
  membership: (userId: string) => Promise<ReadonlySet<string>>;
  /** False for Slack guests, who do not see public channels they were not added to; throws when Slack cannot say. */
  seesPublicChannels: (userId: string) => Promise<boolean>;
  now?: () => Date;
  /**
   * Spend ceilings (issue 21), when any is set: usage against each comes from the workspace's spend
   * account (exact, one query) instead of summing runs from visibility.
   */
  spend?: {
    config: SpendConfig;
    usage: (teamId: string) => Promise<SpendUsage | undefined>;
    /** The viewer's running pipelines (for MAX_RUNNING_PER_USER). */
    running: (userId: string) => Promise<number>;
  };
}

/** The viewer's usage against each ceiling that is set, read from the spend account. */
export async function spendLimitsOf(spend: NonNullable<HomeSourceOptions['spend']>, teamId: string | undefined, userId: string): Promise<SpendLines[]> {
  if (!teamId) throw new Error('the request names no Slack workspace');
  const [usage, running] = await Promise.all([
    spend.usage(teamId),
    spend.config.maxRunningPerUser !== undefined ? spend.running(userId) : Promise.resolve(undefined),
  ]);
  return spendUsageLines(spend.config, usage, userId, running);
}

/**
 * The visibility-query condition for "runs this viewer may see": public channels (unless the
 * viewer is a guest) and the conversations they are in.
 */
export function visibleTo(conversations: ReadonlySet<string>, publicChannels = true): string {
  const ids = [...conversations].map(safeSlackId).filter(Boolean);
  const theirs = ids.length ? `Channel IN (${ids.map((id) => `'${id}'`).join(', ')})` : '';
  if (!publicChannels) return theirs ? `(${theirs})` : "(ChannelVisibility = 'none')"; // matches no run
  return `(ChannelVisibility = 'public'${theirs ? ` OR ${theirs}` : ''})`;
}

/** What the Home says when Slack could not tell which conversations the viewer is in. */
export function membershipProblem(error: unknown): string {
  const code = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  if (code === 'missing_scope') {
    return 'the app lacks a permission to read channel membership; ask whoever runs the bot to reinstall it with the scopes in manifest.yml';
  }
  if (code === 'ratelimited' || (error as { code?: unknown } | undefined)?.code === 'slack_webapi_rate_limited_error') {
    return 'Slack asked the bot to slow down; open the Home tab again in a minute';
  }
  return 'Slack did not answer; open the Home tab again in a minute, and if it persists ask whoever runs the bot to check its Slack connection';
}

function toRun(info: ListedRun): HomeRun {
  const memo = (info.memo ?? {}) as Record<string, unknown>;
  const attributeCost = info.typedSearchAttributes?.get(CostUsdAttribute);
  const running = info.status.name === 'RUNNING';
  if (info.unreadable) {
    // What the search attributes say (IDs and numbers): enough to place the run, nothing it holds.
    const channel = info.typedSearchAttributes?.get(ChannelAttribute);
    return {
      workflowId: info.workflowId,
      topic: UNREADABLE_RUN_TOPIC,
      stage: info.status.name.toLowerCase(),
      version: 0,
      costUsd: typeof attributeCost === 'number' ? attributeCost : undefined,
      channel: typeof channel === 'string' ? channel : undefined,
      startTime: info.startTime,
      running,
      unreadable: true,
    };
  }
  return {
    workflowId: info.workflowId,
    topic: typeof memo.topic === 'string' ? memo.topic : info.workflowId,
    stage: running ? (typeof memo.stage === 'string' ? memo.stage : 'starting') : typeof memo.outcome === 'string' ? memo.outcome : info.status.name.toLowerCase(),
    version: typeof memo.version === 'number' ? memo.version : 0,
    costUsd: typeof attributeCost === 'number' ? attributeCost : typeof memo.costUsd === 'number' ? memo.costUsd : undefined,
    channel: typeof memo.channel === 'string' ? memo.channel : undefined,
    threadTs: typeof memo.threadTs === 'string' ? memo.threadTs : undefined,
    startTime: info.startTime,
    running,
  };
}

async function list(client: Client, query: string, skip: number, take: number): Promise<{ runs: HomeRun[]; more: boolean }> {
  const runs: HomeRun[] = [];
  let seen = 0;
  for await (const info of listRuns(client, { query, pageSize: Math.min(100, skip + take + 1) })) {
    seen += 1;
    if (seen <= skip) continue;
    if (runs.length === take) return { runs, more: true };
    runs.push(toRun(info));
  }
  return { runs, more: false };
}

const noScan = Promise.resolve({ usd: 0, runs: 0, partial: false });

async function spendSince(client: Client, since: Date): Promise<{ usd: number; runs: number; partial: boolean }> {
  let usd = 0;
  let runs = 0;
  for await (const info of listRuns(client, { query: `WorkflowType = 'contentPipeline' AND StartTime >= '${since.toISOString()}'`, pageSize: 200 })) {
    if (runs === MAX_SPEND_RUNS) return { usd, runs, partial: true };
    runs += 1;
    usd += toRun(info).costUsd ?? 0;
  }
  return { usd, runs, partial: false };
}

export async function mayReview(userId: string, options: HomeSourceOptions): Promise<boolean> {
  if (options.reviewers.length === 0 || options.reviewers.includes(userId)) return true;
  for (const group of options.reviewers.filter((id) => id.startsWith('S'))) {
    if ((await options.groupMembers?.(group))?.includes(userId)) return true;
  }
  return false;
}

export async function loadHome(client: Client, userId: string, page: number, options: HomeSourceOptions, teamId?: string): Promise<HomeData> {
  const now = options.now?.() ?? new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const empty = { todayUsd: 0, monthUsd: 0, todayRuns: 0, monthRuns: 0, partial: false };
  // Never fails open: without Slack's answer, only public channels' runs are listed, and the Home says why.
  // (Asked while the team totals, which need no membership, are already being counted.)
  // A guest, or a person Slack would not describe, sees no public channel's runs.
  let membershipNote: string | undefined;
  const visible = Promise.all([
    options.membership(userId).catch((error: unknown) => {
      membershipNote = membershipProblem(error);
      return new Set<string>();
    }),
    options.seesPublicChannels(userId).catch((error: unknown) => {
      membershipNote ??= membershipProblem(error);
      return false;
    }),
  ]).then(([conversations, publicChannels]) => visibleTo(conversations, publicChannels));
  try {
    const [recent, awaiting, todaySpend, monthSpend] = await Promise.all([
      visible.then((filter) => list(client, `WorkflowType = 'contentPipeline' AND RequestedBy = '${safeSlackId(userId)}' AND ${filter}`, page * HOME_PAGE_SIZE, HOME_PAGE_SIZE)),
      Promise.all([mayReview(userId, options), visible]).then(([allowed, filter]) =>
        allowed
          ? list(client, `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND Stage = 'AwaitingReview' AND ${filter}`, 0, HOME_PAGE_SIZE)
          : { runs: [], more: false }),
      // With ceilings set, the account's figures replace the visibility scan (2 × up to 2,000 runs).
      options.spend ? noScan : spendSince(client, today),
      options.spend ? noScan : spendSince(client, month),
    ]);
    const limits = options.spend
      ? await spendLimitsOf(options.spend, teamId, userId).then(
        (lines) => ({ lines }),
        (error: unknown) => {
          log().warn({ userId, teamId }, `Could not read the spend account for the Home tab: ${errorChain(error)}`);
          return { lines: [], error: errorChain(error) };
        })
      : undefined;
    return {
      userId,
      page,
      recent: recent.runs,
      moreRecent: recent.more,
      awaitingReview: awaiting.runs,
      spend: { todayUsd: todaySpend.usd, monthUsd: monthSpend.usd, todayRuns: todaySpend.runs, monthRuns: monthSpend.runs, partial: todaySpend.partial || monthSpend.partial },
      ...(membershipNote ? { membershipNote } : {}),
      ...(limits ? { limits } : {}),
    };
  } catch (error) {
    // The Home tab shows it scrubbed (src/slack/blocks/home.ts) and points here for the rest.
    log().warn({ userId }, `Could not read the Home tab's pipelines from Temporal: ${errorChain(error)}`);
    return { userId, page, recent: [], moreRecent: false, awaitingReview: [], spend: empty, error: errorChain(error) };
  }
}
