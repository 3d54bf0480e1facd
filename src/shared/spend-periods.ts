/**
 * The day and month a moment falls in for a time zone (SPEND_TIMEZONE, an IANA name; UTC by
 * default), and when each resets. Pure and free of I/O: the spend account workflow imports it and
 * feeds it workflow time.
 *
 * Resets are found by search, not by adding 24 hours: a local day can last 23 or 25 hours around a
 * DST change, and in some zones (America/Santiago in September) midnight itself is skipped, so the
 * day starts at 01:00. The first instant whose local date differs is the reset, whatever the zone's rules.
 */

export const DEFAULT_SPEND_TIMEZONE = 'UTC';

export interface SpendPeriods {
  /** Local calendar day, `YYYY-MM-DD`. */
  day: string;
  /** Local calendar month, `YYYY-MM`. */
  month: string;
  /** Epoch ms of the first instant of the next local day. */
  dayResetsAt: number;
  /** Epoch ms of the first instant of the next local month. */
  monthResetsAt: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True for a time zone Intl knows (`UTC`, `Europe/Paris`); false for anything else. */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local `YYYY-MM-DD` of a moment in a time zone. */
export function localDay(atMs: number, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(atMs);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

const HOUR_MS = 3_600_000;

/** The first instant after `atMs` whose key differs, searching up to `horizonMs` ahead (to the ms). */
function nextChange(atMs: number, horizonMs: number, key: (ms: number) => string): number {
  const current = key(atMs);
  let low = atMs; // key(low) === current
  let high = atMs + horizonMs; // key(high) !== current
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (key(middle) === current) low = middle;
    else high = middle;
  }
  return high;
}

/** The day and month `atMs` falls in, in `timeZone`, and when each resets. Throws RangeError for an unknown zone. */
export function spendPeriodsAt(atMs: number, timeZone: string = DEFAULT_SPEND_TIMEZONE): SpendPeriods {
  const day = localDay(atMs, timeZone);
  const month = day.slice(0, 7);
  // A local day lasts at most 25 hours (27 covers any historical oddity); a month at most 31 days + a day.
  const dayResetsAt = nextChange(atMs, 27 * HOUR_MS, (ms) => localDay(ms, timeZone));
  const monthResetsAt = nextChange(atMs, 33 * 24 * HOUR_MS, (ms) => localDay(ms, timeZone).slice(0, 7));
  return { day, month, dayResetsAt, monthResetsAt };
}
