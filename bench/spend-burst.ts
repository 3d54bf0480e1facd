/**
 * A burst straight at a brand-new spend account (`npx tsx bench/spend-burst.ts [callers]`), without
 * spendAccountFor's per-process gate: BURST concurrent reserves through update-with-start, then what the
 * callers got and whether any workflow task failed in the account's history. Kept as a reproduction:
 * on 2026-12-03 about one run in three with 300 callers showed a workflow task failing with
 * "[TMPRL1100] Nondeterminism error: Update machine does not handle this event: TimerStarted" and the
 * account stopped answering (docs/design/spend-account.md → What is left). Gated callers never showed it.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ensureTemporalCli } from '../src/temporal/cli.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { bundleWorkflows } from '../src/temporal/bundle.js';
import { reserveSpend } from '../src/temporal/spend.js';
import { spendAccountWorkflowId } from '../src/workflows/spend-messages.js';

const BURST = Number(process.argv[2] ?? 300);
const cliPath = await ensureTemporalCli({ env: process.env });
const [temporal, bundle] = await Promise.all([startDevServer({ cliPath, port: 0, headless: true, logLevel: 'error' }), bundleWorkflows()]);
const nativeConnection = await NativeConnection.connect({ address: temporal.address });
const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'spend-burst', workflowBundle: { code: bundle.code } });
const running = worker.run();
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });
try {
  const errors = new Map<string, number>();
  const results = await Promise.all(
    Array.from({ length: BURST }, () =>
      reserveSpend(client, { teamId: 'TBURST', reservationId: randomUUID(), userId: 'U1', workflowId: 'research-burst', amountUsd: 0.01, ceilings: { teamDailyUsd: 0.1 }, ttlMs: 600_000 }, { taskQueue: 'spend-burst' }).catch((error: Error) => {
        const key = `${(error as { code?: number }).code ?? ''} ${error.message}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
        return undefined;
      }),
    ),
  );
  const history = await client.workflow.getHandle(spendAccountWorkflowId('TBURST')).fetchHistory();
  const failedTasks = (history.events ?? []).flatMap((e) => (e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes.failure?.message ?? ''] : []));
  console.log(
    JSON.stringify(
      {
        callers: BURST,
        granted: results.filter((r) => r?.status === 'granted').length,
        refused: results.filter((r) => r?.status === 'refused').length,
        errors: Object.fromEntries(errors),
        historyEvents: history.events?.length,
        failedWorkflowTasks: failedTasks,
      },
      null,
      2,
    ),
  );
} finally {
  worker.shutdown();
  await running;
  await connection.close();
  await nativeConnection.close();
  await temporal.stop();
}
