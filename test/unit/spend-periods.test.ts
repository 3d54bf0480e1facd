import { describe, expect, it } from 'vitest';
import { isValidTimeZone, spendPeriodsAt } from '../../src/shared/spend-periods.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('spendPeriodsAt', () => {
  it('gives the UTC day and month by default, resetting at the next UTC midnight and first of the month', () => {
    const periods = spendPeriodsAt(at('2026-12-03T13:15:00Z'));
    expect(periods.day).toBe('2026-12-03');
    expect(periods.month).toBe('2026-12');
    expect(iso(periods.dayResetsAt)).toBe('2026-12-04T00:00:00.000Z');
    expect(iso(periods.monthResetsAt)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('puts the last millisecond of a day in that day and midnight in the next', () => {
    expect(spendPeriodsAt(at('2026-02-28T23:59:59.999Z')).day).toBe('2026-02-28');
    const midnight = spendPeriodsAt(at('2026-03-01T00:00:00.000Z'));
    expect(midnight.day).toBe('2026-03-01');
    expect(iso(midnight.dayResetsAt)).toBe('2026-03-02T00:00:00.000Z');
  });

  it('uses the local date of the time zone, not the UTC one', () => {
    // 02:00 UTC on the 1st is still the evening of the 31st in New York (UTC-5 in December).
    const periods = spendPeriodsAt(at('2027-01-01T02:00:00Z'), 'America/New_York');
    expect(periods.day).toBe('2026-12-31');
    expect(periods.month).toBe('2026-12');
    expect(iso(periods.dayResetsAt)).toBe('2027-01-01T05:00:00.000Z');
    expect(iso(periods.monthResetsAt)).toBe('2027-01-01T05:00:00.000Z');
  });

  it('handles half-hour offsets', () => {
    const periods = spendPeriodsAt(at('2026-12-03T20:00:00Z'), 'Asia/Kolkata');
    expect(periods.day).toBe('2026-12-04');
    expect(iso(periods.dayResetsAt)).toBe('2026-12-04T18:30:00.000Z');
  });

  it('gives a 23-hour day when the clocks go forward (New York, 8 March 2026)', () => {
    const periods = spendPeriodsAt(at('2026-03-08T12:00:00Z'), 'America/New_York');
    expect(periods.day).toBe('2026-03-08');
    // Midnight EST was 05:00Z; the next midnight is EDT (UTC-4): 04:00Z on the 9th.
    expect(iso(periods.dayResetsAt)).toBe('2026-03-09T04:00:00.000Z');
    expect(periods.dayResetsAt - at('2026-03-08T05:00:00Z')).toBe(23 * 3_600_000);
  });

  it('gives a 25-hour day when the clocks go back (New York, 1 November 2026)', () => {
    const periods = spendPeriodsAt(at('2026-11-01T12:00:00Z'), 'America/New_York');
    expect(periods.day).toBe('2026-11-01');
    expect(iso(periods.dayResetsAt)).toBe('2026-11-02T05:00:00.000Z');
    expect(periods.dayResetsAt - at('2026-11-01T04:00:00Z')).toBe(25 * 3_600_000);
  });

  it('starts the day at 01:00 where midnight is skipped (Santiago, 6 September 2026)', () => {
    // Chile moves from UTC-4 to UTC-3 at local midnight: 23:59:59 on the 5th is followed by 01:00 on the 6th.
    const periods = spendPeriodsAt(at('2026-09-05T20:00:00Z'), 'America/Santiago');
    expect(periods.day).toBe('2026-09-05');
    expect(iso(periods.dayResetsAt)).toBe('2026-09-06T04:00:00.000Z');
    expect(spendPeriodsAt(periods.dayResetsAt, 'America/Santiago').day).toBe('2026-09-06');
  });

  it('resets the month at local midnight on the first, across a DST change in the month', () => {
    const periods = spendPeriodsAt(at('2026-03-15T12:00:00Z'), 'Europe/Paris');
    expect(periods.month).toBe('2026-03');
    // April starts in CEST (UTC+2).
    expect(iso(periods.monthResetsAt)).toBe('2026-03-31T22:00:00.000Z');
  });
});

describe('isValidTimeZone', () => {
  it('accepts IANA names and UTC, refuses anything else', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
