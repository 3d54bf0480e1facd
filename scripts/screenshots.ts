/**
 * `npm run screenshots`: the pictures the README shows, taken from the playground in Debian's
 * Chromium (docs/screenshots/). Runs its own in-memory Temporal dev server and the sample writer,
 * so the pictures are the same on every machine.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { installTemporalRuntime } from '../src/entry.js';
import { startPlayground } from '../src/playground/index.js';
import { REQUESTER, REVIEWER } from '../src/playground/personas.js';
import { openBrowser, PlaygroundPage } from '../test/harness/playground-browser.js';

const outDir = path.resolve('docs/screenshots');
mkdirSync(outDir, { recursive: true });

// On the playground's own in-memory Temporal server; only what finds the Temporal CLI is passed on.
const { PATH, HOME, XDG_CACHE_HOME, TEMPORAL_CLI } = process.env;
const playground = await startPlayground({
  env: { PATH, HOME, XDG_CACHE_HOME, TEMPORAL_CLI, PORT: '0', LOG_LEVEL: 'error' },
  log: () => undefined,
  onConfig: (config) => installTemporalRuntime(config),
});
const session = await openBrowser(playground.url, { width: 1400, height: 860 });
const page = new PlaygroundPage(session.page, 60_000);
const shot = async (name: string) => {
  const file = path.join(outDir, name);
  await page.screenshot(file);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
};

try {
  await page.actAs(REQUESTER.id);
  await page.type('/research durable execution');
  await page.openLatestThread();
  await page.waitForText('#thread-messages [data-block-type="header"]', 'Draft v1');
  await page.actAs(REVIEWER.id);
  // The card's buttons in view, as a reviewer sees them.
  await session.page.$eval('#thread-messages', (node) => (node.scrollTop = node.scrollHeight));
  await shot('thread-with-card.png');

  await page.clickInThread('request_changes');
  await page.waitForModal('request_changes_modal');
  await page.fillModal('feedback', 'Add a concrete example from healthcare, and shorten the introduction.');
  await shot('feedback-modal.png');
  await page.submitModal();
  await page.waitForModalClosed();
  await page.waitForText('#thread-messages [data-block-type="header"]', 'Draft v2');
  await page.clickInThread('approve_draft');
  await page.waitForText('#messages .message', 'approved by @Grace');
  await page.waitForText('#thread-messages', 'Published in');
  // The published article, from its start (once the page has settled after the last update).
  await new Promise((resolve) => setTimeout(resolve, 500));
  await session.page.$$eval('#messages .message', (nodes) => nodes[nodes.length - 1]?.scrollIntoView({ block: 'start' }));
  await shot('published-article.png');
} finally {
  await session.close();
  await playground.stop();
}
process.exit(0);
