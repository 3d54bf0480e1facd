import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['30s', 30 * SECOND],
    ['30m', 30 * MINUTE],
    ['4h', 4 * HOUR],
    ['3d', 3 * DAY],
    ['250ms', 250],
    ['72h', 72 * HOUR],
    ['90s', 90 * SECOND],
    ['1ms', 1],
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads "ms" as milliseconds, not minutes', () => {
    expect(parseDuration('5ms')).toBe(5);
    expect(parseDuration('5m')).toBe(5 * MINUTE);
  });

  it.each([
    ['1.5h', 1.5 * HOUR],
    ['0.5s', 500],
    ['2.25m', 135 * SECOND],
    ['0.5d', 12 * HOUR],
    ['1.5ms', 2],
  ])('accepts decimals: %j is %d ms (rounded to whole milliseconds)', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('returns whole milliseconds', () => {
    for (const text of ['1.1s', '0.333m', '2.7ms', '0.001h']) {
      expect(Number.isInteger(parseDuration(text))).toBe(true);
    }
  });

  it.each([
    ['  30s  ', 30 * SECOND],
    ['\t4h\n', 4 * HOUR],
    ['30 s', 30 * SECOND],
    ['250   ms', 250],
  ])('tolerates surrounding whitespace and space before the unit: %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['30S', 30 * SECOND],
    ['4H', 4 * HOUR],
    ['250MS', 250],
    ['3D', 3 * DAY],
  ])('is case-insensitive about the unit: %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '   ',
    '30',
    's',
    'ms',
    '30x',
    '30 seconds',
    '4 hours',
    '4h30m',
    '-5s',
    '+5s',
    '1e3s',
    '1,5h',
    '.5s',
    '5.s',
    'NaN s',
    'Infinity h',
    '3 d x',
    '4 h 5',
    '0x10s',
  ])('rejects malformed input %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each(['0s', '0ms', '0m', '0.0h', '000d', '0.0001s', '0.4ms'])(
    'rejects %j, which is zero once rounded to milliseconds',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [850, '850ms'],
    [999, '999ms'],
    [12.4, '12ms'],
  ])('shows under a second as milliseconds: %d → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('never shows a negative duration', () => {
    expect(formatDuration(-5)).toBe('0ms');
    expect(formatDuration(-5_000)).toBe('0ms');
  });

  it.each([
    [1_000, '1s'],
    [12_000, '12s'],
    [12_400, '12s'],
    [12_500, '13s'],
    [59_000, '59s'],
  ])('shows under a minute as whole seconds: %d → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [60_000, '1m 00s'],
    [65_000, '1m 05s'],
    [3 * MINUTE + 5 * SECOND, '3m 05s'],
    [10 * MINUTE + 30 * SECOND, '10m 30s'],
    [59 * MINUTE + 59 * SECOND, '59m 59s'],
  ])('shows under an hour as minutes and zero-padded seconds: %d → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [HOUR, '1h 0m'],
    [4 * HOUR + 10 * MINUTE, '4h 10m'],
    [4 * HOUR + 10 * MINUTE + 29 * SECOND, '4h 10m'],
    [23 * HOUR + 59 * MINUTE, '23h 59m'],
  ])('shows under a day as hours and minutes: %d → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [DAY, '1d 0h'],
    [3 * DAY + 2 * HOUR, '3d 2h'],
    [3 * DAY + 2 * HOUR + 59 * MINUTE, '3d 2h'],
    [72 * HOUR, '3d 0h'],
    [400 * DAY, '400d 0h'],
  ])('shows a day or more as days and hours: %d → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('moves to the next unit when rounding reaches it', () => {
    expect(formatDuration(59_499)).toBe('59s');
    expect(formatDuration(59_500)).toBe('1m 00s');
    expect(formatDuration(HOUR - 400)).toBe('1h 0m');
  });

  it('formats what parseDuration parses', () => {
    expect(formatDuration(parseDuration('250ms')!)).toBe('250ms');
    expect(formatDuration(parseDuration('30s')!)).toBe('30s');
    expect(formatDuration(parseDuration('30m')!)).toBe('30m 00s');
    expect(formatDuration(parseDuration('4h')!)).toBe('4h 0m');
    expect(formatDuration(parseDuration('3d')!)).toBe('3d 0h');
  });
});
