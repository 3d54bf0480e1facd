/**
 * What the App Home tab shows, read from Temporal visibility alone (no second database): the
 * search attributes `RequestedBy`, `Stage`, `CostUsd`, `Topic` and the memo the workflow keeps
 * (`topic`, `channel`, `stage`, `version`, `costUsd`).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { CostUsdAttribute } from '../workflows/search-attributes.js';
import { HOME_PAGE_SIZE, type HomeData, type HomeRun } from '../slack/blocks/home.js';
import { errorChain } from '../shared/error-chain.js';
import { log } from '../ops/log.js';

/** Most runs summed for the spend figures; past it the figure says "at least". */
export const MAX_SPEND_RUNS = 2_000;

export interface HomeSourceOptions {
  /** REVIEWERS (users and groups); empty: anyone may review, so every waiting draft is listed. */
  reviewers: string[];
  /** Members of a user group, for REVIEWERS that name groups. */
  groupMembers?: (groupId: string) => Promise<string[]>;
  now?: () => Date;
}

const safeId = (id: string) => id.replace(/[^A-Z0-9]/gi, '');

function toRun(info: WorkflowExecutionInfo): HomeRun {
  const memo = (info.memo ?? {}) as Record<string, unknown>;
  const attributeCost = info.typedSearchAttributes?.get(CostUsdAttribute);
  const running = info.status.name === 'RUNNING';
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
  for await (const info of client.workflow.list({ query, pageSize: Math.min(100, skip + take + 1) })) {
    seen += 1;
    if (seen <= skip) continue;
    if (runs.length === take) return { runs, more: true };
    runs.push(toRun(info));
  }
  return { runs, more: false };
}

async function spendSince(client: Client, since: Date): Promise<{ usd: number; runs: number; partial: boolean }> {
  let usd = 0;
  let runs = 0;
  for await (const info of client.workflow.list({ query: `WorkflowType = 'contentPipeline' AND StartTime >= '${since.toISOString()}'`, pageSize: 200 })) {
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

export async function loadHome(client: Client, userId: string, page: number, options: HomeSourceOptions): Promise<HomeData> {
  const now = options.now?.() ?? new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const empty = { todayUsd: 0, monthUsd: 0, todayRuns: 0, monthRuns: 0, partial: false };
  try {
    const [recent, awaiting, todaySpend, monthSpend] = await Promise.all([
      list(client, `WorkflowType = 'contentPipeline' AND RequestedBy = '${safeId(userId)}'`, page * HOME_PAGE_SIZE, HOME_PAGE_SIZE),
      mayReview(userId, options).then((allowed) =>
        allowed ? list(client, `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND Stage = 'AwaitingReview'`, 0, HOME_PAGE_SIZE) : { runs: [], more: false }),
      spendSince(client, today),
      spendSince(client, month),
    ]);
    return {
      userId,
      page,
      recent: recent.runs,
      moreRecent: recent.more,
      awaitingReview: awaiting.runs,
      spend: { todayUsd: todaySpend.usd, monthUsd: monthSpend.usd, todayRuns: todaySpend.runs, monthRuns: monthSpend.runs, partial: todaySpend.partial || monthSpend.partial },
    };
  } catch (error) {
    // The Home tab shows it scrubbed (src/slack/blocks/home.ts) and points here for the rest.
    log().warn({ userId }, `Could not read the Home tab's pipelines from Temporal: ${errorChain(error)}`);
    return { userId, page, recent: [], moreRecent: false, awaitingReview: [], spend: empty, error: errorChain(error) };
  }
}
