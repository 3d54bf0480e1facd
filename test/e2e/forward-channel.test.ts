/**
 * The one forwarding button (src/slack/listeners/actions/forward.ts) on a real Bolt app: with the
 * `sameChannel` check, a click from another channel than the pipeline's is answered and not
 * forwarded; malformed values are answered and not forwarded; a lookup that fails says so.
 */
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerForwardingButton, sameChannel } from '../../src/slack/listeners/actions/forward.js';
import { OTHER_CHANNEL_REPLY, REVIEW_FAILED_REPLY, UNKNOWN_BUTTON_REPLY } from '../../src/slack/blocks/replies.js';
import { FakeSlack } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { buttonClickBody, signedHeaders } from '../harness/slack-signing.js';

const SECRET = 'forward-test-signing-secret';
const ACTION = 'test_forward';
const WORKFLOW_ID = 'research-forwarding-20261125-abc123';

describe('forwarding buttons check the pipeline’s channel', () => {
  const slack = new FakeSlack();
  const forwarded: Array<{ workflowId: string; userId: string }> = [];
  let lookup: (workflowId: string) => Promise<string | undefined>;
  let app: App;
  let url: string;

  beforeAll(async () => {
    await slack.start();
    app = new App({ token: 'xoxb-forward-test', signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.apiUrl } });
    registerForwardingButton(
      app,
      ACTION,
      async ({ workflowId, userId }) => {
        forwarded.push({ workflowId, userId });
        return { delivered: true };
      },
      sameChannel((workflowId) => lookup(workflowId)),
    );
    const server = (await app.start(0)) as Server;
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  });
  afterAll(async () => {
    await app?.stop();
    await slack.stop();
  });
  beforeEach(() => {
    forwarded.length = 0;
    lookup = async () => 'C0HOME';
  });

  let clicks = 0; // Slack gives every click a response_url of its own (5 posts each)
  async function click(channelId: string, value = WORKFLOW_ID): Promise<string | undefined> {
    const before = slack.callsOf('response_url').length;
    const body = buttonClickBody({ actionId: ACTION, value, channelId, messageTs: '1.000001', responseUrl: slack.responseUrl(`fwd-${++clicks}`) });
    const response = await fetch(url, { method: 'POST', headers: signedHeaders(SECRET, body), body });
    expect(response.status).toBe(200);
    // The listener either forwards the click or answers the clicker.
    const outcome = await waitFor('a forward or an ephemeral reply', () => (forwarded.length ? 'forwarded' : slack.callsOf('response_url')[before]), 10_000);
    if (outcome === 'forwarded') return undefined;
    expect(outcome.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    return String(outcome.args.text);
  }

  it('forwards a click from the pipeline’s own channel', async () => {
    expect(await click('C0HOME')).toBeUndefined();
    expect(forwarded).toEqual([{ workflowId: WORKFLOW_ID, userId: 'U0REVIEWER' }]);
  });

  it('refuses a click from another channel, without forwarding it', async () => {
    expect(await click('C0ELSEWHERE')).toBe(OTHER_CHANNEL_REPLY);
    expect(forwarded).toEqual([]);
  });

  it('forwards when the channel is unknown (the workflow decides)', async () => {
    lookup = async () => undefined;
    expect(await click('C0ELSEWHERE')).toBeUndefined();
    expect(forwarded).toHaveLength(1);
  });

  it('answers a value that is no pipeline ID without looking it up', async () => {
    lookup = async () => {
      throw new Error('should not be called');
    };
    expect(await click('C0HOME', 'not a workflow')).toBe(UNKNOWN_BUTTON_REPLY);
    expect(forwarded).toEqual([]);
  });

  it('says so when the lookup fails (Temporal unreachable), without forwarding', async () => {
    lookup = async () => {
      throw new Error('14 UNAVAILABLE');
    };
    expect(await click('C0HOME')).toBe(REVIEW_FAILED_REPLY);
    expect(forwarded).toEqual([]);
  });
});
