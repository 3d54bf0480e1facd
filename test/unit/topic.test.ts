import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOPIC_LENGTH, parseResearchCommand } from '../../src/shared/topic.js';

describe('parseResearchCommand', () => {
  it('defaults to a 200 character limit', () => {
    expect(DEFAULT_MAX_TOPIC_LENGTH).toBe(200);
  });

  it('starts a pipeline for an ordinary topic', () => {
    expect(parseResearchCommand('durable execution for AI agents')).toEqual({
      kind: 'start',
      topic: 'durable execution for AI agents',
    });
  });

  it.each([
    [undefined, 'no text at all'],
    ['', 'empty text'],
    ['   ', 'spaces'],
    ['\t\n \r\n', 'tabs and newlines'],
    ['\u00a0\u2003', 'non-breaking and em spaces'],
  ])('reports an empty topic for %j (%s), with the limit in force', (text, _label) => {
    expect(parseResearchCommand(text)).toEqual({ kind: 'invalid', reason: 'empty', limit: 200 });
    expect(parseResearchCommand(text, 50)).toEqual({ kind: 'invalid', reason: 'empty', limit: 50 });
  });

  it.each(['help', 'HELP', 'Help', '  help  ', '\thelp\n'])('treats %j as a request for help', (text) => {
    expect(parseResearchCommand(text)).toEqual({ kind: 'help' });
  });

  it('treats "help" only as the whole command, not as part of a topic', () => {
    expect(parseResearchCommand('help desk automation')).toEqual({ kind: 'start', topic: 'help desk automation' });
    expect(parseResearchCommand('helpful agents')).toEqual({ kind: 'start', topic: 'helpful agents' });
    expect(parseResearchCommand('--help')).toEqual({ kind: 'start', topic: '--help' });
  });

  it('collapses inner whitespace and trims the ends', () => {
    expect(parseResearchCommand('  durable   execution\n\tfor \r\n agents  ')).toEqual({
      kind: 'start',
      topic: 'durable execution for agents',
    });
  });

  it('keeps the topic text otherwise as typed (case, punctuation, markup)', () => {
    expect(parseResearchCommand('Why <!channel> & *bold* matter?')).toEqual({
      kind: 'start',
      topic: 'Why <!channel> & *bold* matter?',
    });
  });

  it('allows a topic of exactly the limit and rejects one character more', () => {
    expect(parseResearchCommand('a'.repeat(200))).toEqual({ kind: 'start', topic: 'a'.repeat(200) });
    expect(parseResearchCommand('a'.repeat(201))).toEqual({ kind: 'invalid', reason: 'too-long', limit: 200 });
  });

  it('honours a custom limit', () => {
    expect(parseResearchCommand('abcdefghij', 10)).toEqual({ kind: 'start', topic: 'abcdefghij' });
    expect(parseResearchCommand('abcdefghijk', 10)).toEqual({ kind: 'invalid', reason: 'too-long', limit: 10 });
  });

  it('counts an emoji as one character, not two UTF-16 units', () => {
    const atLimit = '🚀'.repeat(200);
    expect(atLimit.length).toBe(400);
    expect(parseResearchCommand(atLimit)).toEqual({ kind: 'start', topic: atLimit });
    expect(parseResearchCommand('🚀'.repeat(201))).toEqual({ kind: 'invalid', reason: 'too-long', limit: 200 });
    expect(parseResearchCommand('a🚀b🚀c', 5)).toEqual({ kind: 'start', topic: 'a🚀b🚀c' });
    expect(parseResearchCommand('a🚀b🚀cd', 5)).toEqual({ kind: 'invalid', reason: 'too-long', limit: 5 });
  });

  it('measures the length after whitespace is collapsed and trimmed', () => {
    const padded = `   a${' '.repeat(50)}b\n\n\nc   `;
    expect(parseResearchCommand(padded, 5)).toEqual({ kind: 'start', topic: 'a b c' });
    expect(parseResearchCommand(`${' '.repeat(300)}${'x'.repeat(200)}${' '.repeat(300)}`)).toEqual({
      kind: 'start',
      topic: 'x'.repeat(200),
    });
  });

  it('checks for help before length, even with a tiny limit', () => {
    expect(parseResearchCommand('help', 2)).toEqual({ kind: 'help' });
  });
});
