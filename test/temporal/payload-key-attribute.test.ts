/**
 * A server set up before PayloadKey existed (its other search attributes registered, not this
 * one): the bot still starts runs and lists them, only without PayloadKey, and the startup check
 * says that `npm run setup:temporal` is needed instead of failing quietly.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalDataConverter } from '../../src/temporal/codec.js';
import { warnAboutMissingKeys } from '../../src/temporal/keys.js';
import { Pipelines } from '../../src/temporal/pipelines.js';
import { DEFAULT_PRICES } from '../../src/shared/pricing.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/search-attributes.js';
import { waitFor } from '../harness/http.js';
import { testKeys } from '../harness/keys.js';

const Type = proto.temporal.api.enums.v1.IndexedValueType;

describe('a namespace without the PayloadKey search attribute', () => {
  let connection: Connection;
  let client: Client;
  const namespace = `no-payload-key-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const older = Object.fromEntries(
      SEARCH_ATTRIBUTE_FLAGS.filter((flag) => !flag.startsWith('PayloadKey=')).map((flag) => {
        const [name, type] = flag.split('=') as [string, string];
        return [name, type === 'Double' ? Type.INDEXED_VALUE_TYPE_DOUBLE : Type.INDEXED_VALUE_TYPE_KEYWORD];
      }),
    );
    // A new namespace reaches the server's namespace cache within seconds.
    await waitFor(`namespace ${namespace}`, async () => {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: older });
        await new Client({ connection, namespace }).workflow.count(`Channel = 'C0PROBE'`);
        return true;
      } catch {
        return false;
      }
    }, 30_000);
    client = new Client({ connection, namespace, dataConverter: temporalDataConverter({ mode: 'on', keys: testKeys('oldA') }) });
  });
  afterAll(async () => connection?.close());

  const pipelinesFor = () => new Pipelines(client, {
      taskQueue: `no-worker-${namespace}`,
      executionTimeoutMs: 3_600_000,
      settings: {
        researchTaskQueue: `no-worker-research-${namespace}`, reviewTimeoutMs: 60_000, llmAttemptTimeoutMs: 10_000, maxCostUsd: 0.5, prices: DEFAULT_PRICES,
        researchModel: 'gpt-4o-mini', writerModel: 'gpt-4o-mini', maxRevisions: 1, reviewers: [], reminderAfterMs: 30_000, searchAttributes: true,
      },
      payloadKeyId: 'oldA',
    });

  it('starts runs with the other attributes (lists keep working) and without PayloadKey', async () => {
    const pipelines = pipelinesFor();
    await pipelines.refreshSearchAttributes(namespace);
    expect(pipelines.missingSearchAttributes).toEqual([]);
    expect(pipelines.payloadKeyAttributeMissing).toBe(true);
    const { workflowId } = await pipelines.start({ topic: 'older server', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' });
    try {
      const names = (await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.getAll().map((pair) => pair.key.name);
      expect(names).toEqual(expect.arrayContaining(['RequestedBy', 'Stage', 'Channel', 'ChannelVisibility']));
      expect(names).not.toContain('PayloadKey');
    } finally {
      await client.workflow.getHandle(workflowId).terminate('test over');
    }
  });

  it('the first start after the bot came up waits for the attribute check instead of starting a run listed to no one', async () => {
    // The bot asks at startup without waiting; a /research in that moment used to start bare.
    const pipelines = pipelinesFor();
    const { workflowId } = await pipelines.start({ topic: 'first after boot', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' });
    try {
      const attributes = (await client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
      expect(attributes.getAll().map((pair) => pair.key.name)).toEqual(expect.arrayContaining(['RequestedBy', 'Channel', 'ChannelVisibility']));
      expect(attributes.getAll().find((pair) => pair.key.name === 'Channel')?.value).toBe('C0CHANNEL');
    } finally {
      await client.workflow.getHandle(workflowId).terminate('test over');
    }
  });

  it('the startup check warns that setup:temporal is needed, without throwing', async () => {
    const lines: string[] = [];
    await warnAboutMissingKeys(client, ['oldB'], { warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) });
    expect(lines).toEqual([expect.stringMatching(/^warn Temporal does not have the PayloadKey search attribute.*npm run setup:temporal/)]);
  });
});
