/**
 * The only module that reads the environment. It validates everything once, at startup, with one
 * zod schema, and reports every missing or malformed variable together, each with where to get it.
 */
import { DEFAULT_SPEND_TIMEZONE, isValidTimeZone } from './shared/spend-periods.js';
import { loadClientConfigProfile, loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { deadlineMarginMs, formatDuration, parseDuration } from './shared/duration.js';
import { DEFAULT_PRICES, parsePriceTable, priceFor, UNLIMITED_BUDGET_USD, type PriceTable } from './shared/pricing.js';
import { CONTENT_PIPELINE_TASK_QUEUE, RESEARCH_TASK_QUEUE } from './workflows/messages.js';
import { parsePayloadKeys, type EncryptionMode, type PayloadKey } from './temporal/codec.js';
import { LINK_POLICIES, type LinkPolicy } from './shared/links.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
  /**
   * How long a person's conversation list (users.conversations) is trusted before Slack is asked
   * again: membership events reach the bot only for channels it is in.
   */
  membershipCacheMs: number;
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
  uiUrl: string;
  taskQueue: string;
  researchTaskQueue: string;
  /** SQLite file of the embedded dev server. */
  devServerDbFile: string;
  devServerPort: number;
  devServerUiPort: number;
  /**
   * WORKFLOW_ID_STYLE: `readable` IDs carry a short slug of the topic (`research-<slug>-<date>-<suffix>`)
   * so operators can find runs; `opaque` puts 12 hex characters there that do not derive from the
   * topic (a hash of a short topic could be confirmed by guessing), for teams that want no words of a
   * topic outside the encrypted payloads (src/shared/ids.ts).
   */
  workflowIdStyle: 'readable' | 'opaque';
}

/** Payload encryption (src/temporal/codec.ts) and the codec server operators decode through. */
export interface EncryptionConfig {
  /** PAYLOAD_ENCRYPTION: on (default), required (also refuses plaintext payloads), off (said by name). */
  mode: EncryptionMode;
  /**
   * From PAYLOAD_KEYS or PAYLOAD_KEYS_FILE, the first encrypting; undefined = the local key file,
   * allowed only with the embedded (or the playground's own) server.
   */
  keys: PayloadKey[] | undefined;
  /** Where a local setup keeps its key: beside the embedded server's data. */
  localKeyFile: string;
  codecServer: {
    /** CODEC_SERVER_HOST: loopback unless the Web UI's users reach it elsewhere (compose network). */
    host: string;
    /** CODEC_SERVER_PORT. */
    port: number;
    /** CODEC_SERVER_TOKEN: when set, each request must carry `Authorization: Bearer <token>` (the CLI's --codec-auth). */
    token: string | undefined;
    /** CODEC_CORS_ORIGINS: the Web UI origins whose pages may call it (default: TEMPORAL_UI_URL's). */
    corsOrigins: string[];
  };
}

export interface ReviewConfig {
  /** User IDs (U…/W…) and user-group IDs (S…) allowed to decide; empty = anyone in the channel. */
  reviewers: string[];
  maxRevisions: number;
  reminderAfterMs: number;
  /** Channel ID for approved articles; undefined = the request's channel. */
  publishChannel: string | undefined;
  /**
   * LINK_POLICY: `show` (default) lists every link of a draft on its card, marking those in no source;
   * `strip-unsourced` also has the writer replace those by their text (first drafts and revisions, never a person's edit).
   */
  linkPolicy: LinkPolicy;
}

export interface PipelineConfig {
  /** Spending cap per run in USD; UNLIMITED_BUDGET_USD when the guard is off (MAX_COST_USD=off). */
  maxCostUsd: number;
  /** False when MAX_COST_USD=off: no budget questions, and models without a price are allowed. */
  budgetGuard: boolean;
  /** Defaults merged with MODEL_PRICES. */
  prices: PriceTable;
  reviewTimeoutMs: number;
  llmAttemptTimeoutMs: number;
  /** Hard cap on a whole pipeline run (Temporal workflowExecutionTimeout). */
  executionTimeoutMs: number;
}

/**
 * Spend ceilings per workspace (issue 21), held by the spend account (src/workflows/spend-account.ts):
 * every LLM call reserves its worst case against them first. All unset = no ceilings and no account
 * traffic at all (the per-run MAX_COST_USD still applies).
 */
export interface SpendConfig {
  /** TEAM_DAILY_USD: the workspace's spend per day (SPEND_TIMEZONE's days). */
  teamDailyUsd: number | undefined;
  /** TEAM_MONTHLY_USD: the workspace's spend per calendar month. */
  teamMonthlyUsd: number | undefined;
  /** USER_DAILY_USD: one requester's spend per day. */
  userDailyUsd: number | undefined;
  /** MAX_RUNNING_PER_USER: pipelines one person may have running (a draft waiting for review counts). */
  maxRunningPerUser: number | undefined;
  /** SPEND_TIMEZONE: the IANA zone whose midnight starts a day and a month (default UTC). */
  timeZone: string;
  /** True when any of the ceilings above is set. */
  enabled: boolean;
}

export interface WorkerConfig {
  /**
   * Workflows a worker keeps in memory between tasks (Temporal's sticky cache); undefined =
   * Temporal's default, which scales with the heap. A pipeline waits hours for review, so a cache
   * sized for the pipelines in flight, not those waiting, keeps memory flat (BENCHMARKS.md, figure 5).
   */
  maxCachedWorkflows: number | undefined;
  /**
   * WORKER_SHUTDOWN_GRACE: on SIGTERM a worker stops taking tasks and lets running activities (an
   * LLM call) finish for this long; those still running after it are cancelled and retried elsewhere.
   */
  shutdownGraceMs: number;
}

/** The knowledge base: where the index lives, how text is embedded, how much is retrieved. */
export interface KbConfig {
  /** KB_URI: a directory (default `.kb`) or any LanceDB URI (`s3://…`) several workers share. */
  uri: string;
  /** EMBEDDING_MODEL: priced like the chat models (src/shared/pricing.ts). */
  embeddingModel: string;
  apiKey: string;
  baseUrl: string | undefined;
  /** RAG_TOP_K: passages given to the writer at most. */
  topK: number;
  /** RAG_MIN_SCORE: cosine similarity below which a passage is left out as unrelated. */
  minScore: number;
}

export interface Config {
  kb: KbConfig;
  slack: SlackConfig;
  openai: OpenAIConfig;
  temporal: TemporalConfig;
  encryption: EncryptionConfig;
  pipeline: PipelineConfig;
  spend: SpendConfig;
  review: ReviewConfig;
  worker: WorkerConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** LOG_FORMAT: json (one object per line) or pretty; undefined = pretty on a terminal, json otherwise. */
  logFormat: 'json' | 'pretty' | undefined;
  /** METRICS_PORT: /metrics, /healthz and /readyz; 0 = any free port. */
  metricsPort: number;
  /** METRICS_HOST: the address that endpoint listens on; loopback unless a scraper elsewhere needs it. */
  metricsHost: string;
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
  LOG_FORMAT: 'json (one JSON object per line, for log shippers) or pretty (readable). Unset: pretty on a terminal, json otherwise.',
  METRICS_PORT: 'Port for /metrics (Prometheus), /healthz and /readyz, e.g. 9464; 0 = any free port.',
  METRICS_HOST:
    'The address /metrics, /healthz and /readyz listen on: 127.0.0.1 (the default, this machine only), 0.0.0.0 (every interface, e.g. in a container scraped from outside it), or one interface\'s IP address.',
  MAX_COST_USD: 'A positive number of US dollars, e.g. 0.50, or "off" to run without a budget guard.',
  TEAM_DAILY_USD: 'A number of US dollars, e.g. 20, the whole workspace may spend per day. Leave unset for no daily ceiling.',
  TEAM_MONTHLY_USD: 'A number of US dollars, e.g. 300, the whole workspace may spend per calendar month. Leave unset for no monthly ceiling.',
  USER_DAILY_USD: 'A number of US dollars, e.g. 5, one person\'s requests may spend per day. Leave unset for no per-person ceiling.',
  MAX_RUNNING_PER_USER: 'A whole number from 1 to 1000: pipelines one person may have running at once. Leave unset for no limit.',
  SPEND_TIMEZONE: 'An IANA time zone such as UTC, Europe/Berlin or America/New_York: where days and months of the spend ceilings start.',
  REVIEWERS:
    'Comma-separated Slack user IDs (U…, W…) and/or user-group IDs (S…): profile → ⋯ → Copy member ID; user groups: the group page URL. Leave empty to let anyone in the channel decide.',
  MAX_REVISIONS: 'A whole number from 0 to 10.',
  WORKER_MAX_CACHED_WORKFLOWS:
    'A whole number, e.g. 200: how many workflows each worker keeps in memory. Leave unset for Temporal\'s default (it grows with the heap).',
  PUBLISH_CHANNEL: 'A Slack channel ID such as C0123456789 (channel details → About → Channel ID).',
  LINK_POLICY:
    'show (the default: the draft card lists every link with its real domain and marks those in no source) or strip-unsourced (the writer also replaces each link no source holds by its text, and the card says how many it removed).',
  MODEL_PRICES:
    'JSON: USD per 1M tokens by model, e.g. {"my-model":{"input":0.5,"output":1.5,"cachedInput":0.25}}. Merged over the built-in OpenAI prices (README → Cost). Or set MAX_COST_USD=off to run without a budget guard.',
  KB_URI: 'A directory such as .kb (relative to where you start the process) or a LanceDB URI such as s3://bucket/kb.',
  EMBEDDING_MODEL: 'An embedding model name such as text-embedding-3-small (README → Grounding in your documents).',
  RAG_TOP_K: 'A whole number from 1 to 20: how many passages the writer gets at most.',
  RAG_MIN_SCORE: 'A number from 0 to 1 (cosine similarity), e.g. 0.3: passages scoring lower are left out.',
  PAYLOAD_ENCRYPTION:
    'on (the default: encrypt, and still read runs from before encryption), required (also refuse unencrypted payloads), or off (store plaintext: say it by name).',
  PAYLOAD_KEYS:
    'Comma-separated id:base64key pairs, 32-byte keys; the first encrypts, all decrypt. `npm run keys -- new` prints one. Or PAYLOAD_KEYS_FILE=/path, one pair per line (docs/security.md → Encryption).',
  PAYLOAD_KEYS_FILE: 'A file readable by this process with one id:base64key pair per line, the encrypting key first (`npm run keys -- new` prints one).',
  WORKFLOW_ID_STYLE: 'readable (research-<topic slug>-<date>-<suffix>, the default) or opaque (research-<12 hex, unrelated to the topic>-<date>-<suffix>).',
  CODEC_SERVER_HOST: 'The address the codec server listens on: 127.0.0.1 (the default) or, in a container, the interface the Web UI\'s users reach.',
  CODEC_SERVER_TOKEN: 'Any long random string; the CLI then sends it with --codec-auth "Bearer <token>". The Web UI cannot send it (docs/security.md → Encryption).',
  CODEC_CORS_ORIGINS: 'Comma-separated origins of the Web UI, e.g. http://localhost:8233.',
} as const;

// ── Schema: one zod schema per variable, each failing with the sentence a person reads ─────────

/** A value as written: surrounding whitespace trimmed, blank (as copied from .env.example) = unset. */
const raw = z
  .string()
  .optional()
  .transform((value) => value?.trim() || undefined);

/**
 * A variable that is parsed when set: `parse` returns the value, or the problem as a sentence
 * ("is not a port number: …"). Unset stays undefined; defaults are applied by the caller.
 */
function variable<T>(parse: (value: string) => T | Problem) {
  return raw.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const result = parse(value);
    if (result instanceof Problem) {
      ctx.addIssue({ code: 'custom', message: result.text });
      return z.NEVER;
    }
    return result;
  });
}

/** Marks a parse result as a problem, so any value type (strings included) can be returned. */
class Problem {
  constructor(readonly text: string) {}
}

const required = (enabled: boolean, prefix?: string) =>
  raw.transform((value, ctx) => {
    if (value === undefined) {
      if (enabled) ctx.addIssue({ code: 'custom', message: 'is missing.' });
      return '';
    }
    if (prefix && !value.startsWith(prefix)) ctx.addIssue({ code: 'custom', message: `should start with "${prefix}".` });
    return value;
  });

const prefixed = (prefix: string) => variable((value) => (value.startsWith(prefix) ? value : new Problem(`should start with "${prefix}".`)));

const httpUrl = variable((value) => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  return new Problem(`is not an http(s) URL: "${value}".`);
});

// An interface address (IPv4 or IPv6) or a host name; no scheme, no port.
const listenHost = variable((value) => (/^(?:[\w.-]+|[0-9a-fA-F:]+)$/.test(value) ? value : new Problem(`is not an address to listen on: "${value}".`)));

// Digits only: Number() would also take "0x1F90" or "1e3". 0 means "any free port".
const port = variable((value) => (/^\d{1,5}$/.test(value) && Number(value) <= 65_535 ? Number(value) : new Problem(`is not a port number: "${value}".`)));

const duration = variable((value) => parseDuration(value) ?? new Problem(`is not a duration: "${value}".`));

/** A budget in USD, or "off" (the guard switched off explicitly). */
const budget = variable((value) =>
  value.toLowerCase() === 'off'
    ? ('off' as const)
    : /^\d+(\.\d+)?$/.test(value) && Number(value) > 0
      ? Number(value)
      : new Problem(`is not a positive number of US dollars or "off": "${value}".`),
);

/** A spend ceiling in USD (0 is allowed: nothing may be spent). */
const ceiling = variable((value) =>
  /^\d+(\.\d+)?$/.test(value) && Number(value) <= 1_000_000 ? Number(value) : new Problem(`is not a number of US dollars from 0 to 1000000: "${value}".`),
);

const timeZone = variable((value) => (isValidTimeZone(value) ? value : new Problem(`is not an IANA time zone: "${value}".`)));

const wholeNumber = (min: number, max: number) =>
  variable((value) =>
    /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
      ? Number(value)
      : new Problem(`is not a whole number from ${min} to ${max}: "${value}".`),
  );

const idList = (pattern: RegExp) =>
  variable((value) => {
    const ids = value.split(/[\s,]+/).filter(Boolean);
    const bad = ids.filter((id) => !pattern.test(id));
    return bad.length ? new Problem(`has IDs Slack would not recognise: ${bad.join(', ')}.`) : ids;
  });

const prices = variable((value) => {
  const parsed = parsePriceTable(value);
  return typeof parsed === 'string' ? new Problem(`${parsed}.`) : { ...DEFAULT_PRICES, ...parsed };
});

const fraction = variable((value) =>
  /^(0(\.\d+)?|1(\.0+)?)$/.test(value) ? Number(value) : new Problem(`is not a number from 0 to 1: "${value}".`),
);

const encryptionMode = variable((value) => {
  const mode = value.toLowerCase();
  return mode === 'on' || mode === 'off' || mode === 'required' ? (mode as EncryptionMode) : new Problem(`is not on, required or off: "${value}".`);
});

const payloadKeys = variable((value) => {
  const keys = parsePayloadKeys(value);
  return 'problem' in keys ? new Problem(keys.problem) : keys;
});

const payloadKeysFile = variable((value) => {
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    return new Problem(`names a file this process cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'}): "${value}".`);
  }
  const keys = parsePayloadKeys(text);
  return 'problem' in keys ? new Problem(`("${value}"): ${keys.problem}`) : keys;
});

const linkPolicy = variable((value) => {
  const policy = value.toLowerCase();
  return (LINK_POLICIES as readonly string[]).includes(policy) ? (policy as LinkPolicy) : new Problem(`is not ${LINK_POLICIES.join(' or ')}: "${value}".`);
});

const workflowIdStyle = variable((value) => {
  const style = value.toLowerCase();
  return style === 'readable' || style === 'opaque' ? (style as 'readable' | 'opaque') : new Problem(`is not readable or opaque: "${value}".`);
});

const originList = variable((value) => {
  const origins = value.split(/[\s,]+/).filter(Boolean);
  const bad = origins.filter((origin) => {
    try {
      const url = new URL(origin);
      return !(url.protocol === 'http:' || url.protocol === 'https:') || url.origin !== origin.replace(/\/$/, '');
    } catch {
      return true;
    }
  });
  return bad.length ? new Problem(`has entries that are not origins such as http://localhost:8233: ${bad.join(', ')}.`) : origins.map((origin) => origin.replace(/\/$/, ''));
});

/** The payload-key variables, read alike by the bot and workers, the codec server and `npm run keys`. */
const KEY_VARIABLES = {
  PAYLOAD_ENCRYPTION: encryptionMode,
  PAYLOAD_KEYS: payloadKeys,
  PAYLOAD_KEYS_FILE: payloadKeysFile,
};

/** The knowledge-base variables, shared by every process and the `npm run kb` command. */
const KB_VARIABLES = {
  KB_URI: raw,
  EMBEDDING_MODEL: raw,
  RAG_TOP_K: wholeNumber(1, 20),
  RAG_MIN_SCORE: fraction,
};

const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;
const DEFAULT_LOG_LEVEL = 'info';
const logLevel = variable((value) => {
  const level = value.toLowerCase();
  return (LOG_LEVEL_NAMES as readonly string[]).includes(level) ? (level as Config['logLevel']) : new Problem(`is not a log level: "${level}".`);
});

const logFormat = variable((value) => {
  const format = value.toLowerCase();
  return format === 'json' || format === 'pretty' ? format : new Problem(`is not a log format: "${value}".`);
});

/** The schema for one process: which secrets are required depends on its role and on Socket Mode. */
function envSchema(role: Role, socketMode: boolean) {
  const needsBot = role !== 'worker';
  const needsWorker = role !== 'bot';
  // Key order is the order problems are reported in.
  return z.object({
    SLACK_BOT_TOKEN: required(true, 'xoxb-'),
    SLACK_APP_TOKEN: prefixed('xapp-'),
    SLACK_SIGNING_SECRET: required(needsBot && !socketMode),
    OPENAI_API_KEY: required(needsWorker),
    LOG_LEVEL: logLevel,
    LOG_FORMAT: logFormat,
    PORT: port,
    METRICS_PORT: port,
    METRICS_HOST: listenHost,
    SLACK_API_URL: httpUrl,
    OPENAI_BASE_URL: httpUrl,
    RESEARCH_MODEL: raw,
    WRITER_MODEL: raw,
    TEMPORAL_UI_URL: httpUrl,
    TEMPORAL_TASK_QUEUE: raw,
    TEMPORAL_RESEARCH_TASK_QUEUE: raw,
    TEMPORAL_DEV_SERVER_DB: raw,
    TEMPORAL_DEV_SERVER_PORT: port,
    TEMPORAL_DEV_SERVER_UI_PORT: port,
    MAX_COST_USD: budget,
    TEAM_DAILY_USD: ceiling,
    TEAM_MONTHLY_USD: ceiling,
    USER_DAILY_USD: ceiling,
    MAX_RUNNING_PER_USER: wholeNumber(1, 1000),
    SPEND_TIMEZONE: timeZone,
    MODEL_PRICES: prices,
    REVIEW_TIMEOUT: duration,
    LLM_ATTEMPT_TIMEOUT: duration,
    PIPELINE_TIMEOUT: duration,
    REVIEWERS: idList(/^[UWS][A-Z0-9]{2,}$/),
    MAX_REVISIONS: wholeNumber(0, 10),
    REVIEW_REMINDER_AFTER: duration,
    MEMBERSHIP_CACHE_TTL: duration,
    PUBLISH_CHANNEL: idList(/^[CG][A-Z0-9]{2,}$/),
    LINK_POLICY: linkPolicy,
    WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(0, 1_000_000),
    WORKER_SHUTDOWN_GRACE: duration,
    ...KEY_VARIABLES,
    WORKFLOW_ID_STYLE: workflowIdStyle,
    CODEC_SERVER_HOST: listenHost,
    CODEC_SERVER_PORT: port,
    CODEC_SERVER_TOKEN: raw,
    CODEC_CORS_ORIGINS: originList,
    ...KB_VARIABLES,
  });
}

/** The help line for a variable's problem: where to get it, or what a good value looks like. */
function helpFor(variable: string): string {
  if (variable in HELP) return HELP[variable as keyof typeof HELP];
  if (variable.endsWith('PORT')) return HELP.PORT;
  if (/TIMEOUT|_AFTER$|_TTL$/.test(variable)) return HELP.DURATION;
  return 'See README.md → Configuration.';
}

/** What a schema refused, one problem per variable, each with where to get a good value. */
function schemaProblems(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ConfigProblem[] {
  return issues.map((issue) => {
    const name = String(issue.path[0]);
    return { variable: name, problem: issue.message, help: helpFor(name) };
  });
}

/** Slack's Web API base must end with a slash, or method names are appended to the last path segment. */
function withTrailingSlash(url: string | undefined): string | undefined {
  return url === undefined ? undefined : url.endsWith('/') ? url : `${url}/`;
}

/** Temporal's own settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, API key, TLS, profiles) through @temporalio/envconfig. */
function temporalConnection(env: Env): ClientConnectConfig | ConfigProblem {
  try {
    const overrideEnvVars = Object.fromEntries(
      // Blank lines copied from .env.example count as unset.
      Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())),
    );
    return loadClientConnectConfig({ overrideEnvVars });
  } catch (error) {
    return {
      variable: 'TEMPORAL_*',
      problem: `could not be read: ${(error as Error).message}`,
      help: 'See https://docs.temporal.io/develop/environment-configuration for TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and profiles.',
    };
  }
}

/**
 * A budget guard cannot guard a model it cannot price: every configured model needs a price
 * (built in or from MODEL_PRICES), unless the guard is switched off with MAX_COST_USD=off.
 * Checked in every process: the bot prices runs, the workers name the models they call.
 */
function unpricedModels(v: { MAX_COST_USD?: number | 'off' | undefined; MODEL_PRICES?: PriceTable | undefined; RESEARCH_MODEL?: string | undefined; WRITER_MODEL?: string | undefined; EMBEDDING_MODEL?: string | undefined }): ConfigProblem[] {
  if (v.MAX_COST_USD === 'off') return [];
  const prices = v.MODEL_PRICES ?? DEFAULT_PRICES;
  const models: Array<[string, string]> = [
    ['RESEARCH_MODEL', v.RESEARCH_MODEL ?? 'gpt-4o-mini'],
    ['WRITER_MODEL', v.WRITER_MODEL ?? 'gpt-4o-mini'],
    ['EMBEDDING_MODEL', v.EMBEDDING_MODEL ?? 'text-embedding-3-small'],
  ];
  return models
    .filter(([, model]) => !priceFor(model, prices))
    .map(([variable, model]) => ({
      variable,
      problem: `names "${model}", which has no price, so the budget guard (MAX_COST_USD) cannot work.`,
      help: `Add its price to MODEL_PRICES, e.g. MODEL_PRICES={"${model}":{"input":0.5,"output":1.5,"cachedInput":0.25}} (USD per 1M tokens), or set MAX_COST_USD=off to run without a budget guard.`,
    }));
}

/**
 * Every wait must end before the run's hard cap: a draft needs research and writing (one attempt
 * each at most LLM_ATTEMPT_TIMEOUT) and then a whole review window, and the run keeps a margin
 * before the cap to close its cards. Settings that cannot hold that are refused, naming them.
 */
/**
 * Secure by default: a server other than the embedded one (TEMPORAL_ADDRESS, a profile) gets no
 * plaintext unless someone turns encryption off by name, and one key list has one source.
 */
function encryptionProblems(
  v: { PAYLOAD_ENCRYPTION?: EncryptionMode | undefined; PAYLOAD_KEYS?: PayloadKey[] | undefined; PAYLOAD_KEYS_FILE?: PayloadKey[] | undefined },
  address: string | undefined,
): ConfigProblem[] {
  if (v.PAYLOAD_KEYS && v.PAYLOAD_KEYS_FILE) {
    return [{ variable: 'PAYLOAD_KEYS_FILE', problem: 'is set beside PAYLOAD_KEYS: the key list has one source.', help: 'Keep one of the two (the file is the better place for keys).' }];
  }
  const keys = v.PAYLOAD_KEYS ?? v.PAYLOAD_KEYS_FILE;
  if (v.PAYLOAD_ENCRYPTION === 'off' && keys) {
    return [{ variable: 'PAYLOAD_ENCRYPTION', problem: 'is off while payload keys are set.', help: 'Unset PAYLOAD_ENCRYPTION to encrypt with those keys, or unset the keys to store plaintext.' }];
  }
  if (v.PAYLOAD_ENCRYPTION !== 'off' && !keys && address) {
    return [{
      variable: 'PAYLOAD_KEYS',
      problem: `is missing: payloads sent to Temporal at ${address} are encrypted, and only the embedded server gets a key made for it.`,
      help: 'Run `npm run keys -- new` and set PAYLOAD_KEYS (or PAYLOAD_KEYS_FILE) to the same value for the bot and every worker; or set PAYLOAD_ENCRYPTION=off to store plaintext on that server.',
    }];
  }
  return [];
}

function timingProblems(v: { PIPELINE_TIMEOUT?: number | undefined; REVIEW_TIMEOUT?: number | undefined; LLM_ATTEMPT_TIMEOUT?: number | undefined }): ConfigProblem[] {
  const cap = v.PIPELINE_TIMEOUT ?? parseDuration('4d')!;
  const review = v.REVIEW_TIMEOUT ?? parseDuration('72h')!;
  const attempt = v.LLM_ATTEMPT_TIMEOUT ?? parseDuration('90s')!;
  const margin = deadlineMarginMs(cap);
  const needed = 2 * attempt + review + margin;
  if (needed <= cap) return [];
  const f = formatDuration;
  return [{
    variable: 'PIPELINE_TIMEOUT',
    problem:
      `(${f(cap)}) cannot hold a whole review: research and writing (2 × LLM_ATTEMPT_TIMEOUT = ${f(2 * attempt)}), ` +
      `then REVIEW_TIMEOUT (${f(review)}), then the ${f(margin)} the run keeps before its cap to close its cards need ${f(needed)}.`,
    help: `Raise PIPELINE_TIMEOUT to at least ${f(needed)}, or lower REVIEW_TIMEOUT to at most ${f(Math.max(0, cap - 2 * attempt - margin))} (or LLM_ATTEMPT_TIMEOUT).`,
  }];
}

/** TEMPORAL_DEV_SERVER_DB's default: the embedded server's data, with the local payload key beside it. */
const DEFAULT_DEV_SERVER_DB = '.temporal/dev-server.sqlite';

export interface LoadOptions {
  /**
   * The playground: it runs its own Temporal server, so no connection setting is read (neither the
   * environment nor a Temporal config file): the connection is empty and the namespace `default`.
   */
  ownTemporalServer?: boolean;
}

export function loadConfig(env: Env = process.env, role: Role = 'all', options: LoadOptions = {}): Config {
  const socketMode = Boolean(env.SLACK_APP_TOKEN?.trim());
  const parsed = envSchema(role, socketMode).safeParse(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : schemaProblems(parsed.error.issues);
  const connect: ClientConnectConfig | ConfigProblem = options.ownTemporalServer ? { connectionOptions: {} } : temporalConnection(env);
  if ('problem' in connect) problems.push(connect);
  if (parsed.success) problems.push(...unpricedModels(parsed.data), ...timingProblems(parsed.data));
  if (parsed.success && !('problem' in connect)) problems.push(...encryptionProblems(parsed.data, connect.connectionOptions.address));
  if (!parsed.success || 'problem' in connect || problems.length) throw new ConfigError(problems);

  const v = parsed.data;
  const { devServerPort, devServerUiPort, uiUrl, devServerDbFile } = localServerFrom(v);
  return {
    kb: kbFrom(v, v.OPENAI_API_KEY, v.OPENAI_BASE_URL),
    slack: {
      botToken: v.SLACK_BOT_TOKEN,
      signingSecret: v.SLACK_SIGNING_SECRET || undefined,
      appToken: v.SLACK_APP_TOKEN,
      port: v.PORT ?? 3000,
      apiUrl: withTrailingSlash(v.SLACK_API_URL),
      membershipCacheMs: v.MEMBERSHIP_CACHE_TTL ?? parseDuration('5m')!,
    },
    openai: {
      apiKey: v.OPENAI_API_KEY,
      baseUrl: v.OPENAI_BASE_URL,
      researchModel: v.RESEARCH_MODEL ?? 'gpt-4o-mini',
      writerModel: v.WRITER_MODEL ?? 'gpt-4o-mini',
    },
    temporal: {
      connection: connect.connectionOptions,
      namespace: connect.namespace ?? 'default',
      uiUrl,
      taskQueue: v.TEMPORAL_TASK_QUEUE ?? CONTENT_PIPELINE_TASK_QUEUE,
      researchTaskQueue: v.TEMPORAL_RESEARCH_TASK_QUEUE ?? RESEARCH_TASK_QUEUE,
      devServerDbFile,
      devServerPort,
      devServerUiPort,
      workflowIdStyle: v.WORKFLOW_ID_STYLE ?? 'readable',
    },
    encryption: encryptionFrom(v, uiUrl, devServerDbFile),
    pipeline: {
      maxCostUsd: v.MAX_COST_USD === 'off' ? UNLIMITED_BUDGET_USD : (v.MAX_COST_USD ?? 0.5),
      budgetGuard: v.MAX_COST_USD !== 'off',
      prices: v.MODEL_PRICES ?? DEFAULT_PRICES,
      reviewTimeoutMs: v.REVIEW_TIMEOUT ?? parseDuration('72h')!,
      llmAttemptTimeoutMs: v.LLM_ATTEMPT_TIMEOUT ?? parseDuration('90s')!,
      executionTimeoutMs: v.PIPELINE_TIMEOUT ?? parseDuration('4d')!,
    },
    spend: {
      teamDailyUsd: v.TEAM_DAILY_USD,
      teamMonthlyUsd: v.TEAM_MONTHLY_USD,
      userDailyUsd: v.USER_DAILY_USD,
      maxRunningPerUser: v.MAX_RUNNING_PER_USER,
      timeZone: v.SPEND_TIMEZONE ?? DEFAULT_SPEND_TIMEZONE,
      enabled: [v.TEAM_DAILY_USD, v.TEAM_MONTHLY_USD, v.USER_DAILY_USD, v.MAX_RUNNING_PER_USER].some((value) => value !== undefined),
    },
    review: {
      reviewers: v.REVIEWERS ?? [],
      maxRevisions: v.MAX_REVISIONS ?? 3,
      reminderAfterMs: v.REVIEW_REMINDER_AFTER ?? parseDuration('4h')!,
      publishChannel: v.PUBLISH_CHANNEL?.[0],
      linkPolicy: v.LINK_POLICY ?? 'show',
    },
    worker: {
      maxCachedWorkflows: v.WORKER_MAX_CACHED_WORKFLOWS,
      shutdownGraceMs: v.WORKER_SHUTDOWN_GRACE ?? parseDuration('30s')!,
    },
    logLevel: v.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    metricsPort: v.METRICS_PORT ?? 9464,
    metricsHost: v.METRICS_HOST ?? '127.0.0.1',
  };
}

type LocalServerValues = {
  TEMPORAL_DEV_SERVER_PORT?: number | undefined;
  TEMPORAL_DEV_SERVER_UI_PORT?: number | undefined;
  TEMPORAL_UI_URL?: string | undefined;
  TEMPORAL_DEV_SERVER_DB?: string | undefined;
};

/** The embedded server's ports, data file and Web UI address (the UI's origin is the codec server's default CORS origin). */
function localServerFrom(v: LocalServerValues): { devServerPort: number; devServerUiPort: number; uiUrl: string; devServerDbFile: string } {
  const devServerPort = v.TEMPORAL_DEV_SERVER_PORT ?? 7233;
  const devServerUiPort = v.TEMPORAL_DEV_SERVER_UI_PORT ?? devServerPort + 1000;
  return {
    devServerPort,
    devServerUiPort,
    uiUrl: v.TEMPORAL_UI_URL ?? `http://localhost:${devServerUiPort}`,
    devServerDbFile: v.TEMPORAL_DEV_SERVER_DB ?? DEFAULT_DEV_SERVER_DB,
  };
}

type EncryptionValues = {
  PAYLOAD_ENCRYPTION?: EncryptionMode | undefined;
  PAYLOAD_KEYS?: PayloadKey[] | undefined;
  PAYLOAD_KEYS_FILE?: PayloadKey[] | undefined;
  CODEC_SERVER_HOST?: string | undefined;
  CODEC_SERVER_PORT?: number | undefined;
  CODEC_SERVER_TOKEN?: string | undefined;
  CODEC_CORS_ORIGINS?: string[] | undefined;
};

/** A UI on this machine is opened as localhost or as 127.0.0.1: both spellings of its origin. */
function loopbackSpellings(origin: string): string[] {
  const url = new URL(origin);
  if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') return [origin];
  return ['localhost', '127.0.0.1'].map((host) => `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`);
}

function encryptionFrom(v: EncryptionValues, uiUrl: string, devServerDbFile: string): EncryptionConfig {
  return {
    mode: v.PAYLOAD_ENCRYPTION ?? 'on',
    keys: v.PAYLOAD_KEYS ?? v.PAYLOAD_KEYS_FILE,
    localKeyFile: path.join(path.dirname(devServerDbFile), 'payload-keys'),
    codecServer: {
      host: v.CODEC_SERVER_HOST ?? '127.0.0.1',
      port: v.CODEC_SERVER_PORT ?? 8234,
      token: v.CODEC_SERVER_TOKEN,
      corsOrigins: v.CODEC_CORS_ORIGINS ?? loopbackSpellings(new URL(uiUrl).origin),
    },
  };
}

/** What `npm run codec-server` runs with: the namespace it decodes for, the keys, its own settings. */
export interface CodecServerConfig {
  namespace: string;
  encryption: EncryptionConfig;
  logLevel: Config['logLevel'];
  logFormat: Config['logFormat'];
}

/**
 * Only what the standalone codec server needs (no Slack, OpenAI or connection): the namespace
 * (TEMPORAL_NAMESPACE), the workers' key list, and CODEC_SERVER_*. Without PAYLOAD_KEYS(_FILE) it
 * uses the local key file of `npm start`'s embedded server if one exists, and never makes one: a new
 * key would decode nothing.
 */
export function loadCodecServerConfig(env: Env = process.env, exists: (file: string) => boolean = existsSync): CodecServerConfig {
  const schema = z.object({
    LOG_LEVEL: logLevel,
    LOG_FORMAT: logFormat,
    TEMPORAL_UI_URL: httpUrl,
    TEMPORAL_DEV_SERVER_DB: raw,
    TEMPORAL_DEV_SERVER_PORT: port,
    TEMPORAL_DEV_SERVER_UI_PORT: port,
    ...KEY_VARIABLES,
    CODEC_SERVER_HOST: listenHost,
    CODEC_SERVER_PORT: port,
    CODEC_SERVER_TOKEN: raw,
    CODEC_CORS_ORIGINS: originList,
  });
  const parsed = schema.safeParse(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : schemaProblems(parsed.error.issues);
  const connect = temporalConnection(env);
  if ('problem' in connect) problems.push(connect);
  if (!parsed.success || 'problem' in connect) throw new ConfigError(problems);

  const v = parsed.data;
  const { uiUrl, devServerDbFile } = localServerFrom(v);
  const encryption = encryptionFrom(v, uiUrl, devServerDbFile);
  problems.push(...encryptionProblems(v, undefined));
  if (encryption.mode === 'off') {
    problems.push({
      variable: 'PAYLOAD_ENCRYPTION',
      problem: 'is off: a codec server has nothing to decode.',
      help: 'Set PAYLOAD_KEYS (or PAYLOAD_KEYS_FILE) to the key list of the workers and unset PAYLOAD_ENCRYPTION.',
    });
  } else if (!encryption.keys && !exists(encryption.localKeyFile)) {
    problems.push({
      variable: 'PAYLOAD_KEYS',
      problem: `is missing, and there is no local key file (${encryption.localKeyFile}): the codec server decodes with the workers' keys.`,
      help: HELP.PAYLOAD_KEYS,
    });
  }
  if (problems.length) throw new ConfigError(problems);
  return { namespace: connect.namespace ?? 'default', encryption, logLevel: v.LOG_LEVEL ?? DEFAULT_LOG_LEVEL, logFormat: v.LOG_FORMAT };
}

type KbValues = { KB_URI?: string | undefined; EMBEDDING_MODEL?: string | undefined; RAG_TOP_K?: number | undefined; RAG_MIN_SCORE?: number | undefined };

function kbFrom(v: KbValues, apiKey: string, baseUrl: string | undefined): KbConfig {
  return {
    uri: v.KB_URI ?? '.kb',
    embeddingModel: v.EMBEDDING_MODEL ?? 'text-embedding-3-small',
    apiKey,
    baseUrl,
    topK: v.RAG_TOP_K ?? 6,
    minScore: v.RAG_MIN_SCORE ?? 0.3,
  };
}

/**
 * Only what `npm run kb` needs: the index and the embeddings endpoint (OPENAI_API_KEY is required
 * only to add documents, which calls the API; list/stats/remove work without it).
 */
export function loadKbConfig(env: Env = process.env, needsApi = true): KbConfig {
  const schema = z.object({ OPENAI_API_KEY: required(needsApi), OPENAI_BASE_URL: httpUrl, ...KB_VARIABLES });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(schemaProblems(parsed.error.issues));
  }
  return kbFrom(parsed.data, parsed.data.OPENAI_API_KEY, parsed.data.OPENAI_BASE_URL);
}

/** Only the Temporal connection (for `npm run setup:temporal`, which needs no Slack or OpenAI settings). */
export function loadTemporalConfig(env: Env = process.env): Pick<TemporalConfig, 'connection' | 'namespace'> {
  const connect = temporalConnection(env);
  if ('problem' in connect) throw new ConfigError([connect]);
  return { connection: connect.connectionOptions, namespace: connect.namespace ?? 'default' };
}

/**
 * What `npm run keys -- check` needs: the Temporal connection and the payload keys (PAYLOAD_KEYS,
 * PAYLOAD_KEYS_FILE, else the embedded server's key file), none of the Slack or OpenAI settings.
 * Checked as the bot and the workers check them.
 */
export function loadKeysConfig(env: Env = process.env): Pick<TemporalConfig, 'connection' | 'namespace'> & { encryption: Pick<EncryptionConfig, 'mode' | 'keys' | 'localKeyFile'>; localAddress: string } {
  const parsed = z
    .object({ ...KEY_VARIABLES, TEMPORAL_DEV_SERVER_DB: raw, TEMPORAL_DEV_SERVER_PORT: port })
    .safeParse(env);
  const connect = temporalConnection(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : schemaProblems(parsed.error.issues);
  if ('problem' in connect) problems.push(connect);
  if (parsed.success && !('problem' in connect)) problems.push(...encryptionProblems(parsed.data, connect.connectionOptions.address));
  if (!parsed.success || 'problem' in connect || problems.length) throw new ConfigError(problems);
  const v = parsed.data;
  return {
    connection: connect.connectionOptions,
    namespace: connect.namespace ?? 'default',
    encryption: encryptionFrom(v, localServerFrom(v).uiUrl, localServerFrom(v).devServerDbFile),
    /** Where the embedded server listens, for when no address is set. */
    localAddress: `localhost:${localServerFrom(v).devServerPort}`,
  };
}

/** The variables that connect the bot to a Slack app. */
export const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL'] as const;

/**
 * True when no Slack variable is set at all (blank counts as unset): `npm start` then opens the
 * local playground instead of failing. With some set, the normal checks name what is missing.
 */
export function noSlackConfigured(env: Env = process.env): boolean {
  return SLACK_VARIABLES.every((name) => !env[name]?.trim());
}

/**
 * What @temporalio/envconfig reads from the environment to choose a Temporal server and its
 * credentials (its envconfig-toml.js, `applyProfileEnvVars` and the config file lookup). Any of
 * them set means a deployment is meant, which the playground must never attach to. TEMPORAL_CODEC_*
 * only decode payloads for the UI and CLI, so they are not among them.
 */
export const TEMPORAL_DEPLOYMENT_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
] as const;

/** gRPC metadata (headers) for the server, one variable per header: `TEMPORAL_GRPC_META_<NAME>`. */
const TEMPORAL_GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

/**
 * Values that point nowhere but where the playground already is: its own server's namespace (as
 * .env.example sets it), and TLS switched off (envconfig counts only "1" and "true" as on).
 */
const NAMES_NOTHING: Partial<Record<string, (value: string) => boolean>> = {
  TEMPORAL_NAMESPACE: (value) => value === 'default',
  TEMPORAL_TLS: (value) => value !== '1' && value !== 'true',
};

/** The Temporal deployment settings that are set (blank counts as unset), by name: never their values. */
export function temporalDeploymentSettings(env: Env = process.env): string[] {
  const set = (name: string) => {
    const value = env[name]?.trim();
    return Boolean(value) && !NAMES_NOTHING[name]?.(value!);
  };
  return [
    ...TEMPORAL_DEPLOYMENT_VARIABLES.filter(set),
    ...Object.keys(env).filter((name) => name.startsWith(TEMPORAL_GRPC_META_PREFIX) && set(name)).sort(),
  ];
}

/**
 * The server the Temporal CLI's config file names in its default profile (temporal.toml under
 * XDG_CONFIG_HOME or ~/.config/temporalio), if any. The bot would use it when no TEMPORAL_*
 * variable is set; the playground never does, and says so rather than ignore it silently.
 */
export function temporalConfigFileAddress(env: Env = process.env): string | undefined {
  try {
    const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())));
    return loadClientConfigProfile({ disableEnv: true, overrideEnvVars }).address;
  } catch {
    return undefined; // no file, or one the bot reports when it loads its configuration
  }
}

/** True when no OpenAI key is set: the playground's sample writer answers instead of a model. */
export function noModelConfigured(env: Env = process.env): boolean {
  return !env.OPENAI_API_KEY?.trim();
}
