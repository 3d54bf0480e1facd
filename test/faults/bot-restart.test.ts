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
import { TEST_DATA_CONVERTER } from '../harness/keys.js';

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
    client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
    const suffix = randomUUID().slice(0, 8);
    env = productEnv({
      slack,
      openai,
      temporalAddress: inject('temporalAddress'),
      taskQueue: `content-pipeline-${suffix}`,
      researchTaskQueue: `research-${suffix}`,
      // JSON lines, as in production, so the test can read each line's fields.
      extra: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json', PORT: String(await freePort()) },
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

    // One structured log: every line of every process is a JSON object with a level and a message,
    // and the pipeline's lines carry its workflow ID as a field (activity lines also the channel).
    const lines = processes.flatMap((proc) => proc.log.split('\n').filter(Boolean).map((line) => ({ role: proc.role, line })));
    const parsed = lines.map(({ role, line }) => {
      try {
        return { role, entry: JSON.parse(line) as Record<string, unknown> };
      } catch {
        throw new Error(`${role} wrote a line that is not JSON: ${line}`);
      }
    });
    for (const { entry } of parsed) expect(entry).toMatchObject({ level: expect.any(String), msg: expect.any(String), role: expect.any(String) });
    const aboutRun = parsed.filter(({ entry }) => entry.workflowId === workflowId);
    expect(aboutRun.some(({ role }) => role === 'bot'), 'a bot line with the workflow ID').toBe(true);
    expect(aboutRun.some(({ role, entry }) => role === 'worker' && entry.activityType !== undefined), 'a worker activity line').toBe(true);
    expect(parsed.some(({ entry }) => entry.workflowId === workflowId && entry.channel === CHANNEL), 'a line with workflow ID and channel').toBe(true);
  
    // Metrics and health, from each process's own endpoint.
    const metric = (text: string, name: string) =>
      text.split('\n').filter((line) => line.startsWith(name)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    const workerOps = await worker.opsUrl();
    const workerMetrics = await (await fetch(`${workerOps}/metrics`)).text();
    expect(metric(workerMetrics, 'content_pipeline_pipelines_started_total')).toBe(1);
    expect(workerMetrics).toMatch(/content_pipeline_pipelines_ended_total\{outcome="approved"\} 1/);
    expect(metric(workerMetrics, 'content_pipeline_llm_tokens_total{')).toBeGreaterThan(0);
    expect(metric(workerMetrics, 'content_pipeline_llm_cost_usd_total{')).toBeGreaterThan(0);
    expect(metric(workerMetrics, 'content_pipeline_time_to_draft_seconds_count')).toBe(1);
    expect(workerMetrics).toMatch(/content_pipeline_review_wait_seconds_count\{outcome="approved"\} 1/);
    // Temporal's runtime metrics, served on the same endpoint.
    expect(workerMetrics).toMatch(/^temporal_\w+/m);
    const botOps = await second.bot.opsUrl();
    const botMetrics = await (await fetch(`${botOps}/metrics`)).text();
    expect(botMetrics).toMatch(/content_pipeline_ack_latency_seconds_count\{kind="action"\} 1/);
    for (const base of [workerOps, botOps]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, await ready.clone().text()).toBe(200);
      expect(await ready.text()).toMatch(/temporal: ok/);
    }
    console.log(`[bot-restart] worker metrics: ${workerMetrics.split('\n').filter((l) => l.startsWith('content_pipeline_') || l.startsWith('temporal_')).length} content_pipeline_/temporal_ series lines`);
  }, 120_000);
});
