/**
 * The payload codec and its settings: AES-256-GCM with a fresh IV per payload and the key ID in
 * the metadata; rotation (the first key encrypts, all decrypt); what an unknown key, an altered
 * payload or (in `required` mode) a plaintext payload meet; and the configuration refusing what
 * would store plaintext on a server other than the embedded one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Env } from '../../src/config.js';
import {
  EncryptionCodec,
  encryptionFor,
  keyIdOf,
  localKeyFile,
  LocalKeyFileError,
  newPayloadKeyEntry,
  parsePayloadKeys,
  PayloadDecodeError,
  writeKeyFile,
} from '../../src/temporal/codec.js';
import { testKeyEntry, testKeys } from '../harness/keys.js';

const scratch = mkdtempSync(join(tmpdir(), 'codec-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  const [a, b] = testKeys('a', 'b');

  it('encrypts every payload under the first key, with its ID in the metadata, and decodes it back exactly', async () => {
    const codec = new EncryptionCodec([a!, b!]);
    const original = payload({ topic: 'Zephyr rollout', draft: 'x'.repeat(500) });
    const [sealed] = await codec.encode([original]);
    expect(keyIdOf(sealed!)).toBe('a');
    expect(text(sealed!)).not.toContain('Zephyr');
    const [opened] = await codec.decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual({ topic: 'Zephyr rollout', draft: 'x'.repeat(500) });
    expect(Buffer.from(opened!.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = new EncryptionCodec([a!]);
    const [one, two] = await codec.encode([payload('same'), payload('same')]);
    expect(Buffer.from(one!.data!).equals(Buffer.from(two!.data!))).toBe(false);
  });

  it('rotation: [b, a] encrypts under b and still opens what a wrote; [b] names the missing key', async () => {
    const [underA] = await new EncryptionCodec([a!]).encode([payload('old run')]);
    const rotated = new EncryptionCodec([b!, a!]);
    expect(rotated.currentKeyId).toBe('b');
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([underA!]))[0]!)).toBe('old run');
    expect(keyIdOf((await rotated.encode([payload('new')]))[0]!)).toBe('b');
    const error = await new EncryptionCodec([b!]).decode([underA!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadDecodeError);
    expect((error as PayloadDecodeError).missingKeyId).toBe('a');
    expect((error as Error).message).toContain('npm run keys -- check');
  });

  it('refuses an altered payload, and a payload moved under another key ID', async () => {
    const codec = new EncryptionCodec([a!, b!]);
    const [sealed] = await codec.encode([payload('intact')]);
    const altered = Buffer.from(sealed!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: altered }])).rejects.toThrow(/failed authentication/);
    const moved = { ...sealed!, metadata: { ...sealed!.metadata, 'encryption-key-id': new TextEncoder().encode('b') } };
    await expect(codec.decode([moved])).rejects.toThrow(/failed authentication/);
  });

  it('passes plaintext payloads through by default (runs from before encryption finish), refuses them when required', async () => {
    const plain = payload({ approve: true });
    expect(await new EncryptionCodec([a!]).decode([plain])).toEqual([plain]);
    await expect(new EncryptionCodec([a!], { required: true }).decode([plain])).rejects.toThrow(/PAYLOAD_ENCRYPTION=required/);
  });
});

describe('parsePayloadKeys', () => {
  it('reads id:base64 pairs separated by commas or lines, with comments', () => {
    const keys = parsePayloadKeys(`# rotated in December\n${testKeyEntry('k2')}\n${testKeyEntry('k1')}, `);
    expect(Array.isArray(keys) && keys.map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('says what is wrong without echoing key material', () => {
    const short = `k1:${Buffer.alloc(16, 7).toString('base64')}`;
    const cases: Array<[string, RegExp]> = [
      ['', /no key/],
      ['nokey', /not "id:base64key"/],
      [short, /16-byte key; AES-256 needs 32 bytes/],
      ['k1:not base64!', /not base64/],
      [`${testKeyEntry('k1')},${testKeyEntry('k1')}`, /repeats a key ID/],
    ];
    for (const [input, problem] of cases) {
      const result = parsePayloadKeys(input);
      expect('problem' in result && result.problem).toMatch(problem);
      expect('problem' in result && result.problem).not.toContain(Buffer.alloc(16, 7).toString('base64'));
    }
  });

  it('newPayloadKeyEntry makes a key it accepts', () => {
    const keys = parsePayloadKeys(newPayloadKeyEntry('fresh'));
    expect(Array.isArray(keys) && keys[0]!.key.length).toBe(32);
  });
});

describe('the local key file (embedded server)', () => {
  it('is created once, readable by its owner only, and reused', () => {
    const file = join(scratch, 'local', 'payload-keys');
    const said: string[] = [];
    const first = encryptionFor({ mode: 'on', keys: undefined, localKeyFile: file }, (line) => said.push(line));
    expect(said.join()).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = localKeyFile(file);
    expect(again.created).toBe(false);
    expect(again.keys[0]!.key.equals(first.keys[0]!.key)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/^# /);
  });

  it('refuses to replace a lost key beside the data it encrypted, saying what to do', () => {
    const file = join(scratch, 'lost', 'payload-keys');
    localKeyFile(file);
    rmSync(file);
    expect(() => localKeyFile(file)).toThrow(LocalKeyFileError);
    expect(() => localKeyFile(file)).toThrow(/is gone, but the runs .* were encrypted with the key it held \(key "local1" made/);
    expect(existsSync(file)).toBe(false);
  });

  it('a key file appears complete or not at all, and is never overwritten', () => {
    const file = join(scratch, 'atomic', 'keys');
    writeKeyFile(file, `${testKeyEntry('k1')}\n`);
    expect(() => writeKeyFile(file, `${testKeyEntry('k2')}\n`)).toThrow(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe(`${testKeyEntry('k1')}\n`);
    expect(readdirSync(join(scratch, 'atomic'))).toEqual(['keys']); // nothing left aside
  });

  it('`npm run keys -- new --out FILE` writes only the key, owner-only, and prints no key', async () => {
    const file = join(scratch, 'compose', 'secrets', 'payload-keys');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/temporal/keys-cli.ts', 'new', 'k9', '--out', file]);
    const keys = parsePayloadKeys(readFileSync(file, 'utf8'));
    expect(Array.isArray(keys) && keys.map((k) => k.id)).toEqual(['k9']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(stdout).toBe('');
    expect(stderr).toContain(file);
    expect(stderr).not.toContain(readFileSync(file, 'utf8').trim().slice(3));
  });

  it('is not made when encryption is off', () => {
    expect(encryptionFor({ mode: 'off', keys: undefined, localKeyFile: join(scratch, 'never') })).toEqual({ mode: 'off', keys: [] });
  });
});

describe('configuration', () => {
  const base: Env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', OPENAI_API_KEY: 'sk-1', TEMPORAL_CONFIG_FILE: join(scratch, 'none.toml') };
  const problems = (env: Env) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
  };

  it('an external Temporal without keys is refused, naming PAYLOAD_KEYS, `npm run keys -- new` and PAYLOAD_ENCRYPTION=off', () => {
    const [problem, ...rest] = problems({ TEMPORAL_ADDRESS: 'temporal.internal:7233' });
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ variable: 'PAYLOAD_KEYS' });
    expect(problem!.problem).toContain('temporal.internal:7233');
    expect(problem!.help).toContain('npm run keys -- new');
    expect(problem!.help).toContain('PAYLOAD_ENCRYPTION=off');
  });

  it('PAYLOAD_ENCRYPTION=off said by name lets it store plaintext; keys set beside it are a contradiction', () => {
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal.internal:7233', PAYLOAD_ENCRYPTION: 'off' }).encryption.mode).toBe('off');
    expect(problems({ PAYLOAD_ENCRYPTION: 'off', PAYLOAD_KEYS: testKeyEntry('k1') }).map((p) => p.variable)).toEqual(['PAYLOAD_ENCRYPTION']);
    expect(problems({ PAYLOAD_ENCRYPTION: 'maybe' }).map((p) => p.variable)).toEqual(['PAYLOAD_ENCRYPTION']);
  });

  it('keys from PAYLOAD_KEYS or a key file, not both; a malformed list names the variable', () => {
    const file = join(scratch, 'keys.txt');
    writeFileSync(file, `${testKeyEntry('k2')}\n${testKeyEntry('k1')}\n`);
    const config = loadConfig({ ...base, TEMPORAL_ADDRESS: 'temporal.internal:7233', PAYLOAD_KEYS_FILE: file, PAYLOAD_ENCRYPTION: 'required' });
    expect(config.encryption).toMatchObject({ mode: 'required' });
    expect(config.encryption.keys!.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(problems({ PAYLOAD_KEYS_FILE: file, PAYLOAD_KEYS: testKeyEntry('k3') }).map((p) => p.variable)).toEqual(['PAYLOAD_KEYS_FILE']);
    expect(problems({ PAYLOAD_KEYS_FILE: join(scratch, 'missing') })[0]!.problem).toContain('cannot read (ENOENT)');
    expect(problems({ PAYLOAD_KEYS: 'k1:abc' })[0]).toMatchObject({ variable: 'PAYLOAD_KEYS' });
  });

  it('the embedded server uses the local key file beside its data; defaults for the codec server and IDs', () => {
    const config = loadConfig({ ...base, TEMPORAL_DEV_SERVER_DB: join(scratch, 'data', 'dev.sqlite') });
    expect(config.encryption).toMatchObject({ mode: 'on', keys: undefined, localKeyFile: join(scratch, 'data', 'payload-keys') });
    expect(config.encryption.codecServer).toEqual({ host: '127.0.0.1', port: 8234, token: undefined, corsOrigins: ['http://localhost:8233', 'http://127.0.0.1:8233'] });
    expect(config.temporal.workflowIdStyle).toBe('readable');
    expect(loadConfig({ ...base, WORKFLOW_ID_STYLE: 'opaque' }).temporal.workflowIdStyle).toBe('opaque');
    expect(problems({ CODEC_CORS_ORIGINS: 'http://ui.example/path' }).map((p) => p.variable)).toEqual(['CODEC_CORS_ORIGINS']);
  });
});
