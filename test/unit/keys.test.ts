import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadKeysConfig } from '../../src/config.js';
import { describeRunsNeedingKeys, rotationAdvice, runsNeedingKeysQuery } from '../../src/temporal/keys.js';
import { testKeyEntry } from '../harness/keys.js';

const started = new Date('2026-12-03T10:00:00Z');

describe('runsNeedingKeysQuery', () => {
  it('asks for running pipelines whose PayloadKey is none of the configured IDs, with documented operators only', () => {
    expect(runsNeedingKeysQuery(['k2', 'k1'])).toBe("WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND PayloadKey != 'k2' AND PayloadKey != 'k1'");
  });

  it('with no key configured, every running pipeline is looked at (those without a PayloadKey are dropped afterwards)', () => {
    expect(runsNeedingKeysQuery([])).toBe("WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running'");
  });

  it('never puts a quote or anything but a key ID into the query', () => {
    expect(runsNeedingKeysQuery(["k1' OR 'x'='x", 'ok.id_2-3'])).toBe("WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND PayloadKey != 'ok.id_2-3'");
  });
});

describe('describeRunsNeedingKeys', () => {
  it('says plainly when no run needs a missing key', () => {
    expect(describeRunsNeedingKeys({ runs: [], count: 0, partial: false }, ['k2', 'k1'])).toBe('No running pipeline needs a key outside the configured keys (k2, k1).');
    expect(describeRunsNeedingKeys({ runs: [], count: 0, partial: false }, [])).toContain('outside any configured key');
  });

  it('names each run and its key, counts the rest, and says what to do', () => {
    const text = describeRunsNeedingKeys(
      { runs: [{ workflowId: 'research-a-20261203-aaaaaa', keyId: 'k0', startTime: started }, { workflowId: 'research-b-20261203-bbbbbb', keyId: 'old', startTime: started }], count: 5, partial: false },
      ['k2'],
    );
    expect(text).toContain('5 running pipelines need a payload key outside the configured keys (k2)');
    expect(text).toContain('research-a-20261203-aaaaaa (key "k0"), research-b-20261203-bbbbbb (key "old"), and 3 more.');
    expect(text).toContain('Put "k0", "old" back in PAYLOAD_KEYS');
    expect(text).toContain('after the key that encrypts');
  });

  it('says "at least" when it stopped counting', () => {
    const text = describeRunsNeedingKeys({ runs: [{ workflowId: 'research-a-20261203-aaaaaa', keyId: 'k0', startTime: started }], count: 10_000, partial: true }, ['k2']);
    expect(text).toMatch(/^10000\+ running pipelines/);
    expect(text).toContain('and 9999 more (at least)');
  });
});

describe('rotationAdvice', () => {
  it('puts the new key first and keeps the old ones after it', () => {
    const advice = rotationAdvice('k20261203:AAAA');
    expect(advice).toContain('To rotate to "k20261203": put this entry FIRST');
    expect(advice).toContain('keep the old keys after it');
    expect(advice).toContain('npm run keys -- check');
    expect(advice).not.toContain('AAAA');
  });
});

describe('loadKeysConfig (npm run keys)', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadKeysConfig({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', ...env });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('no ConfigError');
  };

  it('reads the keys, first one first, with no Slack or OpenAI setting', () => {
    const settings = loadKeysConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', PAYLOAD_KEYS: `${testKeyEntry('k2')},${testKeyEntry('k1')}` });
    expect(settings.encryption.keys?.map((key) => key.id)).toEqual(['k2', 'k1']);
    expect(settings.connection.address).toBe('temporal:7233');
    expect(settings.namespace).toBe('default');
  });

  it('reads a key file', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'keys-')), 'keys');
    writeFileSync(file, `# rotated 2026-12-03\n${testKeyEntry('k2')}\n${testKeyEntry('k1')}\n`);
    expect(loadKeysConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', PAYLOAD_KEYS_FILE: file }).encryption.keys?.map((key) => key.id)).toEqual(['k2', 'k1']);
  });

  it('finds the embedded server\'s key file beside its data, as the bot and workers do', () => {
    expect(loadKeysConfig({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', TEMPORAL_DEV_SERVER_DB: '/data/t/dev.sqlite' }).encryption).toMatchObject({ mode: 'on', keys: undefined, localKeyFile: '/data/t/payload-keys' });
    expect(loadKeysConfig({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }).encryption.localKeyFile).toBe(path.join('.temporal', 'payload-keys'));
  });

  it('refuses what the bot and workers refuse: a malformed list, two sources, no key for an external server', () => {
    expect(problems({ PAYLOAD_KEYS: 'k1:short' })).toContain('PAYLOAD_KEYS');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'keys-')), 'keys');
    writeFileSync(file, `${testKeyEntry('k2')}\n`);
    expect(problems({ PAYLOAD_KEYS: testKeyEntry('k1'), PAYLOAD_KEYS_FILE: file })).toContain('the key list has one source');
    expect(problems({ TEMPORAL_ADDRESS: 'temporal:7233' })).toContain('npm run keys -- new');
  });
});
