import { describe, expect, it } from 'vitest';
import type { ContextBlock, KnownBlock, MarkdownBlock } from '@slack/types';
import { PUBLISH_CHARS_PER_MESSAGE, publishMessages, type PublishInput } from '../../src/slack/blocks/publish.js';
import type { SlackMessage } from '../../src/slack/blocks/pipeline.js';

const WORKFLOW_URL = 'http://localhost:8233/namespaces/default/workflows/research-durable-execution-20240305-k3x9q0';

const base: PublishInput = {
  topic: 'Durable execution for AI agents',
  article: '# Durable execution\n\nAgents crash. **Workflows** do not.\n\n- one\n- two',
  requestedBy: 'U0REQUESTER',
  approvedBy: 'U0APPROVER',
  versions: 1,
  edited: false,
  costUsd: 0.01234567,
  costComplete: true,
  workflowUrl: WORKFLOW_URL,
};

function markdownOf(message: SlackMessage): MarkdownBlock {
  const blocks = message.blocks.filter((b: KnownBlock): b is MarkdownBlock => b.type === 'markdown');
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

function footerOf(message: SlackMessage): string | undefined {
  const context = message.blocks.filter((b: KnownBlock): b is ContextBlock => b.type === 'context');
  if (context.length === 0) return undefined;
  expect(context).toHaveLength(1);
  const [element] = context[0]!.elements;
  expect(element).toMatchObject({ type: 'mrkdwn' });
  return (element as { text: string }).text;
}

/** Paragraphs of words, `length` characters in all. */
function longArticle(length: number): string {
  const paragraphs: string[] = [];
  let total = 0;
  let i = 0;
  while (total < length) {
    const p = `Paragraph ${i} ` + Array.from({ length: 60 }, (_, j) => `word${(i * 7 + j) % 97}`).join(' ') + '.';
    paragraphs.push(p);
    total += p.length + 2;
    i += 1;
  }
  return paragraphs.join('\n\n').slice(0, length);
}

describe('publishMessages: a short article', () => {
  const messages = publishMessages(base);
  const message = messages[0]!;

  it('is one message: the article in a markdown block, then a footer', () => {
    expect(messages).toHaveLength(1);
    expect(message.blocks.map((b) => b.type)).toEqual(['markdown', 'context']);
    expect(markdownOf(message).text).toBe(base.article);
  });

  it('names the topic in the fallback text, without a part label', () => {
    expect(message.text).toBe(base.topic);
  });

  it('says who asked and who approved', () => {
    const footer = footerOf(message)!;
    expect(footer).toContain('Requested by <@U0REQUESTER>');
    expect(footer).toContain('approved by <@U0APPROVER>');
    expect(footer).not.toContain('(with edits)');
  });

  it('says when the approver edited the article', () => {
    expect(footerOf(publishMessages({ ...base, edited: true })[0]!)).toContain('approved by <@U0APPROVER> (with edits)');
  });

  it('counts versions, singular and plural', () => {
    expect(footerOf(message)).toContain(' · 1 version · ');
    expect(footerOf(publishMessages({ ...base, versions: 3 })[0]!)).toContain(' · 3 versions · ');
  });

  it('shows the cost with four decimals', () => {
    expect(footerOf(message)).toContain('cost $0.0123');
    expect(footerOf(publishMessages({ ...base, costUsd: 0 })[0]!)).toContain('cost $0.0000');
    expect(footerOf(publishMessages({ ...base, costUsd: 1.5 })[0]!)).toContain('cost $1.5000');
    expect(footerOf(message)).not.toContain('cost unknown');
  });

  it('adds "+ cost unknown" when some step had no price', () => {
    expect(footerOf(publishMessages({ ...base, costComplete: false })[0]!)).toContain('cost $0.0123 + cost unknown');
  });

  it('links to the workflow', () => {
    expect(footerOf(message)).toContain(`<${WORKFLOW_URL}|workflow>`);
  });

  it('puts the footer together in order, separated by middle dots', () => {
    expect(footerOf(publishMessages({ ...base, versions: 2, edited: true, costComplete: false })[0]!)).toBe(
      `Requested by <@U0REQUESTER> · approved by <@U0APPROVER> (with edits) · 2 versions · cost $0.0123 + cost unknown · <${WORKFLOW_URL}|workflow>`,
    );
  });

  it('keeps an article of exactly PUBLISH_CHARS_PER_MESSAGE characters in one message', () => {
    const article = longArticle(PUBLISH_CHARS_PER_MESSAGE);
    expect(article.length).toBe(PUBLISH_CHARS_PER_MESSAGE);
    const result = publishMessages({ ...base, article });
    expect(result).toHaveLength(1);
    expect(markdownOf(result[0]!).text).toBe(article);
  });
});

describe('publishMessages: a long article', () => {
  const article = longArticle(2 * PUBLISH_CHARS_PER_MESSAGE + 4_321);
  const messages = publishMessages({ ...base, article });

  it('is split over several messages', () => {
    expect(messages.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps each markdown block within PUBLISH_CHARS_PER_MESSAGE', () => {
    for (const message of messages) {
      const text = markdownOf(message).text;
      expect([...text].length).toBeLessThanOrEqual(PUBLISH_CHARS_PER_MESSAGE);
      expect(text.trim().length).toBeGreaterThan(0);
    }
  });

  it('loses nothing: the markdown blocks concatenated are the article exactly', () => {
    expect(messages.map((m) => markdownOf(m).text).join('')).toBe(article);
  });

  it('cuts between paragraphs when it can', () => {
    for (const message of messages.slice(0, -1)) expect(markdownOf(message).text).toMatch(/\.$/);
    for (const message of messages.slice(1)) expect(markdownOf(message).text.startsWith('\n\n')).toBe(true);
  });

  it('puts the footer only on the last message', () => {
    messages.slice(0, -1).forEach((message) => {
      expect(footerOf(message)).toBeUndefined();
      expect(message.blocks.map((b) => b.type)).toEqual(['markdown']);
    });
    expect(footerOf(messages.at(-1)!)).toContain('Requested by <@U0REQUESTER>');
  });

  it('labels each part in the fallback text', () => {
    messages.forEach((message, index) => {
      expect(message.text).toBe(`${base.topic} (part ${index + 1} of ${messages.length})`);
    });
  });

  it('splits an article without any break and keeps it whole', () => {
    const solid = 'x'.repeat(2 * PUBLISH_CHARS_PER_MESSAGE + 1);
    const parts = publishMessages({ ...base, article: solid });
    expect(parts.map((m) => markdownOf(m).text.length)).toEqual([PUBLISH_CHARS_PER_MESSAGE, PUBLISH_CHARS_PER_MESSAGE, 1]);
    expect(parts.map((m) => markdownOf(m).text).join('')).toBe(solid);
  });

  it('never splits an emoji across messages', () => {
    const emoji = '😀'.repeat(PUBLISH_CHARS_PER_MESSAGE + 5);
    const parts = publishMessages({ ...base, article: emoji });
    expect(parts).toHaveLength(2);
    for (const part of parts) expect(markdownOf(part).text).toMatch(/^(😀)+$/u);
    expect(parts.map((m) => markdownOf(m).text).join('')).toBe(emoji);
  });
});

describe('publishMessages: the topic in the fallback text', () => {
  it('is escaped, so a topic cannot ping the channel or mention anyone', () => {
    const [message] = publishMessages({ ...base, topic: '<!channel> & <@U999> <https://evil.example|docs>' });
    expect(message!.text).toBe('&lt;!channel&gt; &amp; &lt;@U999&gt; &lt;https://evil.example|docs&gt;');
    expect(message!.text).not.toMatch(/[<>]/);
  });

  it('is cut to 200 characters', () => {
    const [message] = publishMessages({ ...base, topic: 't'.repeat(500) });
    expect([...message!.text].length).toBeLessThanOrEqual(200);
    expect(message!.text.endsWith('…')).toBe(true);
  });

  it('is escaped in every part of a long article', () => {
    const messages = publishMessages({ ...base, topic: 'A <!here> topic', article: longArticle(PUBLISH_CHARS_PER_MESSAGE * 2) });
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(message.text).toMatch(/^A &lt;!here&gt; topic \(part \d of \d\)$/);
  });

  it('keeps the part label when the topic is long', () => {
    const messages = publishMessages({ ...base, topic: 'x'.repeat(195), article: longArticle(PUBLISH_CHARS_PER_MESSAGE * 2) });
    messages.forEach((message, index) => {
      expect(message.text.endsWith(`(part ${index + 1} of ${messages.length})`)).toBe(true);
    });
  });
});
