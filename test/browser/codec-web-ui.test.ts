/// <reference lib="dom" />
/**
 * The Web UI path for real: a dev server's Web UI (the one `npm start` runs, pointed at the codec
 * server with --ui-codec-endpoint) opened in Debian's Chromium shows the topic of a run whose
 * payloads the server holds only encrypted. The page decodes through the codec server from the
 * browser, so this passes only if the CORS preflight, the UI's request shape and the answer all work.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalDataConverter, type PayloadKey } from '../../src/temporal/codec.js';
import { startCodecServer, type CodecServer } from '../../src/temporal/codec-server.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { CHROMIUM_PATH, ChromiumMissingError } from '../harness/playground-browser.js';

const key: PayloadKey = { id: 'browser', key: randomBytes(32) };
const TOPIC = `tidal patterns of ${randomUUID().slice(0, 8)} estuaries`;

describe('the Temporal Web UI in a browser, through the codec server', () => {
  let codecServer: CodecServer;
  let devServer: DevServer;
  let refusals: string[];
  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) throw new ChromiumMissingError();
    const uiPort = await freePort();
    refusals = [];
    codecServer = await startCodecServer({
      host: '127.0.0.1',
      port: 0,
      namespace: 'default',
      keys: [key],
      corsOrigins: [`http://localhost:${uiPort}`],
      onRefusal: (line) => refusals.push(line),
    });
    devServer = await startDevServer({ cliPath: inject('temporalCliPath'), port: await freePort(), uiPort, logLevel: 'error', uiCodecEndpoint: codecServer.url });
  }, 90_000);
  afterAll(async () => {
    await devServer?.stop();
    await codecServer?.close();
  });

  it('shows the decoded input of a run stored encrypted', async () => {
    const connection = await Connection.connect({ address: devServer.address });
    const profile = mkdtempSync(path.join(os.tmpdir(), 'codec-ui-chromium-'));
    const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`] });
    try {
      const client = new Client({ connection, dataConverter: temporalDataConverter({ mode: 'on', keys: [key] }) });
      // No worker polls this queue: the started event's input is what the UI shows.
      const handle = await client.workflow.start('CodecServerProbe', { taskQueue: `codec-ui-${randomUUID()}`, workflowId: `codec-ui-${randomUUID()}`, args: [{ topic: TOPIC }] });
      const page = await browser.newPage();
      await page.goto(`${devServer.uiUrl}/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}/history`, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction((text: string) => document.body.innerText.includes(text), { timeout: 45_000 }, TOPIC);
      expect(await page.evaluate(() => document.body.innerText)).toContain(TOPIC);
      expect(refusals).toEqual([]);
      await handle.terminate('test over');
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
      await connection.close();
    }
  }, 120_000);
});
