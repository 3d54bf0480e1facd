/**
 * `npm start` decides between Slack and the playground from the Slack variables alone: none set →
 * the playground; some set → the usual precise list of what is missing, unchanged.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { noSlackConfigured } from '../../src/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `src/main.ts` (what `npm start` runs) with exactly `env`, from a directory without a .env. */
function runMain(env: Record<string, string>, onOutput?: (output: string, stop: () => void) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/main.ts')], {
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

  it('with no Slack variable at all, serves the playground (here on the suite\'s Temporal server)', async () => {
    let state: { info?: { sampleWriter?: boolean; personas?: unknown[] } } | undefined;
    let checking = false;
    const { code, output } = await runMain(
      { TEMPORAL_ADDRESS: inject('temporalAddress'), PORT: '0', TEMPORAL_TASK_QUEUE: `content-pipeline-start-${Date.now()}`, TEMPORAL_RESEARCH_TASK_QUEUE: `research-start-${Date.now()}` },
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
    expect(state?.info?.sampleWriter).toBe(true);
    expect(state?.info?.personas).toHaveLength(3);
    expect(code).toBe(0); // Ctrl-C (SIGTERM) stops everything cleanly
  }, 120_000);
});
