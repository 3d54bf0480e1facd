import { describe, expect, it } from 'vitest';
import { channelProblem, publishFailedLine, undeliverableNotice } from '../../src/slack/blocks/channel-access.js';

describe('what people are told when the bot cannot post', () => {
  const base = { command: '/research', topic: 'CRDTs <!channel>', workflowId: 'research-crdts-20261202-abc123', botUserId: 'UBOT' };

  it.each([
    ['channel_not_found', 'C0PRIV', 'private channel I’m not a member of', 'Invite me with `/invite <@UBOT>` in that channel.'],
    ['not_in_channel', 'C0PUB', 'I’m not a member of <#C0PUB>.', 'Invite me with `/invite <@UBOT>`'],
    ['is_archived', 'C0OLD', '<#C0OLD> is archived', 'Unarchive it, or use another channel.'],
    ['channel_not_found', 'D0DM', 'direct message', 'my own Messages tab'],
    ['restricted_action', 'C0RO', '(`restricted_action`)', 'Ask a workspace admin'],
  ])('%s in %s: says what happened and what to do', (slackError, channel, what, fix) => {
    const notice = undeliverableNotice({ ...base, channel, slackError });
    expect(notice).toContain(what);
    expect(notice).toContain(fix);
    expect(notice).toContain('Then run `/research` again.');
    expect(notice).toContain('Nothing was researched or spent (`research-crdts-20261202-abc123`, ended as undeliverable).');
    expect(notice).not.toContain('<!channel>'); // the topic is escaped: it cannot ping
  });

  it('names the app by its manifest name when the bot user ID is unknown', () => {
    expect(channelProblem('not_in_channel', 'C1').fix).toBe('Invite me with `/invite @Content Pipeline` in that channel.');
  });

  it('the thread\'s "Not published" line ends with the command that publishes it', () => {
    const line = publishFailedLine({ channel: 'C0PUB', slackError: 'channel_not_found', workflowId: base.workflowId, command: '/research', botUserId: 'UBOT' });
    expect(line).toBe(
      ':warning: *Not published.* I can’t see <#C0PUB>: it is a private channel I’m not a member of (or it no longer exists). ' +
        'Invite me with `/invite <@UBOT>` in that channel. Then run `/research publish research-crdts-20261202-abc123` to publish the approved article (it is kept in the workflow\'s result).',
    );
  });
});
