/**
 * Runs `temporal server start-dev` as a child process: the embedded server of `npm start`
 * (SQLite file, Web UI) and the shared server of the test suite (in memory, headless).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config, Env } from '../config.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes.js';
import { ensureTemporalCli } from './cli.js';

// A CommonJS package: its namespaces come through the default export under ESM.
const { temporal } = proto;

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; ignored when `headless`. Defaults to port + 1000. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file for persistence; in memory when unset. */
  dbFile?: string;
  namespace?: string;
  /** `Name=Type` pairs, e.g. `Topic=Text`. */
  searchAttributes?: string[];
  /** Dynamic config `KEY=VALUE` (JSON value) pairs, added to DEV_SERVER_DYNAMIC_CONFIG. */
  dynamicConfig?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** A codec server the Web UI decodes payloads through (`--ui-codec-endpoint`); ignored when `headless`. */
  uiCodecEndpoint?: string;
  readyTimeoutMs?: number;
  /** Where the server's own log lines go; dropped by default. */
  onOutput?: (line: string) => void;
}

export interface DevServer {
  address: string;
  port: number;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Server settings every dev server of ours runs with (`npm start`, the tests, the benchmark).
 * Eager activity execution: an activity that a workflow task schedules on the worker's own task
 * queue comes back in the answer to that task, instead of waiting in the queue for a poll. Every
 * step of a pipeline is such an activity, so this takes a dispatch round trip off each one
 * (BENCHMARKS.md measures it). Off by default in the server; on a cluster it is the same key.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Temporal dev server exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} was not ready after ${timeoutMs}ms: ${String(lastError)}\n${output()}`);
}

/**
 * Refuses a port something already listens on. Without this check a server started there would
 * fail to bind, but the readiness probe would reach whatever holds the port (another `npm start`'s
 * server, say) and this process would run its workers there.
 */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE'
        ? new Error(`Port ${port} is in use, so no Temporal dev server was started there: another server (perhaps another npm start) holds it. Set TEMPORAL_ADDRESS=127.0.0.1:${port} to use that server, or TEMPORAL_DEV_SERVER_PORT to a free port.`)
        : error));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (options.port) await assertPortFree(options.port);
  const port = options.port || (await freePort());
  const uiPort = options.headless ? undefined : options.uiPort || port + 1000;
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', options.logLevel ?? 'warn'];
  if (options.headless) args.push('--headless');
  else {
    args.push('--ui-port', String(uiPort));
    if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  }
  if (options.dbFile) {
    await fs.mkdir(path.dirname(path.resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.namespace && options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const attribute of options.searchAttributes ?? []) args.push('--search-attribute', attribute);
  for (const value of [...DEV_SERVER_DYNAMIC_CONFIG, ...(options.dynamicConfig ?? [])]) args.push('--dynamic-config-value', value);

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let recent = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    recent = (recent + text).slice(-4_000);
    if (options.onOutput) for (const line of text.split('\n')) if (line.trim()) options.onOutput(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await waitUntilServing(address, child, options.readyTimeoutMs ?? 60_000, () => recent);
    // `--search-attribute` only takes effect on a new database; an existing SQLite file needs them added.
    if (options.searchAttributes?.length) await ensureSearchAttributes(address, options.namespace ?? 'default', options.searchAttributes);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, port, uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined, process: child, stop };
}

const INDEXED_VALUE_TYPES: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Registers the `Name=Type` search attributes the server does not have yet (idempotent). */
export async function ensureSearchAttributes(address: string, namespace: string, attributes: string[]): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.fromEntries(
      attributes
        .map((pair) => pair.split('=') as [string, string])
        .filter(([name]) => !(name in (existing.customAttributes ?? {})))
        .map(([name, type]) => [name, INDEXED_VALUE_TYPES[type] ?? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    );
    if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } finally {
    await connection.close();
  }
}

/**
 * The embedded server `npm start` and the playground run when no TEMPORAL_ADDRESS is set: the CLI
 * found or built, the server started with the configured ports and data file, and the search
 * attributes registered (so `temporal workflow list --query "Stage='AwaitingReview'"` works and
 * the UI shows them).
 */
export async function startEmbeddedDevServer(
  config: Config,
  env: Env,
  log: (line: string) => void,
  options: { uiCodecEndpoint?: string | undefined } = {},
): Promise<DevServer> {
  const cliPath = await ensureTemporalCli({ env });
  log(`Starting Temporal dev server (data in ${config.temporal.devServerDbFile})…`);
  return startDevServer({
    cliPath,
    port: config.temporal.devServerPort,
    uiPort: config.temporal.devServerUiPort,
    dbFile: config.temporal.devServerDbFile,
    namespace: config.temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    ...(options.uiCodecEndpoint ? { uiCodecEndpoint: options.uiCodecEndpoint } : {}),
  });
}
