/**
 * The operations endpoint (src/ops/server.ts): where it listens by default, and what /readyz says
 * when a check fails (generic reasons, never the error's hosts and addresses).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startOpsEndpoint } from '../../src/entry.js';
import { DEFAULT_OPS_HOST, startOpsServer, type OpsServer } from '../../src/ops/server.js';

const scratch = mkdtempSync(join(tmpdir(), 'ops-server-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const ENV = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret', OPENAI_API_KEY: 'sk-test', METRICS_PORT: '0', TEMPORAL_CONFIG_FILE: join(scratch, 'none.toml') };

describe('the ops endpoint', () => {
  const servers: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('listens on loopback by default, and on METRICS_HOST when set', async () => {
    expect(DEFAULT_OPS_HOST).toBe('127.0.0.1');
    const bare = await startOpsServer({ port: 0 });
    servers.push(bare);
    expect(bare.address).toBe('127.0.0.1');

    const byDefault = await startOpsEndpoint(loadConfig(ENV));
    servers.push(byDefault);
    expect(byDefault.address).toBe('127.0.0.1');
    expect((await fetch(`${byDefault.url}/healthz`)).status).toBe(200);

    const everywhere = await startOpsEndpoint(loadConfig({ ...ENV, METRICS_HOST: '0.0.0.0' }));
    servers.push(everywhere);
    expect(everywhere.address).toBe('0.0.0.0');
    expect((await fetch(`${everywhere.url}/healthz`)).status).toBe(200);
  });

  it('/readyz gives generic reasons: a thrown error is "unreachable", never its text', async () => {
    const server = await startOpsServer({
      port: 0,
      checks: {
        temporal: () => {
          throw new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 10.20.30.40:7233 (temporal.corp.internal)');
        },
        workers: () => 'workers are STOPPING, RUNNING',
        slack: () => 'could not reach https://hooks.example.com/x as xoxb-9-9-secret',
        disk: () => false,
        bot: () => true,
      },
    });
    servers.push(server);
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).toBe(['temporal: unreachable', 'workers: workers are STOPPING, RUNNING', 'slack: could not reach [url] as [token]', 'disk: failing', 'bot: ok', ''].join('\n'));
    expect(body).not.toMatch(/10\.20|7233|corp\.internal|xoxb|example\.com/);
  });

  it('/readyz is 200 with every check ok', async () => {
    const server = await startOpsServer({ port: 0, checks: { temporal: async () => true } });
    servers.push(server);
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('temporal: ok\n');
  });
});
