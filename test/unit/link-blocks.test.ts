/** The draft card's links section (src/slack/blocks/links.ts) on the draft, superseded and decided cards: within Slack's limits, escaped. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkBlocks, MAX_LINKS_LISTED } from '../../src/slack/blocks/links.js';
import { decidedCardMessage, draftCardMessage, supersededCardMessage, type DraftCardInput } from '../../src/slack/blocks/pipeline.js';
import { blockProblems } from '../../src/stand-ins/slack/rules.js';

const base: DraftCardInput = { workflowId: 'wf-1', topic: 'Links', article: '', totalTokens: 10, version: 1, revisionsLeft: 1 };
const textOf = (blocks: unknown) => JSON.stringify(blocks);

function accepted(blocks: unknown[]): void {
  expect(blockProblems(blocks as never, 'message')).toEqual([]);
}

describe('links on the draft card', () => {
  it('0 links: no section (and nothing removed: no note)', () => {
    expect(linkBlocks('No links here, only [1] a citation.', { known: [] })).toEqual([]);
    const card = draftCardMessage({ ...base, article: 'Plain text.', links: { known: [] } });
    expect(textOf(card.blocks)).not.toContain('Links in this draft');
    accepted(card.blocks);
  });

  it('1 planted phish: label → real domain, marked as in no source and as naming another site; nothing live with a deceptive label', () => {
    const article = 'Log in at [docs.company.com](https://evil.example/login?a=<b>&c) today.';
    const card = draftCardMessage({ ...base, article, links: { known: ['https://docs.company.com'] } });
    accepted(card.blocks);
    const section = card.blocks.find((b) => b.block_id === 'links') as { text: { text: string } };
    const text = section.text.text;
    expect(text).toContain('*Links in this draft (1)* · 1 not in any source · 1 with a label naming another site');
    expect(text).toContain('“docs.company.com” → *evil.example*');
    expect(text).toContain('`https://evil.example/login?a=%3Cb%3E&amp;c`'); // the target as linked, escaped, in code: never a link
    expect(text).toContain(':warning: not in any source');
    expect(text).toContain('the label names *docs.company.com*');
    expect(text).not.toMatch(/<https?:/); // no Slack link markup at all
    expect(text).toContain('Approving publishes exactly these.');
    // Once decided, the card still lists them, without the call to approve.
    const decided = decidedCardMessage({ ...base, article, links: { known: [] }, decision: { outcome: 'rejected', by: 'U1', at: '2026-12-03T10:00:00Z', version: 1 } });
    accepted(decided.blocks);
    const decidedText = (decided.blocks.find((b) => b.block_id === 'links') as { text: { text: string } }).text.text;
    expect(decidedText).toContain('*Links in this draft (1)*');
    expect(decidedText).not.toContain('Approving');
  });

  it('a sourced link is listed without a warning, with the source it came from; a run without known URLs says it was not checked', () => {
    const article = 'See [guide](https://docs.example.com/guide/).';
    const sourced = textOf(linkBlocks(article, { known: ['https://docs.example.com/guide'], from: ['[2] corpus/<guide>.md'] }));
    expect(sourced).toContain('all in the sources');
    expect(sourced).not.toContain('not in any source');
    expect(sourced).toContain('_from [2] corpus/&lt;guide&gt;.md_');
    expect(textOf(linkBlocks(article, { known: ['https://docs.example.com/guide'] }))).not.toContain('_from');
    const unchecked = textOf(linkBlocks(article, undefined));
    expect(unchecked).toContain('not checked against the sources');
    expect(unchecked).not.toContain(':warning:');
  });

  it('60 links with long URLs and labels: capped within a section, "and N more", the whole card accepted', () => {
    const long = 'x'.repeat(3_000);
    const article = Array.from({ length: 60 }, (_, i) => `[${'<&>'.repeat(400)} ${i}](https://site${i}.example/${long}?q=${'&'.repeat(500)})`).join('\n');
    const links = { known: ['https://site3.example/x'], policy: 'strip-unsourced' as const, removed: { count: 70, domains: Array.from({ length: 10 }, (_, i) => `${'d'.repeat(200)}${i}.example`) } };
    for (const card of [
      draftCardMessage({ ...base, article, links }),
      supersededCardMessage({ ...base, article, links, nextVersion: 2, requestedBy: 'U1', feedback: 'more' }),
      decidedCardMessage({ ...base, article, links, decision: { outcome: 'approved', by: 'U1', at: '2026-12-03T10:00:00Z', version: 1 } }),
    ]) {
      accepted(card.blocks);
      const section = card.blocks.find((b) => b.block_id === 'links') as { text: { text: string } };
      expect([...section.text.text].length).toBeLessThanOrEqual(3_000);
      expect(section.text.text).toContain('*Links in this draft (60)*');
      expect(section.text.text).toMatch(/…and \d+ more$/);
      expect(Number(/…and (\d+) more$/.exec(section.text.text)![1])).toBeGreaterThanOrEqual(60 - MAX_LINKS_LISTED);
      expect(section.text.text).not.toContain('<&>');
    }
    expect(textOf(draftCardMessage({ ...base, article, links }).blocks)).toContain('70 links the writer added appear in no source and were removed before review (LINK_POLICY=strip-unsourced)');
  });

  it('labels and URLs cannot break out of their formatting: backticks, mentions, newlines', () => {
    const article = '[<!channel> `x` @here\nsecond](https://a.example/`<@U1>`)';
    const text = textOf(linkBlocks(article, { known: [] }));
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U1>');
    expect(text).toContain('@\u200Bhere');
    expect(text).toContain('%60');
  });

  it('the same link twice is listed once; links with warnings come first', () => {
    const article = '[a](https://ok.example) [b](https://evil.example) [a](https://ok.example)';
    const text = (linkBlocks(article, { known: ['https://ok.example'] })[0] as { text: { text: string } }).text.text;
    expect(text).toContain('(2)');
    expect(text.indexOf('evil.example')).toBeLessThan(text.indexOf('ok.example'));
  });
});

describe('property-based: the links section on random and adversarial drafts (fast-check; the seed is printed on failure)', () => {
  const piece = fc.constantFrom('[', '](', ')', '<', '>', '|', '![', '`', ' ', '\n', 'https://', 'www.', 'mailto:a@', 'evil.example', 'docs.company.com', 'ра',
    '<@U1>', '<!channel>', '@here', '<!subteam^S1>', '&', '*', '_', '~', '\u202E', '😀', 'x'.repeat(300));
  const draft = fc.array(fc.oneof(piece, fc.string({ maxLength: 10 })), { maxLength: 150 }).map((parts) => parts.join(''));

  it('always within Slack limits, never a live mention, never Slack link markup', () => {
    fc.assert(fc.property(draft, fc.boolean(), (article, checked) => {
      const blocks = linkBlocks(article, checked ? { known: ['https://evil.example'], from: ['research'], removed: { count: 1, domains: ['<!here>'] } } : undefined);
      accepted(blocks);
      const text = textOf(blocks);
      expect(text).not.toMatch(/<[@!#]/);
      expect(text).not.toMatch(/(?<!\u200B)@(here|channel|everyone)\b/);
      expect(text).not.toMatch(/<https?:/);
    }), { numRuns: 2_000 });
  });
});
