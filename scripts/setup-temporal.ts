/**
 * `npm run setup:temporal`: registers the app's search attributes on the Temporal server the
 * configuration points at (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TLS, profiles).
 * Safe to run again. Exits 1 when an attribute exists with another type.
 */
import 'dotenv/config';
import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../src/entry.js';
import { describeReport, registerSearchAttributes } from '../src/temporal/setup.js';

const config = loadConfigOrExit('worker');
const address = config.temporal.connection.address ?? 'localhost:7233';
const connection = await Connection.connect({ ...config.temporal.connection, address });
try {
  const report = await registerSearchAttributes(connection, config.temporal.namespace);
  console.log(`Temporal at ${address}:\n${describeReport(report, config.temporal.namespace)}`);
  process.exitCode = report.conflicting.length ? 1 : 0;
} finally {
  await connection.close();
}
