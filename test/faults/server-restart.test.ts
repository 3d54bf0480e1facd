/**
 * The Temporal server stopped and started again, for real: a dev server of its own (SQLite file,
 * fixed port), a worker process, and the real bot. While a draft awaits review the server goes
 * down; a /research meanwhile gets a prompt "temporarily unavailable" and the bot keeps serving;
 * once the server is back on the same port with the same file, the click on the old draft
 * completes that pipeline and new commands start pipelines again.
 * FAULTS_REPORT=1 prints how long the "unavailable" reply took (not asserted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBot, type RunningBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { TEMPORAL_UNAVAILABLE_REPLY } from '../../src/slack/blocks/replies.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { FakeSlack } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { PROCESS_SECRETS, productEnv, startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { buttonClickBody, signedHeaders, slashCommandBody } from '../harness/slack-signing.js';
import { TEST_DATA_CONVERTER } from '../harness/keys.js';

const CHANNEL = 'C0CHANNEL';

describe('Temporal server stopped and restarted', () => {
  const slack = new FakeSlack();
  const openai = new FakeOpenAI();
  const workers: ProductProcess[] = [];
  let dir: string;
  let port: number;
  let server: DevServer | undefined;
  let bot: RunningBot;
  let env: Record<string, string>;
  let counter = 0;

  const startServer = async () => {
    server = await startDevServer({ cliPath: inject('temporalCliPath'), port, headless: true, dbFile: path.join(dir, 'temporal.sqlite'), logLevel: 'error' });
    return server;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-restart-'));
    port = await freePort();
    await Promise.all([slack.start(), openai.start(), startServer()]);
    const suffix = randomUUID().slice(0, 8);
    env = productEnv({
      slack,
      openai,
      temporalAddress: server!.address,
      taskQueue: `content-pipeline-${suffix}`,
      researchTaskQueue: `research-${suffix}`,
    });
    workers.push(await startWorkerProcess(env));
    bot = await startBot(loadConfig({ ...env, PORT: '0', LOG_LEVEL: 'error' }, 'bot'), server!.address);
  });
  afterAll(async () => {
    await bot?.stop();
    await Promise.all(workers.map((w) => w.kill()));
    await server?.stop();
    await Promise.all([slack.stop(), openai.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function post(body: string) {
    const response = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, {
      method: 'POST',
      headers: signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body),
      body,
    });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  }
  const research = (text: string) => post(slashCommandBody({ text, responseUrl: slack.responseUrl(`cmd-${++counter}`) }));
  const thread = (topic: string) => waitFor(`the thread for ${topic}`, () => slack.channelMessages(CHANNEL).find((m) => m.text?.includes(topic)), 60_000);

  /** A client of its own for each check, so the test's connection never outlives a server. */
  async function resultOf(workflowId: string): Promise<PipelineResult> {
    const connection = await Connection.connect({ address: server!.address });
    try {
      return (await new Client({ connection, dataConverter: TEST_DATA_CONVERTER }).workflow.getHandle(workflowId).result()) as PipelineResult;
    } finally {
      await connection.close();
    }
  }

  it('a draft awaiting review survives the restart; commands fail politely while it is down and work again after', async () => {
    expect((await research('before the restart')).status).toBe(200);
    const root = await thread('before the restart');
    const workflowId = String(root.metadata?.event_payload.workflow_id);
    const draft = await waitFor('the draft card', () => slack.postedOfKind(CHANNEL, 'draft', root.ts)[0], 60_000);

    await server!.stop();
    expect(server!.process.exitCode ?? server!.process.signalCode).not.toBeNull();

    // Down: acked within Slack's 3 s (200 with the ack body), then told to try again; nothing started.
    const before = slack.callsOf('response_url').length;
    const sentAt = Date.now();
    const whileDown = await research('while the server is down');
    expect(whileDown.status).toBe(200);
    expect(whileDown.json).toMatchObject({ response_type: 'ephemeral' });
    const sorry = await waitFor('the unavailable reply', () => slack.callsOf('response_url').slice(before)[0], 15_000);
    if (process.env.FAULTS_REPORT) console.info(`unavailable reply after ${Date.now() - sentAt} ms`);
    expect(sorry.args).toMatchObject({ response_type: 'ephemeral', text: TEMPORAL_UNAVAILABLE_REPLY });
    expect(String(sorry.args.text)).toContain('try again in a minute');
    // Still serving: another command is acked just the same.
    expect((await research('still down')).status).toBe(200);
    await waitFor('a second unavailable reply', () => slack.callsOf('response_url').slice(before)[1], 15_000);

    await startServer(); // same port, same SQLite file

    // The click on the old draft completes its pipeline (the bot's lazy connection reconnects).
    const click = await post(buttonClickBody({ actionId: APPROVE_ACTION_ID, value: workflowId, messageTs: draft.ts, responseUrl: slack.responseUrl('act-1') }));
    expect(click.status).toBe(200);
    const result = await resultOf(workflowId);
    expect(result.decision).toMatchObject({ outcome: 'approved', by: 'U0REVIEWER' });
    expect(slack.postedOfKind(CHANNEL, 'draft', root.ts)).toHaveLength(1);
    expect(slack.postedOfKind(CHANNEL, 'outcome', root.ts)).toHaveLength(1);

    // And new commands start pipelines again; the one sent while it was down never did.
    expect((await research('after the restart')).status).toBe(200);
    const after = await thread('after the restart');
    await waitFor('its draft', () => slack.postedOfKind(CHANNEL, 'draft', after.ts)[0], 60_000);
    expect(slack.channelMessages(CHANNEL).some((m) => m.text?.includes('while the server is down'))).toBe(false);
    expect(workers.every((w) => w.running)).toBe(true);
  }, 150_000);
});
