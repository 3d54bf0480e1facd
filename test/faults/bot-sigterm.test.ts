/**
 * Graceful shutdown of the bot, for real: the bot is a separate OS process (`src/bot.ts`), sent
 * SIGTERM while a click it has already acked is still being checked (REVIEWERS names a user group,
 * and the group lookup to Slack is held open by a proxy in front of the stand-in Slack). The bot
 * stops taking requests at once (a new connection is refused), finishes the click (the workflow
 * gets the Approve signal and publishes) and only then exits, with code 0.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { close, listen, readBody, waitFor } from '../harness/http.js';
import { PROCESS_SECRETS, startBotProcess, type ProductProcess } from '../harness/processes.js';
import { buttonClickBody, signedHeaders } from '../harness/slack-signing.js';
import { CHANNEL, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const GROUP = 'S0EDITORS';

/**
 * Forwards the bot's Web API calls to the stand-in Slack; `usergroups.users.list` is held until
 * `release()`, so the test decides when the click's check may finish.
 */
class HoldingProxy {
  private server = http.createServer((req, res) => void this.handle(req, res));
  private held: Array<() => void> = [];
  heldCalls = 0;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const port = await listen(this.server, 0);
    this.url = `http://127.0.0.1:${port}/api/`;
    return this;
  }

  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  async stop(): Promise<void> {
    this.release();
    await close(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    if (method === 'usergroups.users.list') {
      this.heldCalls += 1;
      await new Promise<void>((go) => this.held.push(go));
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization']) if (req.headers[name]) headers[name] = String(req.headers[name]);
    const answer = await fetch(new URL(req.url!.replace(/^\/api\//, ''), this.target), { method: req.method ?? 'POST', headers, body: body || undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(await answer.text());
  }
}

describe('bot stopped with SIGTERM while a click is in flight', () => {
  let stack: Stack;
  let proxy: HoldingProxy;
  let bot: ProductProcess | undefined;

  beforeAll(async () => {
    stack = await startStack();
    stack.slack.userGroups.set(GROUP, [REVIEWER]);
    proxy = await new HoldingProxy(stack.slack.apiUrl).start();
  });
  afterAll(async () => {
    await bot?.kill();
    await proxy?.stop();
    await stack?.stop();
  });

  it('the acked click is still forwarded, new requests are refused, and the bot exits 0', async () => {
    await stack.research('graceful bots');
    const { workflowId, threadTs } = await stack.waitForPipeline('graceful bots');
    const draft = await stack.waitForDraft(threadTs, 60_000);

    const started = await startBotProcess(
      stack.processEnv({ SLACK_API_URL: proxy.url, REVIEWERS: GROUP, LOG_LEVEL: 'info' }),
    );
    bot = started.bot;

    const body = buttonClickBody({ actionId: APPROVE_ACTION_ID, value: workflowId, messageTs: draft.ts, userId: REVIEWER, channelId: CHANNEL, responseUrl: stack.slack.responseUrl('sigterm-click') });
    const ack = await fetch(started.url, { method: 'POST', headers: signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body), body });
    expect(ack.status).toBe(200);
    // Acked, and now checking who may approve: the group lookup is held at the proxy.
    await waitFor('the group lookup', () => proxy.heldCalls === 1, 30_000);

    bot.child.kill('SIGTERM');
    await bot.waitForOutput(/Received SIGTERM: shutting down/);
    // No new requests: the listener is closed while the click is still being worked on.
    await waitFor('the listener to close', async () => {
      try {
        await fetch(started.url, { method: 'POST', headers: signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body), body });
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    expect(bot.running).toBe(true);

    proxy.release();
    expect(await bot.exited).toEqual({ code: 0, signal: null });
    expect(bot.log).toMatch(/finishing 1 request\(s\) in flight/);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
  }, 120_000);
});
