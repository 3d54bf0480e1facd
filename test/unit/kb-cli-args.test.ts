/**
 * `npm run kb` arguments: `add` says which conversations may use what it adds (`--channel`,
 * repeatable, or `--everywhere` said explicitly) and is refused without; conversation IDs are
 * checked before anything reaches a LanceDB filter.
 */
import { describe, expect, it } from 'vitest';
import { bindingAllows, channelFilter, decodeBinding, encodeBinding, legacyBindHint } from '../../src/kb/channels.js';
import { parseKbArgs, runKb } from '../../src/kb/cli.js';

describe('npm run kb arguments', () => {
  it('add without --channel or --everywhere is refused, naming both', () => {
    const refused = parseKbArgs(['add', 'docs']);
    expect(refused).toEqual({ error: expect.stringMatching(/^Nothing was added\..*--channel C0123ABCD.*--everywhere/) });
  });

  it('add takes one or more channels, in any of the usual spellings, or everywhere', () => {
    expect(parseKbArgs(['add', 'docs', 'handbook', '--channel', 'C0123ABCD', '--channel=G0456', '--channel', 'C1AA,D2BB', '--channel', 'C0123ABCD'])).toMatchObject({
      kind: 'add', paths: ['docs', 'handbook'], binding: { everywhere: false, channels: ['C0123ABCD', 'G0456', 'C1AA', 'D2BB'] },
    });
    expect(parseKbArgs(['add', '--everywhere', 'docs'])).toMatchObject({ kind: 'add', paths: ['docs'], binding: { everywhere: true }, yes: false });
  });

  it('refuses a channel name, a malformed ID, a filter fragment, both options, a missing value and unknown options', () => {
    expect(parseKbArgs(['add', 'docs', '--channel', 'general'])).toEqual({ error: expect.stringMatching(/"general" is not a Slack conversation ID.*not the channel's name/) });
    expect(parseKbArgs(['add', 'docs', '--channel', "C1' OR channels LIKE '%"])).toHaveProperty('error');
    expect(parseKbArgs(['add', 'docs', '--channel', 'c0123abcd'])).toHaveProperty('error');
    expect(parseKbArgs(['add', 'docs', '--channel', 'U0123ABCD'])).toHaveProperty('error'); // a user, not a conversation
    expect(parseKbArgs(['add', 'docs', '--channel', 'C0123ABCD', '--everywhere'])).toEqual({ error: 'Give either --channel … or --everywhere, not both.' });
    expect(parseKbArgs(['add', 'docs', '--channel'])).toEqual({ error: expect.stringMatching(/--channel needs a conversation ID/) });
    expect(parseKbArgs(['add', 'docs', '--channels', 'C1'])).toEqual({ error: 'Unknown option --channels.' });
    expect(parseKbArgs(['add', '--everywhere'])).toEqual({ error: expect.stringMatching(/^Usage: npm run kb -- add/) });
  });

  it('bind rebinds a collection or folder and needs a binding too; list, stats and remove take none', () => {
    expect(parseKbArgs(['bind', 'corpus', '--channel', 'C0KB'])).toEqual({ kind: 'bind', target: 'corpus', binding: { everywhere: false, channels: ['C0KB'] } });
    expect(parseKbArgs(['bind', './docs', '--everywhere'])).toEqual({ kind: 'bind', target: './docs', binding: { everywhere: true } });
    expect(parseKbArgs(['bind', 'corpus'])).toEqual({ error: expect.stringMatching(/^Nothing was changed\..*--channel.*--everywhere/) });
    expect(parseKbArgs(['bind', 'a', 'b', '--everywhere'])).toHaveProperty('error');
    expect(parseKbArgs(['list'])).toEqual({ kind: 'list' });
    expect(parseKbArgs(['stats', '--everywhere'])).toHaveProperty('error');
    expect(parseKbArgs(['remove', 'corpus'])).toEqual({ kind: 'remove', target: 'corpus' });
    expect(parseKbArgs(['frobnicate'])).toEqual({ error: expect.stringMatching(/^Unknown command "frobnicate"/) });
  });

  it('--help explains channels, everywhere and bind; a refused add exits 1 before touching anything', async () => {
    const lines: string[] = [];
    expect(await runKb(['--help'], {}, (l) => lines.push(l))).toBe(0);
    const help = lines.join('\n');
    expect(help).toMatch(/add <folders or files…> --channel C0123ABCD \[--channel …\] \| --everywhere/);
    expect(help).toMatch(/bind <collection or folder>/);
    expect(help).toMatch(/About in Slack/);
    lines.length = 0;
    // No OPENAI_API_KEY either: the missing binding is what is said first.
    expect(await runKb(['add', 'docs'], {}, (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toMatch(/--channel.*--everywhere/);
  });
});

describe('channel bindings', () => {
  it('encode exactly, sorted and deduplicated; decode back; allow only their conversations', () => {
    expect(encodeBinding({ everywhere: false, channels: ['C2', 'C1', 'C2'].map((c) => `${c}AB`) })).toBe(',C1AB,C2AB,');
    expect(encodeBinding({ everywhere: true })).toBe('*');
    expect(encodeBinding({ everywhere: false, channels: [] })).toBe('');
    expect(decodeBinding(',C1AB,C2AB,')).toEqual({ everywhere: false, channels: ['C1AB', 'C2AB'] });
    expect(decodeBinding('')).toEqual({ everywhere: false, channels: [] });
    expect(bindingAllows(decodeBinding(',C1AB,'), 'C1AB')).toBe(true);
    expect(bindingAllows(decodeBinding(',C1AB,'), 'C1A')).toBe(false);
    expect(bindingAllows(decodeBinding(''), 'C1AB')).toBe(false);
    expect(() => encodeBinding({ everywhere: false, channels: ["C1' OR '1'='1"] })).toThrow(/not a Slack conversation ID/);
  });

  it('the search filter is exact and refuses anything but a conversation ID', () => {
    expect(channelFilter('C0KB')).toBe("(channels = '*' OR channels LIKE '%,C0KB,%')");
    for (const bad of ['', 'C0KB%', "C0KB' OR 1=1 --", 'general', 'C0_KB']) expect(() => channelFilter(bad)).toThrow();
  });

  it('the hint for documents from before collections names the exact command', () => {
    expect(legacyBindHint('C0KB')).toContain('npm run kb -- bind legacy --channel C0KB');
    expect(legacyBindHint()).toContain('npm run kb -- bind legacy --channel <channel ID>');
    expect(legacyBindHint("x' OR 1")).toContain('<channel ID>');
  });
});
