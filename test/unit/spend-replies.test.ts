/**
 * What a person refused by a spend ceiling reads (src/slack/blocks/spend.ts), and the usage lines
 * App Home and `/research status` show, and the admission request the bot sends
 * (src/temporal/admission.ts). Pure.
 */
import { describe, expect, it } from 'vitest';
import type { SpendConfig } from '../../src/config.js';
import {
  admissionRefusedFieldError,
  admissionRefusedReply,
  admittingReply,
  spendCheckUnavailableReply,
  spendLimitName,
  spendStatusText,
  spendUsageLines,
  type AdmissionRefusal,
} from '../../src/slack/blocks/spend.js';
import { ADMISSION_TTL_MS, admissionRequest, admit, firstStepWorstCase, SpendCheckUnavailableError } from '../../src/temporal/admission.js';
import { worstCaseOf } from '../../src/activities/estimates.js';
import { DEFAULT_PRICES } from '../../src/shared/pricing.js';
import { homeView, type HomeData } from '../../src/slack/blocks/home.js';
import type { SpendUsage } from '../../src/workflows/spend-messages.js';

const RESETS = '2026-12-04T00:00:00.000Z';
const RESETS_SECONDS = Date.parse(RESETS) / 1000;

const teamDaily: AdmissionRefusal = { status: 'refused', reservationId: 'r:admission', limit: 'team-daily', usedUsd: 9.87654, limitUsd: 10, requestedUsd: 0.25, resetsAt: RESETS };

describe('the refusal a requester reads', () => {
  it('names each limit in words', () => {
    expect(spendLimitName('team-daily')).toBe("the team's daily limit");
    expect(spendLimitName('team-monthly')).toBe("the team's monthly limit");
    expect(spendLimitName('user-daily')).toBe('your daily limit');
  });

  it("team's daily limit: which limit, used of limit in dollars, reset as a Slack date token, what to do, the topic echoed", () => {
    const text = admissionRefusedReply(teamDaily, 'heat pumps --docs-only', '/research');
    expect(text).toContain("the team's daily limit");
    expect(text).toContain('$9.88 of $10.00');
    expect(text).toContain('up to $0.25');
    expect(text).toContain(`<!date^${RESETS_SECONDS}^{date_short_pretty} at {time}|2026-12-04 00:00 UTC>`);
    expect(text).toContain('raise TEAM_DAILY_USD');
    expect(text).toContain('`/research heat pumps --docs-only`');
    expect(text).toMatch(/Nothing was started/);
  });

  it('monthly and personal limits name their own settings', () => {
    const monthly = admissionRefusedReply({ ...teamDaily, limit: 'team-monthly', usedUsd: 299.5, limitUsd: 300, resetsAt: '2027-01-01T00:00:00.000Z' }, 't');
    expect(monthly).toContain("the team's monthly limit");
    expect(monthly).toContain('$299.50 of $300.00');
    expect(monthly).toContain('TEAM_MONTHLY_USD');
    const mine = admissionRefusedReply({ ...teamDaily, limit: 'user-daily', usedUsd: 0.5, limitUsd: 0.5 }, 't');
    expect(mine).toContain('your daily limit');
    expect(mine).toContain('$0.50 of $0.50');
    expect(mine).toContain('USER_DAILY_USD');
  });

  it('too many running: how many, the maximum, and how to cancel one', () => {
    const text = admissionRefusedReply({ status: 'refused', reservationId: 'r', limit: 'user-running', running: 2, maxRunning: 2 }, 'solar', '/research');
    expect(text).toContain('you already have 2 pipelines running');
    expect(text).toContain('2 per person (MAX_RUNNING_PER_USER)');
    expect(text).toContain('App Home');
    expect(text).toContain('`/research cancel <workflow-id>`');
    expect(text).toContain('`/research solar`');
    expect(admissionRefusedReply({ status: 'refused', reservationId: 'r', limit: 'user-running', running: 1, maxRunning: 1 }, 'x')).toContain('1 pipeline running');
  });

  it('a topic with Slack markup is echoed without pinging anyone', () => {
    const text = admissionRefusedReply(teamDaily, 'ask <!channel> about <@U123>');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
  });

  it("the modal's field error is plain (no date token) and short", () => {
    const money = admissionRefusedFieldError(teamDaily);
    expect(money).toBe("Not started: the team's daily limit ($9.88 of $10.00 used) resets 2026-12-04 00:00 UTC.");
    const running = admissionRefusedFieldError({ status: 'refused', reservationId: 'r', limit: 'user-running', running: 3, maxRunning: 3 });
    expect(running).toContain('3 pipelines running');
    for (const text of [money, running]) expect(text.length).toBeLessThanOrEqual(150);
  });

  it('the account unreachable: said so, nothing started, the topic echoed', () => {
    const text = spendCheckUnavailableReply('heat pumps');
    expect(text).toMatch(/could not check this workspace's spending limits/);
    expect(text).toMatch(/Not started/);
    expect(text).toContain('`/research heat pumps`');
    expect(admittingReply('heat pumps')).toMatch(/spending limits.*heat pumps/);
  });
});

const ALL: SpendConfig = { teamDailyUsd: 10, teamMonthlyUsd: 200, userDailyUsd: 2, maxRunningPerUser: 3, timeZone: 'UTC', enabled: true };
const USAGE: SpendUsage = {
  teamId: 'T1',
  timeZone: 'UTC',
  day: '2026-12-03',
  month: '2026-12',
  dayResetsAt: RESETS,
  monthResetsAt: '2027-01-01T00:00:00.000Z',
  ceilings: {},
  team: { day: { spentUsd: 3, reservedUsd: 0.5 }, month: { spentUsd: 40, reservedUsd: 0.5 } },
  users: { U1: { day: { spentUsd: 1, reservedUsd: 0 }, month: { spentUsd: 1, reservedUsd: 0 } } },
  openReservations: [],
  counts: { granted: 1, refused: 0, settled: 1, expired: 0 },
  totalSpentUsd: 40,
};

describe('usage against each ceiling', () => {
  it('one line per ceiling set: used (spent + held) of limit, and when it resets', () => {
    const lines = spendUsageLines(ALL, USAGE, 'U1', 2);
    expect(lines.map((l) => l.label)).toEqual(['Team today', 'Team this month', 'You today', 'Your running pipelines']);
    expect(lines[0]!.text).toBe(`$3.50 of $10.00 ($0.50 of it held by running steps) · resets <!date^${RESETS_SECONDS}^{date_short_pretty} at {time}|2026-12-04 00:00 UTC>`);
    expect(lines[1]!.text).toMatch(/^\$40\.50 of \$200\.00/);
    expect(lines[2]!.text).toMatch(/^\$1\.00 of \$2\.00 · resets/);
    expect(lines[3]!.text).toBe('2 of 3');
  });

  it('only the ceilings that are set; a new account (no usage yet) reads as nothing used', () => {
    const lines = spendUsageLines({ ...ALL, teamMonthlyUsd: undefined, maxRunningPerUser: undefined }, undefined, 'U2', undefined);
    expect(lines.map((l) => `${l.label}: ${l.text}`)).toEqual(['Team today: $0.00 of $10.00', 'You today: $0.00 of $2.00']);
  });

  it('/research status paragraph', () => {
    expect(spendStatusText([])).toBe('');
    expect(spendStatusText(spendUsageLines(ALL, USAGE, 'U1', 1))).toMatch(/^Spending limits in this workspace:\n• Team today: \$3\.50 of \$10\.00/);
  });

  it('App Home shows the limits instead of the visibility totals, or says it could not read them', () => {
    const base: HomeData = { userId: 'U1', recent: [], moreRecent: false, page: 0, awaitingReview: [], spend: { todayUsd: 0, monthUsd: 0, todayRuns: 0, monthRuns: 0, partial: false } };
    const links = { temporalUiUrl: 'http://ui', namespace: 'default', now: new Date('2026-12-03T12:00:00Z') };
    const withLimits = JSON.stringify(homeView({ ...base, limits: { lines: spendUsageLines(ALL, USAGE, 'U1', 2) } }, links).blocks);
    expect(withLimits).toContain('Spending limits');
    expect(withLimits).toContain('*Team today*\\n$3.50 of $10.00');
    expect(withLimits).toContain('*Your running pipelines*\\n2 of 3');
    expect(withLimits).not.toContain('Team spend today');
    const failed = JSON.stringify(homeView({ ...base, limits: { lines: [], error: 'connection refused' } }, links).blocks);
    expect(failed).toContain("Could not read this workspace's spending limits");
    const off = JSON.stringify(homeView(base, links).blocks);
    expect(off).toContain('Team spend today');
    expect(off).not.toContain('Spending limits');
  });
});

describe('the admission request', () => {
  const models = { prices: DEFAULT_PRICES, researchModel: 'gpt-4o-mini', writerModel: 'gpt-4o' };

  it("holds the first step's worst case under <workflowId>:admission, with the ceilings, zone and running check", () => {
    const request = admissionRequest({ topic: 'heat pumps', requestedBy: 'U1', channel: 'C1', teamId: 'T1' }, 'research-heat-pumps-1', { spend: { ...ALL, timeZone: 'Europe/Berlin' }, ...models }, ['research-a', 'research-heat-pumps-1']);
    expect(request).toEqual({
      teamId: 'T1',
      reservationId: 'research-heat-pumps-1:admission',
      userId: 'U1',
      workflowId: 'research-heat-pumps-1',
      amountUsd: worstCaseOf({ step: 'research', topic: 'heat pumps', model: 'gpt-4o-mini', prices: DEFAULT_PRICES }),
      ceilings: { teamDailyUsd: 10, teamMonthlyUsd: 200, userDailyUsd: 2 },
      ttlMs: ADMISSION_TTL_MS,
      timeZone: 'Europe/Berlin',
      // The run itself is not counted as one of the person's running pipelines.
      runningCheck: { limit: 3, running: ['research-a'] },
    });
    expect(request.amountUsd).toBeGreaterThan(0);
  });

  it('--docs-only holds the writing step; an unpriced model holds 0; no running check without MAX_RUNNING_PER_USER', () => {
    expect(firstStepWorstCase({ topic: 't', docsOnly: true }, models)).toBe(worstCaseOf({ step: 'writing', topic: 't', model: 'gpt-4o', prices: DEFAULT_PRICES }));
    expect(firstStepWorstCase({ topic: 't' }, { ...models, researchModel: 'house-model' })).toBe(0);
    const request = admissionRequest({ topic: 't', requestedBy: 'U1', channel: 'C1', teamId: 'T1' }, 'w', { spend: { ...ALL, maxRunningPerUser: undefined }, ...models });
    expect(request.runningCheck).toBeUndefined();
  });

  it('never admits without the check: no workspace, or an account that does not answer, is an error', async () => {
    const reserve = async () => { throw new Error('14 UNAVAILABLE'); };
    const options = { account: { reserve }, spend: ALL, ...models, runningOf: async () => [] };
    await expect(admit({ topic: 't', requestedBy: 'U1', channel: 'C1' }, 'w', options)).rejects.toBeInstanceOf(SpendCheckUnavailableError);
    await expect(admit({ topic: 't', requestedBy: 'U1', channel: 'C1', teamId: 'T1' }, 'w', options)).rejects.toThrow(/could not check the spend ceilings: 14 UNAVAILABLE/);
    const failingList = { ...options, account: { reserve: async () => ({ status: 'granted' as const, reservationId: 'w:admission', amountUsd: 0, expiresAt: RESETS }) }, runningOf: async () => { throw new Error('visibility down'); } };
    await expect(admit({ topic: 't', requestedBy: 'U1', channel: 'C1', teamId: 'T1' }, 'w', failingList)).rejects.toBeInstanceOf(SpendCheckUnavailableError);
  });
});
