/**
 * The codec server operators read encrypted runs through (src/temporal/codec-server.ts): requests
 * shaped as the Temporal Web UI sends them (temporalio/ui `src/lib/services/data-encoder.ts`:
 * POST with Content-Type application/json and X-Namespace, from the UI's origin, after a CORS
 * preflight) decode and encode; everything it must refuse is refused, in words, one log line each.
 * Then the real Temporal CLI: a history fetched with `temporal workflow show` has no plaintext
 * without `--codec-endpoint` and shows it with, and the embedded dev server's Web UI is pointed at
 * the codec server.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadCodecServerConfig } from '../../src/config.js';
import { EncryptionCodec, KEY_ID_METADATA, temporalDataConverter, type PayloadKey } from '../../src/temporal/codec.js';
import { CODEC_SERVER_MAX_BODY_BYTES, startCodecServer, type CodecServer, type CodecServerOptions } from '../../src/temporal/codec-server.js';
import { freePort, startDevServer } from '../../src/temporal/dev-server.js';
import { startPlayground } from '../../src/playground/index.js';

const UI_ORIGIN = 'http://localhost:8233';
const NAMESPACE = 'default';
const keyA: PayloadKey = { id: 'test-a', key: randomBytes(32) };
const keyB: PayloadKey = { id: 'test-b', key: randomBytes(32) };
const TOPIC = `the migration habits of ${randomUUID().slice(0, 8)} swallows`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (node:http, so Host and Origin can be anything). */
function send(base: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  const url = new URL(options.path ?? '/decode', base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** proto3 JSON of Payloads, as the UI and the CLI send them. */
const toJson = (payloads: Payload[]) =>
  JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });

const fromJson = (body: string): Payload[] =>
  (JSON.parse(body) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data, 'base64')),
  }));

/** The headers of the UI's fetch (v2.34.0 and main). */
const UI_HEADERS = { 'Content-Type': 'application/json', 'X-Namespace': NAMESPACE, Origin: UI_ORIGIN };

describe('the codec server over HTTP', () => {
  const servers: CodecServer[] = [];
  let refusals: string[] = [];
  const start = async (options: Partial<CodecServerOptions> = {}) => {
    const server = await startCodecServer({
      host: '127.0.0.1',
      port: 0,
      namespace: NAMESPACE,
      keys: [keyB, keyA],
      corsOrigins: [UI_ORIGIN],
      onRefusal: (line) => refusals.push(line),
      ...options,
    });
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    refusals = [];
  });

  it('answers the UI: preflight from its origin, then /decode of what the workers wrote, under an older key too, and of plaintext from before encryption', async () => {
    const { url } = await start();
    const preflight = await send(url, {
      method: 'OPTIONS',
      headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-methods']).toBe('POST');
    expect(preflight.headers['access-control-allow-private-network']).toBeUndefined(); // not asked for
    const proxied = await send(url, { method: 'OPTIONS', headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' } });
    expect(proxied.headers['access-control-allow-private-network']).toBe('true');
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toEqual(
      expect.arrayContaining(['content-type', 'x-namespace', 'authorization']),
    );

    const input = defaultPayloadConverter.toPayload({ topic: TOPIC });
    const underOldKey = await new EncryptionCodec([keyA]).encode([input]);
    const underNewKey = await new EncryptionCodec([keyB, keyA]).encode([defaultPayloadConverter.toPayload('a draft')]);
    const plaintext = defaultPayloadConverter.toPayload('from before encryption');
    expect(toJson(underOldKey)).not.toContain(Buffer.from(TOPIC).toString('base64').slice(0, 12));

    // The UI since 2.4x appends a query string; only the path's end counts.
    const decoded = await send(url, { path: '/decode?preserveStorageRefs=true', headers: UI_HEADERS, body: toJson([...underOldKey, ...underNewKey, plaintext]) });
    expect(decoded.status, decoded.body).toBe(200);
    expect(decoded.headers['content-type']).toBe('application/json');
    expect(decoded.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(decoded.headers['cache-control']).toBe('no-store');
    expect(fromJson(decoded.body).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ topic: TOPIC }, 'a draft', 'from before encryption']);
    expect(refusals).toEqual([]);
  });

  it('/encode encrypts under the first key; /decode reads it back; an empty list is fine', async () => {
    const { url } = await start();
    const encoded = await send(url, { path: '/encode', headers: UI_HEADERS, body: toJson([defaultPayloadConverter.toPayload({ feedback: TOPIC })]) });
    expect(encoded.status, encoded.body).toBe(200);
    const [sealed] = fromJson(encoded.body);
    expect(Buffer.from(sealed!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed!.metadata![KEY_ID_METADATA]!).toString()).toBe(keyB.id);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('swallows');
    const decoded = await send(url, { headers: UI_HEADERS, body: encoded.body });
    expect(fromJson(decoded.body).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ feedback: TOPIC }]);
    // Mounted at any depth (the protocol checks only the last segment), and `{}` is an empty Payloads.
    const empty = await send(url, { path: '/codec/default/decode', headers: UI_HEADERS, body: '{}' });
    expect([empty.status, JSON.parse(empty.body)]).toEqual([200, { payloads: [] }]);
  });

  it('gives a foreign origin no CORS headers and refuses its requests', async () => {
    const { url } = await start();
    const evil = 'https://evil.example';
    const preflight = await send(url, { method: 'OPTIONS', headers: { Origin: evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-private-network']).toBeUndefined();
    const post = await send(url, { headers: { ...UI_HEADERS, Origin: evil }, body: toJson([]) });
    expect(post.status).toBe(403);
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    expect(post.body).toContain('CODEC_CORS_ORIGINS');
    // A cross-site form can post text/plain without a preflight: refused too, as is any non-JSON body.
    const form = await send(url, { headers: { 'Content-Type': 'text/plain' }, body: toJson([]) });
    expect(form.status).toBe(415);
    expect(refusals).toHaveLength(3);
  });

  it('refuses a Host that is not a loopback name or its own (DNS rebinding)', async () => {
    const server = await start();
    const rebound = await send(server.url, { headers: { ...UI_HEADERS, Host: `attacker.example:${server.port}` }, body: toJson([]) });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('attacker.example');
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
      expect((await send(server.url, { headers: { ...UI_HEADERS, Host: host }, body: toJson([]) })).status, host).toBe(200);
    }
    // Listening on every interface (compose) adds no name: the UI's browser and the CLI come through the port published on loopback.
    const compose = await start({ host: '0.0.0.0' });
    expect((await send(compose.url, { headers: { ...UI_HEADERS, Host: `codec-server:${compose.port}` }, body: toJson([]) })).status).toBe(403);
    expect(refusals).toHaveLength(2);
  });

  it('with CODEC_SERVER_TOKEN, every POST needs the bearer token (the CLI sends it); a preflight does not', async () => {
    const token = randomBytes(24).toString('base64url');
    const { url } = await start({ token });
    const body = toJson([defaultPayloadConverter.toPayload('x')]);
    const none = await send(url, { headers: UI_HEADERS, body });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body).toContain('--codec-auth');
    expect((await send(url, { headers: { ...UI_HEADERS, Authorization: `Bearer ${token}x` }, body })).status).toBe(401);
    expect((await send(url, { headers: { ...UI_HEADERS, Authorization: token }, body })).status).toBe(401);
    expect((await send(url, { headers: { ...UI_HEADERS, Authorization: `Bearer ${token}` }, body })).status).toBe(200);
    expect((await send(url, { method: 'OPTIONS', headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST' } })).status).toBe(204);
    expect(refusals).toHaveLength(3);
    expect(refusals.join('\n')).not.toContain(token);
  });

  it('refuses another namespace, an oversized body (413), malformed JSON (400), and names a missing key (422)', async () => {
    const { url } = await start();
    const wrongNamespace = await send(url, { headers: { ...UI_HEADERS, 'X-Namespace': 'payments' }, body: toJson([]) });
    expect([wrongNamespace.status, wrongNamespace.body]).toEqual([403, expect.stringContaining('"default", not of "payments"')]);

    const huge = `{"payloads":[{"data":"${'A'.repeat(CODEC_SERVER_MAX_BODY_BYTES)}"}]}`;
    expect((await send(url, { headers: UI_HEADERS, body: huge })).status).toBe(413);

    const broken = await send(url, { headers: UI_HEADERS, body: '{"payloads": [' });
    expect([broken.status, broken.body]).toEqual([400, expect.stringContaining('not JSON')]);
    const notPayloads = await send(url, { headers: UI_HEADERS, body: '{"payloads": {"data": "x"}}' });
    expect(notPayloads.status).toBe(400);
    const notBase64 = await send(url, { headers: UI_HEADERS, body: '{"payloads": [{"data": "not base64!"}]}' });
    expect([notBase64.status, notBase64.body]).toEqual([400, expect.stringContaining('payloads[0].data is not base64')]);

    const retired: PayloadKey = { id: 'retired-2025', key: randomBytes(32) };
    const sealed = await new EncryptionCodec([retired]).encode([defaultPayloadConverter.toPayload({ topic: TOPIC })]);
    const missing = await send(url, { headers: UI_HEADERS, body: toJson(sealed) });
    expect(missing.status).toBe(422);
    expect(missing.headers['x-missing-key-id']).toBe('retired-2025');
    expect(missing.body).toContain('"retired-2025"');
    expect(missing.body).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace

    expect((await send(url, { method: 'GET', headers: UI_HEADERS })).status).toBe(405);
    expect((await send(url, { path: '/download', headers: UI_HEADERS, body: '{}' })).status).toBe(404);

    // One line per refusal, none naming key material or what the payloads hold.
    expect(refusals).toHaveLength(8);
    const logged = refusals.join('\n');
    for (const secret of [keyA, keyB, retired].map((k) => k.key.toString('base64'))) expect(logged).not.toContain(secret);
    expect(logged).not.toContain('swallows');
  });
});

describe('npm run codec-server: its configuration', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'codec-server-config-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  // No Temporal config file of the machine's: only what the test sets.
  const BASE = { TEMPORAL_CONFIG_FILE: path.join(scratch, 'none.toml') };
  const keys = `${keyA.id}:${keyA.key.toString('base64')}`;

  it('needs only the keys: defaults to loopback, port 8234, and the Web UI origin of TEMPORAL_UI_URL', () => {
    const config = loadCodecServerConfig({ ...BASE, PAYLOAD_KEYS: keys, TEMPORAL_UI_URL: 'http://localhost:8080/ui', TEMPORAL_NAMESPACE: 'content' });
    expect(config.namespace).toBe('content');
    expect(config.encryption.keys?.map((k) => k.id)).toEqual([keyA.id]);
    expect(config.encryption.codecServer).toEqual({ host: '127.0.0.1', port: 8234, token: undefined, corsOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'] });
  });

  it('without keys, uses the local key file of npm start if there is one, and never makes one', () => {
    const db = path.join(scratch, 'server', 'dev-server.sqlite');
    const refused = () => loadCodecServerConfig({ ...BASE, TEMPORAL_DEV_SERVER_DB: db });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/PAYLOAD_KEYS is missing, and there is no local key file/);
    const config = loadCodecServerConfig({ ...BASE, TEMPORAL_DEV_SERVER_DB: db }, (file) => file === path.join(scratch, 'server', 'payload-keys'));
    expect(config.encryption.keys).toBeUndefined();
    expect(config.encryption.localKeyFile).toBe(path.join(scratch, 'server', 'payload-keys'));
  });

  it('refuses PAYLOAD_ENCRYPTION=off, malformed keys and settings, naming them', () => {
    expect(() => loadCodecServerConfig({ ...BASE, PAYLOAD_ENCRYPTION: 'off' })).toThrow(/PAYLOAD_ENCRYPTION is off: a codec server has nothing to decode/);
    const file = path.join(scratch, 'keys');
    writeFileSync(file, 'k1:short\n');
    expect(() => loadCodecServerConfig({ ...BASE, PAYLOAD_KEYS_FILE: file })).toThrow(/PAYLOAD_KEYS_FILE/);
    expect(() => loadCodecServerConfig({ ...BASE, PAYLOAD_KEYS: keys, CODEC_SERVER_PORT: 'http' })).toThrow(/CODEC_SERVER_PORT is not a port number/);
    expect(() => loadCodecServerConfig({ ...BASE, PAYLOAD_KEYS: keys, CODEC_CORS_ORIGINS: 'localhost:8080' })).toThrow(/CODEC_CORS_ORIGINS/);
  });
});

describe('the real Temporal CLI and Web UI through the codec server', () => {
  const run = promisify(execFile);
  const cli = () => inject('temporalCliPath');
  let connection: Connection;
  let codecServer: CodecServer;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    codecServer = await startCodecServer({ host: '127.0.0.1', port: 0, namespace: NAMESPACE, keys: [keyA], corsOrigins: [UI_ORIGIN] });
  });
  afterAll(async () => {
    await connection?.close();
    await codecServer?.close();
  });

  it('`temporal workflow show` prints no plaintext without --codec-endpoint, and the input and memo with it', async () => {
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter: temporalDataConverter({ mode: 'on', keys: [keyA] }) });
    const workflowId = `codec-server-cli-${randomUUID()}`;
    // No worker polls this queue: the started event (input and memo) is what the server stores.
    const handle = await client.workflow.start('CodecServerProbe', {
      taskQueue: `codec-server-cli-${randomUUID()}`,
      workflowId,
      args: [{ topic: TOPIC }],
      memo: { topic: TOPIC },
    });
    try {
      const show = (...extra: string[]) =>
        run(cli(), ['workflow', 'show', '--address', inject('temporalAddress'), '--namespace', NAMESPACE, '-w', workflowId, '--output', 'json', ...extra]).then((r) => r.stdout);
      // The CLI prints payloads as proto JSON (bytes in base64): read every string both as it is and decoded.
      const readable = (output: string) => {
        const texts: string[] = [];
        const walk = (value: unknown): void => {
          if (typeof value === 'string') texts.push(value, Buffer.from(value, 'base64').toString('utf8'));
          else if (value && typeof value === 'object') Object.values(value).forEach(walk);
        };
        walk(JSON.parse(output));
        return texts;
      };
      const raw = await show();
      expect(raw).toContain(workflowId);
      expect(readable(raw)).toContain('binary/encrypted');
      expect(readable(raw).filter((text) => text.includes('swallows'))).toEqual([]);

      const decoded = readable(await show('--codec-endpoint', codecServer.url));
      expect(decoded).toContain(JSON.stringify({ topic: TOPIC })); // the input
      expect(decoded).toContain(JSON.stringify(TOPIC)); // the memo
      expect(decoded).not.toContain('binary/encrypted');

      // With CODEC_SERVER_TOKEN set, the CLI decodes only with --codec-auth.
      const token = randomBytes(24).toString('base64url');
      const guarded = await startCodecServer({ host: '127.0.0.1', port: 0, namespace: NAMESPACE, keys: [keyA], corsOrigins: [UI_ORIGIN], token, onRefusal: () => undefined });
      try {
        const refused = await show('--codec-endpoint', guarded.url).then((out) => readable(out), (error: { stderr?: string }) => [error.stderr ?? '']);
        expect(refused.filter((text) => text.includes('swallows'))).toEqual([]);
        expect(readable(await show('--codec-endpoint', guarded.url, '--codec-auth', `Bearer ${token}`))).toContain(JSON.stringify({ topic: TOPIC }));
      } finally {
        await guarded.close();
      }
    } finally {
      await handle.terminate('test over');
    }
  }, 60_000);

  it('the embedded dev server starts its Web UI pointed at the codec server (--ui-codec-endpoint)', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const server = await startDevServer({ cliPath: cli(), port, uiPort, logLevel: 'error', uiCodecEndpoint: codecServer.url });
    try {
      const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
      expect(settings.Codec?.Endpoint).toBe(codecServer.url);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('the playground\'s own server starts its Web UI pointed at a codec server with the playground\'s key, on loopback', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'codec-server-playground-'));
    const suffix = randomUUID().slice(0, 8);
    let workersKeys: PayloadKey[] | undefined;
    const playground = await startPlayground({
      env: {
        TEMPORAL_CLI: cli(),
        TEMPORAL_TASK_QUEUE: `codec-playground-${suffix}`,
        TEMPORAL_RESEARCH_TASK_QUEUE: `codec-playground-research-${suffix}`,
        // Where npm start's key file would go: the playground's server is in memory, and so is its key.
        TEMPORAL_DEV_SERVER_DB: path.join(data, 'dev-server.sqlite'),
        PORT: '0',
        LOG_LEVEL: 'error',
      },
      workflowBundle: { code: inject('workflowBundleCode') },
      log: () => undefined,
      onConfig: (config) => (workersKeys = config.encryption.keys),
    });
    try {
      const codecUrl = playground.codecServerUrl!;
      expect(codecUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const settings = (await (await fetch(`${playground.temporalUiUrl}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
      expect(settings.Codec?.Endpoint).toBe(codecUrl);
      const uiOrigin = new URL(playground.temporalUiUrl).origin;
      const preflight = await send(codecUrl, { method: 'OPTIONS', headers: { Origin: uiOrigin, 'Access-Control-Request-Method': 'POST' } });
      expect([preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([204, uiOrigin]);
      // It holds the key the playground made for its workers, kept in memory: no key file is written.
      expect(workersKeys?.map((key) => key.id)).toEqual(['playground']);
      expect(existsSync(path.join(data, 'payload-keys'))).toBe(false);
      const sealed = await new EncryptionCodec(workersKeys!).encode([defaultPayloadConverter.toPayload({ topic: TOPIC })]);
      const decoded = await send(codecUrl, { headers: { ...UI_HEADERS, Origin: uiOrigin }, body: toJson(sealed) });
      expect(fromJson(decoded.body).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ topic: TOPIC }]);
    } finally {
      await playground.stop();
      rmSync(data, { recursive: true, force: true });
    }
    // Stopped with the playground.
    await expect(fetch(`${playground.codecServerUrl!}/healthz`)).rejects.toThrow();
  }, 120_000);
});
