/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The playground in a real browser (Debian's Chromium): a visitor types /research, watches the
 * thread fill in, requests changes through the modal, sees a non-reviewer refused, approves v2 and
 * sees the publication. Everything behind the page is real: Bolt's receiver (signed requests),
 * the workers and workflows on the suite's Temporal server, LangChain against the sample writer.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPlayground, type RunningPlayground } from '../../src/playground/index.js';
import { REQUESTER, REVIEWER, SOMEONE_ELSE } from '../../src/playground/personas.js';
import { SAMPLE_NOTE } from '../../src/playground/sample-writer.js';
import { openBrowser, PlaygroundPage, type BrowserSession } from '../harness/playground-browser.js';

let playground: RunningPlayground;
let session: BrowserSession;
let page: PlaygroundPage;

beforeAll(async () => {
  const suffix = randomUUID().slice(0, 8);
  playground = await startPlayground({
    // The suite's server, passed in code: the environment cannot point the playground at a server.
    temporalAddress: inject('temporalAddress'),
    env: {
      TEMPORAL_TASK_QUEUE: `content-pipeline-${suffix}`,
      TEMPORAL_RESEARCH_TASK_QUEUE: `research-${suffix}`,
      PORT: '0',
      LOG_LEVEL: 'error',
    },
    workflowBundle: { code: inject('workflowBundleCode') },
    log: () => undefined,
  });
  session = await openBrowser(playground.url);
  page = new PlaygroundPage(session.page, 45_000);
});

afterAll(async () => {
  await session?.close();
  await playground?.stop();
});

describe('the playground in a browser', () => {
  it('binds to 127.0.0.1 only and sets REVIEWERS to the reviewer persona', () => {
    expect(new URL(playground.url).hostname).toBe('127.0.0.1');
    expect(playground.config.review.reviewers).toEqual([REVIEWER.id]);
    expect(playground.sampleWriter).toBeDefined();
  });

  it('runs a pipeline from /research to publication, with a refusal for someone else', { timeout: 240_000 }, async () => {
    const started = Date.now();
    await page.actAs(REQUESTER.id);
    await page.type('/research durable execution');
    // The command's own answer, only for the requester, then the thread's parent message.
    await page.waitForText('#messages .ephemeral', 'researching');
    expect(await page.textOf('#messages .ephemeral .only-you')).toContain('Only visible to you');
    await page.waitForText('#messages .message', 'Researching durable execution');
    await page.openLatestThread();
    await page.waitForText('#thread-messages [data-block-type="header"]', 'Draft v1: durable execution');
    const draft = await page.textOf('#thread-messages');
    expect(draft).toContain(SAMPLE_NOTE);
    // The markdown block is rendered as Markdown (headings, bold), and the buttons carry their styles.
    expect(await session.page.$$eval('#thread-messages .sk-markdown h4', (nodes) => nodes.map((n) => n.textContent))).toContain('How it works');
    expect(await session.page.$eval('#thread-messages button[data-action-id="approve_draft"]', (b) => b.className)).toContain('primary');
    expect(await session.page.$eval('#thread-messages button[data-action-id="reject_draft"]', (b) => b.className)).toContain('danger');
    console.log(`playground: draft v1 on the page ${Date.now() - started} ms after the command`);

    // The reviewer asks for changes; a blank-ish answer is refused by the bot with a field error.
    await page.actAs(REVIEWER.id);
    await page.clickInThread('request_changes');
    await page.waitForModal('request_changes_modal');
    await page.fillModal('feedback', 'a   ');
    await page.submitModal();
    await page.waitForText('#modal .field-error', 'Please say what should change.');
    await session.page.$eval('#modal .sk-field', (field) => ((field as HTMLTextAreaElement).value = ''));
    await page.fillModal('feedback', 'Add an example from healthcare');
    await page.submitModal();
    await page.waitForModalClosed();
    await page.waitForText('#thread-messages [data-block-type="header"]', 'Draft v2: durable execution');
    await page.waitForText('#thread-messages', 'Superseded by v2');
    expect(await page.textOf('#thread-messages')).toContain('Add an example from healthcare');

    // Someone who is not a reviewer is refused, ephemerally, and nothing changes.
    await page.actAs(SOMEONE_ELSE.id);
    await page.clickInThread('approve_draft');
    await page.waitForText('#thread-messages .ephemeral', 'Only reviewers');
    expect(await page.textOf('#thread-messages .ephemeral')).toContain('@Grace');

    // The reviewer approves v2: the card says so and the article is published in the channel.
    await page.actAs(REVIEWER.id);
    expect(await page.textOf('#thread-messages .ephemeral')).toBe(''); // Sam's refusal is Sam's alone
    await page.clickInThread('approve_draft');
    await page.waitForText('#messages .message', 'approved by @Grace', 60_000);
    const channel = await page.textOf('#messages');
    expect(channel).toContain('What changed in this version');
    expect(channel).toContain('2 versions');
    await page.waitForText('#thread-messages', 'Approved by @Grace');
    // Nothing the bot sent was refused by the strict stand-in.
    expect(await page.textOf('#errors')).toBe('');
    console.log(`playground: published ${Date.now() - started} ms after the command`);
  });

  it('renders untrusted text as text: no markup, no script links', async () => {
    // As a string: vitest would rewrite a dynamic import() inside a function it compiles.
    const result = (await session.page.evaluate(`(async () => {
      const { renderBlocks } = await import('/blocks.js');
      const ctx = { userName: (id) => id, channelName: (id) => id, onButton: () => undefined };
      const node = renderBlocks(${JSON.stringify([
        { type: 'section', text: { type: 'mrkdwn', text: '&lt;img src=x onerror=alert(1)&gt; <img src=y onerror=alert(2)> *bold* <javascript:alert(1)|click> <https://example.com|ok> `<b>code</b>`' } },
        { type: 'markdown', text: '# Title <script>alert(1)</script>\n\n[x](javascript:alert(1)) **strong** <img src=x>' },
        { type: 'header', text: { type: 'plain_text', text: '<i>header</i>' } },
        { type: 'mystery' },
      ])}, ctx);
      return {
        images: node.querySelectorAll('img, script, i, b').length,
        links: [...node.querySelectorAll('a')].map((a) => a.getAttribute('href')),
        strong: [...node.querySelectorAll('strong')].map((s) => s.textContent),
        text: node.textContent,
      };
    })()`)) as { images: number; links: string[]; strong: string[]; text: string };
    expect(result.images).toBe(0);
    expect(result.links).toEqual(['https://example.com/']);
    expect(result.strong).toEqual(['bold', 'strong']);
    // Escaped markup shows as the characters; unescaped `<…>` is Slack markup, never HTML.
    expect(result.text).toContain('<img src=x onerror=alert(1)>');
    expect(result.text).toContain('<script>alert(1)</script>');
    expect(result.text).toContain('[unsupported block: mystery]');
  });

  it('another site open in the same browser cannot act in the playground (the browser sends its Origin; no token, no JSON)', async () => {
    // A page on another origin (another port of this machine), as a hostile site would be.
    const hostile = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const other = await session.browser.newPage();
    try {
      await other.goto(`http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`);
      const before = playground.server.messages.length;
      // The request a site can send without asking first (no-cors, text/plain), and a form post.
      await other.evaluate(`fetch(${JSON.stringify(`${playground.url}/action/message`)}, {
        method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ user: ${JSON.stringify(REQUESTER.id)}, text: '/research forged from elsewhere' }),
      }).catch(() => undefined)`);
      const navigation = other.waitForNavigation({ timeout: 10_000 });
      await other.evaluate(`(() => {
        const form = Object.assign(document.createElement('form'), { method: 'POST', action: ${JSON.stringify(`${playground.url}/api/chat.postMessage`)} });
        for (const [name, value] of [['channel', 'C0PLAYRSRCH'], ['text', 'forged by a form'], ['token', 'xoxb-playground-local']]) {
          form.append(Object.assign(document.createElement('input'), { name, value }));
        }
        document.body.append(form);
        form.submit();
      })()`);
      await navigation;
      expect(await other.evaluate(() => document.body.textContent ?? '')).toContain('cross_origin');
      expect(playground.server.messages.slice(before).filter((m) => /forged/.test(m.text ?? ''))).toEqual([]);
      expect(playground.server.ephemerals.filter((e) => /forged/.test(e.text ?? ''))).toEqual([]);
    } finally {
      await other.close();
      hostile.closeAllConnections();
      await new Promise((resolve) => hostile.close(resolve));
    }
  });
});
