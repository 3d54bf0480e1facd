import { describe, expect, it } from 'vitest';
import { pieces, refusalNotice } from '../../src/slack/blocks/notices.js';
import { slackLength } from '../../src/slack/blocks/text.js';

const sectionTexts = (message: ReturnType<typeof refusalNotice>) =>
  message.blocks.map((b) => (b as { text?: { text: string } }).text?.text ?? '');

describe('refusalNotice', () => {
  it('says why, and gives the text back escaped, in sections within Slack’s 3,000 characters', () => {
    const text = `${'<&>'.repeat(3_000)}\n${'Paragraph with 🙂 & <@U123> @here.\n'.repeat(400)}`;
    const message = refusalNotice({ reason: 'Your edit was on v1, but v2 has been posted since.', returned: { label: 'Your edited text', text } });
    const texts = sectionTexts(message);
    expect(texts[0]).toContain('Your edit was on v1');
    expect(texts[1]).toContain('*Your edited text*, so it is not lost');
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const t of texts) expect(slackLength(t)).toBeLessThanOrEqual(3_000);
    const body = texts.slice(2).map((t) => t.replace(/^```\n|\n```$/g, '')).join('\n');
    expect(body).not.toMatch(/<[@!]/);
    expect(body).toContain('&lt;&amp;&gt;');
    // Nothing lost: the escaped pieces hold every line.
    expect(body.split('Paragraph with').length - 1).toBe(400);
  });

  it('a text longer than one message says it shows the first parts', () => {
    const message = refusalNotice({ reason: 'r', returned: { label: 'Your feedback', text: 'x'.repeat(200_000) } });
    expect(message.blocks.length).toBe(50);
    expect(sectionTexts(message)[1]).toMatch(/the first 48 of \d+ parts/);
  });

  it('no text, no label', () => {
    expect(refusalNotice({ reason: 'Only reviewers can decide.' }).blocks).toHaveLength(1);
    expect(pieces('')).toEqual([]);
  });
});
