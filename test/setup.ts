/**
 * Per test file: keep Temporal's runtime logs to warnings, so test output shows what matters.
 * Set TEMPORAL_TEST_LOG_LEVEL=INFO (or DEBUG) to see the workers' own logs.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const level = (process.env.TEMPORAL_TEST_LOG_LEVEL ?? 'WARN') as LogLevel;
Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
