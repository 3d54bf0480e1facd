import { describe, expect, it } from 'vitest';
import type { SectionBlock } from '@slack/types';
import { reminderMessage, reviewerMention, type ReminderInput } from '../../src/slack/blocks/reminder.js';

const HOUR = 3_600_000;

const input: ReminderInput = {
  topic: 'Durable execution for AI agents',
  version: 2,
  reviewers: ['U0ALICE', 'S0EDITORS', 'W0BOB'],
  waitedMs: 4 * HOUR,
};

describe('reviewerMention', () => {
  it('mentions a person by user ID', () => {
    expect(reviewerMention('U0ALICE')).toBe('<@U0ALICE>');
  });

  it('mentions an Enterprise Grid user (W…) as a person', () => {
    expect(reviewerMention('W0BOB')).toBe('<@W0BOB>');
  });

  it('mentions a user group (S…) with the subteam syntax', () => {
    expect(reviewerMention('S0EDITORS')).toBe('<!subteam^S0EDITORS>');
  });
});

describe('reminderMessage', () => {
  const message = reminderMessage(input);

  it('is one section whose text is also the fallback text', () => {
    expect(message.blocks).toHaveLength(1);
    const section = message.blocks[0] as SectionBlock;
    expect(section.type).toBe('section');
    expect(section.text).toEqual({ type: 'mrkdwn', text: message.text });
  });

  it('mentions every reviewer, people and groups alike', () => {
    expect(message.text).toContain('<@U0ALICE> <!subteam^S0EDITORS> <@W0BOB>');
  });

  it('names the draft version and the topic', () => {
    expect(message.text).toContain('draft v2 of *Durable execution for AI agents*');
  });

  it('says how long the draft has waited', () => {
    expect(message.text).toContain('has waited 4h 0m for a review');
    expect(reminderMessage({ ...input, waitedMs: 90 * 60_000 }).text).toContain('has waited 1h 30m');
    expect(reminderMessage({ ...input, waitedMs: 3 * 24 * HOUR + 2 * HOUR }).text).toContain('has waited 3d 2h');
    expect(reminderMessage({ ...input, waitedMs: 45_000 }).text).toContain('has waited 45s');
  });

  it('says what the reviewers can do', () => {
    expect(message.text).toMatch(/Approve, edit, request changes or reject it/);
  });

  it('escapes the topic, so it cannot ping anyone or add links', () => {
    const text = reminderMessage({ ...input, topic: '<!channel> & <@U999> <https://evil.example|click>' }).text;
    expect(text).toContain('*&lt;!channel&gt; &amp; &lt;@U999&gt; &lt;https://evil.example|click&gt;*');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U999>');
    // The only raw mentions left are the reviewers'.
    expect(text.match(/<[^>]*>/g)).toEqual(['<@U0ALICE>', '<!subteam^S0EDITORS>', '<@W0BOB>']);
  });

  it('cuts a long topic to 150 characters without breaking an escaped entity', () => {
    const topic = `${'a'.repeat(147)}&&&&&&`;
    const text = reminderMessage({ ...input, topic }).text;
    const shown = /of \*(.*)\* has waited/.exec(text)![1]!;
    expect([...shown].length).toBeLessThanOrEqual(150);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).not.toMatch(/&(?!amp;)/);
  });

  it('mentions a single reviewer', () => {
    expect(reminderMessage({ ...input, reviewers: ['U0ALICE'] }).text).toMatch(/^:bell: <@U0ALICE> draft v2 /);
  });
});
