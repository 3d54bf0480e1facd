/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Drives the playground page in a real browser (Debian's Chromium through puppeteer-core): the
 * browser test and `npm run screenshots` share these steps.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export class ChromiumMissingError extends Error {
  constructor() {
    super(`No Chromium at ${CHROMIUM_PATH}: install it with "apt-get update && apt-get install -y chromium" (.ci/run does this).`);
  }
}

export interface BrowserSession {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowser(url: string, viewport = { width: 1440, height: 900 }): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM_PATH)) throw new ChromiumMissingError();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'playground-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
    ],
  });
  const page = await browser.newPage();
  await page.setViewport(viewport);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#persona option');
  return {
    browser,
    page,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The visitor's steps on the page, each waiting for what the page should show next. */
export class PlaygroundPage {
  constructor(readonly page: Page, private readonly timeoutMs = 30_000) {}

  async actAs(personaId: string): Promise<void> {
    await this.page.select('#persona', personaId);
    await this.page.waitForFunction((id) => document.body.dataset.persona === id, {}, personaId);
  }

  async type(text: string): Promise<void> {
    await this.page.click('#composer textarea');
    await this.page.type('#composer textarea', text);
    await this.page.keyboard.press('Enter');
  }

  /** Waits until some element matching `selector` contains `text`; returns its text. */
  async waitForText(selector: string, text: string, timeoutMs = this.timeoutMs): Promise<void> {
    await this.page.waitForFunction(
      (sel, expected) => [...document.querySelectorAll(sel)].some((node) => (node.textContent ?? '').includes(expected)),
      { timeout: timeoutMs, polling: 100 },
      selector,
      text,
    );
  }

  async textOf(selector: string): Promise<string> {
    return this.page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent ?? '').join('\n'));
  }

  /** Opens the thread of the newest top-level message that has replies. */
  async openLatestThread(): Promise<void> {
    await this.page.waitForSelector('#messages .reply-link', { timeout: this.timeoutMs });
    await this.page.$$eval('#messages .reply-link', (links) => (links[links.length - 1] as HTMLElement).click());
    await this.page.waitForSelector('#thread:not([hidden])');
  }

  /** Clicks the newest button with this action ID in the open thread. */
  async clickInThread(actionId: string): Promise<void> {
    const selector = `#thread-messages button[data-action-id="${actionId}"]`;
    await this.page.waitForSelector(selector, { timeout: this.timeoutMs });
    await this.page.$$eval(selector, (buttons) => (buttons[buttons.length - 1] as HTMLElement).click());
  }

  async waitForModal(callbackId: string): Promise<void> {
    await this.page.waitForSelector(`#modal[data-callback-id="${callbackId}"]`, { timeout: this.timeoutMs });
  }

  async fillModal(blockId: string, text: string): Promise<void> {
    const selector = `#modal .sk-input[data-block-id="${blockId}"] .sk-field`;
    await this.page.click(selector);
    await this.page.type(selector, text);
  }

  async submitModal(): Promise<void> {
    await this.page.click('#modal .submit');
  }

  async waitForModalClosed(): Promise<void> {
    await this.page.waitForSelector('#modal-overlay[hidden]', { timeout: this.timeoutMs });
  }

  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file as `${string}.png` });
  }
}
