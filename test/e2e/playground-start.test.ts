/**
 * `npm start` decides between Slack and the playground from the Slack variables, and the playground
 * never touches a Temporal deployment: none set → the playground, on its own in-memory Temporal
 * server; some Slack variables set → the usual precise list of what is missing, unchanged;
 * TEMPORAL_ADDRESS set without Slack settings → the bot's list of missing Slack settings, not a
 * playground; `npm run playground` with TEMPORAL_ADDRESS → a refusal, and no worker ever polls that
 * server's task queues. And `npm run worker` / `npm run bot` against a deployment with no payload
 * keys refuse to start (encryption is on unless turned off by name).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { noSlackConfigured } from '../../src/config.js';
import { pollersOf } from '../harness/task-queues.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs an entry point (`src/main.ts` is `npm start`) with exactly `env`, from a directory without a .env. */
function runEntry(script: string, env: Record<string, string>, onOutput?: (output: string, stop: () => void) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, script)], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let output = '';
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output, () => child.kill('SIGTERM'));
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.on('exit', (code) => resolve({ code, output }));
  });
}
const runMain = (env: Record<string, string>, onOutput?: (output: string, stop: () => void) => void) => runEntry('src/main.ts', env, onOutput);

let connection: Connection;
beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
});

/** Pollers the suite's server has seen on a task queue (test/e2e/playground-http.test.ts shows it sees a playground's). */
const pollers = (taskQueue: string) => pollersOf(connection, taskQueue);

/** Task queues no one else uses, so that any poller on them is this test's. */
function ownQueues(): { TEMPORAL_TASK_QUEUE: string; TEMPORAL_RESEARCH_TASK_QUEUE: string } {
  const suffix = randomUUID().slice(0, 8);
  return { TEMPORAL_TASK_QUEUE: `content-pipeline-start-${suffix}`, TEMPORAL_RESEARCH_TASK_QUEUE: `research-start-${suffix}` };
}

describe('npm start: Slack or the playground', () => {
  it('opens the playground only when no Slack variable is set (blank counts as unset)', () => {
    expect(noSlackConfigured({})).toBe(true);
    expect(noSlackConfigured({ SLACK_BOT_TOKEN: '  ', OPENAI_API_KEY: 'sk-x' })).toBe(true);
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL']) {
      expect(noSlackConfigured({ [name]: 'x' })).toBe(false);
    }
  });

  it('with some Slack variables set, fails with the precise list of what is missing', async () => {
    const { code, output } = await runMain({ SLACK_BOT_TOKEN: 'xoxb-partial' });
    expect(code).toBe(1);
    expect(output).toContain('SLACK_SIGNING_SECRET is missing');
    expect(output).toContain('OPENAI_API_KEY is missing');
    expect(output).not.toContain('playground');
  }, 60_000);

  it('with no Slack variable at all, serves the playground on its own in-memory Temporal server', async () => {
    let state: { info?: { sampleWriter?: boolean; personas?: unknown[]; temporalUiUrl?: string } } | undefined;
    let checking = false;
    const { code, output } = await runMain(
      // TEMPORAL_CLI: the suite's CLI, so the playground's own server starts without a build.
      { PORT: '0', TEMPORAL_CLI: inject('temporalCliPath'), ...ownQueues() },
      (text, stop) => {
        const url = /No Slack app configured — local playground at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
        if (!url || checking) return;
        checking = true;
        void fetch(`${url}/state`)
          .then(async (response) => (state = (await response.json()) as typeof state))
          .finally(stop);
      },
    );
    expect(output).toContain('set SLACK_BOT_TOKEN');
    const address = /Temporal\s+(127\.0\.0\.1:\d+) \(the playground's own dev server, in memory\)/.exec(output)?.[1];
    expect(address, output).toBeDefined();
    expect(address).not.toBe(inject('temporalAddress'));
    expect(output).not.toContain('dev-server.sqlite');
    expect(state?.info?.sampleWriter).toBe(true);
    expect(state?.info?.personas).toHaveLength(3);
    // The page links the playground's own Web UI, not :8233 (where npm start's server would be).
    expect(state?.info?.temporalUiUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(state?.info?.temporalUiUrl).not.toBe('http://localhost:8233');
    expect(code).toBe(0); // Ctrl-C (SIGTERM) stops everything cleanly
  }, 120_000);

  it('with TEMPORAL_ADDRESS set and no Slack settings, is the bot missing its Slack settings, not a playground on that server', async () => {
    const queues = ownQueues();
    const { code, output } = await runMain({ TEMPORAL_ADDRESS: inject('temporalAddress'), PORT: '0', OPENAI_API_KEY: 'sk-x', ...queues });
    expect(code).toBe(1);
    expect(output).toContain('TEMPORAL_ADDRESS is set, so npm start runs the bot for that Temporal server, not the local playground');
    expect(output).toContain('SLACK_BOT_TOKEN is missing');
    expect(output).toContain('SLACK_SIGNING_SECRET is missing');
    expect(output).not.toContain('local playground at');
    expect(output).not.toContain(inject('temporalAddress'));
    expect(await pollers(queues.TEMPORAL_TASK_QUEUE)).toEqual([]);
    expect(await pollers(queues.TEMPORAL_RESEARCH_TASK_QUEUE)).toEqual([]);
  }, 60_000);
});

describe('npm run playground with a Temporal deployment named', () => {
  it('refuses, naming TEMPORAL_ADDRESS and what to do, and no worker polls that server\'s task queues', async () => {
    const queues = ownQueues();
    const { code, output } = await runEntry('src/playground/main.ts', {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_CLI: inject('temporalCliPath'),
      PORT: '0',
      ...queues,
    });
    expect(code).toBe(1);
    expect(output).toContain('The playground did not start: TEMPORAL_ADDRESS is set');
    expect(output).toContain('unset TEMPORAL_ADDRESS');
    expect(output).toContain('SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');
    expect(output).not.toContain('Local playground at');
    expect(await pollers(queues.TEMPORAL_TASK_QUEUE)).toEqual([]);
    expect(await pollers(queues.TEMPORAL_RESEARCH_TASK_QUEUE)).toEqual([]);
  }, 60_000);
});

describe('a worker and a bot pointed at a Temporal deployment without payload keys', () => {
  const complete = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', OPENAI_API_KEY: 'sk-1', TEMPORAL_ADDRESS: '' };

  it.each(['src/worker.ts', 'src/bot.ts'])('%s refuses to start, naming PAYLOAD_KEYS, how to make one and how to say off; no poller reaches the queues', async (entry) => {
    const queues = ownQueues();
    const { code, output } = await runEntry(entry, { ...complete, TEMPORAL_ADDRESS: inject('temporalAddress'), ...queues, METRICS_PORT: '0' });
    expect(code).toBe(1);
    expect(output).toContain('PAYLOAD_KEYS is missing');
    expect(output).toContain('npm run keys -- new');
    expect(output).toContain('PAYLOAD_ENCRYPTION=off');
    expect((await pollers(queues.TEMPORAL_TASK_QUEUE)).length).toBe(0);
  }, 60_000);
});
