/**
 * The spend account's cost (issue 21): figure 11 of `npm run bench` (BENCH_ONLY=11 alone; `npx tsx
 * bench/spend-account.ts` prints it with more points, ungated callers too): against an in-memory Temporal dev server and one worker on this machine,
 * with payloads encrypted as in production,
 *   1. the latency one LLM call gains: reserve, settle and the pair, one caller at a time;
 *   2. reservations per second one account sustains with n concurrent callers, each doing
 *      reserve + settle in a loop (what a burst of LLM activities across a workspace does), through
 *      spendAccountFor's per-process gate and, past 10 callers, without it;
 *   3. history events the account gains per reservation (it continues as new every 1,000 Updates).
 * The pipeline's own history is untouched by any of this: reservations are the activity's business.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureTemporalCli } from '../src/temporal/cli.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { bundleWorkflows } from '../src/temporal/bundle.js';
import { parsePayloadKeys, temporalDataConverter, type PayloadKey } from '../src/temporal/codec.js';
import { readUsage, reserveSpend, settleSpend, spendAccountFor, DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT, type SpendAccountOptions } from '../src/temporal/spend.js';
import { spendAccountWorkflowId } from '../src/workflows/spend-messages.js';
import { round, roundSummary, summarize } from './lib/stats.js';

export interface SpendAccountFigureOptions {
  /** Reserve + settle pairs timed one at a time. */
  sequential: number;
  /** Concurrent callers per throughput point (gated; counts above 10 are also run ungated when `ungated`). */
  callerCounts: number[];
  perCallerSeconds: number;
  ungated: boolean;
}

export async function spendAccountFigure({ sequential: SEQUENTIAL, callerCounts: CALLER_COUNTS, perCallerSeconds: PER_CALLER_SECONDS, ungated: withUngated }: SpendAccountFigureOptions) {
  const cliPath = await ensureTemporalCli({ env: process.env });
  const [temporal, bundle] = await Promise.all([startDevServer({ cliPath, port: 0, headless: true, logLevel: 'error' }), bundleWorkflows()]);
  const keys = parsePayloadKeys(`bench:${randomBytes(32).toString('base64')}`) as PayloadKey[];
  const dataConverter = temporalDataConverter({ mode: 'on', keys });
  const taskQueue = 'spend-bench';
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: { code: bundle.code }, dataConverter });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter });
  const options: SpendAccountOptions = { taskQueue };
  const ceilings = { teamDailyUsd: 1e6, teamMonthlyUsd: 1e6, userDailyUsd: 1e6 };

  // Gated: this process keeps at most DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT Updates in flight per account
  // (what activities will use); ungated: every caller sends at once (the server's 10-in-flight limit decides).
  const gated = spendAccountFor(client, options);
  const ungated = { reserve: (r: Parameters<typeof reserveSpend>[1]) => reserveSpend(client, r, options), settle: (r: Parameters<typeof settleSpend>[1]) => settleSpend(client, r, options) };
  const call = async (teamId: string, userId: string, via: typeof ungated = gated) => {
    const reservationId = `r-${randomUUID()}`;
    const t0 = performance.now();
    const granted = await via.reserve({ teamId, reservationId, userId, workflowId: 'research-bench', amountUsd: 0.01, ceilings, ttlMs: 600_000 });
    const t1 = performance.now();
    if (granted.status !== 'granted') throw new Error(`refused: ${JSON.stringify(granted)}`);
    await via.settle({ teamId, reservationId, actualUsd: 0.005 });
    const t2 = performance.now();
    return { reserveMs: t1 - t0, settleMs: t2 - t1, pairMs: t2 - t0 };
  };

  try {
    // 1. Latency, one caller.
    const latencyTeam = 'TBENCHLATENCY';
    for (let i = 0; i < 20; i++) await call(latencyTeam, 'U1'); // warm-up: account created, worker cache hot
    const samples = [];
    for (let i = 0; i < SEQUENTIAL; i++) samples.push(await call(latencyTeam, 'U1'));
    const latency = {
      calls: SEQUENTIAL,
      reserveMs: roundSummary(summarize(samples.map((s) => s.reserveMs))),
      settleMs: roundSummary(summarize(samples.map((s) => s.settleMs))),
      pairMs: roundSummary(summarize(samples.map((s) => s.pairMs))),
    };

    // 3. Events per reservation, from the latency account's current run (reserve + settle = 2 Updates).
    const history = await client.workflow.getHandle(spendAccountWorkflowId(latencyTeam)).fetchHistory();
    const updatesInRun = (history.events ?? []).filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length;
    const eventsPerReservation = round(((history.events?.length ?? 0) / Math.max(1, updatesInRun)) * 2, 2);

    // 2. Throughput with concurrent callers, a fresh account each time.
    const throughput = [];
    const runs = [...CALLER_COUNTS.map((callers) => ({ callers, gate: 'gated' as const })), ...CALLER_COUNTS.filter((n) => withUngated && n > 10).map((callers) => ({ callers, gate: 'ungated' as const }))];
    for (const { callers, gate } of runs) {
      const via = gate === 'gated' ? gated : ungated;
      const teamId = `TBENCH${callers}X${randomUUID().slice(0, 6)}`;
      await call(teamId, 'U0');
      const pairMs: number[] = [];
      let errors = 0;
      const until = performance.now() + PER_CALLER_SECONDS * 1000;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          while (performance.now() < until) {
            try {
              pairMs.push((await call(teamId, `U${c}`, via)).pairMs);
            } catch {
              errors += 1;
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const usage = await readUsage(client, teamId);
      throughput.push({
        callers,
        gate: gate === 'gated' ? `≤${DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT} in flight per process` : 'none',
        reservations: pairMs.length,
        errors,
        reservationsPerSecond: round(pairMs.length / seconds, 1),
        pairMs: roundSummary(summarize(pairMs)),
        accountCountedSettled: usage?.counts.settled,
      });
    }
    return { latency, eventsPerReservation, updatesInCurrentRun: updatesInRun, throughput };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await temporal.stop();
  }
}

export type SpendAccountFigure = Awaited<ReturnType<typeof spendAccountFigure>>;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figure = await spendAccountFigure({
    sequential: Number(process.env.SPEND_BENCH_SEQUENTIAL ?? 200),
    callerCounts: (process.env.SPEND_BENCH_CALLERS ?? '1,4,10,20,40').split(',').map(Number),
    perCallerSeconds: Number(process.env.SPEND_BENCH_SECONDS ?? 8),
    ungated: true,
  });
  console.log(JSON.stringify({ machine: { cpus: cpus().length }, ...figure }, null, 2));
}
