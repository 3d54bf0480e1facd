/**
 * Small helpers shared by the three entry points (main, worker, bot).
 */
import 'dotenv/config';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { ConfigError, loadConfig, type Config, type Role } from './config.js';

/** True when this module is the script node was started with (ESM has no `require.main`). */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && path.resolve(script) === fileURLToPath(moduleUrl);
}

/** Loads config or prints every problem and exits non-zero. */
export function loadConfigOrExit(role: Role): Config {
  try {
    return loadConfig(process.env, role);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Call first in an entry point: Temporal's runtime must not take SIGINT/SIGTERM itself,
 * so that `onShutdownSignal` can stop things in order (workers, then bot, then server).
 */
export function installTemporalRuntime(level: Config['logLevel']): void {
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(level.toUpperCase() as LogLevel) });
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. A second Ctrl-C exits at once. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`Received ${signal} again: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\nReceived ${signal}: shutting down…`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
