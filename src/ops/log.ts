/**
 * One structured log for the whole process: pino, written as JSON lines (production, log
 * shippers) or as readable lines (development), chosen by LOG_FORMAT; when unset, readable on a
 * terminal and JSON otherwise. Bolt's logger and Temporal's runtime logger (which also receives the
 * workflow and activity context loggers and the SDK core's own lines) are adapters over it, so
 * every line has the same shape and goes through the same redaction.
 *
 * Secrets never reach the output: known secret fields are redacted by path (pino `redact`), and
 * every finished line is scrubbed of token-shaped strings (`xoxb-…`, `xapp-…`, `sk-…`) and of the
 * exact secret values the process was configured with, wherever they appear (inside an error
 * message, a URL, a stack trace).
 */
import { pino, type Logger as PinoLogger, type Level } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/logger';
import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';

export type LogFormat = 'json' | 'pretty';
export type AppLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Log = PinoLogger;

/**
 * Token shapes: Slack bot/user/app tokens (https://api.slack.com/concepts/token-types) and OpenAI
 * keys (`sk-…`, `sk-proj-…`). Replaced wherever they occur in a line.
 */
const TOKEN_PATTERN = /\b(?:xox[abpors]|xapp)-[A-Za-z0-9-]{6,}|\bsk-[A-Za-z0-9_-]{8,}/g;

/** Field names whose values are secrets wherever they sit in a logged object (up to two levels down). */
const SECRET_KEYS = ['token', 'botToken', 'appToken', 'signingSecret', 'apiKey', 'api_key', 'authorization', 'Authorization', 'password', 'secret', 'clientSecret', 'client_secret'];
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

export const REDACTED = '[redacted]';

/** Replaces token-shaped strings and the given secret values in `text`. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(TOKEN_PATTERN, REDACTED);
  for (const secret of secrets) {
    // Short values would blank out ordinary words; real secrets are long.
    if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

export interface LogOptions {
  level?: AppLogLevel;
  /** Undefined: pretty on a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Exact secret values to scrub from every line (tokens, signing secret, API keys). */
  secrets?: readonly string[];
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: { write(line: string): unknown };
  /** Fields on every line, e.g. `{ role: 'worker' }`. */
  base?: Record<string, unknown>;
}

export function defaultLogFormat(isTty = Boolean(process.stdout.isTTY)): LogFormat {
  return isTty ? 'pretty' : 'json';
}

export function createLogger(options: LogOptions = {}): Log {
  const secrets = (options.secrets ?? []).filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
  const format = options.format ?? defaultLogFormat();
  const out = options.destination ?? process.stdout;
  let destination: { write(line: string): unknown } = out;
  if (format === 'pretty') {
    // Formatted in this thread, line by line: nothing is lost when the process exits right after.
    const prettify = prettyFactory({ colorize: !options.destination && Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
    destination = { write: (line: string) => out.write(prettify(line)) };
  }
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Level names rather than numbers: what people grep for and log shippers map.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => scrubSecrets(line, secrets) },
    },
    destination as pino.DestinationStream,
  );
}

/** The process's logger. Entry points configure it first; until then it logs at info to stdout. */
let root: Log | undefined;

export function configureLogging(options: LogOptions): Log {
  root = createLogger(options);
  return root;
}

export function log(): Log {
  root ??= createLogger();
  return root;
}

/** Pipeline IDs as made by src/shared/ids.ts; pulled out of free-text lines into a field. */
const WORKFLOW_ID_IN_TEXT = /\bresearch-[a-z0-9-]+-\d{8}-[a-z0-9]+(?:-parallel-research)?\b/;
/** Slack conversation IDs (C… public, G… private, D… DM). */
const CHANNEL_IN_TEXT = /\b[CGD][A-Z0-9]{8,}\b/;

/** Structured fields found in a free-text line: the pipeline it is about and the channel. */
export function fieldsFromText(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const workflowId = WORKFLOW_ID_IN_TEXT.exec(text)?.[0];
  if (workflowId) fields.workflowId = workflowId;
  const channel = CHANNEL_IN_TEXT.exec(text)?.[0];
  if (channel) fields.channel = channel;
  return fields;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && !Array.isArray(value);
}

/** Bolt's `...msg: any[]` becomes one line: a leading object becomes fields, errors keep their stack. */
function boltLine(target: Log, level: Level, parts: unknown[]): void {
  const fields: Record<string, unknown> = {};
  const words: string[] = [];
  for (const part of parts) {
    if (part instanceof Error) fields.err = part;
    else if (isPlainObject(part)) Object.assign(fields, part);
    else words.push(typeof part === 'string' ? part : String(part));
  }
  const message = words.join(' ');
  target[level]({ ...fieldsFromText(message), ...fields }, message);
}

const BOLT_TO_PINO: Record<string, Level> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

/** Bolt's `logger` option (`@slack/logger`'s interface) over the structured log. */
export function boltLogger(parent: Log = log()): BoltLogger {
  let child = parent.child({ component: 'bolt' });
  return {
    debug: (...msg: unknown[]) => boltLine(child, 'debug', msg),
    info: (...msg: unknown[]) => boltLine(child, 'info', msg),
    warn: (...msg: unknown[]) => boltLine(child, 'warn', msg),
    error: (...msg: unknown[]) => boltLine(child, 'error', msg),
    setLevel(level: BoltLogLevel) {
      child.level = BOLT_TO_PINO[level] ?? 'info';
    },
    getLevel() {
      return child.level as BoltLogLevel;
    },
    setName(name: string) {
      child = parent.child({ component: 'bolt', name });
    },
  };
}

const TEMPORAL_TO_PINO: Record<TemporalLogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * Temporal's runtime logger over the structured log. The SDK hands it the workflow and activity
 * context loggers' lines with their context (workflowId, runId, workflowType, activityType,
 * taskQueue, …) as metadata, and the core's lines when forwarding is on: all become fields.
 */
export function temporalLogger(parent: Log = log()): TemporalLogger {
  const child = parent.child({ component: 'temporal' });
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    const fields: Record<string, unknown> = {};
    if (meta) {
      for (const [key, value] of Object.entries(meta)) {
        // The SDK passes errors as `error` or `failure`; pino serialises them as `err`.
        if (value instanceof Error) fields.err = value;
        else if (key === 'timestampNanos') continue;
        else fields[key] = typeof value === 'bigint' ? String(value) : value;
      }
    }
    child[TEMPORAL_TO_PINO[level]]({ ...fieldsFromText(message), ...fields }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * A line that is always written whatever LOG_LEVEL says (at info): what a process is and where it
 * listens, which operators and supervisors wait for at startup.
 */
export function announce(message: string, fields: Record<string, unknown> = {}): void {
  const root = log();
  const target = root.isLevelEnabled('info') ? root : root.child({}, { level: 'info' });
  target.info(fields, message);
}
