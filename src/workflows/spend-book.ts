/**
 * The spend account's book: spend per day and month, per team and per user, and open reservations.
 * Pure and synchronous (the workflow passes workflow time in), so every Update is answered in the
 * handler that receives it and the rules are unit-testable without a server.
 *
 * Amounts are kept in integer micro-dollars: sums of floats drift (0.1 + 0.2 > 0.3), and a ceiling
 * that fits exactly ten calls must grant ten.
 */
import { DEFAULT_SPEND_TIMEZONE, spendPeriodsAt, type SpendPeriods } from '../shared/spend-periods.js';
import type { ReserveRequest, ReserveResult, SettleRequest, SettleResult, SpendAmounts, SpendCeilings, SpendLimit, SpendUsage } from './spend-messages.js';

const MICROS = 1_000_000;
const toMicros = (usd: number) => Math.round(usd * MICROS);
const toUsd = (micros: number) => micros / MICROS;

/** How long a closed reservation is remembered (a retried reserve or settle after continue-as-new is answered the same). */
export const CLOSED_RETENTION_MS = 60 * 60 * 1000;
/**
 * How long an admitted pipeline counts as running though the caller did not list it: visibility lags a
 * start by a moment (about a second on Elasticsearch), so a minute covers it, while a run cancelled or
 * failed right after its start stops counting within that minute instead of blocking its requester.
 */
export const ADMISSION_MEMORY_MS = 60 * 1000;
/** The longest ttl a reserve may ask for. */
export const MAX_RESERVATION_TTL_MS = 24 * 60 * 60 * 1000;

export interface OpenReservation {
  id: string;
  userId: string;
  workflowId: string;
  amountMicros: number;
  reservedAt: number;
  expiresAt: number;
  day: string;
  month: string;
  /** What was asked when granted (a hold's amount shrinks as calls draw from it; a repeat is judged on this). */
  requestedMicros?: number;
}

export interface ClosedReservation {
  userId: string;
  amountMicros: number;
  expiresAt: number;
  day: string;
  month: string;
  outcome: 'settled' | 'expired';
  actualMicros?: number;
  closedAt: number;
  requestedMicros?: number;
}

interface PeriodSpend {
  teamMicros: number;
  userMicros: Record<string, number>;
}

/** Everything the account knows; plain JSON, carried across continue-as-new. */
export interface SpendBookState {
  version: 1;
  timeZone: string;
  periods?: SpendPeriods;
  day: PeriodSpend;
  month: PeriodSpend;
  ceilings: SpendCeilings;
  open: Record<string, OpenReservation>;
  closed: Record<string, ClosedReservation>;
  counts: { granted: number; refused: number; settled: number; expired: number };
  totalSpentMicros: number;
  /** Pipelines admitted in the last ADMISSION_MEMORY_MS, by workflow ID (absent in books from before admissions). */
  admitted?: Record<string, { userId: string; at: number }>;
}

export function emptySpendBook(): SpendBookState {
  return {
    version: 1,
    timeZone: DEFAULT_SPEND_TIMEZONE,
    day: { teamMicros: 0, userMicros: {} },
    month: { teamMicros: 0, userMicros: {} },
    ceilings: {},
    open: {},
    closed: {},
    counts: { granted: 0, refused: 0, settled: 0, expired: 0 },
    totalSpentMicros: 0,
    admitted: {},
  };
}

const ID_PATTERN = /^[\w.:@-]{1,200}$/;

function finiteNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Why a reserve request is malformed, or undefined when it is fine (the Update validator throws it). */
export function reserveProblem(request: ReserveRequest, book: SpendBookState, timeZoneValid: (zone: string) => boolean): string | undefined {
  if (!request || typeof request !== 'object') return 'reserve needs a request object';
  if (!ID_PATTERN.test(request.reservationId ?? '')) return 'reservationId must be 1-200 letters, digits or ._:@-';
  if (!ID_PATTERN.test(request.userId ?? '')) return 'userId must be 1-200 letters, digits or ._:@-';
  if (typeof request.workflowId !== 'string' || request.workflowId.length === 0 || request.workflowId.length > 1000) return 'workflowId must be a non-empty string';
  if (!finiteNonNegative(request.amountUsd) || request.amountUsd > 1e6) return 'amountUsd must be a number from 0 to 1,000,000';
  if (typeof request.ttlMs !== 'number' || !Number.isInteger(request.ttlMs) || request.ttlMs <= 0 || request.ttlMs > MAX_RESERVATION_TTL_MS) return `ttlMs must be a whole number of ms from 1 to ${MAX_RESERVATION_TTL_MS}`;
  if (!request.ceilings || typeof request.ceilings !== 'object') return 'ceilings must be an object ({} for no limits)';
  for (const key of ['teamDailyUsd', 'teamMonthlyUsd', 'userDailyUsd'] as const) {
    const value = request.ceilings[key];
    if (value !== undefined && !finiteNonNegative(value)) return `ceilings.${key} must be a non-negative number or absent`;
  }
  if (request.drawFrom !== undefined && !ID_PATTERN.test(request.drawFrom)) return 'drawFrom must be 1-200 letters, digits or ._:@-';
  if (request.runningCheck !== undefined) {
    const check = request.runningCheck;
    if (!check || !Number.isInteger(check.limit) || check.limit < 1) return 'runningCheck.limit must be a whole number from 1';
    if (!Array.isArray(check.running) || check.running.length > 10_000 || check.running.some((id) => typeof id !== 'string')) return 'runningCheck.running must be a list of workflow IDs';
  }
  if (request.timeZone !== undefined && !timeZoneValid(request.timeZone)) return `timeZone "${String(request.timeZone).slice(0, 64)}" is not an IANA time zone`;
  // The same ID with other terms is a caller's bug, not a retry: refuse it rather than answer for a different call.
  const known = book.open[request.reservationId] ?? book.closed[request.reservationId];
  if (known && (known.userId !== request.userId || (known.requestedMicros ?? known.amountMicros) !== toMicros(request.amountUsd))) return `reservation ${request.reservationId} already exists with other terms`;
  return undefined;
}

export function settleProblem(request: SettleRequest): string | undefined {
  if (!request || typeof request !== 'object') return 'settle needs a request object';
  if (!ID_PATTERN.test(request.reservationId ?? '')) return 'reservationId must be 1-200 letters, digits or ._:@-';
  if (!finiteNonNegative(request.actualUsd) || request.actualUsd > 1e6) return 'actualUsd must be a number from 0 to 1,000,000';
  return undefined;
}

/** Moves the book to the periods `now` falls in (a new day or month starts from zero) and forgets old closed entries. */
export function rollTo(book: SpendBookState, now: number, timeZone: string = book.timeZone): void {
  if (timeZone !== book.timeZone) {
    // A new zone redraws the periods; the current day's and month's totals are kept as they are.
    book.timeZone = timeZone;
    const periods = spendPeriodsAt(now, timeZone);
    book.periods = periods;
  }
  const current = book.periods;
  if (!current || now >= current.dayResetsAt) {
    const next = spendPeriodsAt(now, book.timeZone);
    if (!current || next.day !== current.day) book.day = { teamMicros: 0, userMicros: {} };
    if (!current || next.month !== current.month) book.month = { teamMicros: 0, userMicros: {} };
    book.periods = next;
  }
  for (const [id, closed] of Object.entries(book.closed)) {
    if (now - closed.closedAt > CLOSED_RETENTION_MS) delete book.closed[id];
  }
  for (const [id, admitted] of Object.entries(book.admitted ?? {})) {
    if (now - admitted.at > ADMISSION_MEMORY_MS) delete book.admitted![id];
  }
}

/** Open reservations that still count at `now` in the current day / month. */
function openIn(book: SpendBookState, now: number, period: 'day' | 'month', userId?: string): number {
  const key = period === 'day' ? book.periods?.day : book.periods?.month;
  let micros = 0;
  for (const open of Object.values(book.open)) {
    if (open.expiresAt <= now || open[period] !== key) continue;
    if (userId !== undefined && open.userId !== userId) continue;
    micros += open.amountMicros;
  }
  return micros;
}

function grantedResult(open: { amountMicros: number; expiresAt: number }, reservationId: string): ReserveResult {
  return { status: 'granted', reservationId, amountUsd: toUsd(open.amountMicros), expiresAt: new Date(open.expiresAt).toISOString() };
}

/** Grants (recording an open reservation) or refuses naming the first ceiling it would pass. */
export function reserve(book: SpendBookState, request: ReserveRequest, now: number): ReserveResult {
  rollTo(book, now, request.timeZone ?? DEFAULT_SPEND_TIMEZONE);
  book.ceilings = { ...request.ceilings };
  // A retry of a reservation already granted (possibly in an earlier run, before continue-as-new).
  const known = book.open[request.reservationId] ?? book.closed[request.reservationId];
  if (known) return grantedResult(known, request.reservationId);

  const periods = book.periods!;
  const amount = toMicros(request.amountUsd);
  if (request.runningCheck) {
    const running = new Set(request.runningCheck.running);
    for (const [workflowId, admitted] of Object.entries(book.admitted ?? {})) if (admitted.userId === request.userId) running.add(workflowId);
    running.delete(request.workflowId);
    if (running.size >= request.runningCheck.limit) {
      book.counts.refused += 1;
      return { status: 'refused', reservationId: request.reservationId, limit: 'user-running', running: running.size, maxRunning: request.runningCheck.limit };
    }
  }
  // What an open hold of the same person still has is already counted: only the rest asks the ceilings.
  const hold = request.drawFrom === undefined ? undefined : book.open[request.drawFrom];
  const fromHold = hold && hold.userId === request.userId && hold.expiresAt > now ? Math.min(hold.amountMicros, amount) : 0;
  const asked = amount - fromHold;
  const checks: Array<{ limit: SpendLimit; ceiling: number | undefined; used: () => number; resetsAt: number }> = [
    { limit: 'team-daily', ceiling: request.ceilings.teamDailyUsd, used: () => book.day.teamMicros + openIn(book, now, 'day'), resetsAt: periods.dayResetsAt },
    { limit: 'team-monthly', ceiling: request.ceilings.teamMonthlyUsd, used: () => book.month.teamMicros + openIn(book, now, 'month'), resetsAt: periods.monthResetsAt },
    {
      limit: 'user-daily',
      ceiling: request.ceilings.userDailyUsd,
      used: () => (book.day.userMicros[request.userId] ?? 0) + openIn(book, now, 'day', request.userId),
      resetsAt: periods.dayResetsAt,
    },
  ];
  for (const check of checks) {
    if (check.ceiling === undefined) continue;
    const used = check.used();
    const ceiling = toMicros(check.ceiling);
    if (asked > 0 && used + asked > ceiling) {
      book.counts.refused += 1;
      return {
        status: 'refused',
        reservationId: request.reservationId,
        limit: check.limit,
        usedUsd: toUsd(used),
        limitUsd: toUsd(ceiling),
        requestedUsd: toUsd(amount),
        resetsAt: new Date(check.resetsAt).toISOString(),
      };
    }
  }
  const open: OpenReservation = {
    id: request.reservationId,
    userId: request.userId,
    workflowId: request.workflowId,
    amountMicros: amount,
    reservedAt: now,
    expiresAt: now + request.ttlMs,
    day: periods.day,
    month: periods.month,
    requestedMicros: amount,
  };
  if (hold && fromHold > 0) {
    // Moved, not added: the new reservation counts in the period the hold was granted in.
    open.day = hold.day;
    open.month = hold.month;
    hold.amountMicros -= fromHold;
    if (hold.amountMicros === 0) {
      delete book.open[hold.id];
      book.closed[hold.id] = { userId: hold.userId, amountMicros: 0, expiresAt: hold.expiresAt, day: hold.day, month: hold.month, outcome: 'settled', actualMicros: 0, closedAt: now, ...(hold.requestedMicros === undefined ? {} : { requestedMicros: hold.requestedMicros }) };
    }
  }
  book.open[open.id] = open;
  book.counts.granted += 1;
  if (request.runningCheck) (book.admitted ??= {})[request.workflowId] = { userId: request.userId, at: now };
  return grantedResult(open, open.id);
}

function charge(book: SpendBookState, entry: { userId: string; day: string; month: string }, micros: number): void {
  book.totalSpentMicros += micros;
  if (entry.day === book.periods?.day) {
    book.day.teamMicros += micros;
    book.day.userMicros[entry.userId] = (book.day.userMicros[entry.userId] ?? 0) + micros;
  }
  if (entry.month === book.periods?.month) {
    book.month.teamMicros += micros;
    book.month.userMicros[entry.userId] = (book.month.userMicros[entry.userId] ?? 0) + micros;
  }
}

/**
 * Records the actual cost and releases the reservation. Charged to the day and month the reservation
 * was made in (a call that straddles midnight counts where it was granted). Idempotent by reservation ID.
 */
export function settle(book: SpendBookState, request: SettleRequest, now: number): SettleResult {
  rollTo(book, now);
  const actual = toMicros(request.actualUsd);
  const open = book.open[request.reservationId];
  const closed = book.closed[request.reservationId];
  if (closed?.outcome === 'settled') return { status: 'already-settled', reservationId: request.reservationId, actualUsd: toUsd(closed.actualMicros ?? 0) };
  const entry = open ?? closed;
  if (!entry) return { status: 'unknown', reservationId: request.reservationId };
  // Settled after its expiry (a slow call, or a timer that fired first): the spend is real, record it.
  const afterExpiry = !open || open.expiresAt <= now;
  charge(book, entry, actual);
  delete book.open[request.reservationId];
  book.closed[request.reservationId] = {
    userId: entry.userId,
    amountMicros: entry.amountMicros,
    expiresAt: entry.expiresAt,
    day: entry.day,
    month: entry.month,
    outcome: 'settled',
    actualMicros: actual,
    closedAt: now,
    ...(entry.requestedMicros === undefined ? {} : { requestedMicros: entry.requestedMicros }),
  };
  book.counts.settled += 1;
  return { status: 'settled', reservationId: request.reservationId, reservedUsd: toUsd(entry.amountMicros), actualUsd: toUsd(actual), afterExpiry };
}

/** Releases reservations whose expiry has passed (they stop counting; a late settle still records its cost). Returns how many. */
export function releaseExpired(book: SpendBookState, now: number): number {
  let released = 0;
  for (const open of Object.values(book.open)) {
    if (open.expiresAt > now) continue;
    delete book.open[open.id];
    book.closed[open.id] = {
      userId: open.userId, amountMicros: open.amountMicros, expiresAt: open.expiresAt, day: open.day, month: open.month, outcome: 'expired', closedAt: now,
      ...(open.requestedMicros === undefined ? {} : { requestedMicros: open.requestedMicros }),
    };
    book.counts.expired += 1;
    released += 1;
  }
  return released;
}

/** The earliest expiry among open reservations (when the account's timer must fire), if any. */
export function nextExpiry(book: SpendBookState): number | undefined {
  let earliest: number | undefined;
  for (const open of Object.values(book.open)) if (earliest === undefined || open.expiresAt < earliest) earliest = open.expiresAt;
  return earliest;
}

export function usageOf(book: SpendBookState, teamId: string, now: number): SpendUsage {
  const periods = book.periods ?? spendPeriodsAt(now, book.timeZone);
  const amounts = (spent: number, reserved: number): SpendAmounts => ({ spentUsd: toUsd(spent), reservedUsd: toUsd(reserved) });
  const userIds = new Set([...Object.keys(book.day.userMicros), ...Object.keys(book.month.userMicros), ...Object.values(book.open).map((open) => open.userId)]);
  const users: SpendUsage['users'] = {};
  for (const userId of userIds) {
    users[userId] = {
      day: amounts(book.day.userMicros[userId] ?? 0, openIn(book, now, 'day', userId)),
      month: amounts(book.month.userMicros[userId] ?? 0, openIn(book, now, 'month', userId)),
    };
  }
  return {
    teamId,
    timeZone: book.timeZone,
    day: periods.day,
    month: periods.month,
    dayResetsAt: new Date(periods.dayResetsAt).toISOString(),
    monthResetsAt: new Date(periods.monthResetsAt).toISOString(),
    ceilings: { ...book.ceilings },
    team: { day: amounts(book.day.teamMicros, openIn(book, now, 'day')), month: amounts(book.month.teamMicros, openIn(book, now, 'month')) },
    users,
    openReservations: Object.values(book.open)
      .filter((open) => open.expiresAt > now)
      .map((open) => ({ id: open.id, userId: open.userId, workflowId: open.workflowId, amountUsd: toUsd(open.amountMicros), expiresAt: new Date(open.expiresAt).toISOString() })),
    counts: { ...book.counts },
    totalSpentUsd: toUsd(book.totalSpentMicros),
  };
}
