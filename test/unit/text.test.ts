/** Escape first, then cut: table tests with escape-heavy and multi-byte strings exactly at each limit. */
import { describe, expect, it } from 'vitest';
import { cut, escapeMrkdwn, markdownText, slackLength, userText } from '../../src/slack/blocks/text.js';
import { supersededCardMessage } from '../../src/slack/blocks/pipeline.js';

/** No escape sequence cut open: every `&` starts a whole `&amp;`, `&lt;` or `&gt;`. */
const entitiesWhole = (text: string) => !/&(?!amp;|lt;|gt;)/.test(text);
/** No lone surrogate (a split emoji or astral character). */
const noLoneSurrogate = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('userText: escape, then cut to the limit', () => {
  const limits = [75, 150, 200, 2_000, 3_000];
  const inputs: Array<[string, string]> = [
    ['<&> repeated', '<&>'.repeat(1_200)],
    ['ampersands', '&'.repeat(4_000)],
    ['emoji (surrogate pairs)', '😀'.repeat(4_000)],
    ['family emoji (ZWJ sequences)', '👨‍👩‍👧‍👦'.repeat(500)],
    ['flags', '🇫🇷🇯🇵'.repeat(800)],
    ['combining accents', 'e\u0301'.repeat(2_000)],
    ['mixed', 'a<😀&é>'.repeat(700)],
  ];
  for (const max of limits) {
    for (const [name, input] of inputs) {
      it(`${name} fits in ${max} with no broken entity, surrogate or grapheme`, () => {
        const out = userText(input, max);
        expect(slackLength(out)).toBeLessThanOrEqual(max);
        expect(slackLength(out)).toBeGreaterThan(max - 12); // cut at the limit, not far before it
        expect(out.endsWith('…')).toBe(true);
        expect(entitiesWhole(out)).toBe(true);
        expect(noLoneSurrogate(out)).toBe(true);
        expect(out).not.toMatch(/[<>]/);
        // Every grapheme of the result (but the ellipsis) is one of the input's, escaped.
        const body = out.slice(0, -1);
        expect(escapeMrkdwn(input).startsWith(body)).toBe(true);
      });
    }
  }

  it('leaves text exactly at the limit whole, and cuts one unit over', () => {
    expect(userText('<'.repeat(10), 40)).toBe('&lt;'.repeat(10));
    expect(userText('<'.repeat(10), 39)).toBe(`${'&lt;'.repeat(9)}…`);
    expect(userText('😀'.repeat(5), 5)).toBe('😀'.repeat(5));
    expect(userText('😀'.repeat(5), 4)).toBe(`${'😀'.repeat(3)}…`);
    // A family emoji is 5 code points (3 people, 2 joiners): kept whole or dropped whole.
    expect(userText('👨‍👩‍👧'.repeat(2), 10)).toBe('👨‍👩‍👧'.repeat(2));
    expect(userText('👨‍👩‍👧'.repeat(2), 9)).toBe('👨‍👩‍👧…');

    expect(cut('&amp;&amp;', 9)).toBe('&amp;…');
    expect(cut('ab', 1)).toBe('…');
  });
});

describe('mentions cannot ping from user or model text', () => {
  const pings = ['<!channel>', '<!here>', '<!everyone>', '<@U123ABC>', '<!subteam^S0GROUP>', '@here', '@channel', '@everyone'];
  for (const ping of pings) {
    it(`${ping} is neutralised in mrkdwn/plain text and in markdown blocks`, () => {
      const mrkdwn = userText(`hi ${ping} there`, 3_000);
      expect(mrkdwn).not.toContain(ping);
      expect(mrkdwn).not.toMatch(/<[@!]|@(here|channel|everyone)/);
      const markdown = markdownText(`hi ${ping} there`, 12_000);
      expect(markdown).not.toContain(ping);
      expect(markdown).not.toMatch(/<[@!#]|@(here|channel|everyone)/);
    });
  }
});

describe('the issue repro: a 200-character topic of <&> and 3,000 characters of feedback of <&>', () => {
  it('builds a superseded card whose every section fits in 3,000 characters', () => {
    const topic = '<&>'.repeat(67).slice(0, 200);
    const feedback = '<&>'.repeat(1_000);
    const card = supersededCardMessage({
      workflowId: 'research-x-20261202-abc123',
      topic,
      article: 'Body',
      version: 1,
      nextVersion: 2,
      requestedBy: 'U0REVIEWER',
      feedback,
      totalTokens: 10,
    });
    for (const block of card.blocks) {
      const text = (block as { text?: { text?: string } }).text?.text;
      if (block.type === 'section' && text) expect(text.length).toBeLessThanOrEqual(3_000);
      if (block.type === 'header' && text) expect(text.length).toBeLessThanOrEqual(150);
    }
    expect(card.text.length).toBeLessThanOrEqual(40_000);
  });
});

describe('cut on long text (segmented in windows)', () => {
  // Flags (regional-indicator pairs), a ZWJ family, a combining accent and an entity, so that
  // window edges fall inside clusters at many offsets.
  const mixed = '🇫🇷🇩🇪👨‍👩‍👧‍👦e\u0301&amp;x'.repeat(400);
  const whole = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(mixed)].map((s) => s.segment);

  it.each([100, 511, 512, 513, 1_000, 2_999, 3_000])('cut to %i ends on a cluster boundary the whole-string segmenter agrees with', (max) => {
    const kept = cut(mixed, max).slice(0, -1); // without the ellipsis
    let prefix = '';
    for (const cluster of whole) {
      if (prefix.length >= kept.length) break;
      prefix += cluster;
    }
    expect(prefix).toBe(kept);
    expect(slackLength(kept)).toBeLessThanOrEqual(max - 1);
    expect(slackLength(kept)).toBeGreaterThan(max - 12); // stopped only for the last cluster, not early
  });

  it('cuts a 100,000-character article to its limit', () => {
    const article = 'A'.repeat(100_000);
    expect(cut(article, 11_000)).toBe(`${'A'.repeat(10_999)}…`);
  });
});
