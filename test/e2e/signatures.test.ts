/**
 * Request signatures: only requests signed by Slack with our signing secret, within five minutes
 * of now, reach a listener. Everything else gets 401 and starts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { buttonClickBody, signedHeaders, slackSignature } from '../harness/slack-signing.js';
import { CHANNEL, SIGNING_SECRET, startStack, type Stack } from '../harness/stack.js';

const now = () => Math.floor(Date.now() / 1000);
const SIX_MINUTES = 6 * 60;

describe('Slack request signatures', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const command = (topic: string) => stack.commandBody(topic);
  const without = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

  const cases: Array<{ name: string; request: (body: string) => Record<string, string> }> = [
    { name: 'no signature header', request: (body) => without(signedHeaders(SIGNING_SECRET, body), 'x-slack-signature') },
    { name: 'no timestamp header', request: (body) => without(signedHeaders(SIGNING_SECRET, body), 'x-slack-request-timestamp') },
    { name: 'no Slack headers at all', request: () => ({ 'content-type': 'application/x-www-form-urlencoded' }) },
    { name: 'signed with another secret', request: (body) => signedHeaders('not-our-signing-secret', body) },
    { name: 'a signature of another body', request: () => signedHeaders(SIGNING_SECRET, command('something else')) },
    {
      name: 'a signature for another timestamp',
      request: (body) => ({ ...signedHeaders(SIGNING_SECRET, body), 'x-slack-request-timestamp': String(now() - 1) }),
    },
    { name: 'an unknown signature version', request: (body) => ({ ...signedHeaders(SIGNING_SECRET, body), 'x-slack-signature': slackSignature(SIGNING_SECRET, now(), body).replace('v0=', 'v1=') }) },
    { name: 'a stale timestamp (6 minutes old), correctly signed', request: (body) => signedHeaders(SIGNING_SECRET, body, now() - SIX_MINUTES) },
  ];

  it.each(cases)('/research with $name → 401, nothing started', async ({ name, request }) => {
    const topic = `unsigned ${name}`;
    const body = command(topic);
    const response = await stack.postToBot(body, request(body));
    expect(response.status).toBe(401);
    expect(response.body).toBe('');
  });

  it('a click with a wrong signature → 401, the draft still awaits review', async () => {
    await stack.postToBot(command('signed click target'));
    const { workflowId, threadTs } = await stack.waitForPipeline('signed click target');
    const draft = await stack.waitForDraft(threadTs);
    const body = buttonClickBody({ actionId: APPROVE_ACTION_ID, value: workflowId, messageTs: draft.ts, responseUrl: stack.slack.responseUrl('forged') });
    for (const headers of [signedHeaders('not-our-signing-secret', body), signedHeaders(SIGNING_SECRET, body, now() - SIX_MINUTES)]) {
      expect((await stack.postToBot(body, headers)).status).toBe(401);
    }
    expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    // The real click still works.
    expect((await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts)).status).toBe(200);
    await stack.client.workflow.getHandle(workflowId).result();
  });

  it('none of the refused commands started anything; a correctly signed one did', async () => {
    const response = await stack.postToBot(command('correctly signed'));
    expect(response.status).toBe(200);
    await stack.waitForPipeline('correctly signed');
    const ids = await stack.workflowIds();
    expect(ids.filter((id) => id.startsWith('research-unsigned-'))).toEqual([]);
    expect(stack.slack.channelMessages(CHANNEL).filter((m) => m.text?.includes('unsigned'))).toEqual([]);
    expect(stack.slack.callsOf('response_url')).toEqual([]);
  });

  /** Bolt 5.1 alone accepts a correctly signed future-dated request; src/slack/app.ts refuses it. */
  it('/research with a future timestamp (6 minutes ahead), correctly signed → 401 and nothing started', async () => {
    const body = command('future-dated request');
    const response = await stack.postToBot(body, signedHeaders(SIGNING_SECRET, body, now() + SIX_MINUTES));
    expect(response.status).toBe(401);
    const ids = await stack.workflowIds();
    expect(ids.filter((id) => id.startsWith('research-future-dated-request-'))).toEqual([]);
  });
});
