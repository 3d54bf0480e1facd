/**
 * The only module that reads the environment. It validates everything once, at startup, and
 * reports every missing or malformed variable together, each with where to get it.
 */
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { parseDuration } from './shared/duration.js';
import { DEFAULT_PRICES, parsePriceTable, type PriceTable } from './shared/pricing.js';
import { CONTENT_PIPELINE_TASK_QUEUE, RESEARCH_TASK_QUEUE } from './workflows/messages.js';

export type Env = Record<string, string | undefined>;

/** Which process is starting: each needs only its own variables. */
export type Role = 'bot' | 'worker' | 'all';

export interface SlackConfig {
  botToken: string;
  /** Needed by the HTTP receiver; Socket Mode does not verify signatures. */
  signingSecret: string | undefined;
  /** Set → Socket Mode; unset → HTTP receiver on `port` at `/slack/events`. */
  appToken: string | undefined;
  port: number;
  /** Web API base, ending in `/api/`; undefined → Slack's own. */
  apiUrl: string | undefined;
}

export interface OpenAIConfig {
  apiKey: string;
  baseUrl: string | undefined;
  researchModel: string;
  writerModel: string;
}

export interface TemporalConfig {
  /** Connection options from @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TLS, profiles). */
  connection: ClientConnectConfig['connectionOptions'];
  namespace: string;
  /** No address configured: `npm start` runs an embedded dev server. */
  embedded: boolean;
  uiUrl: string;
  taskQueue: string;
  researchTaskQueue: string;
  /** Path of a Temporal CLI to use instead of provisioning one. */
  cliPath: string | undefined;
  /** SQLite file of the embedded dev server. */
  devServerDbFile: string;
  devServerPort: number;
  devServerUiPort: number;
}

export interface ReviewConfig {
  /** User IDs (U…/W…) and user-group IDs (S…) allowed to decide; empty = anyone in the channel. */
  reviewers: string[];
  maxRevisions: number;
  reminderAfterMs: number;
  /** Channel ID for approved articles; undefined = the request's channel. */
  publishChannel: string | undefined;
}

export interface PipelineConfig {
  /** Spending cap per run in USD. */
  maxCostUsd: number;
  /** Defaults merged with MODEL_PRICES. */
  prices: PriceTable;
  reviewTimeoutMs: number;
  llmAttemptTimeoutMs: number;
  /** Hard cap on a whole pipeline run (Temporal workflowExecutionTimeout). */
  executionTimeoutMs: number;
  maxTopicLength: number;
}

export interface WorkerConfig {
  /**
   * Workflows a worker keeps in memory between tasks (Temporal's sticky cache); undefined =
   * Temporal's default, which scales with the heap. A pipeline waits hours for review, so a cache
   * sized for the pipelines in flight, not those waiting, keeps memory flat (BENCHMARKS.md, figure 5).
   */
  maxCachedWorkflows: number | undefined;
}

export interface Config {
  slack: SlackConfig;
  openai: OpenAIConfig;
  temporal: TemporalConfig;
  pipeline: PipelineConfig;
  review: ReviewConfig;
  worker: WorkerConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface ConfigProblem {
  variable: string;
  problem: string;
  help: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
  }
}

function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  ✗ ${p.variable} ${p.problem}\n      ${p.help}`);
  return [
    `Configuration is incomplete (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
    ...lines,
    '',
    'Copy .env.example to .env and fill it in (see README.md → Configuration), or export the variables.',
  ].join('\n');
}

const HELP = {
  SLACK_BOT_TOKEN:
    'Bot User OAuth Token (xoxb-…): https://api.slack.com/apps → your app → OAuth & Permissions → Install to Workspace.',
  SLACK_SIGNING_SECRET:
    'https://api.slack.com/apps → your app → Basic Information → App Credentials → Signing Secret (not needed in Socket Mode, i.e. with SLACK_APP_TOKEN set).',
  SLACK_APP_TOKEN:
    'App-level token (xapp-…) with connections:write: Basic Information → App-Level Tokens. Leave unset to use HTTP mode.',
  SLACK_API_URL: 'Optional Web API base such as https://slack.com/api/ (used to point the bot at a stand-in).',
  OPENAI_API_KEY: 'https://platform.openai.com/api-keys (or the key of your OpenAI-compatible server).',
  OPENAI_BASE_URL: 'Optional base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1.',
  PORT: 'HTTP port for Slack requests in HTTP mode, e.g. 3000.',
  TEMPORAL_UI_URL: 'Base URL of the Temporal Web UI, e.g. http://localhost:8233.',
  DURATION: 'A duration such as 30s, 30m, 4h or 3d.',
  LOG_LEVEL: 'One of debug, info, warn, error.',
  MAX_COST_USD: 'A positive number of US dollars, e.g. 0.50.',
  REVIEWERS:
    'Comma-separated Slack user IDs (U…, W…) and/or user-group IDs (S…): profile → ⋯ → Copy member ID; user groups: the group page URL. Leave empty to let anyone in the channel decide.',
  MAX_REVISIONS: 'A whole number from 0 to 10.',
  WORKER_MAX_CACHED_WORKFLOWS:
    'A whole number, e.g. 200: how many workflows each worker keeps in memory. Leave unset for Temporal\'s default (it grows with the heap).',
  PUBLISH_CHANNEL: 'A Slack channel ID such as C0123456789 (channel details → About → Channel ID).',
  MODEL_PRICES:
    'JSON: USD per 1M tokens by model, e.g. {"my-model":{"input":0.5,"output":1.5,"cachedInput":0.25}}. Merged over the built-in gpt-4o and gpt-4o-mini prices.',
} as const;

class Reader {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: keyof typeof HELP, enabled = true): string {
    const value = this.optional(name);
    if (!value && enabled) this.problems.push({ variable: name, problem: 'is missing.', help: HELP[name] });
    return value ?? '';
  }

  prefixed(name: keyof typeof HELP, value: string | undefined, prefix: string): void {
    if (value && !value.startsWith(prefix)) {
      this.problems.push({ variable: name, problem: `should start with "${prefix}".`, help: HELP[name] });
    }
  }

  url(name: keyof typeof HELP, fallback?: string): string | undefined {
    const value = this.optional(name) ?? fallback;
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
      return value;
    } catch {
      this.problems.push({ variable: name, problem: `is not an http(s) URL: "${value}".`, help: HELP[name] });
      return fallback;
    }
  }

  port(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const port = Number(value);
    // Digits only: Number() would also take "0x1F90" or "1e3". 0 means "any free port".
    if (!/^\d{1,5}$/.test(value) || port > 65_535) {
      this.problems.push({ variable: name, problem: `is not a port number: "${value}".`, help: HELP.PORT });
      return fallback;
    }
    return port;
  }

  positiveNumber(name: keyof typeof HELP, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(number > 0)) {
      this.problems.push({ variable: name, problem: `is not a positive number: "${value}".`, help: HELP[name] });
      return fallback;
    }
    return number;
  }

  prices(name: keyof typeof HELP): PriceTable {
    const value = this.optional(name);
    if (value === undefined) return DEFAULT_PRICES;
    const parsed = parsePriceTable(value);
    if (typeof parsed === 'string') {
      this.problems.push({ variable: name, problem: `${parsed}.`, help: HELP[name] });
      return DEFAULT_PRICES;
    }
    return { ...DEFAULT_PRICES, ...parsed };
  }

  integer<T extends number | undefined>(name: keyof typeof HELP, fallback: T, min: number, max: number): number | T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      this.problems.push({ variable: name, problem: `is not a whole number from ${min} to ${max}: "${value}".`, help: HELP[name] });
      return fallback;
    }
    return number;
  }

  idList(name: keyof typeof HELP, pattern: RegExp): string[] {
    const value = this.optional(name);
    if (value === undefined) return [];
    const ids = value.split(/[\s,]+/).filter(Boolean);
    const bad = ids.filter((id) => !pattern.test(id));
    if (bad.length) this.problems.push({ variable: name, problem: `has IDs Slack would not recognise: ${bad.join(', ')}.`, help: HELP[name] });
    return ids.filter((id) => pattern.test(id));
  }

  duration(name: string, fallback: string): number {
    const value = this.optional(name) ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.problems.push({ variable: name, problem: `is not a duration: "${value}".`, help: HELP.DURATION });
      return parseDuration(fallback)!;
    }
    return ms;
  }
}

/** Slack's Web API base must end with a slash, or method names are appended to the last path segment. */
function withTrailingSlash(url: string | undefined): string | undefined {
  return url === undefined ? undefined : url.endsWith('/') ? url : `${url}/`;
}

export function loadConfig(env: Env = process.env, role: Role = 'all'): Config {
  const read = new Reader(env);
  const needsBot = role !== 'worker';
  const needsWorker = role !== 'bot';

  const botToken = read.required('SLACK_BOT_TOKEN');
  read.prefixed('SLACK_BOT_TOKEN', botToken, 'xoxb-');
  const appToken = read.optional('SLACK_APP_TOKEN');
  read.prefixed('SLACK_APP_TOKEN', appToken, 'xapp-');
  const signingSecret = read.required('SLACK_SIGNING_SECRET', needsBot && !appToken) || undefined;
  const apiKey = read.required('OPENAI_API_KEY', needsWorker);

  const logLevel = (read.optional('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    read.problems.push({ variable: 'LOG_LEVEL', problem: `is not a log level: "${logLevel}".`, help: HELP.LOG_LEVEL });
  }

  let connect: ClientConnectConfig = { connectionOptions: {} };
  try {
    const overrideEnvVars = Object.fromEntries(
      // Blank lines copied from .env.example count as unset.
      Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())),
    );
    connect = loadClientConnectConfig({ overrideEnvVars });
  } catch (error) {
    read.problems.push({
      variable: 'TEMPORAL_*',
      problem: `could not be read: ${(error as Error).message}`,
      help: 'See https://docs.temporal.io/develop/environment-configuration for TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and profiles.',
    });
  }

  const devServerPort = read.port('TEMPORAL_DEV_SERVER_PORT', 7233);
  const devServerUiPort = read.port('TEMPORAL_DEV_SERVER_UI_PORT', devServerPort + 1000);
  const config: Config = {
    slack: {
      botToken,
      signingSecret,
      appToken,
      port: read.port('PORT', 3000),
      apiUrl: withTrailingSlash(read.url('SLACK_API_URL')),
    },
    openai: {
      apiKey,
      baseUrl: read.url('OPENAI_BASE_URL'),
      researchModel: read.optional('RESEARCH_MODEL') ?? 'gpt-4o-mini',
      writerModel: read.optional('WRITER_MODEL') ?? 'gpt-4o-mini',
    },
    temporal: {
      connection: connect.connectionOptions,
      namespace: connect.namespace ?? 'default',
      embedded: !connect.connectionOptions.address,
      uiUrl: read.url('TEMPORAL_UI_URL', `http://localhost:${devServerUiPort}`)!,
      taskQueue: read.optional('TEMPORAL_TASK_QUEUE') ?? CONTENT_PIPELINE_TASK_QUEUE,
      researchTaskQueue: read.optional('TEMPORAL_RESEARCH_TASK_QUEUE') ?? RESEARCH_TASK_QUEUE,
      cliPath: read.optional('TEMPORAL_CLI'),
      devServerDbFile: read.optional('TEMPORAL_DEV_SERVER_DB') ?? '.temporal/dev-server.sqlite',
      devServerPort,
      devServerUiPort,
    },
    pipeline: {
      maxCostUsd: read.positiveNumber('MAX_COST_USD', 0.5),
      prices: read.prices('MODEL_PRICES'),
      reviewTimeoutMs: read.duration('REVIEW_TIMEOUT', '72h'),
      llmAttemptTimeoutMs: read.duration('LLM_ATTEMPT_TIMEOUT', '90s'),
      executionTimeoutMs: read.duration('PIPELINE_TIMEOUT', '4d'),
      maxTopicLength: 200,
    },
    review: {
      reviewers: read.idList('REVIEWERS', /^[UWS][A-Z0-9]{2,}$/),
      maxRevisions: read.integer('MAX_REVISIONS', 3, 0, 10),
      reminderAfterMs: read.duration('REVIEW_REMINDER_AFTER', '4h'),
      publishChannel: read.idList('PUBLISH_CHANNEL', /^[CG][A-Z0-9]{2,}$/)[0],
    },
    worker: {
      maxCachedWorkflows: read.integer('WORKER_MAX_CACHED_WORKFLOWS', undefined, 0, 1_000_000),
    },
    logLevel: logLevel as Config['logLevel'],
  };

  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** For the CLI provisioning script, which runs before any full config exists. */
export function temporalCliOverride(env: Env = process.env): string | undefined {
  return env.TEMPORAL_CLI?.trim() || undefined;
}
