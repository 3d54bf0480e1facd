import { describe, expect, it } from 'vitest';
import { readResearchCommand, sanitizeTopic } from '../../src/shared/topic.js';
import { suffixFor } from '../../src/temporal/pipelines.js';
import { commandDeliveryKey } from '../../src/slack/listeners/commands/research.js';

describe('sanitizeTopic', () => {
  it.each([
    ['<!channel> news', 'channel news'],
    ['<!here>', 'here'],
    ['<!everyone> all hands', 'everyone all hands'],
    ['<!subteam^S0123|@eng> rota', 'eng rota'],
    ['<!subteam^S0123> rota', 'subteam rota'],
    ['<!date^1392734382^{date_short}|Feb 18, 2014> launch', 'Feb 18, 2014 launch'],
    ['<@U123>', '@U123'],
    ['<@U123|alice> and <@W456>', '@alice and @W456'],
    ['<#C1|x>', '#x'],
    ['<#C1>', '#C1'],
    ['<https://x.test/a?b=1|label>', 'label (https://x.test/a?b=1)'],
    ['<https://x.test/>', 'https://x.test/'],
    ['<https://x.test/|https://x.test/>', 'https://x.test/'],
    ['<mailto:a@b.test|a@b.test>', 'a@b.test'],
    ['@channel @here @everyone @Here', 'channel here everyone Here'],
    ['a &lt;b&gt; &amp; c', 'a <b> & c'],
    ['typed &lt;!channel&gt; and &lt;@U1&gt;', 'typed channel and @U1'],
    ['a &lt; b &gt; c', 'a < b > c'],
    ['&amp;lt; stays an entity', '&lt; stays an entity'],
    ['broken <<@U1>> markup', 'broken @U1 markup'],
    ['stray < and > dropped', 'stray  and  dropped'],
    ['ctl\u0000\u0007\u001b\u007f\u0085\ufeff', 'ctl'],
    ['bidi \u202Eevil\u202C \u2066iso\u2069', 'bidi evil iso'],
    ['cafe\u0301', 'café'],
    ['שלום עולם 👩‍💻 🇫🇷', 'שלום עולם 👩‍💻 🇫🇷'],
    ['*bold* _it_ ~s~ `c` # h [l](u)', '*bold* _it_ ~s~ `c` # h [l](u)'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeTopic(input)).toBe(expected);
  });

  it('never leaves markup that Slack would act on', () => {
    const nasty = '<<!channel>> <<<@U1>>> <!here|<@U2>> <#C1|<!everyone>>';
    expect(sanitizeTopic(nasty)).not.toMatch(/<[@#!]/);
  });
});

describe('readResearchCommand', () => {
  it('sanitizes, then checks: markup-only text is a topic, empty after sanitizing is empty', () => {
    expect(readResearchCommand('<@U123> onboarding')).toEqual({ kind: 'start', topic: '@U123 onboarding' });
    expect(readResearchCommand('\u0000\u202E ')).toEqual({ kind: 'invalid', reason: 'empty', limit: 200 });
  });

  it('measures the limit on the sanitized topic', () => {
    const link = `<https://example.com/${'p'.repeat(150)}|${'l'.repeat(60)}>`;
    expect(readResearchCommand(link)).toEqual({ kind: 'invalid', reason: 'too-long', limit: 200 });
    expect(readResearchCommand(`<@U1|${'a'.repeat(199)}>`)).toEqual({ kind: 'start', topic: `@${'a'.repeat(199)}` });
  });

  it('takes quoted text literally: a subcommand word in quotes is a topic', () => {
    expect(readResearchCommand('help')).toEqual({ kind: 'help' });
    expect(readResearchCommand('"help"')).toEqual({ kind: 'start', topic: 'help' });
    expect(readResearchCommand('“status”')).toEqual({ kind: 'start', topic: 'status' });
    expect(readResearchCommand("'list'")).toEqual({ kind: 'start', topic: 'list' });
    expect(readResearchCommand('"  "')).toEqual({ kind: 'invalid', reason: 'empty', limit: 200 });
    expect(readResearchCommand('"unbalanced')).toEqual({ kind: 'start', topic: '"unbalanced' });
    expect(readResearchCommand('rock "n" roll')).toEqual({ kind: 'start', topic: 'rock "n" roll' });
  });
});

describe('idempotent starts', () => {
  const command = { team_id: 'T1', channel_id: 'C1', user_id: 'U1', command: '/research', text: 'crdts', trigger_id: '123.456.abc' };

  it('the same delivery always gives the same suffix; another invocation a different one', () => {
    expect(suffixFor(commandDeliveryKey(command))).toBe(suffixFor(commandDeliveryKey({ ...command })));
    expect(suffixFor(commandDeliveryKey(command))).toMatch(/^[a-z0-9]{6}$/);
    expect(suffixFor(commandDeliveryKey(command))).not.toBe(suffixFor(commandDeliveryKey({ ...command, trigger_id: '123.456.abd' })));
    expect(suffixFor(commandDeliveryKey(command))).not.toBe(suffixFor(commandDeliveryKey({ ...command, user_id: 'U2' })));
  });
});
