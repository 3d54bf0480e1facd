/**
 * The playground never attaches to a Temporal deployment: any setting @temporalio/envconfig would
 * read to choose a server or its credentials makes it refuse before anything starts, naming the
 * setting (never its value); and the Temporal config file a developer keeps for the CLI is not read.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'dotenv';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, TEMPORAL_DEPLOYMENT_VARIABLES, temporalConfigFileAddress, temporalDeploymentSettings } from '../../src/config.js';
import { playgroundBanner, PlaygroundRefusedError, sharedKnowledgeBase, startPlayground, type RunningPlayground } from '../../src/playground/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('temporalDeploymentSettings', () => {
  it('is empty when nothing names a Temporal server (blank counts as unset; the task queues, CLI, UI and dev-server settings do not count)', () => {
    expect(temporalDeploymentSettings({})).toEqual([]);
    expect(temporalDeploymentSettings({
      TEMPORAL_ADDRESS: '  ',
      // As .env.example has them: the playground's own server's namespace, TLS off.
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TLS: 'false',
      TEMPORAL_TASK_QUEUE: 'q',
      TEMPORAL_CLI: '/usr/bin/temporal',
      TEMPORAL_UI_URL: 'http://localhost:8233',
      TEMPORAL_DEV_SERVER_PORT: '7233',
      TEMPORAL_CODEC_ENDPOINT: 'http://localhost:8081',
    })).toEqual([]);
  });

  it('is empty for .env.example as shipped, so a copied .env still opens the playground', () => {
    const example = parse(readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url))));
    expect(example.TEMPORAL_NAMESPACE).toBe('default');
    expect(temporalDeploymentSettings(example)).toEqual([]);
  });

  it('names every variable envconfig reads for the server and its credentials, and gRPC metadata headers', () => {
    for (const name of TEMPORAL_DEPLOYMENT_VARIABLES) expect(temporalDeploymentSettings({ [name]: 'true' })).toEqual([name]);
    expect(temporalDeploymentSettings({ TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer x', TEMPORAL_ADDRESS: 'prod:7233' }))
      .toEqual(['TEMPORAL_ADDRESS', 'TEMPORAL_GRPC_META_AUTHORIZATION']);
  });
});

describe('startPlayground with a deployment named', () => {
  it.each([
    [{ TEMPORAL_ADDRESS: 'temporal.prod.internal:7233' }, ['TEMPORAL_ADDRESS']],
    [{ TEMPORAL_NAMESPACE: 'prod' }, ['TEMPORAL_NAMESPACE']],
    [{ TEMPORAL_API_KEY: 'secret-api-key-value' }, ['TEMPORAL_API_KEY']],
    [{ TEMPORAL_PROFILE: 'cloud', TEMPORAL_TLS: 'true' }, ['TEMPORAL_PROFILE', 'TEMPORAL_TLS']],
    // A deployment's shared knowledge base: its documents are bound to its channels, not the playground's.
    [{ KB_URI: 's3://team-bucket/kb' }, ['KB_URI']],
  ])('refuses before starting anything, naming the setting and what to do: %o', async (env, names) => {
    const started: string[] = [];
    const refusal = await startPlayground({ env: { PORT: '0', ...env }, log: (line) => started.push(line), onConfig: () => started.push('config') })
      .then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(PlaygroundRefusedError);
    const message = (refusal as Error).message;
    for (const name of names) expect(message).toContain(name);
    expect(message).toContain(`unset ${names.join(', ')}`);
    expect(message).toContain('SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');
    // Names only: a value (an API key, a host) is never repeated.
    for (const [name, value] of Object.entries(env)) if (name !== 'TEMPORAL_TLS') expect(message).not.toContain(value);
    expect(started).toEqual([]);
  });
});

describe('sharedKnowledgeBase', () => {
  it('is a store URI, never a folder on this machine', () => {
    expect(sharedKnowledgeBase({ KB_URI: 's3://bucket/kb' })).toBe(true);
    expect(sharedKnowledgeBase({ KB_URI: 'db://team-kb' })).toBe(true);
    expect(sharedKnowledgeBase({})).toBe(false);
    expect(sharedKnowledgeBase({ KB_URI: '.kb' })).toBe(false);
    expect(sharedKnowledgeBase({ KB_URI: '/var/lib/kb' })).toBe(false);
  });
});

describe('loadConfig for the playground (ownTemporalServer)', () => {
  it('does not read the Temporal config file the CLI uses, which the bot does read', () => {
    const home = mkdtempSync(join(tmpdir(), 'envconfig-'));
    dirs.push(home);
    mkdirSync(join(home, 'temporalio'));
    writeFileSync(join(home, 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "prod.example.com:7233"\nnamespace = "prod"\napi_key = "file-key"\n');
    const env = { XDG_CONFIG_HOME: home, SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', OPENAI_API_KEY: 'sk-x', PAYLOAD_ENCRYPTION: 'off' };
    // The bot, for comparison: the profile chooses its server.
    expect(loadConfig(env).temporal.connection.address).toBe('prod.example.com:7233');
    const playground = loadConfig(env, 'all', { ownTemporalServer: true });
    expect(playground.temporal.connection).toEqual({});
    expect(playground.temporal.namespace).toBe('default');
    // Not silently: the banner names the server it does not use.
    expect(temporalConfigFileAddress(env)).toBe('prod.example.com:7233');
    const banner = playgroundBanner({
      url: 'http://127.0.0.1:3000',
      config: playground,
      sampleWriter: {},
      temporalAddress: '127.0.0.1:40001',
      temporalUiUrl: 'http://localhost:40002',
      embeddedTemporal: true,
      unusedConfigFileAddress: temporalConfigFileAddress(env),
    } as unknown as RunningPlayground, 'explicit');
    expect(banner).toContain("127.0.0.1:40001 (the playground's own dev server, in memory)");
    expect(banner).toContain('not prod.example.com:7233, which your Temporal config file names');
  });

  it('finds no config-file server when there is no file', () => {
    const home = mkdtempSync(join(tmpdir(), 'envconfig-'));
    dirs.push(home);
    expect(temporalConfigFileAddress({ XDG_CONFIG_HOME: home })).toBeUndefined();
  });
});
