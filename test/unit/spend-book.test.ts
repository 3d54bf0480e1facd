import { describe, expect, it } from 'vitest';
import { emptySpendBook, nextExpiry, releaseExpired, reserve, reserveProblem, settle, usageOf } from '../../src/workflows/spend-book.js';
import type { ReserveRequest } from '../../src/workflows/spend-messages.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

function request(id: string, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  return { reservationId: id, userId: 'U1', workflowId: 'research-x', amountUsd: 0.1, ceilings: { teamDailyUsd: 0.3, teamMonthlyUsd: 10 }, ttlMs: HOUR, ...overrides };
}

describe('spend book', () => {
  it('grants exactly what fits, with no float drift (ten 0.1 reservations fit a 1.0 ceiling)', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    const results = Array.from({ length: 11 }, (_, i) => reserve(book, request(`r${i}`, { ceilings: { teamDailyUsd: 1 } }), now));
    expect(results.filter((r) => r.status === 'granted')).toHaveLength(10);
    expect(results[10]).toMatchObject({ status: 'refused', usedUsd: 1, limitUsd: 1 });
  });

  it('starts a new day from zero at local midnight, keeping the month', () => {
    const book = emptySpendBook();
    const evening = at('2026-12-03T23:00:00Z');
    for (const id of ['a', 'b', 'c']) expect(reserve(book, request(id), evening).status).toBe('granted');
    expect(reserve(book, request('d'), evening)).toMatchObject({ status: 'refused', limit: 'team-daily', resetsAt: '2026-12-04T00:00:00.000Z' });
    for (const id of ['a', 'b', 'c']) settle(book, { reservationId: id, actualUsd: 0.1 }, evening);

    const morning = at('2026-12-04T00:00:01Z');
    expect(reserve(book, request('d'), morning).status).toBe('granted');
    const usage = usageOf(book, 'T1', morning);
    expect(usage.day).toBe('2026-12-04');
    expect(usage.team.day).toEqual({ spentUsd: 0, reservedUsd: 0.1 });
    expect(usage.team.month.spentUsd).toBeCloseTo(0.3, 10);
  });

  it('charges a call that straddles midnight to the day it was granted in', () => {
    const book = emptySpendBook();
    expect(reserve(book, request('late'), at('2026-12-03T23:59:00Z')).status).toBe('granted');
    settle(book, { reservationId: 'late', actualUsd: 0.05 }, at('2026-12-04T00:01:00Z'));
    const usage = usageOf(book, 'T1', at('2026-12-04T00:01:00Z'));
    expect(usage.team.day.spentUsd).toBe(0);
    expect(usage.team.month.spentUsd).toBe(0.05);
  });

  it('uses SPEND_TIMEZONE days: 23:30 UTC is already tomorrow in Paris', () => {
    const book = emptySpendBook();
    const result = reserve(book, request('p', { timeZone: 'Europe/Paris', ceilings: { teamDailyUsd: 0.05 } }), at('2026-12-03T23:30:00Z'));
    expect(result).toMatchObject({ status: 'refused', resetsAt: '2026-12-04T23:00:00.000Z' });
    expect(usageOf(book, 'T1', at('2026-12-03T23:30:00Z')).day).toBe('2026-12-04');
  });

  it('stops counting an expired reservation even before the timer releases it, and the timer releases it', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    reserve(book, request('x', { ttlMs: 1_000 }), now);
    expect(nextExpiry(book)).toBe(now + 1_000);
    expect(usageOf(book, 'T1', now + 1_000).team.day.reservedUsd).toBe(0);
    expect(releaseExpired(book, now + 1_000)).toBe(1);
    expect(nextExpiry(book)).toBeUndefined();
    expect(book.counts.expired).toBe(1);
  });

  it('checks ceilings in order: team daily, team monthly, user daily', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    expect(reserve(book, request('m', { amountUsd: 0.2, ceilings: { teamDailyUsd: 0.1, teamMonthlyUsd: 0.1, userDailyUsd: 0.1 } }), now)).toMatchObject({ limit: 'team-daily' });
    expect(reserve(book, request('m', { amountUsd: 0.2, ceilings: { teamMonthlyUsd: 0.1, userDailyUsd: 0.1 } }), now)).toMatchObject({ limit: 'team-monthly' });
    expect(reserve(book, request('m', { amountUsd: 0.2, ceilings: { userDailyUsd: 0.1 } }), now)).toMatchObject({ limit: 'user-daily' });
    expect(reserve(book, request('m', { amountUsd: 0.2, ceilings: {} }), now)).toMatchObject({ status: 'granted' });
  });

  it('a pipeline admitted with a hold draws its first calls from it, even when others filled the ceiling meanwhile', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    const ceilings = { teamDailyUsd: 0.5 };
    // Admission holds the first step's worst case (three calls of 0.1).
    expect(reserve(book, request('run1:admission', { amountUsd: 0.3, ceilings, workflowId: 'run1' }), now).status).toBe('granted');
    // Someone else takes what is left.
    expect(reserve(book, request('other', { userId: 'U2', amountUsd: 0.2, ceilings }), now).status).toBe('granted');
    expect(reserve(book, request('other2', { userId: 'U2', amountUsd: 0.01, ceilings }), now)).toMatchObject({ status: 'refused', limit: 'team-daily' });
    // The admitted run's three calls are granted from its hold; moving never counts twice.
    for (const call of ['facts', 'examples', 'stats']) {
      expect(reserve(book, request(`run1:${call}`, { amountUsd: 0.1, ceilings, drawFrom: 'run1:admission' }), now).status).toBe('granted');
    }
    expect(usageOf(book, 'T1', now).team.day).toEqual({ spentUsd: 0, reservedUsd: 0.5 });
    expect(book.open['run1:admission']).toBeUndefined(); // used up
    // A fourth call has nothing left to draw: it asks the ceiling like any other.
    expect(reserve(book, request('run1:writing', { amountUsd: 0.1, ceilings, drawFrom: 'run1:admission' }), now)).toMatchObject({ status: 'refused', limit: 'team-daily', usedUsd: 0.5 });
  });

  it('a call bigger than what its hold has asks the ceilings only for the rest; another person cannot draw from the hold', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    const ceilings = { teamDailyUsd: 0.35 };
    expect(reserve(book, request('hold', { amountUsd: 0.3, ceilings }), now).status).toBe('granted');
    expect(reserve(book, request('big', { amountUsd: 0.35, ceilings, drawFrom: 'hold' }), now).status).toBe('granted');
    expect(usageOf(book, 'T1', now).team.day.reservedUsd).toBeCloseTo(0.35, 10);
    const book2 = emptySpendBook();
    expect(reserve(book2, request('hold', { amountUsd: 0.3, ceilings }), now).status).toBe('granted');
    expect(reserve(book2, request('theirs', { userId: 'U2', amountUsd: 0.1, ceilings, drawFrom: 'hold' }), now)).toMatchObject({ status: 'refused', limit: 'team-daily' });
  });

  it('counts running pipelines as those seen plus those admitted a moment ago, so a burst cannot slip past MAX_RUNNING_PER_USER', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    const admit = (workflowId: string, running: string[], userId = 'U1') =>
      reserve(book, request(`${workflowId}:admission`, { workflowId, userId, amountUsd: 0.01, ceilings: {}, runningCheck: { limit: 2, running } }), now);
    // Nobody has seen anything yet (visibility lags): the account's own memory holds the line.
    expect(admit('run1', []).status).toBe('granted');
    expect(admit('run2', []).status).toBe('granted');
    expect(admit('run3', [])).toMatchObject({ status: 'refused', limit: 'user-running', running: 2, maxRunning: 2 });
    expect(admit('other-person', [], 'U2').status).toBe('granted');
    // A retry of an admitted run is answered the same, not counted against itself.
    expect(admit('run1', ['run1', 'run2']).status).toBe('granted');
    // Later, visibility shows what runs; admissions are forgotten after a minute (a run cancelled
    // right after its start must not block its requester for long).
    const later = now + 61_000;
    const admitLater = (workflowId: string, running: string[]) =>
      reserve(book, request(`${workflowId}:admission`, { workflowId, amountUsd: 0.01, ceilings: {}, runningCheck: { limit: 2, running } }), later);
    expect(admitLater('run4', ['run2']).status).toBe('granted'); // run1 finished meanwhile
    expect(admitLater('run5', ['run2'])).toMatchObject({ status: 'refused', limit: 'user-running', running: 2 });
  });

  it('a repeated admission of a hold that calls already drew from is answered the same, not taken for other terms', () => {
    const book = emptySpendBook();
    const now = at('2026-12-03T12:00:00Z');
    const hold = request('run1:admission', { amountUsd: 0.3, workflowId: 'run1', ceilings: { teamDailyUsd: 1 } });
    expect(reserve(book, hold, now).status).toBe('granted');
    expect(reserve(book, request('run1:facts', { amountUsd: 0.1, ceilings: { teamDailyUsd: 1 }, drawFrom: 'run1:admission' }), now).status).toBe('granted');
    expect(reserveProblem(hold, book, () => true)).toBeUndefined();
    expect(reserve(book, hold, now).status).toBe('granted');
    // Drawn to nothing (closed), still the same terms.
    for (const call of ['examples', 'stats']) reserve(book, request(`run1:${call}`, { amountUsd: 0.1, ceilings: { teamDailyUsd: 1 }, drawFrom: 'run1:admission' }), now);
    expect(reserveProblem(hold, book, () => true)).toBeUndefined();
    expect(reserveProblem({ ...hold, amountUsd: 0.2 }, book, () => true)).toContain('other terms');
  });
});
