/**
 * The stand-in's Socket Mode endpoint with a bare WebSocket client (no Bolt): one-time URLs for
 * app-level tokens only, hello, envelopes, and what happens to an envelope nobody acknowledges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FakeSlack } from '../../src/stand-ins/slack/index.js';
import { ACK_TIMEOUT_MS, envelopeFor, type SocketModeEndpoint } from '../../src/stand-ins/slack/socket-mode.js';

interface Message {
  type: string;
  envelope_id?: string;
  retry_attempt?: number;
  retry_reason?: string;
  payload?: Record<string, unknown>;
}

describe('stand-in Socket Mode endpoint', () => {
  const slack = new FakeSlack();
  let endpoint: SocketModeEndpoint;
  let client: WebSocket;
  const received: Message[] = [];

  const open = async (token: string) => {
    const response = await fetch(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return (await response.json()) as { ok: boolean; url?: string; error?: string };
  };

  beforeAll(async () => {
    await slack.start();
    endpoint = await slack.enableSocketMode();
    const { url } = await open('xapp-1-test');
    client = new WebSocket(url!);
    client.on('message', (data) => received.push(JSON.parse(String(data)) as Message));
    await new Promise((resolve) => client.once('open', resolve));
  });
  afterAll(async () => {
    client?.close();
    await slack.stop();
  });

  it('gives a URL for an app-level token only; each URL works once', async () => {
    expect(await open('xoxb-bot')).toEqual({ ok: false, error: 'not_allowed_token_type' });
    const { ok, url } = await open('xapp-1-test');
    expect(ok).toBe(true);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    const first = new WebSocket(url!);
    await new Promise((resolve) => first.once('open', resolve));
    first.close();
    const again = new WebSocket(url!);
    await expect(new Promise((resolve, reject) => { again.once('open', resolve); again.once('error', reject); })).rejects.toThrow();
    await waitUntil(() => received.some((m) => m.type === 'hello'));
  });

  it('an envelope not acknowledged within 3 s fails the delivery (a command: no retry; an event: retried once, marked timeout); a late ack is ignored', async () => {
    const command = endpoint.deliver('slash_commands', envelopeFor('command=%2Fresearch&text=x').payload);
    const event = endpoint.deliver('events_api', envelopeFor('{"type":"event_callback","event":{"type":"app_home_opened"}}').payload);
    const [commandResult, eventResult] = await Promise.all([command, event]);
    expect(commandResult).toMatchObject({ acked: false, retries: 0 });
    expect(eventResult).toMatchObject({ acked: false, retries: 1 });
    const events = received.filter((m) => m.type === 'events_api');
    expect(events.map((m) => [m.retry_attempt, m.retry_reason])).toEqual([[0, ''], [1, 'timeout']]);
    expect(received.find((m) => m.type === 'slash_commands')?.payload).toMatchObject({ command: '/research', text: 'x' });

    client.send(JSON.stringify({ envelope_id: events[0]!.envelope_id }));
    await waitUntil(() => endpoint.lateAcks.length === 1);
    expect(ACK_TIMEOUT_MS).toBe(3_000);
  });

  it('an acknowledged envelope returns the ack’s payload (what an HTTP response body would carry)', async () => {
    const delivery = endpoint.deliver('interactive', { type: 'view_submission' });
    const envelope = await waitUntil(() => received.find((m) => m.type === 'interactive'));
    client.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { response_action: 'errors', errors: { feedback: 'Say more.' } } }));
    expect(await delivery).toMatchObject({ acked: true, payload: { response_action: 'errors', errors: { feedback: 'Say more.' } } });
  });

  it('disconnect tells every connection why', async () => {
    endpoint.disconnect('warning');
    const message = await waitUntil(() => received.find((m) => m.type === 'disconnect'));
    expect(message).toMatchObject({ type: 'disconnect', reason: 'warning' });
  });
});

async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
