import { describe, expect, it } from 'vitest';
import type { HeaderBlock, KnownBlock, MarkdownBlock, SectionBlock } from '@slack/types';
import {
  REVIEW_BLOCK_ID,
  decisionLine,
  draftCardMessage,
  reviewBlockId,
  supersededCardMessage,
  versionFromBlockId,
  type SupersededCardInput,
} from '../../src/slack/blocks/pipeline.js';
import type { Decision } from '../../src/workflows/messages.js';

const WORKFLOW_ID = 'research-durable-execution-20240305-k3x9q0';
const AT = '2025-01-02T03:04:05.678Z';
const WHEN = `<!date^1735787045^{date_short_pretty} at {time}|${AT}>`;

const superseded: SupersededCardInput = {
  workflowId: WORKFLOW_ID,
  topic: 'Durable execution for AI agents',
  article: '# Durable execution\n\nAgents crash. **Workflows** do not.',
  version: 1,
  revisionsLeft: 2,
  totalTokens: 12_345,
  costUsd: 0.0042,
  nextVersion: 2,
  requestedBy: 'U0REVIEWER',
  feedback: 'Shorter intro, please, and add a healthcare example.',
};

function supersededSection(blocks: KnownBlock[]): SectionBlock {
  const sections = blocks.filter((b): b is SectionBlock => b.type === 'section' && b.block_id === 'superseded');
  expect(sections).toHaveLength(1);
  return sections[0]!;
}

describe('supersededCardMessage', () => {
  const message = supersededCardMessage(superseded);

  it('has no buttons left to click', () => {
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(message.blocks)).not.toContain('"button"');
  });

  it('keeps the article and its header, so the old version can still be read', () => {
    const header = message.blocks.find((b): b is HeaderBlock => b.type === 'header');
    expect(header?.text.text).toBe('Draft v1: Durable execution for AI agents');
    const markdown = message.blocks.find((b): b is MarkdownBlock => b.type === 'markdown');
    expect(markdown?.text).toBe(superseded.article);
  });

  it('points to the next version, in the card and in the fallback text', () => {
    expect(supersededSection(message.blocks).text?.text).toContain('Superseded by v2');
    expect(message.text).toBe('Draft v1 superseded by v2');
  });

  it('names who asked for changes and quotes their feedback', () => {
    const text = supersededSection(message.blocks).text!.text;
    expect(text).toContain('<@U0REVIEWER> requested changes');
    expect(text).toContain(`“${superseded.feedback}”`);
  });

  it('escapes the feedback, so it cannot ping anyone or add links', () => {
    const text = supersededSection(
      supersededCardMessage({ ...superseded, feedback: 'Ask <!channel> & <@U999> about <https://evil.example|this>' }).blocks,
    ).text!.text;
    expect(text).toContain('“Ask &lt;!channel&gt; &amp; &lt;@U999&gt; about &lt;https://evil.example|this&gt;”');
    expect(text.match(/<[^>]*>/g)).toEqual(['<@U0REVIEWER>']);
  });

  it('cuts very long feedback', () => {
    const text = supersededSection(supersededCardMessage({ ...superseded, feedback: 'f'.repeat(5_000) }).blocks).text!.text;
    expect(text).toContain(`“${'f'.repeat(1_499)}…”`);
    expect(text.length).toBeLessThan(3_000); // Slack's limit for a section's text
  });

  it('names the later version for a later revision', () => {
    const later = supersededCardMessage({ ...superseded, version: 3, nextVersion: 4 });
    expect(later.text).toBe('Draft v3 superseded by v4');
    expect(supersededSection(later.blocks).text?.text).toContain('Superseded by v4');
  });
});

describe('decisionLine', () => {
  const decision = (overrides: Partial<Decision>): Decision => ({ outcome: 'approved', by: 'U0REVIEWER', at: AT, ...overrides });

  it('says who approved and when', () => {
    expect(decisionLine(decision({}))).toBe(`:white_check_mark: Approved by <@U0REVIEWER> · ${WHEN}`);
  });

  it('says an approval came with edits, and how many characters they changed', () => {
    const line = decisionLine(decision({ edit: { charactersChanged: 1_234, originalLength: 3_000, editedLength: 3_100 } }));
    expect(line).toBe(`:white_check_mark: Approved by <@U0REVIEWER> with their edits (1,234 characters changed) · ${WHEN}`);
  });

  it('says who rejected it, without a reason line when none was given', () => {
    const line = decisionLine(decision({ outcome: 'rejected' }));
    expect(line).toBe(`:x: Rejected by <@U0REVIEWER> · ${WHEN}`);
    expect(line).not.toContain('Reason');
    expect(decisionLine(decision({ outcome: 'rejected', reason: '' }))).not.toContain('Reason');
  });

  it('quotes the rejection reason on its own line, escaped', () => {
    const line = decisionLine(decision({ outcome: 'rejected', reason: 'Off-topic <!here> & wrong <@U999>' }));
    expect(line).toBe(`:x: Rejected by <@U0REVIEWER> · ${WHEN}\nReason: “Off-topic &lt;!here&gt; &amp; wrong &lt;@U999&gt;”`);
  });

  it('cuts a very long rejection reason', () => {
    const line = decisionLine(decision({ outcome: 'rejected', reason: 'r'.repeat(4_000) }));
    expect(line).toContain(`Reason: “${'r'.repeat(999)}…”`);
  });

  it('says who cancelled the pipeline, when known', () => {
    expect(decisionLine(decision({ outcome: 'cancelled', by: 'U0REQUESTER' }))).toBe(`:no_entry_sign: Pipeline cancelled by <@U0REQUESTER> · ${WHEN}`);
  });

  it('says the pipeline was cancelled without naming anyone when nobody is known', () => {
    const line = decisionLine({ outcome: 'cancelled', at: AT });
    expect(line).toBe(`:no_entry_sign: Pipeline cancelled · ${WHEN}`);
    expect(line).not.toContain('<@');
  });

  it('says who stopped it, or just that it stopped', () => {
    expect(decisionLine(decision({ outcome: 'stopped', by: 'U0REQUESTER' }))).toBe(`:octagonal_sign: Stopped by <@U0REQUESTER> · ${WHEN}`);
    expect(decisionLine({ outcome: 'stopped', at: AT })).toBe(`:octagonal_sign: Stopped · ${WHEN}`);
  });

  it('says an expired review had no decision, naming nobody', () => {
    const line = decisionLine({ outcome: 'expired', at: AT });
    expect(line).toBe(`:hourglass: Review expired without a decision · ${WHEN}`);
  });
});

describe('reviewBlockId / versionFromBlockId', () => {
  it('round-trips versions', () => {
    for (const version of [1, 2, 9, 10, 42, 999, 9_999]) {
      expect(reviewBlockId(version)).toBe(`${REVIEW_BLOCK_ID}:v${version}`);
      expect(versionFromBlockId(reviewBlockId(version))).toBe(version);
    }
  });

  it('is the block ID of the draft card’s buttons', () => {
    const card = draftCardMessage({ workflowId: WORKFLOW_ID, topic: 't', article: 'a', totalTokens: 0, version: 7 });
    const actions = card.blocks.find((b) => b.type === 'actions');
    expect(actions?.block_id).toBe(reviewBlockId(7));
    expect(versionFromBlockId(actions?.block_id)).toBe(7);
  });

  it('reads nothing from other or malformed block IDs', () => {
    for (const blockId of [undefined, '', 'review', 'review:', 'review:v', 'review:vx', 'review:v-1', 'review:v1.5', 'review:v12345', 'status_actions', ' review:v1', 'review:v1 ', 'xreview:v1']) {
      expect(versionFromBlockId(blockId)).toBeUndefined();
    }
  });
});
