/**
 * Temporal unreachable when /research arrives: the user hears so at once, nothing is lost silently,
 * and the bot keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.js';
import { waitFor } from '../harness/http.js';
import { startStack, type Stack } from '../harness/stack.js';

describe('Temporal unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    // A port nobody listens on.
    stack = await startStack({ withoutWorkers: true, env: { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` } });
  });
  afterAll(() => stack?.stop());

  it('acks at once, then tells the user (ephemeral) it is temporarily unavailable, and keeps running', async () => {
    // Bolt's receiver answers 200 with the ack body only when ack() ran within Slack's 3 s.
    const response = await stack.research('durable execution');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });

    const reply = await waitFor('the unavailable reply', () => stack.slack.callsOf('response_url')[0], 15_000);
    expect(reply.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.args.text)).toContain('temporarily unavailable');
    expect(String(reply.args.text)).toContain('try again in a minute');

    // Still serving: a second command is acked as quickly.
    const again = await stack.research('another topic');
    expect(again.status).toBe(200);
    await waitFor('a second unavailable reply', () => stack.slack.callsOf('response_url')[1], 15_000);
  });
});
