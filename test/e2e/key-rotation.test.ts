/**
 * Payload keys against the real Temporal server, in a namespace of its own (the checks list every
 * running pipeline of a namespace): a pipeline started under key A through the real Pipelines
 * class carries PayloadKey=A; while it waits for review, `runsNeedingKeys` and the startup warning
 * name it for a process configured with [B] only, and a Home read with [B] shows it as one
 * placeholder row instead of failing; the workers then restart with [B, A] and the run completes,
 * its raw history holding payloads under both keys and the topic nowhere outside the codec.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import proto from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { isPipelineWorkflowId } from '../../src/shared/ids.js';
import { keyIdOf, temporalDataConverter } from '../../src/temporal/codec.js';
import { loadHome } from '../../src/temporal/home.js';
import { describeRunsNeedingKeys, runsNeedingKeys, warnAboutMissingKeys } from '../../src/temporal/keys.js';
import { UNREADABLE_RUN_TOPIC } from '../../src/temporal/listing.js';
import type { Pipelines } from '../../src/temporal/pipelines.js';
import { pipelinesFor } from '../../src/bot.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { PayloadKeyAttribute } from '../../src/workflows/search-attributes.js';
import { waitFor } from '../harness/http.js';
import { testKeyEntry, testKeys } from '../harness/keys.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const { temporal } = proto;

/** Pipelines as the bot builds them (src/bot.ts pipelinesFor), encrypting under `keyIds` (the first encrypts, and is the run's PayloadKey). */
function pipelinesWith(client: Client, config: Config, keyIds: string[], temporal: Partial<Config['temporal']> = {}): Pipelines {
  return pipelinesFor(client, { ...config, temporal: { ...config.temporal, ...temporal } }, { mode: 'on', keys: testKeys(...keyIds) });
}

/**
 * Every Payload (an object with `metadata` and `data`) anywhere in a decoded proto message, with
 * where it sits, except search attributes (no codec covers those; they hold IDs and numbers) and
 * the patch markers the SDK's core writes itself (`patch-data`: a patch ID, never content).
 */
function payloadsIn(value: unknown, at = '', found: Array<{ at: string; payload: Payload }> = []): Array<{ at: string; payload: Payload }> {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  if ('data' in value && 'metadata' in value && ArrayBuffer.isView((value as Payload).data)) found.push({ at, payload: value as Payload });
  for (const [key, child] of Object.entries(value)) if (key !== 'searchAttributes' && key !== 'patch-data') payloadsIn(child, `${at}.${key}`, found);
  return found;
}

describe('payload key rotation', () => {
  let stack: Stack;
  let connection: Connection;
  let namespace: string;
  /** Clients as processes configured with [A], [B] and [B, A] are. */
  let clientA: Client;
  let clientB: Client;
  let clientBA: Client;
  const topic = 'quokka rotation sentinel';

  beforeAll(async () => {
    stack = await startStack({ ownNamespace: true, env: { PAYLOAD_KEYS: testKeyEntry('rotA') } });
    namespace = stack.config.temporal.namespace;
    connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = (ids: string[]) => new Client({ connection, namespace, dataConverter: temporalDataConverter({ mode: 'on', keys: testKeys(...ids) }) });
    [clientA, clientB, clientBA] = [client(['rotA']), client(['rotB']), client(['rotB', 'rotA'])];
  });
  afterAll(async () => {
    await stack?.stop();
    await connection?.close();
  });

  it('a run started under A is named while A is missing, shows as one unreadable row, and completes once the workers have [B, A]', async () => {
    const pipelines = pipelinesWith(clientA, stack.config, ['rotA'], { workflowIdStyle: 'opaque' });
    await pipelines.refreshSearchAttributes(namespace);
    const { workflowId } = await pipelines.start({ topic, requestedBy: REQUESTER, channel: CHANNEL }, { idempotencyKey: 'rotation-delivery-1', visibility: 'public' });
    expect(isPipelineWorkflowId(workflowId)).toBe(true);
    expect(workflowId).not.toMatch(/quokka|rotation|sentinel/);
    // A repeated delivery reaches the same run (opaque IDs dedupe as readable ones do).
    expect((await pipelines.start({ topic, requestedBy: REQUESTER, channel: CHANNEL }, { idempotencyKey: 'rotation-delivery-1', visibility: 'public' })).workflowId).toBe(workflowId);
    await stack.waitForDraft((await stack.waitForPipeline(topic)).threadTs);

    const description = await clientA.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(PayloadKeyAttribute)).toBe('rotA');
    expect(description.typedSearchAttributes.getAll().map((pair) => pair.key.name)).not.toContain('Topic');
    expect(description.memo).toMatchObject({ topic });

    // Visibility is eventually consistent: wait until the run is listed with its key.
    const needing = await waitFor('the run to be listed as needing rotA', async () => {
      const found = await runsNeedingKeys(clientB, ['rotB']);
      return found.runs.some((run) => run.workflowId === workflowId) ? found : undefined;
    });
    expect(needing).toMatchObject({ count: 1, partial: false, runs: [{ workflowId, keyId: 'rotA' }] });
    expect(describeRunsNeedingKeys(needing, ['rotB'])).toContain(`${workflowId} (key "rotA")`);
    expect(await runsNeedingKeys(clientB, ['rotB', 'rotA'])).toEqual({ runs: [], count: 0, partial: false });

    // At startup of a process given [B] only: one warning naming the run and its key.
    const lines: Array<['warn' | 'debug', string]> = [];
    const log = { warn: (m: string) => lines.push(['warn', m]), debug: (m: string) => lines.push(['debug', m]) };
    await warnAboutMissingKeys(clientB, ['rotB'], log);
    expect(lines).toHaveLength(1);
    expect(lines[0]![0]).toBe('warn');
    expect(lines[0]![1]).toContain(`${workflowId} (key "rotA")`);
    expect(lines[0]![1]).toContain('Put "rotA" back in PAYLOAD_KEYS');
    // Nothing to say to a process that has the key.
    await warnAboutMissingKeys(clientBA, ['rotB', 'rotA'], log);
    expect(lines).toHaveLength(1);

    // The Home and /research status read with [B]: one row says it cannot be read; nothing fails.
    const homeOptions = { reviewers: [], membership: async () => new Set([CHANNEL]), seesPublicChannels: async () => true };
    const home = await loadHome(clientB, REQUESTER, 0, homeOptions);
    expect(home.error).toBeUndefined();
    expect(home.recent).toEqual([expect.objectContaining({ workflowId, topic: UNREADABLE_RUN_TOPIC, unreadable: true, channel: CHANNEL, running: true })]);
    expect(JSON.stringify(home)).not.toContain('quokka');
    const readable = await loadHome(clientBA, REQUESTER, 0, homeOptions);
    expect(readable.recent).toEqual([expect.objectContaining({ workflowId, topic, stage: 'awaiting-review' })]);
    const pipelinesB = pipelinesWith(clientB, stack.config, ['rotB']);
    await pipelinesB.refreshSearchAttributes(namespace);
    expect(await pipelinesB.listRunning(REQUESTER, CHANNEL)).toEqual([expect.objectContaining({ workflowId, topic: UNREADABLE_RUN_TOPIC, unreadable: true })]);
    // What buttons and `/research cancel|publish` check: requester and channel still known (from search attributes), the key named.
    const facts = await pipelinesB.describe(workflowId);
    expect(facts).toMatchObject({ running: true, channel: CHANNEL, requestedBy: REQUESTER, visibility: 'public', unreadable: { keyId: 'rotA' } });
    expect(facts?.topic).toBeUndefined();

    // Rotation: the workers restart with [B, A]; the reviewer's decision is sent under B.
    await stack.workers!.shutdown();
    stack.dataConverter = temporalDataConverter({ mode: 'on', keys: testKeys('rotB', 'rotA') });
    await stack.startWorkers();
    const delivery = await pipelinesWith(clientBA, stack.config, ['rotB', 'rotA']).review(workflowId, 'approved', REVIEWER);
    expect(delivery).toEqual({ delivered: true });
    const result = (await clientBA.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    expect(result.topic).toBe(topic);
    expect(await runsNeedingKeys(clientB, ['rotB'])).toMatchObject({ count: 0 });

    // The raw history, fetched without a codec: payloads under both keys, and the topic nowhere.
    const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, ...(nextPageToken ? { nextPageToken } : {}) });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const payloads = payloadsIn(events);
    expect(payloads.filter(({ payload }) => !keyIdOf(payload)).map(({ at }) => at)).toEqual([]);
    expect([...new Set(payloads.map(({ payload }) => keyIdOf(payload)))].sort()).toEqual(['rotA', 'rotB']);
    const stored = Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
    expect(stored.includes(Buffer.from(topic))).toBe(false);
    expect(stored.includes(Buffer.from('quokka'))).toBe(false);
  }, 120_000);

  it('npm run keys -- check names the runs that need a key outside PAYLOAD_KEYS (exit 1), and passes once the list has it (exit 0)', async () => {
    // No worker polls this queue: the run stays open, as one waiting for review does.
    const pipelines = pipelinesWith(clientA, stack.config, ['rotA'], { taskQueue: `no-worker-${namespace}` });
    await pipelines.refreshSearchAttributes(namespace);
    const { workflowId } = await pipelines.start({ topic: 'checked by the cli', requestedBy: REQUESTER, channel: CHANNEL });
    const check = async (keys: string) => {
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: namespace, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', PAYLOAD_KEYS: keys };
      try {
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/temporal/keys-cli.ts', 'check'], { env });
        return { code: 0, stdout };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
      }
    };
    try {
      const missing = await waitFor('the cli to name the run', async () => {
        const answer = await check(testKeyEntry('rotB'));
        return answer.stdout.includes(workflowId) ? answer : undefined;
      });
      expect(missing.code).toBe(1);
      expect(missing.stdout).toContain(`${workflowId}  needs "rotA"`);
      expect(missing.stdout).toContain('Put "rotA" back in PAYLOAD_KEYS');
      expect(missing.stdout).not.toContain(testKeyEntry('rotB').split(':')[1]); // never key material
      const complete = await check(`${testKeyEntry('rotB')},${testKeyEntry('rotA')}`);
      expect(complete).toEqual({ code: 0, stdout: expect.stringContaining('No running pipeline needs a key outside the configured keys (rotB, rotA).') });
    } finally {
      await clientA.workflow.getHandle(workflowId).terminate('test over');
    }
  }, 60_000);

  it('the startup warning never throws: Temporal unreachable is a debug line', async () => {
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace });
    const lines: string[] = [];
    await warnAboutMissingKeys(unreachable, ['rotB'], { warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) }, { deadlineMs: 1_000 });
    expect(lines).toEqual([expect.stringMatching(/^debug Could not check which running pipelines need payload keys/)]);
  });
});
