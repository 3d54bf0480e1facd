/** The draft card's sources and evidence section, `/research kb`, and the --docs-only flag: pure builders. */
import { describe, expect, it } from 'vitest';
import { groundingBlocks, kbReply } from '../../src/slack/blocks/sources.js';
import { draftCardMessage } from '../../src/slack/blocks/pipeline.js';
import { parseSubcommand } from '../../src/slack/listeners/commands/subcommands.js';
import { docsOnlyFlag } from '../../src/slack/listeners/commands/research.js';
import { finishArticle } from '../../src/shared/grounding.js';
import type { GroundingCard, Passage } from '../../src/workflows/messages.js';

const passage = (n: number, text = `Passage ${n} text about Zephyr.`): Passage => ({ n, source: `docs/file-${n}.md`, section: `Guide › Part ${n}`, page: 0, text, score: 0.8 });

function textOf(blocks: unknown): string {
  return JSON.stringify(blocks);
}

describe('sources and evidence on the draft card', () => {
  it('lists the cited sources with a short snippet and the supported count, and names unsupported statements', () => {
    const card: GroundingCard = {
      grounding: { status: 'grounded', passages: [passage(1), passage(2), passage(3)] },
      evidence: {
        statements: [
          { statement: 'A [1].', verdict: 'supported', passage: 1 },
          { statement: 'B.', verdict: 'general', passage: 0 },
          { statement: 'The moon <b>landing</b> & more [2].', verdict: 'unsupported', passage: 2 },
        ],
        supported: 1,
        total: 3,
      },
    };
    const blocks = groundingBlocks(card, 'Text [1] and [2].');
    const text = textOf(blocks);
    expect(text).toContain('1 of 3 statements supported by your documents');
    expect(text).toContain('*[1]* docs/file-1.md, Guide › Part 1');
    expect(text).not.toContain('file-3.md'); // not cited
    expect(text).toContain('Not supported by your documents (1)');
    expect(text).toContain('The moon &lt;b&gt;landing&lt;/b&gt; &amp; more [2]. (cites [2])');
    expect(text).toContain('1 statement from the model');
  });

  it('stays within Block Kit limits with long passages and many unsupported statements', () => {
    const long = 'Zephyr '.repeat(2_000);
    const card: GroundingCard = {
      grounding: { status: 'grounded', passages: Array.from({ length: 20 }, (_, i) => passage(i + 1, long)) },
      evidence: { statements: Array.from({ length: 40 }, (_, i) => ({ statement: `${long} ${i}`, verdict: 'unsupported' as const, passage: 1 })), supported: 0, total: 40 },
    };
    const article = Array.from({ length: 20 }, (_, i) => `[${i + 1}]`).join(' ');
    const message = draftCardMessage({ workflowId: 'wf', topic: 't', article, totalTokens: 1, sources: card });
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks) {
      const section = block as { type: string; text?: { text: string } };
      if (section.type === 'section') expect([...section.text!.text].length).toBeLessThanOrEqual(3_000);
    }
    expect(textOf(message.blocks)).toContain('…and 35 more');
  });

  it('says when a run was not grounded, and why', () => {
    expect(textOf(groundingBlocks({ grounding: { status: 'nothing-relevant', passages: [] } }, ''))).toContain('Not grounded in team documents: nothing in them was relevant');
    expect(groundingBlocks(undefined, '')).toEqual([]);
    expect(finishArticle('# T\n\nBody.', { status: 'empty-index', passages: [] })).toBe('# T\n\nBody.\n\n_Not grounded in team documents: the knowledge base is empty._');
    // A cited article without a Sources list gets one from the passages.
    expect(finishArticle('# T\n\nZephyr [2].', { status: 'grounded', passages: [passage(1), passage(2)] })).toBe('# T\n\nZephyr [2].\n\n**Sources**\n[2] docs/file-2.md, Guide › Part 2');
  });
});

describe('/research kb and --docs-only', () => {
  it('parses kb as a subcommand and --docs-only as a flag', () => {
    expect(parseSubcommand('kb')).toEqual({ kind: 'kb' });
    expect(parseSubcommand('kb articles')).toBeUndefined();
    expect(docsOnlyFlag('Zephyr rollout --docs-only')).toEqual({ text: 'Zephyr rollout', docsOnly: true });
    expect(docsOnlyFlag('--docs-only Zephyr')).toEqual({ text: 'Zephyr', docsOnly: true });
    expect(docsOnlyFlag('docs-only thinking')).toEqual({ text: 'docs-only thinking', docsOnly: false });
  });

  it('describes what this conversation may use, or how to share documents with it, never where the index is', () => {
    const collection = { name: 'handbook', binding: { everywhere: false as const, channels: ['C0ONE'] }, files: 5, chunks: 8, tokens: 1234, root: '/srv/docs/handbook' };
    const stats = { uri: '/srv/kb', exists: true, files: 5, chunks: 8, tokens: 1234, lastIngest: '2026-12-02T10:00:00.000Z', models: ['text-embedding-3-small'], collections: [collection], legacyUnbound: false, channel: 'C0ONE' };
    expect(kbReply(stats, 'C0ONE')).toBe(
      '*Knowledge base for this conversation*\n• Collections: handbook\n• Files: 5 · chunks: 8 · tokens embedded: 1,234\n• Last ingest: 2026-12-02T10:00:00.000Z · embedding model: text-embedding-3-small',
    );
    const nothingHere = { ...stats, files: 0, chunks: 0, tokens: 0, collections: [], channel: 'C0TWO' };
    const other = kbReply(nothingHere, 'C0TWO');
    expect(other).toMatch(/^No documents are shared with this conversation/);
    expect(other).toContain('`npm run kb -- add <folder> --channel C0TWO`');
    expect(other).not.toMatch(/handbook|\/srv/);
    // Documents from before collections: the exact command, with this conversation's ID.
    expect(kbReply({ ...nothingHere, legacyUnbound: true }, 'C0TWO')).toContain('npm run kb -- bind legacy --channel C0TWO');
    expect(kbReply({ ...stats, exists: false, files: 0, collections: [] }, 'C0ONE')).toMatch(/^No documents are indexed yet.*npm run kb -- add <folder> --channel C0ONE/);
  });
});
