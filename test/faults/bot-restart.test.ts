/**
 * The bot restarted between the draft and the click, for real: worker and bot are separate OS
 * processes (`src/worker.ts`, `src/bot.ts`); the bot is SIGKILLed once the draft is posted and a
 * new one comes up on the same port. The click reaches the new bot and completes the pipeline,
 * because the bot keeps no state. Everything both processes printed during the whole run, at
 * LOG_LEVEL=debug, is then searched for the tokens and secrets they were given.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { freePort } from '../../src/temporal/dev-server.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { FakeSlack } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { PROCESS_SECRETS, productEnv, startBotProcess, startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { buttonClickBody, signedHeaders, slashCommandBody } from '../harness/slack-signing.js';

const CHANNEL = 'C0CHANNEL';

describe('bot restarted between the draft and the click', () => {
  const slack = new FakeSlack();
  const openai = new FakeOpenAI();
  const processes: ProductProcess[] = [];
  let connection: Connection;
  let client: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    await Promise.all([slack.start(), openai.start()]);
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    const suffix = randomUUID().slice(0, 8);
    env = productEnv({
      slack,
      openai,
      temporalAddress: inject('temporalAddress'),
      taskQueue: `content-pipeline-${suffix}`,
      researchTaskQueue: `research-${suffix}`,
      extra: { LOG_LEVEL: 'debug', PORT: String(await freePort()) },
    });
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await connection?.close();
    await Promise.all([slack.stop(), openai.stop()]);
  });

  async function post(url: string, body: string) {
    const response = await fetch(url, { method: 'POST', headers: signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body), body });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  }

  it('the click reaches a new bot process and completes the run; no log line holds a secret', async () => {
    // The worker also gets an app-level token (unused in HTTP mode, so only the worker can hold it).
    const worker = await startWorkerProcess({ ...env, SLACK_APP_TOKEN: PROCESS_SECRETS.SLACK_APP_TOKEN });
    processes.push(worker);
    const first = await startBotProcess(env);
    processes.push(first.bot);

    const command = slashCommandBody({ text: 'stateless bots', responseUrl: slack.responseUrl('cmd-1') });
    const ack = await post(first.url, command);
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ response_type: 'ephemeral' });

    const root = await waitFor('the thread', () => slack.channelMessages(CHANNEL).find((m) => m.text?.includes('stateless bots')));
    const workflowId = String(root.metadata?.event_payload.workflow_id);
    const draft = await waitFor('the draft card', () => slack.postedOfKind(CHANNEL, 'draft', root.ts)[0]);

    await first.bot.kill('SIGKILL');
    const second = await startBotProcess(env);
    processes.push(second.bot);
    expect(second.url).toBe(first.url); // same port: what Slack's Request URL points at

    const click = await post(
      second.url,
      buttonClickBody({ actionId: APPROVE_ACTION_ID, value: workflowId, messageTs: draft.ts, responseUrl: slack.responseUrl('act-1') }),
    );
    expect(click.status).toBe(200);
    const result = (await client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: 'U0REVIEWER' });
    expect(slack.postedOfKind(CHANNEL, 'outcome', root.ts)).toHaveLength(1);

    // Secrets: the processes did use them (Slack saw the bot token), and logged plenty at debug level…
    expect(slack.calls.some((call) => call.token === PROCESS_SECRETS.SLACK_BOT_TOKEN)).toBe(true);
    expect(first.bot.log).toContain(`Started ${workflowId}`);
    for (const proc of processes) expect(proc.log.length, `${proc.role} log`).toBeGreaterThan(200);
    // …but no log line of any of them holds one.
    for (const proc of processes) {
      for (const [name, secret] of Object.entries(PROCESS_SECRETS)) {
        expect(proc.log.includes(secret), `${name} in the ${proc.role} log`).toBe(false);
      }
    }
  }, 120_000);
});
