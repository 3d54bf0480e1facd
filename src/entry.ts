/**
 * Small helpers shared by the three entry points (main, worker, bot).
 */
import 'dotenv/config';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig, type Config, type Role } from './config.js';
import { configureLogging, log, temporalLogger, type Log } from './ops/log.js';
import { startOpsServer, type OpsServer } from './ops/server.js';
import { freePort } from './temporal/dev-server.js';
import { LocalKeyFileError } from './temporal/codec.js';

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

/** For a startup step that can find a configuration problem (PUBLISH_CHANNEL): print it and exit, as loadConfigOrExit does. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError || error instanceof LocalKeyFileError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

/** Every secret value the configuration holds: scrubbed from each log line wherever it appears. */
export function configuredSecrets(config: Config): string[] {
  const { apiKey } = config.temporal.connection as { apiKey?: unknown };
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.openai.apiKey,
    typeof apiKey === 'string' ? apiKey : undefined,
    config.encryption.codecServer.token,
    // Payload keys, as they are written in PAYLOAD_KEYS (base64).
    ...(config.encryption.keys ?? []).map((key) => key.key.toString('base64')),
  ].filter((secret): secret is string => Boolean(secret));
}

/** The process's structured log, as configured (LOG_LEVEL, LOG_FORMAT); `role` is on every line. */
export function setUpLogging(config: Config, role: Role): Log {
  return configureLogging({ level: config.logLevel, format: config.logFormat, secrets: configuredSecrets(config), base: { role } });
}

/**
 * Call first in an entry point that runs workers. Temporal's runtime must not take SIGINT/SIGTERM
 * itself, so that `onShutdownSignal` can stop things in order (workers, then bot, then server).
 * Its logger is the structured log: the SDK's own lines, the workflow and activity context
 * loggers, and the core's lines (forwarded) all arrive there with their workflow context.
 * `metricsBindAddress`: where the runtime serves its Prometheus metrics (src/ops/metrics.ts reads them there).
 */
export function installTemporalRuntime(config: Config, metricsBindAddress?: string): void {
  Runtime.install({
    shutdownSignals: [],
    logger: temporalLogger(),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: config.logLevel === 'debug' ? 'DEBUG' : 'WARN', other: 'ERROR' } },
      ...(metricsBindAddress ? { metrics: { prometheus: { bindAddress: metricsBindAddress } } } : {}),
    },
  });
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. A second Ctrl-C exits at once. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log().warn(`Received ${signal} again: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    log().info(`Received ${signal}: shutting down…`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log().error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * The process's operations endpoint on METRICS_PORT (/metrics, /healthz, /readyz). With
 * `temporalRuntime`, Temporal's runtime is installed here too, its Prometheus listener on a
 * loopback port that /metrics reads, so one scrape target has both (call before any worker starts).
 */
export async function startOpsEndpoint(config: Config, options: { temporalRuntime?: boolean } = {}): Promise<OpsServer> {
  let temporalMetricsUrl: string | undefined;
  if (options.temporalRuntime) {
    const port = await freePort();
    installTemporalRuntime(config, `127.0.0.1:${port}`);
    temporalMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  }
  return startOpsServer({ port: config.metricsPort, host: config.metricsHost, ...(temporalMetricsUrl ? { temporalMetricsUrl } : {}) });
}
