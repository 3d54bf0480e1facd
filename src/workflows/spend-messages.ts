/**
 * The contract of the spend account (one long-lived workflow per workspace): its ID, input, the
 * `reserve` and `settle` Workflow Updates and the `usage` query. Imported by the workflow, the client
 * side (src/temporal/spend.ts) and tests; nobody sends an Update by a string name.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SpendBookState } from './spend-book.js';

/** The account's workflow ID: one per Slack workspace. */
export function spendAccountWorkflowId(teamId: string): string {
  return `spend-account-${teamId}`;
}

/** Update ID of a settle (a reserve's Update ID is the reservation ID itself; IDs are unique per run). */
export function settleUpdateId(reservationId: string): string {
  return `settle-${reservationId}`;
}

/** Ceilings in USD; an absent one is no limit. Sent with every reserve, so a settings change applies at once. */
export interface SpendCeilings {
  teamDailyUsd?: number;
  teamMonthlyUsd?: number;
  userDailyUsd?: number;
}

export type SpendLimit = 'team-daily' | 'team-monthly' | 'user-daily';

/** Admission of a new pipeline: at most `limit` running per person (MAX_RUNNING_PER_USER). */
export interface RunningCheck {
  limit: number;
  /**
   * The requester's pipelines the caller saw running (a visibility list, which lags a start by a
   * moment); the account adds those it admitted recently, so a burst of starts cannot slip through.
   */
  running: string[];
}

export interface ReserveRequest {
  /** Unique per LLM call (also the Update ID, so a retried reserve is answered the same). */
  reservationId: string;
  /** Slack user the spend is charged to (the run's requester). */
  userId: string;
  /** The pipeline (or child) the call belongs to: for views and for finding a leaked reservation. */
  workflowId: string;
  /** The call's worst case in USD. */
  amountUsd: number;
  ceilings: SpendCeilings;
  /** How long an unsettled reservation counts at its worst case (beyond the call's own timeout). */
  ttlMs: number;
  /** IANA zone of days and months (SPEND_TIMEZONE); UTC when absent. */
  timeZone?: string;
  /**
   * An open reservation of the same person (a pipeline's admission hold) this call draws from first:
   * what the hold still has is moved to this reservation without asking the ceilings again, so the
   * first step of an admitted run cannot be refused for money others spent since.
   */
  drawFrom?: string;
  /** Only when admitting a pipeline (`workflowId` is the new run's). */
  runningCheck?: RunningCheck;
}

export type ReserveResult =
  | { status: 'granted'; reservationId: string; amountUsd: number; expiresAt: string }
  | {
      status: 'refused';
      reservationId: string;
      limit: SpendLimit;
      /** Spent plus still reserved in the limit's period, before this request. */
      usedUsd: number;
      limitUsd: number;
      requestedUsd: number;
      /** When the limit's period ends (ISO 8601). */
      resetsAt: string;
    }
  | {
      status: 'refused';
      reservationId: string;
      limit: 'user-running';
      /** The person's pipelines running (or admitted a moment ago), this one not counted. */
      running: number;
      maxRunning: number;
    };

/** A refusal for money (not for running pipelines). */
export type SpendRefusal = Extract<ReserveResult, { status: 'refused'; resetsAt: string }>;

export interface SettleRequest {
  reservationId: string;
  /** What the call actually cost in USD (0 when it failed before the model charged anything). */
  actualUsd: number;
}

export type SettleResult =
  | { status: 'settled'; reservationId: string; reservedUsd: number; actualUsd: number; afterExpiry: boolean }
  | { status: 'already-settled'; reservationId: string; actualUsd: number }
  /** Never reserved here, or closed so long ago it was forgotten: nothing recorded. */
  | { status: 'unknown'; reservationId: string };

export interface SpendAmounts {
  /** Settled (actual) spend in the period. */
  spentUsd: number;
  /** Open reservations in the period, at their worst case. */
  reservedUsd: number;
}

export interface SpendUsage {
  teamId: string;
  timeZone: string;
  day: string;
  month: string;
  dayResetsAt: string;
  monthResetsAt: string;
  /** The ceilings of the latest reserve (what the team's settings said then). */
  ceilings: SpendCeilings;
  team: { day: SpendAmounts; month: SpendAmounts };
  users: Record<string, { day: SpendAmounts; month: SpendAmounts }>;
  openReservations: Array<{ id: string; userId: string; workflowId: string; amountUsd: number; expiresAt: string }>;
  /** Counters since the account began (for metrics). */
  counts: { granted: number; refused: number; settled: number; expired: number };
  totalSpentUsd: number;
}

export interface SpendAccountInput {
  teamId: string;
  /** Carried over by continue-as-new; absent on the first run. */
  state?: SpendBookState;
  /** Continue as new after this many handled Updates (default in spend-account.ts); tests force it small. */
  maxUpdatesPerRun?: number;
}

export const reserveUpdate = defineUpdate<ReserveResult, [ReserveRequest]>('reserve');
export const settleUpdate = defineUpdate<SettleResult, [SettleRequest]>('settle');
export const usageQuery = defineQuery<SpendUsage>('usage');
