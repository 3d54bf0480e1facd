/**
 * The spend client counts what it asked and was answered (src/temporal/spend.ts → src/ops/metrics.ts),
 * so the bot (admissions) and every worker (calls) report on their own /metrics. A client stand-in
 * answers the Updates; what is counted is what the account said.
 */
import { describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { metrics, registry } from '../../src/ops/metrics.js';
import { spendAccountFor } from '../../src/temporal/spend.js';

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const found = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l));
  return found?.value ?? 0;
}

describe('spend metrics', () => {
  it('counts reservations by kind and result, settled spend, and calls that failed', async () => {
    metrics.spendReservations.reset();
    metrics.spendSettledUsd.reset();
    metrics.spendAccountErrors.reset();
    const answers: unknown[] = [
      { status: 'granted', reservationId: 'w:admission', amountUsd: 0.1, expiresAt: '2026-12-04T00:00:00Z' },
      { status: 'refused', reservationId: 'w2:admission', limit: 'team-daily', usedUsd: 1, limitUsd: 1, requestedUsd: 0.1, resetsAt: '2026-12-04T00:00:00Z' },
      { status: 'refused', reservationId: 'w3:admission', limit: 'user-running', running: 2, maxRunning: 2 },
      { status: 'granted', reservationId: 'w:a1:1', amountUsd: 0.05, expiresAt: '2026-12-04T00:00:00Z' },
      { status: 'settled', reservationId: 'w:a1:1', reservedUsd: 0.05, actualUsd: 0.0125, afterExpiry: false },
      { status: 'already-settled', reservationId: 'w:a1:1', actualUsd: 0.0125 },
    ];
    const client = {
      workflow: {
        executeUpdateWithStart: async () => {
          const next = answers.shift();
          if (!next) throw Object.assign(new Error('connection refused'), { code: 2 });
          return next;
        },
      },
    } as unknown as Client;
    const account = spendAccountFor(client, { taskQueue: 'q' });
    const base = { teamId: 'T1', userId: 'U1', workflowId: 'w', amountUsd: 0.1, ceilings: { teamDailyUsd: 1 }, ttlMs: 60_000 };
    await account.reserve({ ...base, reservationId: 'w:admission' });
    await account.reserve({ ...base, reservationId: 'w2:admission' });
    await account.reserve({ ...base, reservationId: 'w3:admission', runningCheck: { limit: 2, running: [] } });
    await account.reserve({ ...base, reservationId: 'w:a1:1', drawFrom: 'w:admission' });
    await account.settle({ teamId: 'T1', reservationId: 'w:a1:1', actualUsd: 0.0125 });
    await account.settle({ teamId: 'T1', reservationId: 'w:a1:1', actualUsd: 0.0125 });
    await expect(account.reserve({ ...base, reservationId: 'w4:admission' })).rejects.toThrow('connection refused');

    const name = 'content_pipeline_spend_reservations_total';
    expect(await value(name, { kind: 'admission', result: 'granted' })).toBe(1);
    expect(await value(name, { kind: 'admission', result: 'team-daily' })).toBe(1);
    expect(await value(name, { kind: 'admission', result: 'user-running' })).toBe(1);
    expect(await value(name, { kind: 'call', result: 'granted' })).toBe(1);
    // A repeated settle (already-settled) is not counted twice.
    expect(await value('content_pipeline_spend_settled_usd_total')).toBeCloseTo(0.0125, 10);
    expect(await value('content_pipeline_spend_account_errors_total', { operation: 'reserve' })).toBe(1);
  });
});
