/**
 * Key rotation: which running pipelines still need a payload key that the processes no longer
 * have. Each pipeline carries the ID of the key its input was encrypted under as the `PayloadKey`
 * search attribute (set at start by the bot: src/temporal/pipelines.ts), so the visibility store
 * answers without decrypting anything.
 *
 * What it covers: the key a run started under, which its input, memo and first events need for as
 * long as the run lives. A run that outlives two rotations also wrote payloads under the key that
 * was first in between; keep every key of the last PIPELINE_TIMEOUT (4 days by default) in the
 * list, and drop a key only when this check names no run for it.
 */
import type { Client } from '@temporalio/client';
import { errorChain } from '../shared/error-chain.js';
import { PayloadKeyAttribute } from '../workflows/search-attributes.js';
import { listRuns } from './listing.js';

export interface RunNeedingKey {
  workflowId: string;
  /** The key the run's input was encrypted under, which the configured list lacks. */
  keyId: string;
  startTime: Date;
}

export interface RunsNeedingKeys {
  /** The first `limit` of them, in the order the server lists them (newest first). */
  runs: RunNeedingKey[];
  /** How many there are in all (at least this many when `partial`). */
  count: number;
  /** True when more running pipelines were there than were looked at (MAX_RUNS_SCANNED). */
  partial: boolean;
}

/** Runs named in full; the rest are counted. */
export const RUNS_NAMED = 20;
/** Running pipelines looked at in one check, at most. */
export const MAX_RUNS_SCANNED = 10_000;

/** Key IDs are letters, digits, ".", "_" and "-" (codec.ts), so they sit in quotes as they are; anything else is dropped. */
const SAFE_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Running pipelines whose key is not among `configuredKeyIds`. One `!=` per key: the documented
 * List Filter operators (https://docs.temporal.io/list-filter) are =, !=, >, <, BETWEEN, IN and
 * STARTS_WITH, not NOT IN or IS NULL. A run without the attribute (started before it existed, or
 * with encryption off) matches `!=` on Elasticsearch but not on SQL visibility; such rows are
 * dropped here, whichever store answers.
 */
export function runsNeedingKeysQuery(configuredKeyIds: readonly string[]): string {
  const others = configuredKeyIds.filter((id) => SAFE_KEY_ID.test(id)).map((id) => ` AND ${PayloadKeyAttribute.name} != '${id}'`);
  return `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running'${others.join('')}`;
}

export async function runsNeedingKeys(client: Client, configuredKeyIds: readonly string[], { limit = RUNS_NAMED } = {}): Promise<RunsNeedingKeys> {
  const configured = new Set(configuredKeyIds);
  const runs: RunNeedingKey[] = [];
  let count = 0;
  let scanned = 0;
  // Rows are read tolerantly: these are exactly the runs whose memo this process cannot decrypt.
  for await (const run of listRuns(client, { query: runsNeedingKeysQuery(configuredKeyIds), pageSize: 500 })) {
    if (scanned === MAX_RUNS_SCANNED) return { runs, count, partial: true };
    scanned += 1;
    const keyId = run.typedSearchAttributes.get(PayloadKeyAttribute);
    if (typeof keyId !== 'string' || !keyId || configured.has(keyId)) continue;
    count += 1;
    if (runs.length < limit) runs.push({ workflowId: run.workflowId, keyId, startTime: run.startTime });
  }
  return { runs, count, partial: false };
}

/** One sentence per finding, for the log and for `npm run keys -- check`. */
export function describeRunsNeedingKeys(found: RunsNeedingKeys, configuredKeyIds: readonly string[]): string {
  const have = configuredKeyIds.length ? `the configured keys (${configuredKeyIds.join(', ')})` : 'any configured key (encryption is off or no key is set)';
  if (found.count === 0) return `No running pipeline needs a key outside ${have}.`;
  const missing = [...new Set(found.runs.map((run) => run.keyId))];
  const more = found.count > found.runs.length ? `, and ${found.count - found.runs.length} more${found.partial ? ' (at least)' : ''}` : '';
  return (
    `${found.count}${found.partial ? '+' : ''} running pipeline${found.count === 1 ? '' : 's'} need${found.count === 1 ? 's' : ''} a payload key outside ${have}: ` +
    `${found.runs.map((run) => `${run.workflowId} (key "${run.keyId}")`).join(', ')}${more}. ` +
    'Workers cannot decrypt them, so their next step fails and is retried until the key is back. ' +
    `Put ${missing.map((id) => `"${id}"`).join(', ')} back in PAYLOAD_KEYS (or PAYLOAD_KEYS_FILE), ` +
    'after the key that encrypts, for the bot and every worker, until `npm run keys -- check` names no run.'
  );
}

/** The words printed beside a new key: the entry goes first, the old ones stay after it. */
export function rotationAdvice(entry: string): string {
  const id = entry.slice(0, entry.indexOf(':'));
  return [
    `To rotate to "${id}": put this entry FIRST in PAYLOAD_KEYS (comma-separated) or on the first line of PAYLOAD_KEYS_FILE,`,
    'and keep the old keys after it: the first key encrypts, all of them decrypt, so runs started under an old key still finish.',
    'Give the bot, every worker and the codec server the same list, and restart them.',
    'Remove an old key only when `npm run keys -- check` (run with the list without it) names no run that needs it.',
    'Keep the entry secret: anyone with it can read what Temporal stores.',
  ].join('\n');
}

export interface KeyWarningLog {
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * At bot and worker startup: one warning naming up to `limit` runs and the key each needs, when
 * any running pipeline needs a key the process was not given. Never throws: when Temporal cannot
 * answer (unreachable, PayloadKey not registered yet) it says so in a debug line and returns.
 */
export async function warnAboutMissingKeys(
  client: Client,
  keyIds: readonly string[],
  log: KeyWarningLog,
  { limit = 5, deadlineMs = 10_000 } = {},
): Promise<void> {
  try {
    const found = await client.withDeadline(Date.now() + deadlineMs, () => runsNeedingKeys(client, keyIds, { limit }));
    if (found.count > 0) log.warn(describeRunsNeedingKeys(found, keyIds));
  } catch (error) {
    const text = errorChain(error);
    if (/PayloadKey/.test(text)) {
      // The server answered, but does not know the attribute: the check is blind until it does.
      log.warn(
        'Temporal does not have the PayloadKey search attribute, so nothing records which key each run was started under and ' +
          '`npm run keys -- check` cannot tell which runs an old key is still needed for. Run `npm run setup:temporal` once.',
      );
      return;
    }
    log.debug(`Could not check which running pipelines need payload keys outside PAYLOAD_KEYS: ${text}`);
  }
}
