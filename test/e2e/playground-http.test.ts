/**
 * The playground's page server answers only its own page, on this machine: a loopback Host with its
 * port (DNS rebinding refused), no other Origin, actions only as JSON and only with this start's
 * token from the page; the bot's Web API calls only with the bot token the playground gave it.
 * Raw HTTP against a running playground (real bot, workers on the suite's Temporal server), so the
 * Host and Origin headers are exactly what a hostile page's browser would send.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPlayground, type RunningPlayground } from '../../src/playground/index.js';
import { PLAYGROUND_CHANNEL, REQUESTER } from '../../src/playground/personas.js';
import { TOKEN_HEADER } from '../../src/playground/server.js';
import { waitFor } from '../harness/http.js';
import { pollersOf } from '../harness/task-queues.js';
import { TEST_DATA_CONVERTER, TEST_PAYLOAD_KEYS } from '../harness/keys.js';

let playground: RunningPlayground;
let port: number;
let connection: Connection;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `content-pipeline-http-${suffix}`;

beforeAll(async () => {
  playground = await startPlayground({
    temporalAddress: inject('temporalAddress'),
    env: { PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, TEMPORAL_TASK_QUEUE: taskQueue, TEMPORAL_RESEARCH_TASK_QUEUE: `research-http-${suffix}`, PORT: '0', LOG_LEVEL: 'error' },
    workflowBundle: { code: inject('workflowBundleCode') },
    log: () => undefined,
  });
  port = Number(new URL(playground.url).port);
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  // The run this file started is ended, so it does not wait on the shared server for a review.
  if (connection) {
    const client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
    for await (const run of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) {
      await client.workflow.getHandle(run.workflowId, run.runId).terminate('test over').catch(() => undefined);
    }
    await connection.close();
  }
  await playground?.stop();
});

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
  headers: http.IncomingHttpHeaders;
}

/** One request with exactly these headers (fetch would not let a test set Host). */
function request(path: string, options: { method?: string; host?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A visitor's action as the page sends it; each header can be changed or left out (undefined). */
function action(kind: string, body: Record<string, unknown>, headers: Record<string, string | undefined> = {}, host?: string): Promise<Answer> {
  const own = host ?? `127.0.0.1:${port}`;
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    origin: `http://${own}`,
    [TOKEN_HEADER]: playground.server.token,
    ...headers,
  };
  const defined = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return request(`/action/${kind}`, { method: 'POST', headers: defined, body: JSON.stringify(body), ...(host ? { host } : {}) });
}

const say = (text: string) => ({ user: REQUESTER.id, text });
const typedMessages = (text: string) => playground.server.messages.filter((m) => m.user === REQUESTER.id && m.text === text);

describe('the playground page server', () => {
  it('serves the page with a fresh per-start token in a meta tag, not to be framed', async () => {
    const page = await request('/');
    expect(page.status).toBe(200);
    expect(playground.server.token).toMatch(/^[\w-]{40,}$/);
    expect(page.text).toContain(`<meta name="playground-token" content="${playground.server.token}">`);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const state = await request('/state', { host: `localhost:${port}` });
    expect(state.status).toBe(200);
    expect(JSON.stringify(state.json)).not.toContain(playground.server.token);
  });

  it('refuses any Host but a loopback name with its own port (DNS rebinding), without serving the page or its token', async () => {
    for (const host of [`attacker.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.attacker.example:${port}`, `0.0.0.0:${port}`]) {
      for (const path of ['/', '/state', '/app.js']) {
        const answer = await request(path, { host });
        expect(answer.status, `${path} with Host "${host}"`).toBe(403);
        expect(answer.json?.error).toBe('wrong_host');
        expect(answer.text).not.toContain(playground.server.token);
      }
    }
    const post = await action('message', say('rebound'), { origin: `http://attacker.example:${port}` }, `attacker.example:${port}`);
    expect(post.status).toBe(403);
    expect(String(post.json?.message)).toContain(`http://127.0.0.1:${port}`);
    expect(typedMessages('rebound')).toEqual([]);
  });

  it('refuses a cross-origin POST, even one with JSON and the token', async () => {
    for (const origin of ['http://attacker.example', 'null', `http://localhost:${port}`]) {
      const answer = await action('message', say(`from ${origin}`), { origin });
      expect(answer.status, origin).toBe(403);
      expect(answer.json?.error).toBe('cross_origin');
      expect(typedMessages(`from ${origin}`)).toEqual([]);
    }
    // The bot's side too: a browser on another site cannot post as the bot.
    const api = await request('/api/chat.postMessage', {
      method: 'POST',
      headers: { origin: 'http://attacker.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `channel=${PLAYGROUND_CHANNEL.id}&text=forged`,
    });
    expect(api.status).toBe(403);
    expect(playground.server.messages.filter((m) => m.text === 'forged')).toEqual([]);
  });

  it('answers 415 to an action that is not JSON (what a form on another site can send without asking)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const answer = await action('message', say(`as ${type}`), { 'content-type': type });
      expect(answer.status, String(type)).toBe(415);
      expect(answer.json?.message).toContain('application/json');
      expect(typedMessages(`as ${type}`)).toEqual([]);
    }
  });

  it('refuses an action without this start\'s token, or with another', async () => {
    const token = playground.server.token;
    const others = [undefined, '', 'x', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, `${token}x`];
    for (const [i, other] of others.entries()) {
      const answer = await action('message', say(`token ${i}`), { [TOKEN_HEADER]: other });
      expect(answer.status, String(other)).toBe(403);
      expect(answer.json?.error).toBe('bad_token');
      expect(answer.json?.message).toContain('reload the page');
      expect(typedMessages(`token ${i}`)).toEqual([]);
    }
  });

  it('answers malformed or oversized actions plainly, without internals', async () => {
    const malformed = await request('/action/message', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, [TOKEN_HEADER]: playground.server.token },
      body: '{"user":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ ok: false, error: 'invalid_json', message: 'The request body is not valid JSON.' });
    const big = await action('message', say('x'.repeat(300 * 1024)));
    expect(big.status).toBe(413);
  });

  it('answers a Web API call without the bot\'s per-start token as Slack does, and shows nothing', async () => {
    const post = (headers: Record<string, string>) => request('/api/chat.postMessage', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: `channel=${PLAYGROUND_CHANNEL.id}&text=forged-by-token`,
    });
    expect((await post({})).json).toEqual({ ok: false, error: 'not_authed' });
    expect((await post({ authorization: 'Bearer xoxb-playground-local' })).json).toEqual({ ok: false, error: 'invalid_auth' });
    expect(playground.server.messages.filter((m) => m.text === 'forged-by-token')).toEqual([]);
    expect(playground.config.slack.botToken).toMatch(/^xoxb-playground-[0-9a-f]{32}$/);
  });

  it('with the right Host, Origin, JSON and token: a message is posted and /research reaches the bot, which starts a run', async () => {
    const local = await action('message', say('hello from localhost'), {}, `localhost:${port}`);
    expect(local.status).toBe(200);
    expect(local.json).toEqual({ ok: true });
    expect(typedMessages('hello from localhost')).toHaveLength(1);

    const answer = await action('message', say('/research origin checks'));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
    const ack = playground.server.ephemerals.find((e) => e.user === REQUESTER.id && e.via === 'ack');
    expect(ack?.text).toContain('origin checks');
    // The workflow's own thread root, posted by a worker through the page's Web API with the bot's token.
    await waitFor('the thread root', () => playground.server.messages.find((m) => !m.user && m.text?.includes('origin checks')), 45_000);
    expect(playground.server.errors).toEqual([]);
    // Its workers poll where they were given (in code): the check playground-start.test.ts uses to
    // show a refused playground never polled does see pollers.
    expect((await pollersOf(connection, taskQueue)).length).toBeGreaterThan(0);
  }, 60_000);
});
