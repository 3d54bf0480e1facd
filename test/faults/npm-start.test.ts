/**
 * `npm start` as it runs for a team (src/main.ts, one process: workers and bot, here against the
 * suite's Temporal server rather than an embedded one), driven by signed requests only: a run to its
 * publication, the Home tab opened, then the process's one metrics endpoint read (the app's
 * `content_pipeline_*` series non-zero and Temporal's runtime metrics beside them), its health
 * checks, and a clean exit on SIGTERM. Issue 14's "done when", as one test.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { blockText, FakeSlack } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { PROCESS_SECRETS, productEnv, spawnProduct, type ProductProcess } from '../harness/processes.js';
import { buttonClickBody, eventCallbackBody, signedHeaders, slashCommandBody } from '../harness/slack-signing.js';
import { newPayloadKeyEntry } from '../../src/temporal/codec.js';

const CHANNEL = 'C0CHANNEL';
// A requester of its own: the Home tab lists the requester's runs across the suite's shared
// Temporal server, and other files' runs under a shared ID can push this one off the list.
const REQUESTER = `U0NPM${randomUUID().slice(0, 6).toUpperCase()}`;

describe('npm start, end to end through its own endpoints', () => {
  const slack = new FakeSlack();
  const openai = new FakeOpenAI();
  let main: ProductProcess | undefined;

  beforeAll(async () => {
    await Promise.all([slack.start(), openai.start()]);
  });
  afterAll(async () => {
    await main?.kill();
    await Promise.all([slack.stop(), openai.stop()]);
  });

  it('runs a pipeline, publishes the Home tab, serves non-zero metrics and health, and exits 0 on SIGTERM', async () => {
    const suffix = randomUUID().slice(0, 8);
    main = spawnProduct('main', productEnv({
      slack,
      openai,
      temporalAddress: inject('temporalAddress'),
      taskQueue: `npm-start-${suffix}`,
      researchTaskQueue: `npm-start-research-${suffix}`,
      // Any free port for the codec server too; the suite's server is external, so it needs a key list.
      extra: { PORT: '0', CODEC_SERVER_PORT: '0', PAYLOAD_KEYS: newPayloadKeyEntry('npm-start') },
    }));
    const [, slackUrl] = await main.waitForOutput(/Slack\s+(http:\/\/\S+\/slack\/events)/, 90_000);
    const [, metricsUrl] = await main.waitForOutput(/Metrics\s+(http:\/\/\S+)\/metrics/);
    const [, codecUrl] = await main.waitForOutput(/Codec server\s+(http:\/\/127\.0\.0\.1:\d+) \(CLI: --codec-endpoint/);
    const url = slackUrl!.replace('localhost', '127.0.0.1');
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'POST', headers: { ...signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body), ...headers }, body });

    expect((await post(slashCommandBody({ text: 'one process', userId: REQUESTER, responseUrl: slack.responseUrl('start-1') }))).status).toBe(200);
    const root = await waitFor('the thread', () => slack.channelMessages(CHANNEL).find((m) => m.text?.includes('one process')), 60_000);
    const workflowId = String(root.metadata?.event_payload.workflow_id);
    const draft = await waitFor('the draft card', () => slack.postedOfKind(CHANNEL, 'draft', root.ts)[0], 60_000);
    expect((await post(buttonClickBody({ actionId: APPROVE_ACTION_ID, value: workflowId, messageTs: draft.ts, responseUrl: slack.responseUrl('start-2') }))).status).toBe(200);
    await waitFor('the outcome', () => slack.postedOfKind(CHANNEL, 'outcome', root.ts)[0], 60_000);

    // The Home tab, opened by the requester (Slack sends events as JSON).
    const event = eventCallbackBody({ type: 'app_home_opened', user: REQUESTER, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` });
    const before = slack.callsOf('views.publish').length;
    expect((await post(event, { 'content-type': 'application/json' })).status).toBe(200);
    const publish = await waitFor('views.publish', () => slack.callsOf('views.publish').slice(before).find((c) => c.args.user_id === REQUESTER), 30_000);
    expect(blockText({ channel: '', ts: '', blocks: (publish.args.view as { blocks: never }).blocks })).toContain('one process');

    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    const sum = (name: string) => metrics.split('\n').filter((line) => line.startsWith(name)).reduce((total, line) => total + Number(line.split(' ').pop()), 0);
    expect(sum('content_pipeline_pipelines_started_total')).toBe(1);
    expect(metrics).toMatch(/content_pipeline_pipelines_ended_total\{outcome="approved"\} 1/);
    expect(sum('content_pipeline_llm_tokens_total{')).toBeGreaterThan(0);
    expect(sum('content_pipeline_llm_cost_usd_total{')).toBeGreaterThan(0);
    expect(metrics).toMatch(/content_pipeline_ack_latency_seconds_count\{kind="command"\} 1/);
    expect(metrics).toMatch(/^temporal_\w+/m);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${metricsUrl}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);

    // The codec server decodes what the run stored, as the Web UI asks it (the history read with no codec).
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
      const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      const body = JSON.stringify({
        payloads: stored.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      });
      const decoded = await fetch(`${codecUrl}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' }, body });
      expect(decoded.status).toBe(200);
      const payloads = ((await decoded.json()) as { payloads: Array<{ data: string }> }).payloads;
      expect(payloads.map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n')).toContain('one process');
    } finally {
      await connection.close();
    }

    main.child.kill('SIGTERM');
    expect(await main.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
