/**
 * The stand-in Slack's users.conversations and conversations.members answer as Slack does with a
 * bot token (never more leniently): only conversations the bot shares with the person, by type,
 * paginated with `response_metadata.next_cursor`, refused without the type's scope.
 * A real WebClient against the stand-in.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/stand-ins/slack/index.js';
import { conversationsOf } from '../../src/slack/membership.js';

describe('stand-in Slack: users.conversations and conversations.members', () => {
  const slack = new FakeSlack();
  let client: WebClient;
  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    slack.channels.add({ id: 'C0PUB00001', members: ['U1', 'U2'] });
    slack.channels.add({ id: 'C0PRIV0001', kind: 'private', botIsMember: true, members: ['U1'] });
    slack.channels.add({ id: 'C0PRIVOUT1', kind: 'private', botIsMember: false, members: ['U1'] });
    slack.channels.add({ id: 'C0PUBOUT01', botIsMember: false, members: ['U1'] });
    slack.channels.add({ id: 'C0ARCHIVE1', archived: true, members: ['U1'] });
    slack.channels.add({ id: 'D0BOTWITHU1', kind: 'im', botIsMember: true, members: ['U1'] });
    slack.expectedRefusals.add('channel_not_found');
  });
  afterAll(() => slack.stop());

  const errorOf = (call: Promise<unknown>) => call.then(() => 'ok', (e: { data?: { error?: string } }) => e.data?.error ?? String(e));
  const ids = (answer: { channels?: Array<{ id?: string }> }) => (answer.channels ?? []).map((c) => c.id).sort();

  it('lists only the conversations the bot shares with the user, of the requested types', async () => {
    const all = await client.users.conversations({ user: 'U1', types: 'public_channel,private_channel,mpim,im' });
    expect(ids(all)).toEqual(['C0ARCHIVE1', 'C0PRIV0001', 'C0PUB00001', 'D0BOTWITHU1']);
    // types defaults to public_channel
    expect(ids(await client.users.conversations({ user: 'U1' }))).toEqual(['C0ARCHIVE1', 'C0PUB00001']);
    expect(ids(await client.users.conversations({ user: 'U1', types: 'private_channel', exclude_archived: true }))).toEqual(['C0PRIV0001']);
    expect(ids(await client.users.conversations({ user: 'U2', types: 'private_channel,im' }))).toEqual([]);
    // Limited objects: is_member and num_members are omitted.
    expect(all.channels?.[0]).not.toHaveProperty('is_member');
  });

  it('paginates with response_metadata.next_cursor; a bad cursor or limit is refused', async () => {
    const first = await client.users.conversations({ user: 'U1', types: 'public_channel,private_channel,im', limit: 3 });
    expect(first.channels).toHaveLength(3);
    expect(first.response_metadata?.next_cursor).toBeTruthy();
    const second = await client.users.conversations({ user: 'U1', types: 'public_channel,private_channel,im', limit: 3, cursor: first.response_metadata!.next_cursor! });
    expect(second.channels).toHaveLength(1);
    expect(second.response_metadata?.next_cursor).toBe('');
    expect(await errorOf(client.users.conversations({ user: 'U1', cursor: 'not-a-cursor' }))).toBe('invalid_cursor');
    expect(await errorOf(client.users.conversations({ user: 'U1', limit: 1000 }))).toBe('invalid_limit');
    // The bot's helper follows the cursor to the end.
    expect((await conversationsOf(client, 'U1')).sort()).toEqual(['C0PRIV0001', 'C0PUB00001', 'D0BOTWITHU1']);
  });

  it('refuses a type whose read scope the token lacks (missing_scope)', async () => {
    slack.channels.botScopes.delete('mpim:read');
    try {
      expect(await errorOf(client.users.conversations({ user: 'U1', types: 'public_channel,mpim' }))).toBe('missing_scope');
      expect(await errorOf(client.users.conversations({ user: 'U1', types: 'public_channel' }))).toBe('ok');
    } finally {
      slack.channels.botScopes.add('mpim:read');
    }
  });

  it('conversations.members and users.info refuse without their read scope (missing_scope)', async () => {
    slack.channels.botScopes.delete('groups:read');
    slack.channels.botScopes.delete('users:read');
    try {
      expect(await errorOf(client.conversations.members({ channel: 'C0PRIV0001' }))).toBe('missing_scope');
      expect(await errorOf(client.conversations.members({ channel: 'C0PUB00001' }))).toBe('ok');
      expect(await errorOf(client.users.info({ user: 'U1' }))).toBe('missing_scope');
    } finally {
      slack.channels.botScopes.add('groups:read');
      slack.channels.botScopes.add('users:read');
    }
  });

  it('users.info says who is a guest (is_restricted; is_ultra_restricted for single-channel guests)', async () => {
    slack.guests.set('U0GUESTS1', 'single');
    slack.guests.set('U0GUESTM1', 'multi');
    expect((await client.users.info({ user: 'U0GUESTS1' })).user).toMatchObject({ is_restricted: true, is_ultra_restricted: true });
    expect((await client.users.info({ user: 'U0GUESTM1' })).user).toMatchObject({ is_restricted: true, is_ultra_restricted: false });
    expect((await client.users.info({ user: 'U1' })).user).toMatchObject({ is_restricted: false, is_ultra_restricted: false });
  });

  it('is rate limited at Tier 3 like users.conversations', () => {
    expect(slack.rateLimits.limitOf('users.conversations')).toEqual({ max: 50, windowMs: 60_000 });
  });

  it('conversations.members: the members of a conversation the bot can see, else channel_not_found', async () => {
    expect((await client.conversations.members({ channel: 'C0PRIV0001' })).members).toEqual(['U1']);
    expect(await errorOf(client.conversations.members({ channel: 'C0PRIVOUT1' }))).toBe('channel_not_found');
  });
});
