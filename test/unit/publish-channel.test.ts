/**
 * PUBLISH_CHANNEL checked at startup (conversations.info against the strict stand-in Slack): a
 * channel the bot cannot publish in stops the bot with an error that names the setting and the fix.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { FakeSlack } from '../../src/stand-ins/slack/index.js';
import { checkPublishChannel, publishChannelProblem } from '../../src/slack/publish-channel.js';

describe('the startup check of PUBLISH_CHANNEL', () => {
  const slack = new FakeSlack();
  let client: WebClient;
  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    slack.channels.add({ id: 'C0PUBLIC01', name: 'articles' });
    slack.channels.add({ id: 'C0PUBOUT01', name: 'announcements', botIsMember: false });
    slack.channels.add({ id: 'C0PRIVIN01', name: 'editorial', kind: 'private', botIsMember: true });
    slack.channels.add({ id: 'C0PRIVOUT1', name: 'secret', kind: 'private', botIsMember: false });
    slack.channels.add({ id: 'C0ARCHIVE1', name: 'old-articles', archived: true });
    slack.channels.add({ id: 'D0DIRECT01', kind: 'im', botIsMember: true });
    slack.expectedRefusals.add('channel_not_found');
  });
  afterAll(() => slack.stop());

  it('accepts a public channel (member or not: chat:write.public) and a private channel the bot is in', async () => {
    for (const channel of ['C0PUBLIC01', 'C0PUBOUT01', 'C0PRIVIN01']) {
      await expect(checkPublishChannel(client, channel)).resolves.toBeUndefined();
    }
    expect(slack.callsOf('conversations.info').map((c) => c.args.channel)).toEqual(['C0PUBLIC01', 'C0PUBOUT01', 'C0PRIVIN01']);
  });

  it('refuses a private channel the bot is not in (Slack answers channel_not_found), naming PUBLISH_CHANNEL and /invite', async () => {
    const error = await checkPublishChannel(client, 'C0PRIVOUT1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PUBLISH_CHANNEL (C0PRIVOUT1) cannot be used: Slack does not know this channel, or it is a private channel the bot is not a member of.');
    expect(message).toContain('/invite @<bot name>');
  });

  it('refuses an archived channel, a DM and an unknown ID', async () => {
    expect((await publishChannelProblem(client, 'C0ARCHIVE1'))?.problem).toBe('(C0ARCHIVE1) cannot be used: #old-articles is archived.');
    expect((await publishChannelProblem(client, 'D0DIRECT01'))?.problem).toContain('it is a direct message');
    slack.channels.add({ id: 'C0GONE0001', kind: 'private', botIsMember: false });
    expect((await publishChannelProblem(client, 'C0GONE0001'))?.variable).toBe('PUBLISH_CHANNEL');
  });

  it('starts anyway, with a warning, when Slack cannot be asked', async () => {
    slack.failNext('conversations.info', { status: 503 });
    const warnings: string[] = [];
    expect(await publishChannelProblem(client, 'C0PUBLIC01', (m) => warnings.push(m))).toBeUndefined();
    expect(warnings[0]).toContain('Could not check PUBLISH_CHANNEL=C0PUBLIC01 at startup');
  });
});
