/**
 * Issue 22, item 4, end to end: a research answer carries a real link and the writer plants a
 * phishing one (as a poisoned document could make it). Signed `/research` → real Bolt → real Temporal
 * → the strict stand-in Slack:
 * - LINK_POLICY unset (show): the draft card lists both links with their real domains, the planted
 *   one marked "not in any source" and as a label naming another site; approving publishes exactly
 *   the links the card listed; a reviewer's edit adds a link, and the decided card lists it.
 * - The research answer carries a link with a lying label too (as a poisoned document would): it is
 *   in a source, so the card names that source, and marks its label.
 * - LINK_POLICY=strip-unsourced: the planted link is gone from the draft, the card says one link was
 *   removed and why, and the published article has only the sourced links.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractLinks } from '../../src/shared/links.js';
import { EDIT_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, EDIT_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { StoredMessage } from '../../src/stand-ins/slack/index.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';

const SOURCED = 'https://research.example/zephyr-study';
/** Planted by the writer (as a poisoned prompt could make it): in no source. */
const PLANTED = 'https://evil.example/login';
/** Planted in the research answer itself (as a poisoned document would be): in a source, but its label lies. */
const POISONED = 'https://portal-login.example/sso';
const RESEARCH = `Zephyr cut rollout failures by 40% (study: ${SOURCED}). Staff portal: [intranet.company.com](${POISONED}).`;
const DRAFT = `# Zephyr\n\nFailures fell by 40% ([the study](${SOURCED})).\n\nLog in at [docs.company.com](${PLANTED}) or [intranet.company.com](${POISONED}) to read more.\n`;

/** The links section of a card: its text, and the URLs it lists (in code, escaped). */
function cardLinks(message: StoredMessage | undefined): { text: string; urls: string[] } {
  const section = message?.blocks?.find((b) => b.block_id === 'links') as { text?: { text: string } } | undefined;
  const text = section?.text?.text ?? '';
  const urls = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  return { text, urls };
}

/** The published article's text (its markdown block; the footer is the bot's own). */
function published(stack: Stack, workflowId: string): string {
  const message = stack.slack.channelMessages(CHANNEL).find((m) => m.metadata?.event_payload.kind === 'publish_1' && m.metadata.event_payload.workflow_id === workflowId);
  expect(message, 'the published article').toBeDefined();
  return (message?.blocks ?? []).filter((b) => b.type === 'markdown').map((b) => String(b.text)).join('\n');
}

/** The draft card's article (its markdown block). */
const articleOn = (message: StoredMessage | undefined) => (message?.blocks ?? []).filter((b) => b.type === 'markdown').map((b) => String(b.text)).join('\n');

const urlsOf = (markdown: string) => [...new Set(extractLinks(markdown).map((l) => l.url))].sort();

describe('links are the reviewer\'s decision (LINK_POLICY=show, the default)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('a planted link is listed and marked on the card; approval publishes exactly the links the card listed', async () => {
    stack.openai.script('researchTopic', { content: RESEARCH });
    stack.openai.script('writeArticle', { content: DRAFT });
    await stack.research('zephyr rollout links');
    const { workflowId, threadTs } = await stack.waitForPipeline('zephyr rollout links');
    const draft = await stack.waitForDraft(threadTs);

    const { text, urls } = cardLinks(draft);
    expect(text).toContain('*Links in this draft (3)* · 1 not in any source · 2 with a label naming another site');
    const planted = text.split('\n').find((line) => line.includes('evil.example'))!;
    expect(planted).toContain('“docs.company.com” → *evil.example*');
    const warning = text.split('\n')[text.split('\n').indexOf(planted) + 1]!;
    expect(warning).toContain('the label names *docs.company.com*');
    expect(warning).toContain('not in any source');
    const sourced = text.split('\n').find((line) => line.includes('research.example'))!;
    expect(sourced).toContain('“the study” → *research.example*');
    expect(sourced).toContain('_from research (key facts)_');
    expect(text.split('\n')[text.split('\n').indexOf(sourced) + 1] ?? '').not.toContain('not in any source');
    // The link the research answer carried is in a source, and said to be from there, but its lying label is marked.
    const poisoned = text.split('\n').find((line) => line.includes('portal-login.example'))!;
    expect(poisoned).toContain('“intranet.company.com” → *portal-login.example*');
    expect(poisoned).toContain('_from research (key facts)_');
    const poisonedWarning = text.split('\n')[text.split('\n').indexOf(poisoned) + 1]!;
    expect(poisonedWarning).toContain('the label names *intranet.company.com*');
    expect(poisonedWarning).not.toContain('not in any source');

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    // What is published links to exactly what the approver was shown: no more, no fewer.
    expect(urlsOf(published(stack, workflowId))).toEqual([...urls].sort());
    expect([...urls].sort()).toEqual([PLANTED, POISONED, SOURCED].sort());
    // The decided card still lists them, beside who approved.
    const decided = stack.slack.message(CHANNEL, draft.ts);
    expect(cardLinks(decided).urls.sort()).toEqual([PLANTED, POISONED, SOURCED].sort());
    expect(stack.slack.refusals).toEqual([]);
  });

  it('a target that escapes hide (`docs.company.com\\.evil.com`): the card shows where the link really goes and warns; approval publishes it as listed', async () => {
    const escaped = '[docs.company.com](https://docs.company.com\\.evil.com/login)';
    stack.openai.script('researchTopic', { content: RESEARCH });
    stack.openai.script('writeArticle', { content: `# Zephyr\n\nSign in at ${escaped} first.\n` });
    await stack.research('zephyr escaped link');
    const { workflowId, threadTs } = await stack.waitForPipeline('zephyr escaped link');
    const draft = await stack.waitForDraft(threadTs);
    const { text, urls } = cardLinks(draft);
    expect(text).toContain('*Links in this draft (1)* · 1 not in any source · 1 with a label naming another site');
    expect(text).toContain('“docs.company.com” → *docs.company.com.evil.com*');
    expect(text).toContain('the label names *docs.company.com*');
    expect(urls).toEqual(['https://docs.company.com.evil.com/login']);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    await stack.client.workflow.getHandle(workflowId).result();
    const article = published(stack, workflowId);
    expect(article).toContain(escaped);
    expect(urlsOf(article)).toEqual(urls);
    expect(stack.slack.refusals).toEqual([]);
  });

  it('a reviewer\'s edit adds a link: the decided card lists it (marked: not checked against the sources), and it is published as written', async () => {
    stack.openai.script('researchTopic', { content: RESEARCH });
    stack.openai.script('writeArticle', { content: `# Zephyr\n\nFailures fell by 40% ([the study](${SOURCED})).\n` });
    await stack.research('zephyr edit links');
    const { workflowId, threadTs } = await stack.waitForPipeline('zephyr edit links');
    const draft = await stack.waitForDraft(threadTs);
    expect(cardLinks(draft).text).toContain('*Links in this draft (1)* · all in the sources');

    const before = stack.slack.callsOf('views.open').length;
    await stack.click(EDIT_ACTION_ID, workflowId, draft.ts);
    const view = await stack.waitForModal(EDIT_VIEW_ID, before);
    const original = (view.blocks.find((b) => b.block_id === 'article_0') as { element: { initial_value: string } }).element.initial_value;
    const edited = `${original}\nMore at <https://added.example/notes|our notes>.`;
    await stack.submitModal(view, { article_0: edited });

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.article).toBe(edited);
    const decided = cardLinks(stack.slack.message(CHANNEL, draft.ts));
    // Only the draft's own links were checked (the sources' URLs do not travel with every card): the added one says so.
    expect(decided.text).toContain('*Links in this draft (2)* · 1 not checked');
    expect(decided.text).toContain('not checked against the sources (added after the check)');
    expect(decided.text).toContain('“our notes” → *added.example*');
    expect(urlsOf(published(stack, workflowId))).toEqual([...decided.urls].sort());
    expect(stack.slack.refusals).toEqual([]);
  });
});

describe('LINK_POLICY=strip-unsourced', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { LINK_POLICY: 'strip-unsourced' } });
  });
  afterAll(() => stack?.stop());

  it('the planted link is removed before review, the card says so and why, and only the sourced link is published', async () => {
    stack.openai.script('researchTopic', { content: RESEARCH });
    stack.openai.script('writeArticle', { content: DRAFT });
    await stack.research('zephyr strip links');
    const { workflowId, threadTs } = await stack.waitForPipeline('zephyr strip links');
    const draft = await stack.waitForDraft(threadTs);

    const card = blockText(draft);
    expect(articleOn(draft)).toContain(`Log in at docs.company.com or [intranet.company.com](${POISONED}) to read more.`);
    expect(articleOn(draft)).not.toContain('evil.example');
    expect(card).toContain('1 link the writer added appears in no source and was removed before review (LINK_POLICY=strip-unsourced); its text is kept: evil.example');
    // A link a poisoned source carried is not stripped (it is in a source), but stays marked for its label.
    const { text, urls } = cardLinks(draft);
    expect(text).toContain('*Links in this draft (2)* · all in the sources · 1 with a label naming another site');
    expect(urls.sort()).toEqual([POISONED, SOURCED].sort());

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.article).not.toContain('evil.example');
    expect(urlsOf(published(stack, workflowId))).toEqual([POISONED, SOURCED].sort());
    expect(stack.slack.refusals).toEqual([]);
  });
});
