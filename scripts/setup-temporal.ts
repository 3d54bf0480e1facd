/**
 * `npm run setup:temporal`: registers the app's search attributes on the Temporal server the
 * configuration points at (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TLS, profiles).
 * Needs no Slack or OpenAI settings. Safe to run again. Exits 1 when an attribute exists with another type.
 */
import 'dotenv/config';
import { Connection } from '@temporalio/client';
import { ConfigError, loadTemporalConfig } from '../src/config.js';
import { describeReport, registerSearchAttributes } from '../src/temporal/setup.js';

let temporal: ReturnType<typeof loadTemporalConfig>;
try {
  temporal = loadTemporalConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const address = temporal.connection.address ?? 'localhost:7233';
const connection = await Connection.connect({ ...temporal.connection, address });
try {
  const report = await registerSearchAttributes(connection, temporal.namespace);
  console.log(`Temporal at ${address}:\n${describeReport(report, temporal.namespace)}`);
  process.exitCode = report.conflicting.length ? 1 : 0;
} finally {
  await connection.close();
}
