/**
 * The product's own entry points as real OS processes (`node --import tsx src/worker.ts` or
 * `src/bot.ts`), for tests that kill and restart them. Everything they print is captured, so tests
 * can wait for a line and check what was logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeOpenAI } from './fake-openai.js';
import type { FakeSlack } from './fake-slack.js';
import { waitFor } from './http.js';
import { TEST_PAYLOAD_KEYS } from './keys.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Role = 'worker' | 'bot' | 'main';

export class ProductProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly role: Role,
    readonly child: ChildProcess,
  ) {
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Everything the process printed so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for a line matching `pattern` and returns its match; fails early if the process exits. */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return waitFor(`${this.role} to print ${pattern}`, () => {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (!this.running) throw new Error(`${this.role} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.output}`);
      return undefined;
    }, timeoutMs);
  }

  /** The process's /metrics, /healthz and /readyz base URL, from its startup line. */
  async opsUrl(): Promise<string> {
    const [, url] = await this.waitForOutput(/metrics and health on (http:\/\/[\d.]+:\d+)/);
    return url!;
  }

  /** Kills the process for real (SIGKILL unless told otherwise) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

/** Spawns `src/<role>.ts` with exactly `env` (plus PATH and HOME), from the repository root. */
export function spawnProduct(role: Role, env: Record<string, string>): ProductProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/${role}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new ProductProcess(role, child);
}

/** A worker process, once it polls its task queues (it bundles the workflows first: a few seconds). */
export async function startWorkerProcess(env: Record<string, string>): Promise<ProductProcess> {
  const worker = spawnProduct('worker', env);
  await worker.waitForOutput(/Worker polling/);
  return worker;
}

/** A bot process in HTTP mode, once it listens; returns it with its /slack/events URL. */
export async function startBotProcess(env: Record<string, string>): Promise<{ bot: ProductProcess; url: string }> {
  const bot = spawnProduct('bot', { PORT: '0', ...env });
  const [, url] = await bot.waitForOutput(/listening for Slack requests on (http:\/\/\S+\/slack\/events)/);
  return { bot, url: url!.replace('localhost', '127.0.0.1') };
}

/** Stand-in secrets for spawned processes: distinctive, so a leak into a log is easy to spot. */
export const PROCESS_SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-proc-bot-token-5f1e2d3c4b5a',
  SLACK_SIGNING_SECRET: 'proc-signing-secret-9a8b7c6d5e4f',
  OPENAI_API_KEY: 'sk-proc-openai-key-0f1e2d3c4b5a',
  SLACK_APP_TOKEN: 'xapp-1-proc-app-token-6a5b4c3d2e1f',
} as const;

/** The environment a spawned worker or bot needs to run against the stand-ins and a Temporal server. */
export function productEnv(options: {
  slack: FakeSlack;
  openai: FakeOpenAI;
  temporalAddress: string;
  taskQueue: string;
  researchTaskQueue: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: PROCESS_SECRETS.SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET: PROCESS_SECRETS.SLACK_SIGNING_SECRET,
    SLACK_API_URL: options.slack.apiUrl,
    OPENAI_API_KEY: PROCESS_SECRETS.OPENAI_API_KEY,
    OPENAI_BASE_URL: options.openai.baseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    TEMPORAL_RESEARCH_TASK_QUEUE: options.researchTaskQueue,
    LOG_LEVEL: 'warn',
    // Encrypted, as any deployment is: the suite's key (test/harness/keys.ts).
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    // Any free port for /metrics, /healthz and /readyz, so processes side by side never collide.
    METRICS_PORT: '0',
    ...options.extra,
  };
}
