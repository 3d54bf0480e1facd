/** LINK_POLICY in src/config.ts: one default (show), the two values, and a bad value named with what it accepts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../src/config.js';
import { testKeyEntry } from '../harness/keys.js';

const scratch = mkdtempSync(join(tmpdir(), 'config-links-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = (overrides: Env = {}): Env => ({
  SLACK_BOT_TOKEN: 'xoxb-123-456-abc',
  SLACK_SIGNING_SECRET: 'signing-secret',
  OPENAI_API_KEY: 'sk-test',
  TEMPORAL_CONFIG_FILE: join(scratch, 'does-not-exist.toml'),
  PAYLOAD_KEYS: testKeyEntry('links1'),
  ...overrides,
});

describe('LINK_POLICY', () => {
  it('defaults to show; takes show and strip-unsourced (any case, blank = unset)', () => {
    expect(loadConfig(env()).review.linkPolicy).toBe('show');
    expect(loadConfig(env({ LINK_POLICY: ' ' })).review.linkPolicy).toBe('show');
    expect(loadConfig(env({ LINK_POLICY: 'show' })).review.linkPolicy).toBe('show');
    expect(loadConfig(env({ LINK_POLICY: 'Strip-Unsourced' })).review.linkPolicy).toBe('strip-unsourced');
    expect(loadConfig(env({ LINK_POLICY: 'strip-unsourced' }), 'worker').review.linkPolicy).toBe('strip-unsourced');
  });

  it('a bad value is refused, naming the setting, its values and what each does', () => {
    let error: unknown;
    try {
      loadConfig(env({ LINK_POLICY: 'strip' }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems.find((p) => p.variable === 'LINK_POLICY');
    expect(problem?.problem).toBe('is not show or strip-unsourced: "strip".');
    expect(problem?.help).toMatch(/^show \(the default: .*\) or strip-unsourced \(.*\)\.$/);
    expect((error as ConfigError).message).toContain('LINK_POLICY');
  });
});
