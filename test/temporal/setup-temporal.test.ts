/**
 * `npm run setup:temporal` against the test's real server: in a namespace of its own it adds the
 * app's search attributes, then a second run finds them and adds nothing; on the default namespace
 * (registered at server start) it only reports them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { describeReport, registerSearchAttributes } from '../../src/temporal/setup.js';
import { waitFor } from '../harness/http.js';

describe('setup:temporal', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => connection?.close());

  it('adds the attributes once, then finds them (idempotent)', async () => {
    const namespace = `setup-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    // A new namespace reaches the server's namespace cache within seconds.
    const first = await waitFor('the new namespace to be usable', async () => {
      try {
        return await registerSearchAttributes(connection, namespace);
      } catch {
        return undefined;
      }
    }, 30_000);
    expect(first.added).toEqual(['RequestedBy (Keyword)', 'Stage (Keyword)', 'CostUsd (Double)', 'Channel (Keyword)', 'ChannelVisibility (Keyword)', 'PayloadKey (Keyword)']);
    expect(describeReport(first, namespace)).toContain(`Added to namespace "${namespace}": RequestedBy (Keyword)`);

    const second = await registerSearchAttributes(connection, namespace);
    expect(second).toEqual({ added: [], existing: first.added, conflicting: [] });
    expect(describeReport(second, namespace)).toBe('Already registered: RequestedBy (Keyword), Stage (Keyword), CostUsd (Double), Channel (Keyword), ChannelVisibility (Keyword), PayloadKey (Keyword).');
  }, 60_000);

  it('reports the attributes the dev server was started with', async () => {
    const report = await registerSearchAttributes(connection, 'default');
    expect(report.added).toEqual([]);
    expect(report.existing).toHaveLength(6);
  });

  it('npm run setup:temporal needs only the Temporal settings and says what it found', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/setup-temporal.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default', TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' },
    });
    expect(stdout).toContain(`Temporal at ${inject('temporalAddress')}:`);
    expect(stdout).toContain('Already registered: RequestedBy (Keyword), Stage (Keyword), CostUsd (Double), Channel (Keyword), ChannelVisibility (Keyword), PayloadKey (Keyword).');
  }, 30_000);
});
