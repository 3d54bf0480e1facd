/**
 * The client side of the spend account (src/workflows/spend-account.ts): reserve before an LLM call,
 * settle after it, read usage for views. Plain functions over an injected Client (made with the
 * project's data converter, so reservations are encrypted like every other payload).
 *
 * Reserve and settle use update-with-start with workflowIdConflictPolicy USE_EXISTING: the first
 * caller in a workspace creates its account, everyone else reaches the running one, and no separate
 * "create the account" step can be forgotten. The Update ID is the reservation ID (settle's is
 * `settle-<id>`), so a retried call is answered the same instead of counting twice.
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { spendAccount } from '../workflows/spend-account.js';
import { metrics } from '../ops/metrics.js';
import {
  reserveUpdate,
  settleUpdate,
  settleUpdateId,
  spendAccountWorkflowId,
  usageQuery,
  type ReserveRequest,
  type ReserveResult,
  type SettleRequest,
  type SettleResult,
  type SpendUsage,
} from '../workflows/spend-messages.js';

export interface SpendAccountOptions {
  /** Task queue of a worker that has the spend account workflow (the content-pipeline queue). */
  taskQueue: string;
  /** Continue-as-new threshold for an account this call creates (tests force it small). */
  maxUpdatesPerRun?: number;
}

/**
 * At most this many Updates from one process in flight to one account (spendAccountFor). The server
 * takes at most 10 in flight per workflow execution; past that it refuses and the SDK backs off, and
 * measured here (bench/spend-account.ts) throughput falls from ~190 to ~20 Updates/s. 4 leaves room for
 * two worker processes plus the odd retry; more processes than that call for batching (docs/design/spend-account.md).
 */
export const DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT = 4;

function startOperation(teamId: string, options: SpendAccountOptions) {
  return new WithStartWorkflowOperation(spendAccount, {
    workflowId: spendAccountWorkflowId(teamId),
    taskQueue: options.taskQueue,
    args: [{ teamId, ...(options.maxUpdatesPerRun === undefined ? {} : { maxUpdatesPerRun: options.maxUpdatesPerRun }) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNAVAILABLE = 14;
const RETRY_ATTEMPTS = 8;

/**
 * Errors a burst of Updates to one workflow produces that a retry cures (seen here, bench/spend-account.ts):
 * past the 10-in-flight limit the server refuses (RESOURCE_EXHAUSTED); when concurrent Updates race for
 * the workflow's speculative task, it answers "workflow update was aborted" (UNAVAILABLE) or "Workflow
 * Task in failed state" (FAILED_PRECONDITION) though no task failed in the history. Retrying is safe:
 * the Update ID makes it the same Update.
 */
export function isTransientUpdateError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === GRPC_RESOURCE_EXHAUSTED || code === GRPC_UNAVAILABLE) return true;
  return code === GRPC_FAILED_PRECONDITION && typeof message === 'string' && message.includes('Workflow Task in failed state');
}

async function withRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= RETRY_ATTEMPTS || !isTransientUpdateError(error)) throw error;
      // Jittered exponential backoff (25 ms … ~1.6 s), so a burst does not retry in step.
      const delay = Math.min(2_000, 25 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Reserves a call's worst case: granted, or refused naming the limit, what is used and when it resets. */
export async function reserveSpend(client: Client, request: ReserveRequest & { teamId: string }, options: SpendAccountOptions): Promise<ReserveResult> {
  const { teamId, ...reserve } = request;
  return withRetries(() =>
    client.workflow.executeUpdateWithStart(reserveUpdate, {
      updateId: reserve.reservationId,
      args: [reserve],
      startWorkflowOperation: startOperation(teamId, options),
    }),
  );
}

/** Records a call's actual cost and releases its reservation (idempotent by reservation ID). */
export async function settleSpend(client: Client, request: SettleRequest & { teamId: string }, options: SpendAccountOptions): Promise<SettleResult> {
  const { teamId, ...settle } = request;
  return withRetries(() =>
    client.workflow.executeUpdateWithStart(settleUpdate, {
      updateId: settleUpdateId(settle.reservationId),
      args: [settle],
      startWorkflowOperation: startOperation(teamId, options),
    }),
  );
}

/** The workspace's usage from its account (exact, not a visibility scan); undefined before its first reservation. */
export async function readUsage(client: Client, teamId: string): Promise<SpendUsage | undefined> {
  try {
    return await client.workflow.getHandle(spendAccountWorkflowId(teamId)).query(usageQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** A queue per account: at most `limit` calls running, the rest wait their turn in order. */
function accountGates(limit: number) {
  const gates = new Map<string, { running: number; waiting: Array<() => void> }>();
  return async <T>(teamId: string, work: () => Promise<T>): Promise<T> => {
    let gate = gates.get(teamId);
    if (!gate) gates.set(teamId, (gate = { running: 0, waiting: [] }));
    const held = gate;
    if (held.running >= limit) await new Promise<void>((resolve) => held.waiting.push(resolve));
    else held.running += 1;
    try {
      return await work();
    } finally {
      const next = held.waiting.shift();
      if (next) next(); // the slot passes straight to the next caller
      else {
        held.running -= 1;
        if (held.running === 0) gates.delete(teamId);
      }
    }
  };
}

export interface SpendAccount {
  reserve(request: ReserveRequest & { teamId: string }): Promise<ReserveResult>;
  settle(request: SettleRequest & { teamId: string }): Promise<SettleResult>;
  usage(teamId: string): Promise<SpendUsage | undefined>;
}

/**
 * What an LLM activity will be given (one per worker process, over the worker's Client): reserve and
 * settle with this process's Updates to each account kept under the server's in-flight limit.
 */
export function spendAccountFor(client: Client, options: SpendAccountOptions & { maxInFlightPerAccount?: number }): SpendAccount {
  const gated = accountGates(options.maxInFlightPerAccount ?? DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT);
  return {
    reserve: (request) => metered('reserve', gated(request.teamId, () => reserveSpend(client, request, options))).then((result) => {
      // Counted here, so the bot (admissions) and every worker (calls) report to their own /metrics.
      metrics.spendReservations.inc({ kind: request.runningCheck || request.reservationId.endsWith(':admission') ? 'admission' : 'call', result: result.status === 'granted' ? 'granted' : result.limit });
      return result;
    }),
    settle: (request) => metered('settle', gated(request.teamId, () => settleSpend(client, request, options))).then((result) => {
      if (result.status === 'settled') metrics.spendSettledUsd.inc(result.actualUsd);
      return result;
    }),
    usage: (teamId) => readUsage(client, teamId),
  };
}

async function metered<T>(operation: 'reserve' | 'settle', call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    metrics.spendAccountErrors.inc({ operation });
    throw error;
  }
}
