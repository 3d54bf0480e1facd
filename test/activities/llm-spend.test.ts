/**
 * LLM activities under spend ceilings: a real ChatOpenAI against the stand-in OpenAI, and the real
 * spend account (src/workflows/spend-account.ts) on the dev server, reached through spendAccountFor
 * with the suite's encrypting data converter, exactly as the worker wires it. Each test has its own
 * workspace, so its own account; the account's usage query is what proves reserve and settle.
 */
import { randomUUID } from 'node:crypto';
import { ChatOpenAI } from '@langchain/openai';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmActivities } from '../../src/activities/llm.js';
import { callWorstCase, repairWorstCase, RESERVATION_TTL_MARGIN_MS, type SpendDeps } from '../../src/activities/spend.js';
import { SPEND_CEILING_REACHED, LlmFailure } from '../../src/shared/failure-types.js';
import { costOf, DEFAULT_PRICES, MAX_OUTPUT_TOKENS } from '../../src/shared/pricing.js';
import { examplesPrompt, keyFactsPrompt, statisticsPrompt } from '../../src/shared/prompts.js';
import { worstCaseOf } from '../../src/activities/estimates.js';
import { readUsage, spendAccountFor, type SpendAccount } from '../../src/temporal/spend.js';
import { spendAccountWorkflowId, type SpendCeilings } from '../../src/workflows/spend-messages.js';
import type { SpendPayer } from '../../src/workflows/messages.js';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { runActivityIn } from '../harness/activity-env.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

const openai = new FakeOpenAI();
let wf: WorkflowTestEnv;
let account: SpendAccount;

const model = (name: string) => ({
  name,
  model: new ChatOpenAI({ model: name, apiKey: 'sk-test', maxRetries: 0, timeout: 5_000, __includeRawResponse: true, configuration: { baseURL: openai.baseUrl } }),
});

beforeAll(async () => {
  await openai.start();
  wf = await startWorkflowEnv(recordingActivities().activities);
  account = spendAccountFor(wf.env.client, { taskQueue: wf.taskQueue });
});
afterAll(async () => {
  await wf?.stop();
  await openai.stop();
});
beforeEach(() => {
  openai.completions.length = 0;
});

const teams: string[] = [];
afterAll(async () => {
  for (const teamId of teams) await wf.env.client.workflow.getHandle(spendAccountWorkflowId(teamId)).terminate('test done').catch(() => undefined);
});

function setUp(ceilings: SpendCeilings) {
  const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
  teams.push(teamId);
  const spend: SpendDeps = { account, ceilings, timeZone: 'UTC', prices: DEFAULT_PRICES };
  const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o'), spend });
  const workflowId = `research-${randomUUID().slice(0, 8)}`;
  const payer: SpendPayer = { teamId, userId: 'U1', holdId: `${workflowId}:admission` };
  /** The activity in an attempt of its own: a retry is the same activity ID with the next attempt. */
  const attempt = (n: number, activityId = '1') =>
    new MockActivityEnvironment({ activityId, attempt: n, startToCloseTimeoutMs: 5_000, workflowExecution: { workflowId, runId: randomUUID() } });
  return { teamId, activities, workflowId, payer, attempt };
}

async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('LLM activities under spend ceilings', () => {
  it('reserve the call\'s worst case first, then settle what it actually cost', async () => {
    const { teamId, activities, workflowId, payer, attempt } = setUp({ teamDailyUsd: 1 });
    const result = await runActivityIn(attempt(1), activities.researchTopic, { topic: 'vector clocks', spend: payer });
    expect(openai.count('researchTopic')).toBe(1);
    const usage = (await readUsage(wf.env.client, teamId))!;
    const actual = costOf(result.usage, DEFAULT_PRICES)!;
    expect(actual).toBeGreaterThan(0);
    expect(usage.team.day.spentUsd).toBeCloseTo(actual, 6);
    expect(usage.team.day.reservedUsd).toBe(0);
    expect(usage.users.U1!.day.spentUsd).toBeCloseTo(actual, 6);
    expect(usage.openReservations).toEqual([]);
    expect(usage.counts).toMatchObject({ granted: 1, settled: 1, refused: 0 });
    // The reservation was the worst case (prompt uncached plus a full answer), far above the actual cost.
    const worst = callWorstCase('gpt-4o-mini', keyFactsPrompt('vector clocks'), MAX_OUTPUT_TOKENS.research, DEFAULT_PRICES)!;
    expect(worst).toBeGreaterThan(actual);
    expect(usage.ceilings).toEqual({ teamDailyUsd: 1 });
    expect(workflowId).toMatch(/^research-/);
  });

  it('refused: SpendCeilingReached (not retried) with the limit, what is used and when it resets; the model is not called', async () => {
    const { teamId, activities, payer, attempt } = setUp({ teamDailyUsd: 0.0001 });
    const failure = await failureOf(runActivityIn(attempt(1), activities.writeArticle, {
      topic: 'idempotency keys', research: { facts: 'f', examples: [], statistics: 's' }, spend: payer,
    }));
    expect(failure.type).toBe(SPEND_CEILING_REACHED);
    expect(failure.nonRetryable).toBe(true);
    const refusal = failure.details?.[0] as { limit: string; usedUsd: number; limitUsd: number; requestedUsd: number; resetsAt: string };
    expect(refusal).toMatchObject({ status: 'refused', limit: 'team-daily', usedUsd: 0, limitUsd: 0.0001 });
    expect(refusal.requestedUsd).toBeGreaterThan(0.0001);
    expect(Date.parse(refusal.resetsAt)).toBeGreaterThan(Date.now());
    expect(failure.message).toMatch(/team-daily spend ceiling/);
    expect(openai.completions).toHaveLength(0);
    const usage = (await readUsage(wf.env.client, teamId))!;
    expect(usage.counts).toMatchObject({ granted: 0, refused: 1 });
    expect(usage.team.day.spentUsd).toBe(0);
  });

  it('a per-person ceiling refuses that person only', async () => {
    const { activities, payer, attempt } = setUp({ userDailyUsd: 0.0001 });
    const failure = await failureOf(runActivityIn(attempt(1), activities.getStatistics, { topic: 'x', spend: payer }));
    expect((failure.details?.[0] as { limit: string }).limit).toBe('user-daily');
    expect(openai.completions).toHaveLength(0);
  });

  it('a call the provider refused before working (a 400) settles 0; a 5xx may have been billed and settles its worst case; the retry reserves anew and settles its own cost', async () => {
    const { teamId, activities, payer, attempt } = setUp({ teamDailyUsd: 1 });
    openai.script('getStatistics', { status: 400 });
    const refused = await failureOf(runActivityIn(attempt(1, '7'), activities.getStatistics, { topic: 'x', spend: payer }));
    expect(refused.type).toBe(LlmFailure.BadRequest);
    let usage = (await readUsage(wf.env.client, teamId))!;
    expect(usage.openReservations).toEqual([]);
    expect(usage.team.day.spentUsd).toBe(0);

    openai.script('getStatistics', { status: 500 });
    const failure = await failureOf(runActivityIn(attempt(1), activities.getStatistics, { topic: 'x', spend: payer }));
    expect(failure.type).toBe(LlmFailure.ServerError);
    usage = (await readUsage(wf.env.client, teamId))!;
    expect(usage.openReservations).toEqual([]);
    const worstCase = callWorstCase('gpt-4o-mini', statisticsPrompt('x'), MAX_OUTPUT_TOKENS.research, DEFAULT_PRICES)!;
    expect(usage.team.day.spentUsd).toBeCloseTo(worstCase, 6);
    expect(usage.counts).toMatchObject({ granted: 2, settled: 2 });

    const result = await runActivityIn(attempt(2), activities.getStatistics, { topic: 'x', spend: payer });
    usage = (await readUsage(wf.env.client, teamId))!;
    expect(usage.counts).toMatchObject({ granted: 3, settled: 3 });
    expect(usage.team.day.spentUsd).toBeCloseTo(worstCase + costOf(result.usage, DEFAULT_PRICES)!, 6);
    expect(openai.count('getStatistics')).toBe(3);
  });

  it('no payer (a run from before spend ceilings) or spend off: no reservation at all', async () => {
    const { teamId, activities, attempt } = setUp({ teamDailyUsd: 0 });
    await runActivityIn(attempt(1), activities.researchTopic, { topic: 'x' });
    expect(openai.count('researchTopic')).toBe(1);
    expect(await readUsage(wf.env.client, teamId)).toBeUndefined();
  });

  it('a reservation left open by a dead attempt counts at its worst case until it expires', async () => {
    const { teamId, payer, workflowId } = setUp({ teamDailyUsd: 1 });
    // What a SIGKILLed attempt leaves: reserved, never settled (ttl = start-to-close + margin).
    const granted = await account.reserve({
      teamId, userId: payer.userId, workflowId, reservationId: `${workflowId}:1:1`, amountUsd: 0.25,
      ceilings: { teamDailyUsd: 1 }, ttlMs: 1_000, timeZone: 'UTC',
    });
    expect(granted.status).toBe('granted');
    const open = (await readUsage(wf.env.client, teamId))!;
    expect(open.team.day.reservedUsd).toBeCloseTo(0.25, 6);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = (await readUsage(wf.env.client, teamId))!;
    expect(after.team.day.reservedUsd).toBe(0);
    expect(after.openReservations).toEqual([]);
    expect(RESERVATION_TTL_MARGIN_MS).toBe(60_000);
  });

  it('a structured call\'s repair reserves its own worst case first; refused, it is not made and the first call is still settled', async () => {
    const first = callWorstCase('gpt-4o-mini', examplesPrompt('CRDTs'), MAX_OUTPUT_TOKENS.research, DEFAULT_PRICES)!;
    const repair = repairWorstCase('gpt-4o-mini', examplesPrompt('CRDTs'), MAX_OUTPUT_TOKENS.research, DEFAULT_PRICES)!;
    // Room for the first call, not for the repair.
    const { teamId, activities, payer, attempt } = setUp({ teamDailyUsd: first + repair / 2 });
    openai.script('findExamples', { content: '{"first_example": {"title": "cut' });
    const failure = await failureOf(runActivityIn(attempt(1), activities.findExamples, { topic: 'CRDTs', spend: payer }));
    expect(failure.type).toBe(SPEND_CEILING_REACHED);
    expect(openai.count('findExamples')).toBe(1);
    const billed = (failure.details?.[0] as { usage?: { totalTokens: number } }).usage;
    expect(billed?.totalTokens).toBeGreaterThan(0);
    const usage = (await readUsage(wf.env.client, teamId))!;
    expect(usage.openReservations).toEqual([]);
    expect(usage.team.day.spentUsd).toBeCloseTo(costOf(billed as never, DEFAULT_PRICES)!, 6);
    expect(usage.counts).toMatchObject({ granted: 1, refused: 1 });
  });

  it('a run\'s three research calls ask exactly what the bot\'s admission hold (worstCaseOf research) holds, never more', () => {
    const topic = 'vector clocks';
    const calls = [keyFactsPrompt(topic), examplesPrompt(topic), statisticsPrompt(topic)].map((p) => callWorstCase('gpt-4o-mini', p, MAX_OUTPUT_TOKENS.research, DEFAULT_PRICES)!);
    const hold = worstCaseOf({ step: 'research', topic, model: 'gpt-4o-mini', prices: DEFAULT_PRICES })!;
    const asked = calls.reduce((a, b) => a + b, 0);
    // In the account's unit (micro-dollars, rounded): the calls' sum never passes the hold, and is short of it by under 3 µ$.
    const micros = (usd: number) => Math.round(usd * 1e6);
    expect(calls.reduce((sum, c) => sum + micros(c), 0)).toBeLessThanOrEqual(micros(hold));
    expect(hold - asked).toBeLessThan(3e-6);
  });

  it('a cancelled attempt stops waiting for an account that does not answer (a worker shutting down runs no account task), and calls nothing', async () => {
    const teamId = `T${randomUUID().slice(0, 8).toUpperCase()}`;
    const never: SpendAccount = { reserve: () => new Promise(() => undefined), settle: () => new Promise(() => undefined), usage: async () => undefined };
    const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o'), spend: { account: never, ceilings: { teamDailyUsd: 1 }, timeZone: 'UTC', prices: DEFAULT_PRICES } });
    const env = new MockActivityEnvironment({ activityId: '1', attempt: 1, startToCloseTimeoutMs: 5_000, workflowExecution: { workflowId: 'research-cancelled', runId: randomUUID() } });
    const run = runActivityIn(env, activities.researchTopic, { topic: 'shutdown', spend: { teamId, userId: 'U1', holdId: 'research-cancelled:admission' } });
    setTimeout(() => env.cancel('WORKER_SHUTDOWN'), 100);
    const error = await run.then(() => undefined, (e: unknown) => e);
    expect(error).toBeDefined();
    expect(openai.count('researchTopic')).toBe(0);
  });
});
