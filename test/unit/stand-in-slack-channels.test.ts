/**
 * The stand-in Slack's channel rules and response URLs answer as Slack does (never more leniently):
 * a real WebClient and plain fetch against the stand-in.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_MAX_USES } from '../../src/stand-ins/slack/index.js';

describe('stand-in Slack: channels and response URLs', () => {
  const slack = new FakeSlack();
  let client: WebClient;
  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    slack.channels.add({ id: 'C0PRIVOUT1', kind: 'private', botIsMember: false });
    slack.channels.add({ id: 'C0PRIVIN01', kind: 'private', botIsMember: true, name: 'editorial' });
    slack.channels.add({ id: 'C0ARCHIVE1', archived: true });
    slack.channels.add({ id: 'C0PUBOUT01', botIsMember: false });
    slack.channels.add({ id: 'D0PEOPLE01', members: ['U1', 'U2'] });
    for (const error of ['channel_not_found', 'is_archived', 'not_in_channel', 'used_url', 'expired_url']) slack.expectedRefusals.add(error);
  });
  afterAll(() => slack.stop());

  const errorOf = (call: Promise<unknown>) => call.then(() => 'ok', (e: { data?: { error?: string } }) => e.data?.error ?? String(e));

  it('chat.postMessage: channel_not_found for a private channel or DM the bot is not in, is_archived, ok in public channels (chat:write.public)', async () => {
    expect(await errorOf(client.chat.postMessage({ channel: 'C0PRIVOUT1', text: 'hi' }))).toBe('channel_not_found');
    expect(await errorOf(client.chat.postMessage({ channel: 'D0PEOPLE01', text: 'hi' }))).toBe('channel_not_found');
    expect(await errorOf(client.chat.postMessage({ channel: 'C0ARCHIVE1', text: 'hi' }))).toBe('is_archived');
    expect(await errorOf(client.chat.postMessage({ channel: 'C0PUBOUT01', text: 'hi' }))).toBe('ok');
    expect(await errorOf(client.chat.postMessage({ channel: 'C0PRIVIN01', text: 'hi' }))).toBe('ok');
    expect(await errorOf(client.chat.postMessage({ channel: 'C0UNKNOWN1', text: 'hi' }))).toBe('ok'); // unknown IDs: public, bot in it
  });

  it('without chat:write.public a public channel the bot is not in answers not_in_channel; reading it too', async () => {
    slack.channels.botScopes.delete('chat:write.public');
    try {
      expect(await errorOf(client.chat.postMessage({ channel: 'C0PUBOUT01', text: 'hi' }))).toBe('not_in_channel');
    } finally {
      slack.channels.botScopes.add('chat:write.public');
    }
    expect(await errorOf(client.conversations.history({ channel: 'C0PUBOUT01' }))).toBe('not_in_channel');
    expect(await errorOf(client.conversations.history({ channel: 'C0PRIVOUT1' }))).toBe('channel_not_found');
  });

  it('conversations.info: channel_not_found when the bot cannot see it, else the conversation object', async () => {
    expect(await errorOf(client.conversations.info({ channel: 'C0PRIVOUT1' }))).toBe('channel_not_found');
    expect((await client.conversations.info({ channel: 'C0PRIVIN01' })).channel).toMatchObject({ id: 'C0PRIVIN01', name: 'editorial', is_private: true, is_member: true, is_archived: false, is_channel: true });
    expect((await client.conversations.info({ channel: 'C0ARCHIVE1' })).channel).toMatchObject({ is_archived: true, is_private: false });
    expect((await client.conversations.info({ channel: 'C0PUBOUT01' })).channel).toMatchObject({ is_member: false });
  });

  const post = (url: string, text: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text }) });

  it(`a response_url takes ${RESPONSE_URL_MAX_USES} posts, then answers used_url; each accepted post is recorded`, async () => {
    const url = slack.responseUrl('five');
    for (let i = 1; i <= RESPONSE_URL_MAX_USES; i += 1) expect((await post(url, `reply ${i}`)).status).toBe(200);
    const sixth = await post(url, 'one too many');
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    expect(slack.responsesTo('five').map((r) => r.text)).toEqual(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);
    expect(slack.responsesTo('five')[0]).toMatchObject({ response_type: 'ephemeral' });
  });

  it('a response_url older than 30 minutes answers expired_url; one built without responseUrl() counts from its first use', async () => {
    const old = slack.responseUrl('old', Date.now() - RESPONSE_URL_LIFETIME_MS - 1_000);
    expect(await (await post(old, 'late')).json()).toEqual({ ok: false, error: 'expired_url' });
    expect(slack.responsesTo('old')).toEqual([]);
    const built = `${slack.url}/respond/built-by-hand`;
    for (let i = 1; i <= RESPONSE_URL_MAX_USES; i += 1) expect((await post(built, `reply ${i}`)).status).toBe(200);
    expect(await (await post(built, 'sixth')).json()).toEqual({ ok: false, error: 'used_url' });
  });
});
