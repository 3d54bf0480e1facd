/**
 * The product as the benchmark runs it: a real Temporal dev server (in memory, headless), the
 * stand-in Slack and OpenAI servers in this process, and the worker, the bot and the baselines
 * each in a process of its own (as in production, and so that RSS and CPU are theirs alone).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleWorkflows, webpackConfigHook } from '../../src/temporal/bundle.js';
import { ensureTemporalCli } from '../../src/temporal/cli.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/search-attributes.js';
import { FakeOpenAI } from '../../src/stand-ins/openai.js';
import { ObservedSlack } from './observed-slack.js';
import type { WorkerTuning } from '../../src/worker.js';
import { compileProcs, spawnChild, type Child } from './procs.js';
import { newPayloadKeyEntry, parsePayloadKeys, temporalDataConverter, type PayloadKey } from '../../src/temporal/codec.js';

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-bench-bot-token';
export const OPENAI_KEY = 'sk-bench-openai-key';

export interface WorkerInfo {
  pid: number;
  settings: Record<string, unknown>;
}

export interface PortInfo {
  pid: number;
  port: number;
}

export interface StackOptions {
  cpuProfDir?: string;
  log: (line: string) => void;
  /** 'compiled': JavaScript from tsc, as deployed (`npm run worker:prod`); 'tsx': as in development. */
  runtime: 'compiled' | 'tsx';
  /** BENCH_PAYLOAD_ENCRYPTION: 'on' (as deployed: a key made for the run) or 'off' (to measure the codec's cost). */
  encryption: 'on' | 'off';
  /**
   * BENCH_SPEND: 'on' sets spend ceilings far above what a run spends (every LLM call reserves and
   * settles with the workspace's spend account, every /research is admitted through it, nothing is
   * refused), to measure what the account costs; 'off' (default): no ceilings, no account traffic.
   */
  spend?: 'on' | 'off';
}

/** Ceilings no bench run reaches: the account is asked on every call, and always says yes. */
const BENCH_CEILINGS = { TEAM_DAILY_USD: '1000000', TEAM_MONTHLY_USD: '1000000', USER_DAILY_USD: '1000000' };

export class BenchStack {
  readonly slack = new ObservedSlack();
  readonly openai = new FakeOpenAI();
  readonly runTag = randomUUID().slice(0, 6);
  /** The run's payload key (PAYLOAD_KEYS of the bot and worker processes), made fresh each run. */
  private readonly payloadKeys = newPayloadKeyEntry('bench');
  readonly bareTaskQueue = `bench-bare-${this.runTag}`;
  readonly peerTaskQueue = `bench-peer-${this.runTag}`;
  readonly peerResearchTaskQueue = `bench-peer-research-${this.runTag}`;
  devServer!: DevServer;
  client!: Client;
  cliVersion = '';
  metricsPort = 0;
  private connection!: Connection;
  private readonly tmpDir = mkdtempSync(path.join(os.tmpdir(), 'content-pipeline-bench-'));
  private readonly bundlePath = path.join(this.tmpDir, 'workflows.js');
  private readonly bareBundlePath = path.join(this.tmpDir, 'bare-workflows.js');
  private readonly peerBundlePath = path.join(this.tmpDir, 'peer-workflows.js');
  private readonly children = new Set<Child<unknown>>();
  private compiledDir: string | undefined;

  constructor(private readonly options: StackOptions) {}

  async start(): Promise<this> {
    const cliPath = await ensureTemporalCli({ env: process.env });
    this.cliVersion = (await promisify(execFile)(cliPath, ['--version'])).stdout.trim();
    this.options.log(`Temporal CLI: ${this.cliVersion}`);
    const started = Date.now();
    // The workflow bundle is built once here and handed to every worker process by path.
    const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };
    const [compiledDir, devServer, bundle, bareBundle, peerBundle] = await Promise.all([
      this.options.runtime === 'compiled' ? compileProcs() : undefined,
      // As `npm start` runs it: with the product's search attributes registered.
      startDevServer({
        cliPath,
        headless: true,
        logLevel: 'error',
        searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
        // Server experiments, e.g. BENCH_SERVER_DYNAMIC_CONFIG=system.enableActivityEagerExecution=true
        dynamicConfig: (process.env.BENCH_SERVER_DYNAMIC_CONFIG ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      }),
      bundleWorkflows(),
      bundleWorkflowCode({ workflowsPath: path.join(benchDir, 'workflows', 'bare-signal.ts'), webpackConfigHook, logger: quiet }),
      // Issue 15's peer: the seed design (bench/peer).
      bundleWorkflowCode({ workflowsPath: path.join(benchDir, 'peer', 'workflows.ts'), webpackConfigHook, logger: quiet }),
    ]);
    this.devServer = devServer;
    this.compiledDir = compiledDir;
    await Promise.all([
      fs.writeFile(this.bundlePath, bundle.code),
      fs.writeFile(this.bareBundlePath, bareBundle.code),
      fs.writeFile(this.peerBundlePath, peerBundle.code),
    ]);
    this.options.log(
      `Dev server on ${devServer.address}, workflows bundled${compiledDir ? ', processes compiled' : ''} (${Math.round((Date.now() - started) / 100) / 10} s)`,
    );
    await Promise.all([this.slack.start(), this.openai.start()]);
    this.connection = await Connection.connect({ address: devServer.address });
    // Reads results and memos as the bot does: through the codec the processes encrypt with.
    const keys = parsePayloadKeys(this.payloadKeys) as PayloadKey[];
    this.client = new Client({ connection: this.connection, dataConverter: temporalDataConverter({ mode: this.options.encryption, keys: this.options.encryption === 'off' ? [] : keys }) });
    this.metricsPort = await freePort();
    return this;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  /** The explicit environment each child hands to loadConfig. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: this.slack.fake.apiUrl,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: this.openai.baseUrl,
      TEMPORAL_ADDRESS: this.devServer.address,
      TEMPORAL_TASK_QUEUE: `bench-pipeline-${this.runTag}`,
      TEMPORAL_RESEARCH_TASK_QUEUE: `bench-research-${this.runTag}`,
      BENCH_BARE_TASK_QUEUE: this.bareTaskQueue,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ...(this.options.encryption === 'off' ? { PAYLOAD_ENCRYPTION: 'off' } : { PAYLOAD_KEYS: this.payloadKeys }),
      ...(this.options.spend === 'on' ? BENCH_CEILINGS : {}),
      ...overrides,
    };
  }

  private async spawn<Info>(name: string, entry: string, benchEnv: Record<string, string>, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Child<Info>> {
    const child = await spawnChild<Info>(name, entry, {
      benchEnv,
      extraEnv,
      nodeArgs,
      ...(this.options.cpuProfDir ? { cpuProfDir: this.options.cpuProfDir } : {}),
      ...(this.compiledDir ? { compiledDir: this.compiledDir } : {}),
    });
    this.children.add(child as Child<unknown>);
    const stop = child.stop;
    child.stop = async () => {
      this.children.delete(child as Child<unknown>);
      await stop();
    };
    return child;
  }

  /**
   * `env` holds the worker's configuration (e.g. WORKER_MAX_CACHED_WORKFLOWS); `tuning`, experiments
   * beyond it; `processEnv`, plain variables of the process (MALLOC_ARENA_MAX).
   */
  startWorker(env: Record<string, string>, tuning: WorkerTuning, nodeArgs: string[], processEnv: Record<string, string> = {}): Promise<Child<WorkerInfo>> {
    return this.spawn<WorkerInfo>(
      'worker',
      'worker.ts',
      this.env(env),
      {
        ...processEnv,
        BENCH_WORKFLOW_BUNDLE: this.bundlePath,
        BENCH_METRICS_PORT: String(this.metricsPort),
        BENCH_WORKER_TUNING: JSON.stringify(tuning),
      },
      // --expose-gc only lets the bench read the retained heap after a full GC (procs.heapOf).
      ['--expose-gc', ...nodeArgs],
    );
  }

  startBot(queues: Record<string, string> = {}): Promise<Child<PortInfo>> {
    return this.spawn<PortInfo>('bot', 'bot.ts', this.env(queues), {}, ['--expose-gc']);
  }

  startBareBolt(): Promise<Child<PortInfo>> {
    return this.spawn<PortInfo>('bare-bolt', 'bare-bolt.ts', this.env());
  }

  startBareWorker(): Promise<Child<{ pid: number }>> {
    return this.spawn<{ pid: number }>('bare-worker', 'bare-worker.ts', this.env(), { BENCH_BARE_BUNDLE: this.bareBundlePath });
  }

  /** The peer's worker (bench/peer), with the product worker's settings: cache size, Node flags, process env. */
  startPeerWorker(env: Record<string, string>, nodeArgs: string[], processEnv: Record<string, string> = {}): Promise<Child<{ pid: number }>> {
    return this.spawn<{ pid: number }>(
      'peer-worker',
      'peer-worker.ts',
      this.env({ ...env, BENCH_PEER_TASK_QUEUE: this.peerTaskQueue, BENCH_PEER_RESEARCH_TASK_QUEUE: this.peerResearchTaskQueue }),
      { ...processEnv, BENCH_PEER_BUNDLE: this.peerBundlePath },
      ['--expose-gc', ...nodeArgs],
    );
  }

  static url(child: Child<PortInfo>): string {
    return `http://127.0.0.1:${child.info.port}/slack/events`;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.children].map((child) => child.stop()));
    await this.connection?.close().catch(() => undefined);
    await this.devServer?.stop();
    await Promise.allSettled([this.slack.stop(), this.openai.stop()]);
    await fs.rm(this.tmpDir, { recursive: true, force: true });
  }
}
