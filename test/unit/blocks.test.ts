import { describe, expect, it } from 'vitest';
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MarkdownBlock, SectionBlock } from '@slack/types';
import {
  APPROVE_ACTION_ID,
  MAX_ARTICLE_CHARS,
  REJECT_ACTION_ID,
  REVIEW_BLOCK_ID,
  versionFromBlockId,
  decidedCardMessage,
  decisionLine,
  draftCardMessage,
  threadRootMessage,
  type DraftCardInput,
  type SlackMessage,
} from '../../src/slack/blocks/pipeline.js';
import { escapeMrkdwn, link, cut, userMention, workflowUrl } from '../../src/slack/blocks/text.js';
import type { Decision } from '../../src/workflows/messages.js';

const WORKFLOW_ID = 'research-durable-execution-20240305-k3x9q0';
const UI = 'http://localhost:8233';
const AT = '2025-01-02T03:04:05.678Z';
const AT_SECONDS = 1735787045;

function blocksOfType<T extends KnownBlock['type']>(message: SlackMessage, type: T): Extract<KnownBlock, { type: T }>[] {
  return message.blocks.filter((b): b is Extract<KnownBlock, { type: T }> => b.type === type);
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** Every mrkdwn string in a message's section and context blocks. */
function mrkdwnTexts(message: SlackMessage): string[] {
  const texts: string[] = [];
  for (const block of message.blocks) {
    if (block.type === 'section') {
      const section = block as SectionBlock;
      if (section.text?.type === 'mrkdwn') texts.push(section.text.text);
    } else if (block.type === 'context') {
      for (const element of (block as ContextBlock).elements) {
        if ('type' in element && element.type === 'mrkdwn') texts.push(element.text);
      }
    }
  }
  return texts;
}

const draftInput: DraftCardInput = {
  workflowId: WORKFLOW_ID,
  topic: 'Durable execution for AI agents',
  article: '# Durable execution\n\nAgents crash. **Workflows** do not.\n\n- one\n- two',
  totalTokens: 12_345,
};

describe('escapeMrkdwn', () => {
  it('neutralises a channel-wide mention', () => {
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;');
    expect(escapeMrkdwn('hey <!here> and <!everyone>')).toBe('hey &lt;!here&gt; and &lt;!everyone&gt;');
  });

  it('neutralises a user mention', () => {
    expect(escapeMrkdwn('<@U123>')).toBe('&lt;@U123&gt;');
  });

  it('neutralises a disguised link', () => {
    expect(escapeMrkdwn('<https://evil.example|docs.temporal.io>')).toBe('&lt;https://evil.example|docs.temporal.io&gt;');
  });

  it('escapes ampersands, and does so first so entities are not double-decoded', () => {
    expect(escapeMrkdwn('Tom & Jerry')).toBe('Tom &amp; Jerry');
    expect(escapeMrkdwn('&lt;!channel&gt;')).toBe('&amp;lt;!channel&amp;gt;');
  });

  it('leaves no raw control characters behind', () => {
    const escaped = escapeMrkdwn('<<!channel>> & <@U1|name> <#C1> >>');
    expect(escaped).not.toMatch(/[<>]/);
    expect(escaped.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
  });

  it('leaves ordinary text and formatting characters alone', () => {
    expect(escapeMrkdwn('*bold* _italic_ `code` ~strike~ 🚀 café')).toBe('*bold* _italic_ `code` ~strike~ 🚀 café');
    expect(escapeMrkdwn('')).toBe('');
  });
});

describe('text helpers', () => {
  it('userMention formats a user ID as a mention', () => {
    expect(userMention('U123ABC')).toBe('<@U123ABC>');
  });

  it('link escapes its label but not its URL', () => {
    expect(link('https://x.example/a?b=1&c=2', 'a <b> & c')).toBe('<https://x.example/a?b=1&c=2|a &lt;b&gt; &amp; c>');
  });

  it('cut leaves short text alone and cuts long text to max with an ellipsis', () => {
    expect(cut('hello', 10)).toBe('hello');
    expect(cut('hello', 5)).toBe('hello');
    expect(cut('hello world', 5)).toBe('hell…');
    expect(cut('hello world', 5)).toHaveLength(5);
    expect(cut('hello', 1)).toBe('…');
  });
});

describe('workflowUrl', () => {
  it('links to the workflow in its namespace', () => {
    expect(workflowUrl(UI, 'default', WORKFLOW_ID)).toBe(`${UI}/namespaces/default/workflows/${WORKFLOW_ID}`);
  });

  it('drops trailing slashes from the UI base', () => {
    expect(workflowUrl(`${UI}///`, 'default', 'wf')).toBe(`${UI}/namespaces/default/workflows/wf`);
  });

  it('keeps a path prefix on the UI base', () => {
    expect(workflowUrl('https://ui.example.com/temporal/', 'prod', 'wf')).toBe(
      'https://ui.example.com/temporal/namespaces/prod/workflows/wf',
    );
  });

  it('encodes the workflow ID and namespace as single path segments', () => {
    const url = workflowUrl(UI, 'team a/b', 'wf/../x y?z#w&v');
    expect(url).toBe(`${UI}/namespaces/team%20a%2Fb/workflows/wf%2F..%2Fx%20y%3Fz%23w%26v`);
    expect(new URL(url).pathname.split('/')).toHaveLength(5);
  });

  it('produces a URL that decodes back to the workflow ID', () => {
    const id = 'research-x-20240305-abc|<!channel>';
    const url = new URL(workflowUrl(UI, 'my.namespace', id));
    const segments = url.pathname.split('/');
    expect(decodeURIComponent(segments[4]!)).toBe(id);
    expect(decodeURIComponent(segments[2]!)).toBe('my.namespace');
    // No raw '|' or '>' that would break a Slack <url|label> link.
    expect(url.href).not.toMatch(/[|<>]/);
  });
});

describe('threadRootMessage', () => {
  const hostile = '<!channel> & <@U999> <https://evil.example|click>';
  const url = workflowUrl(UI, 'default', WORKFLOW_ID);
  const message = threadRootMessage({ topic: hostile, requestedBy: 'U123', workflowId: WORKFLOW_ID, workflowUrl: url });

  it('escapes the topic in the blocks', () => {
    const section = only(blocksOfType(message, 'section'));
    expect(section.text?.text).toContain(escapeMrkdwn(hostile));
    for (const text of mrkdwnTexts(message)) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U999>');
      expect(text).not.toContain('<https://evil.example');
    }
  });

  it('mentions the requester', () => {
    const section = only(blocksOfType(message, 'section'));
    expect(section.text?.text).toContain('<@U123>');
    expect(message.text).toContain('<@U123>');
  });

  it('links to the workflow in the Temporal UI and shows its ID', () => {
    const context = only(blocksOfType(message, 'context'));
    const texts = context.elements.map((e) => ('text' in e ? e.text : ''));
    expect(texts.join('\n')).toContain(`<${url}|open in Temporal UI>`);
    expect(texts.join('\n')).toContain(`\`${WORKFLOW_ID}\``);
  });

  it('keeps the fallback text within 300 characters', () => {
    const long = threadRootMessage({
      topic: 'x'.repeat(1_000),
      requestedBy: 'U123',
      workflowId: WORKFLOW_ID,
      workflowUrl: url,
    });
    expect(long.text.length).toBeLessThanOrEqual(300);
    expect(long.text).toContain('…" for <@U123>');
  });
});

describe('draftCardMessage', () => {
  const message = draftCardMessage(draftInput);

  it('shows the article in a markdown block, unchanged', () => {
    const markdown: MarkdownBlock = only(blocksOfType(message, 'markdown'));
    expect(markdown.text).toBe(draftInput.article);
  });

  it('has a header naming the topic', () => {
    const header: HeaderBlock = only(blocksOfType(message, 'header'));
    expect(header.text.type).toBe('plain_text');
    expect(header.text.text).toBe(`Draft v1: ${draftInput.topic}`);
    const v3 = only(blocksOfType(draftCardMessage({ ...draftInput, version: 3 }), 'header'));
    expect(v3.text.text).toBe(`Draft v3: ${draftInput.topic}`);
  });

  it('reports tokens used, formatted for reading', () => {
    const [usage] = blocksOfType(message, 'context');
    expect(usage!.elements).toEqual([{ type: 'mrkdwn', text: '12,345 tokens used so far' }]);
  });

  it('has one actions block, "review:v<version>", with Approve, Edit, Reject and Cancel carrying the workflow ID', () => {
    const actions: ActionsBlock = only(blocksOfType(message, 'actions'));
    expect(actions.block_id).toBe(`${REVIEW_BLOCK_ID}:v1`);
    expect(REVIEW_BLOCK_ID).toBe('review');
    expect(versionFromBlockId(actions.block_id)).toBe(1);
    expect((actions.elements as Button[]).map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, 'edit_draft', REJECT_ACTION_ID, 'cancel_pipeline']);
    expect((actions.elements as Button[]).every((b) => b.value === WORKFLOW_ID)).toBe(true);
    const [approve, , reject] = actions.elements as Button[];
    expect(approve).toMatchObject({
      type: 'button',
      action_id: APPROVE_ACTION_ID,
      value: WORKFLOW_ID,
      style: 'primary',
      text: { type: 'plain_text', text: 'Approve' },
    });
    expect(reject).toMatchObject({
      type: 'button',
      action_id: REJECT_ACTION_ID,
      value: WORKFLOW_ID,
      style: 'danger',
      text: { type: 'plain_text', text: 'Reject' },
    });
    expect([APPROVE_ACTION_ID, REJECT_ACTION_ID]).toEqual(['approve_draft', 'reject_draft']);
  });

  it('offers Request changes only while revisions are left, and says how many', () => {
    const withRevisions = draftCardMessage({ ...draftInput, revisionsLeft: 2 });
    const ids = (only(blocksOfType(withRevisions, 'actions')).elements as Button[]).map((b) => b.action_id);
    expect(ids).toEqual([APPROVE_ACTION_ID, 'request_changes', 'edit_draft', REJECT_ACTION_ID, 'cancel_pipeline']);
    expect(JSON.stringify(withRevisions.blocks)).toContain('request changes (2 revisions left)');
    expect(JSON.stringify(message.blocks)).toContain('No revisions left');
  });

  it('says before anyone approves that approving publishes in PUBLISH_CHANNEL, and only then', () => {
    const elsewhere = draftCardMessage({ ...draftInput, revisionsLeft: 1, publishChannel: 'C0EDITORS1' });
    const note = mrkdwnTexts(elsewhere).find((text) => text.includes('Approve it'));
    expect(note).toBe('Approve it, edit it yourself, request changes (1 revision left), or reject it. Approving publishes it in <#C0EDITORS1>.');
    // The line sits above the buttons, with the other instructions.
    expect(elsewhere.blocks.map((b) => b.type)).toEqual(['header', 'markdown', 'divider', 'context', 'context', 'actions']);
    expect(mrkdwnTexts(message).join('\n')).not.toContain('Approving publishes');
  });

  it('reads the version back from a block ID, and nothing from a foreign one', () => {
    expect(versionFromBlockId('review:v12')).toBe(12);
    expect(versionFromBlockId('review')).toBeUndefined();
    expect(versionFromBlockId('review:v1; drop')).toBeUndefined();
    expect(versionFromBlockId(undefined)).toBeUndefined();
  });

  it('puts the buttons last, after the article', () => {
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'markdown', 'divider', 'context', 'context', 'actions']);
  });

  it('stays within Slack limits (≤ 50 blocks, fallback ≤ 300 chars, header ≤ 150 chars)', () => {
    const huge = draftCardMessage({ ...draftInput, topic: 'T'.repeat(2_000), article: 'A'.repeat(100_000) });
    expect(huge.blocks.length).toBeLessThanOrEqual(50);
    expect(huge.text.length).toBeLessThanOrEqual(300);
    const header = only(blocksOfType(huge, 'header'));
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.text.length).toBeLessThanOrEqual(300);
  });

  it('has a fallback text that names the draft', () => {
    expect(message.text).toBe(`Draft v1 ready for review: ${draftInput.topic}`);
  });

  it('truncates a very long article to MAX_ARTICLE_CHARS, ending with an ellipsis', () => {
    const article = `${'Lorem ipsum dolor sit amet. '.repeat(1_000)}THE END`;
    expect(article.length).toBeGreaterThan(MAX_ARTICLE_CHARS);
    const markdown = only(blocksOfType(draftCardMessage({ ...draftInput, article }), 'markdown'));
    expect(markdown.text).toHaveLength(MAX_ARTICLE_CHARS);
    expect(markdown.text.endsWith('…')).toBe(true);
    expect(markdown.text).not.toContain('THE END');
    expect(article.startsWith(markdown.text.slice(0, -1))).toBe(true);
  });

  it('keeps an article of exactly MAX_ARTICLE_CHARS whole', () => {
    const article = 'b'.repeat(MAX_ARTICLE_CHARS);
    const markdown = only(blocksOfType(draftCardMessage({ ...draftInput, article }), 'markdown'));
    expect(markdown.text).toBe(article);
  });

  it('leaves room under the 12,000 character markdown limit', () => {
    expect(MAX_ARTICLE_CHARS).toBeLessThanOrEqual(12_000);
  });
});

describe('decidedCardMessage', () => {
  function decided(decision: Decision): SlackMessage {
    return decidedCardMessage({ ...draftInput, decision });
  }

  function decisionText(message: SlackMessage): string {
    const section = only(blocksOfType(message, 'section'));
    expect(section.block_id).toBe('decision');
    return section.text!.text;
  }

  it.each<Decision>([
    { outcome: 'approved', by: 'U42', at: AT },
    { outcome: 'rejected', by: 'U7', at: AT },
    { outcome: 'expired', at: AT },
  ])('has no buttons once the review is over ($outcome)', (decision) => {
    const message = decided(decision);
    expect(blocksOfType(message, 'actions')).toHaveLength(0);
    expect(JSON.stringify(message.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect(JSON.stringify(message.blocks)).not.toContain(REJECT_ACTION_ID);
  });

  it('keeps the same article, header and usage as the draft card', () => {
    const message = decided({ outcome: 'approved', by: 'U42', at: AT });
    const draft = draftCardMessage(draftInput);
    expect(message.blocks.slice(0, 4)).toEqual(draft.blocks.slice(0, 4));
    expect(only(blocksOfType(message, 'markdown')).text).toBe(draftInput.article);
  });

  it('states who approved it, and when', () => {
    const message = decided({ outcome: 'approved', by: 'U42', at: AT });
    const text = decisionText(message);
    expect(text).toContain('Approved by <@U42>');
    expect(text).toContain(`<!date^${AT_SECONDS}^{date_short_pretty} at {time}|${AT}>`);
    expect(message.text).toBe(`Draft approved: ${draftInput.topic}`);
  });

  it('states who rejected it', () => {
    const message = decided({ outcome: 'rejected', by: 'U7', at: AT });
    const text = decisionText(message);
    expect(text).toContain('Rejected by <@U7>');
    expect(text).not.toContain('Approved');
    expect(message.text).toBe(`Draft rejected: ${draftInput.topic}`);
  });

  it('states that the review expired, without naming anyone', () => {
    const message = decided({ outcome: 'expired', at: AT });
    const text = decisionText(message);
    expect(text).toContain('Review expired without a decision');
    expect(text).not.toMatch(/Approved|Rejected/);
    expect(text).not.toContain('<@');
    expect(message.text).toBe(`Draft expired: ${draftInput.topic}`);
  });

  it('keeps the fallback text within 300 characters', () => {
    const message = decidedCardMessage({
      ...draftInput,
      topic: 'y'.repeat(1_000),
      decision: { outcome: 'approved', by: 'U1', at: AT },
    });
    expect(message.text.length).toBeLessThanOrEqual(300);
  });
});

describe('decisionLine', () => {
  it('uses Slack date formatting so each reader sees their own time zone', () => {
    expect(decisionLine({ outcome: 'approved', by: 'U1', at: '2025-01-02T03:04:05Z' })).toBe(
      `:white_check_mark: Approved by <@U1> · <!date^${AT_SECONDS}^{date_short_pretty} at {time}|2025-01-02T03:04:05Z>`,
    );
    expect(decisionLine({ outcome: 'rejected', by: 'U2', at: AT })).toBe(
      `:x: Rejected by <@U2> · <!date^${AT_SECONDS}^{date_short_pretty} at {time}|${AT}>`,
    );
    expect(decisionLine({ outcome: 'expired', at: AT })).toBe(
      `:hourglass: Review expired without a decision · <!date^${AT_SECONDS}^{date_short_pretty} at {time}|${AT}>`,
    );
  });
});
