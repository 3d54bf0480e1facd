import { describe, expect, it } from 'vitest';
import { emptySpendBook, nextExpiry, releaseExpired, reserve, settle, usageOf } from '../../src/workflows/spend-book.js';
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
});
