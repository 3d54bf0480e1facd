/**
 * The whole product on a real Temporal server, with Slack and OpenAI replaced by local stand-ins:
 * real Bolt HTTP receiver, real WebClient, real ChatOpenAI, real workers. Tests drive it with
 * signed Slack requests and read what reached the stand-ins.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../src/activities/index.js';
import { startBot, type RunningBot } from '../../src/bot.js';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { buildActivityDeps, createWorkers, homeRefreshFor, type WorkerSet } from '../../src/worker.js';
import { envelopeFor } from '../../src/stand-ins/slack/socket-mode.js';
import { FakeOpenAI } from './fake-openai.js';
import { blockText, FakeSlack } from './fake-slack.js';
import { buttonClickBody, signedHeaders, slashCommandBody, viewSubmissionBody } from './slack-signing.js';
import { waitFor } from './http.js';
import { productEnv } from './processes.js';
import { registerSearchAttributes } from '../../src/temporal/setup.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { dataConverterFor } from '../../src/temporal/codec.js';
import type { DataConverter } from '@temporalio/common';
import { TEST_PAYLOAD_KEYS } from './keys.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const APP_TOKEN = 'xapp-1-A0TESTAPP-test-app-token';
export const OPENAI_KEY = 'sk-test-openai-key';
export const CHANNEL = 'C0CHANNEL';
export const REQUESTER = 'U0REQUESTER';
export const REVIEWER = 'U0REVIEWER';

export interface StackOptions {
  /** Extra environment for the config (e.g. REVIEW_TIMEOUT). */
  env?: Env;
  /** Start without workers (for tests of the bot alone). */
  withoutWorkers?: boolean;
  /** Adjusts the workers' real clients, e.g. a Slack WebClient with a shorter timeout. */
  activityDeps?: (deps: ActivityDeps) => ActivityDeps;
  /**
   * Runs the bot in Socket Mode (SLACK_APP_TOKEN set): it connects to the stand-in's Socket Mode
   * endpoint, and requests reach it as envelopes over the WebSocket instead of signed HTTP posts.
   */
  socketMode?: boolean;
  /**
   * Runs in a Temporal namespace of its own (registered with the app's search attributes), for
   * tests that read lists across runs (App Home): the suite's other files leave runs waiting on
   * the shared server, and a newer run of theirs could push this file's off a page of ten.
   */
  ownNamespace?: boolean;
}

/** Registers `namespace` with the app's search attributes and waits until lists can be read in it. */
async function registerTestNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await waitFor(`namespace ${namespace}`, async () => {
    try {
      await registerSearchAttributes(connection, namespace);
      await new Client({ connection, namespace }).workflow.count(`Channel = 'C0PROBE'`);
      return true;
    } catch {
      return false;
    }
  }, 30_000);
}

export interface SlackResponse {
  status: number;
  body: string;
  json: Record<string, unknown> | undefined;
}

export class Stack {
  readonly slack = new FakeSlack();
  readonly openai = new FakeOpenAI();
  config!: Config;
  /** What the stack's workers, bot and `client` encode payloads and failures with. */
  dataConverter!: DataConverter;
  /** A client that decodes, as the bot's does. */
  client!: Client;
  private connection!: Connection;
  private nativeConnection?: NativeConnection;
  workers?: WorkerSet;
  bot!: RunningBot;
  private responseCounter = 0;
  private options: StackOptions = {};

  async start(options: StackOptions = {}): Promise<this> {
    this.options = options;
    await Promise.all([this.slack.start(), this.openai.start()]);
    if (options.socketMode) await this.slack.enableSocketMode();
    const address = inject('temporalAddress');
    const queueSuffix = randomUUID().slice(0, 8);
    this.connection = await Connection.connect({ address });
    const namespace = options.ownNamespace ? `test-${queueSuffix}` : undefined;
    if (namespace) await registerTestNamespace(this.connection, namespace);
    this.config = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: this.slack.apiUrl,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: this.openai.baseUrl,
        TEMPORAL_ADDRESS: address,
        // Each test file gets its own task queues, so files running side by side never share work.
        TEMPORAL_TASK_QUEUE: `content-pipeline-${queueSuffix}`,
        TEMPORAL_RESEARCH_TASK_QUEUE: `research-${queueSuffix}`,
        PORT: '0',
        LOG_LEVEL: 'error',
        ...(options.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
        ...(namespace ? { TEMPORAL_NAMESPACE: namespace } : {}),
        // No knowledge base unless a test gives one: a developer's own .kb never leaks into tests.
        KB_URI: join(tmpdir(), `no-kb-${queueSuffix}`),
        // Encrypted, as any deployment is, unless the test turns it off or brings its own keys.
        ...(options.env?.PAYLOAD_ENCRYPTION === 'off' || options.env?.PAYLOAD_KEYS_FILE ? {} : { PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }),
        ...options.env,
      },
      'all',
    );
    this.dataConverter = dataConverterFor(this.config);
    this.client = new Client({ connection: this.connection, namespace: this.config.temporal.namespace, dataConverter: this.dataConverter });
    if (!options.withoutWorkers) await this.startWorkers();
    this.bot = await startBot(this.config, this.config.temporal.connection.address ?? address);
    return this;
  }

  async startWorkers(): Promise<WorkerSet> {
    this.nativeConnection ??= await NativeConnection.connect({ address: inject('temporalAddress') });
    this.workers = await createWorkers({
      connection: this.nativeConnection,
      namespace: this.config.temporal.namespace,
      taskQueue: this.config.temporal.taskQueue,
      researchTaskQueue: this.config.temporal.researchTaskQueue,
      dataConverter: this.dataConverter,
      activities: createActivities((this.options.activityDeps ?? ((deps) => deps))(buildActivityDeps(this.config, new Client({ connection: this.nativeConnection, namespace: this.config.temporal.namespace, dataConverter: this.dataConverter })))),
      workflowBundle: { code: inject('workflowBundleCode') },
      prices: this.config.pipeline.prices,
      onStageChange: homeRefreshFor(this.config, this.nativeConnection, undefined, this.dataConverter),
    });
    void this.workers.run();
    return this.workers;
  }

  /** The environment of a product process (worker or bot) started beside this stack, plus `extra`. */
  processEnv(extra: Record<string, string> = {}): Record<string, string> {
    return productEnv({
      slack: this.slack,
      openai: this.openai,
      temporalAddress: inject('temporalAddress'),
      taskQueue: this.config.temporal.taskQueue,
      researchTaskQueue: this.config.temporal.researchTaskQueue,
      extra,
    });
  }

  async stop(): Promise<void> {
    await this.bot?.stop();
    await this.workers?.shutdown();
    await this.nativeConnection?.close();
    await this.connection?.close();
    await Promise.all([this.slack.stop(), this.openai.stop()]);
    // A payload real Slack would refuse fails the file that sent it (expected ones are listed in slack.expectedRefusals).
    this.slack.assertNoUnexpectedRefusals();
  }

  get botUrl(): string {
    return `http://127.0.0.1:${this.bot.port}/slack/events`;
  }

  /**
   * Sends a request to the bot exactly as Slack would: a POST signed unless `headers` say otherwise,
   * or in Socket Mode the same payload in an envelope over the WebSocket, answered by its ack
   * (status 200 with the ack's payload; 408 when no ack came within 3 s).
   */
  async postToBot(body: string, headers: Record<string, string> = signedHeaders(SIGNING_SECRET, body)): Promise<SlackResponse> {
    if (this.slack.socketMode) {
      const { type, payload } = envelopeFor(body);
      const delivery = await this.slack.socketMode.deliver(type, payload);
      if (!delivery.acked) return { status: 408, body: '', json: undefined };
      const json = delivery.payload && Object.keys(delivery.payload).length ? delivery.payload : undefined;
      return { status: 200, body: json ? JSON.stringify(json) : '', json };
    }
    const response = await fetch(this.botUrl, { method: 'POST', headers, body });
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, body: text, json };
  }

  /** `/research <text>` from a user in a channel. */
  async research(text: string, { userId = REQUESTER, channelId = CHANNEL } = {}): Promise<SlackResponse> {
    const body = slashCommandBody({ text, userId, channelId, responseUrl: this.slack.responseUrl(`cmd-${++this.responseCounter}`) });
    return this.postToBot(body);
  }

  /**
   * A `/research` body with a trigger_id of its own, as Slack gives every invocation (the default
   * body's is time-based, so bodies built in the same millisecond would share one).
   */
  commandBody(text: string, { userId = REQUESTER, channelId = CHANNEL, triggerId = `${Date.now()}.${++this.responseCounter}.${randomUUID().slice(0, 8)}` } = {}): string {
    const body = new URLSearchParams(slashCommandBody({ text, userId, channelId, responseUrl: this.slack.responseUrl(`cmd-${++this.responseCounter}`) }));
    body.set('trigger_id', triggerId);
    return body.toString();
  }

  /** IDs of the pipelines started on this stack's task queue (Temporal visibility). */
  async workflowIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const run of this.client.workflow.list({ query: `TaskQueue = '${this.config.temporal.taskQueue}' AND WorkflowType = 'contentPipeline'` })) {
      ids.push(run.workflowId);
    }
    return ids.sort();
  }

  /** A click on a button of a message the bot posted. */
  async click(actionId: string, value: string, messageTs: string, { userId = REVIEWER, channelId = CHANNEL } = {}): Promise<SlackResponse> {
    const body = buttonClickBody({
      actionId,
      value,
      userId,
      channelId,
      messageTs,
      responseUrl: this.slack.responseUrl(`act-${++this.responseCounter}`),
    });
    return this.postToBot(body);
  }

  /** Waits for the bot to open a modal (views.open, or views.update of the view it opened) and returns the view. */
  async waitForModal(callbackId: string, after = 0): Promise<{ callback_id: string; private_metadata: string; blocks: Array<Record<string, unknown>> }> {
    // The bot opens a loading view at once, then fills it with views.update: either carries the modal.
    const call = await waitFor(`a ${callbackId} modal`, () => {
      const opened = this.slack.callsOf('views.open')[after];
      if (!opened) return undefined;
      return this.slack.calls
        .slice(this.slack.calls.indexOf(opened))
        .find((c) => (c.method === 'views.open' || c.method === 'views.update') && (c.args.view as { callback_id?: string }).callback_id === callbackId);
    });
    return call.args.view as { callback_id: string; private_metadata: string; blocks: Array<Record<string, unknown>> };
  }

  /** Submits a modal the bot opened, as Slack would, with text per input block. */
  async submitModal(view: { callback_id: string; private_metadata: string; blocks?: unknown[] }, values: Record<string, string>, userId = REVIEWER): Promise<SlackResponse> {
    return this.postToBot(viewSubmissionBody({ view, values, userId }));
  }

  /** Click a card button and submit the modal it opens. */
  async clickAndSubmit(actionId: string, callbackId: string, workflowId: string, messageTs: string, values: Record<string, string>, userId = REVIEWER) {
    const before = this.slack.callsOf('views.open').length;
    await this.click(actionId, workflowId, messageTs, { userId });
    const view = await this.waitForModal(callbackId, before);
    return { view, response: await this.submitModal(view, values, userId) };
  }

  /** The workflow ID a `/research` produced, read from the parent message's metadata. */
  async waitForPipeline(topicFragment: string, timeoutMs = 30_000): Promise<{ workflowId: string; threadTs: string }> {
    return waitFor(`a thread for "${topicFragment}"`, () => {
      const root = this.slack.channelMessages(CHANNEL).find((m) => m.text?.includes(topicFragment));
      const workflowId = root?.metadata?.event_payload.workflow_id;
      return root && typeof workflowId === 'string' ? { workflowId, threadTs: root.ts } : undefined;
    }, timeoutMs);
  }

  /** The thread reply of a given kind (from its metadata): status, draft, budget_question, outcome, failure. */
  reply(threadTs: string, kind: string) {
    return this.slack.threadReplies(CHANNEL, threadTs).find((m) => m.metadata?.event_payload.kind === kind);
  }

  async waitForReply(threadTs: string, kind: string, timeoutMs = 30_000) {
    return waitFor(`a "${kind}" reply`, () => this.reply(threadTs, kind), timeoutMs);
  }

  /** Every version the status message went through: the post, then each chat.update. */
  statusVersions(threadTs: string): string[] {
    const status = this.reply(threadTs, 'status');
    if (!status) return [];
    const updates = this.slack.callsOf('chat.update').filter((call) => call.args.ts === status.ts);
    const posted = this.slack.callsOf('chat.postMessage').find((call) => (call.args.metadata as { event_payload?: { kind?: string } })?.event_payload?.kind === 'status' && call.args.thread_ts === threadTs);
    return [posted, ...updates].filter(Boolean).map((call) => blockText({ channel: CHANNEL, ts: '', blocks: call!.args.blocks as never }));
  }

  /** The draft card posted in a thread (first reply with review buttons). */
  async waitForDraft(threadTs: string, timeoutMs = 30_000) {
    return waitFor('the draft card', () =>
      this.slack.threadReplies(CHANNEL, threadTs).find((m) => m.metadata?.event_payload.kind === 'draft'), timeoutMs);
  }
}

export async function startStack(options?: StackOptions): Promise<Stack> {
  return new Stack().start(options);
}
