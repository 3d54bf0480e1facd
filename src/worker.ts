/**
 * Worker entry (`npm run worker`): real clients → activities → two workers, one per task queue.
 * The ContentPipeline queue runs the parent workflow, writing and Slack activities; the research
 * queue runs the ParallelResearchWorkflow child and its LLM activities. Both can be scaled apart.
 */
import { ChatOpenAI } from '@langchain/openai';
import { WebClient } from '@slack/web-api';
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.js';
import type { RunChannel } from './activities/kb.js';
import { makeEmbeddings } from './kb/embeddings.js';
import type { Config } from './config.js';
import { MAX_OUTPUT_TOKENS } from './shared/pricing.js';
import { bundleWorkflows, workflowBundleForWorker } from './temporal/bundle.js';
import { isMainModule, loadConfigOrExit, onShutdownSignal, setUpLogging, startOpsEndpoint } from './entry.js';
import { DEFAULT_PRICES, type PriceTable } from './shared/pricing.js';
import { activityObserver, type ActivityObservation } from './ops/activity-metrics.js';
import { meteredSlackFetch } from './ops/metrics.js';
import { homeRefresher } from './ops/home-refresh.js';
import { loadHome } from './temporal/home.js';
import { spendAccountFor } from './temporal/spend.js';
import { Client } from '@temporalio/client';
import { conversationsOf, MEMBERSHIP_LOOKUP_MS, seesPublicChannels, within } from './slack/membership.js';
import { announce, log } from './ops/log.js';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFor, encryptionFor, temporalDataConverter } from './temporal/codec.js';
import { warnAboutMissingKeys } from './temporal/keys.js';

/** The worker's Slack Web API client. */
export function slackWebClient(config: Config): WebClient {
  return new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // The SDK would retry for ~30 minutes; Temporal's policy bounds and records the retries instead.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    // Counts failed Web API calls by method (content_pipeline_slack_api_errors_total).
    fetch: meteredSlackFetch(),
  });
}

/**
 * Re-publishes a requester's App Home tab after their pipeline changes stage (debounced), from
 * the worker's activity observer: no workflow code involved.
 */
export function homeRefreshFor(config: Config, connection: NativeConnection, slack: WebClient = slackWebClient(config), dataConverter: DataConverter = dataConverterFor(config)) {
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  // The worker gets no membership events, so it keeps no answer: a Home it re-publishes (debounced
  // per person) must not show a channel the person left after the bot's cache was dropped.
  const conversations = async (userId: string) => new Set(await within(conversationsOf(slack, userId), MEMBERSHIP_LOOKUP_MS, 'users.conversations'));
  return homeRefresher({
    client,
    slack,
    load: (userId) => loadHome(client, userId, 0, {
      reviewers: config.review.reviewers,
      groupMembers: async (usergroup) => (await slack.usergroups.users.list({ usergroup })).users ?? [],
      membership: conversations,
      seesPublicChannels: (user) => within(seesPublicChannels(slack, user), MEMBERSHIP_LOOKUP_MS, 'users.info'),
    }),
    temporalUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
  });
}

/**
 * The conversation a run belongs to, for retrieval (documents answer only in the conversations
 * they are bound to): the pipeline's memo, written by the bot at start from the signed command.
 * The research child has no memo of its own: its parent's is read. Unknown → undefined (nothing
 * is searched).
 */
export function runChannelFrom(client: Client): RunChannel {
  return async ({ workflowId, runId }) => {
    const own = await client.workflow.getHandle(workflowId, runId).describe();
    const parent = own.parentExecution;
    const pipeline = parent?.workflowId ? await client.workflow.getHandle(parent.workflowId, parent.runId ?? undefined).describe() : own;
    const channel = (pipeline.memo as Record<string, unknown> | undefined)?.channel;
    return typeof channel === 'string' ? channel : undefined;
  };
}

/** The only place real clients are built (`temporal`: for what activities look up about their run). */
export function buildActivityDeps(config: Config, temporal?: Client): ActivityDeps {
  // LangChain retries 6 times by default; Temporal's retry policy alone decides here.
  const attempt = config.pipeline.llmAttemptTimeoutMs;
  const chatModel = (model: string, maxTokens: number) => ({
    name: model,
    model: new ChatOpenAI({
      model,
      apiKey: config.openai.apiKey,
      maxRetries: 0,
      // Keeps the raw response on each message: LangChain's Chat Completions converter drops
      // `message.refusal`, which the LLM activities need to tell a refusal from a bad answer.
      __includeRawResponse: true,
      // The output cap is what makes the budget guard's worst-case estimate a real bound.
      maxTokens,
      // A little under the activity's start-to-close timeout, so the HTTP call ends first and says why.
      timeout: Math.max(attempt * 0.8, attempt - 2_000),
      ...(config.openai.baseUrl ? { configuration: { baseURL: config.openai.baseUrl } } : {}),
    }),
  });
  const slack = slackWebClient(config);
  // Spend ceilings on: every LLM call reserves from its workspace's account, over this worker's own
  // Client (the project's data converter, so reservations are encrypted like every payload).
  const spend = config.spend.enabled && temporal
    ? {
        spend: {
          account: spendAccountFor(temporal, { taskQueue: config.temporal.taskQueue }),
          ceilings: {
            ...(config.spend.teamDailyUsd === undefined ? {} : { teamDailyUsd: config.spend.teamDailyUsd }),
            ...(config.spend.teamMonthlyUsd === undefined ? {} : { teamMonthlyUsd: config.spend.teamMonthlyUsd }),
            ...(config.spend.userDailyUsd === undefined ? {} : { userDailyUsd: config.spend.userDailyUsd }),
          },
          timeZone: config.spend.timeZone,
          prices: config.pipeline.prices,
        },
      }
    : {};
  return {
    ...spend,
    research: chatModel(config.openai.researchModel, MAX_OUTPUT_TOKENS.research),
    writer: chatModel(config.openai.writerModel, MAX_OUTPUT_TOKENS.writer),
    linkPolicy: config.review.linkPolicy,
    slack,
    temporalUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
    kb: {
      uri: config.kb.uri,
      embeddingModel: config.kb.embeddingModel,
      topK: config.kb.topK,
      minScore: config.kb.minScore,
      // LangChain's retries off: Temporal's policy retries the activity (KB_ACTIVITY_OPTIONS).
      embeddings: () => makeEmbeddings(config.kb, { maxRetries: 0, timeoutMs: 30_000 }),
      ...(temporal ? { runChannel: runChannelFrom(temporal) } : {}),
    },
  };
}

/** Worker tuning (cache size, slots, pollers…) applied to both workers; everything else is set here. */
export type WorkerTuning = Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'workflowBundle' | 'workflowsPath' | 'activities'>;

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  researchTaskQueue: string;
  activities: object;
  /** A prebuilt bundle (tests share one); bundled here when absent. */
  workflowBundle?: WorkflowBundleOption;
  /** Payload codec and failure converter (dataConverterFor); Temporal's plain defaults when absent. */
  dataConverter?: DataConverter;
  /** Optional tuning for both workers (the benchmark uses it); Temporal's defaults when absent. */
  tuning?: WorkerTuning;
  /** Prices for the cost metrics (content_pipeline_llm_cost_usd_total); the built-in table when absent. */
  prices?: PriceTable;
  /** Called after an activity that may have moved a pipeline to another stage (App Home refresh). */
  onStageChange?: (observation: ActivityObservation) => void;
}

export interface WorkerSet {
  workers: Worker[];
  /** Resolves when both workers have stopped. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createWorkers(options: WorkerSetOptions): Promise<WorkerSet> {
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows());
  const common = {
    ...options.tuning,
    connection: options.connection,
    namespace: options.namespace,
    workflowBundle,
    activities: options.activities,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // Metrics from what activities take and return, and the Slack channel on activity log lines.
    interceptors: {
      activity: [activityObserver({ prices: options.prices ?? DEFAULT_PRICES, ...(options.onStageChange ? { onStageChange: options.onStageChange } : {}) })],
    },
    // A cancellation reaches an activity with the answer to its next heartbeat; send them often
    // enough that cancelling a run stops its LLM calls within a couple of seconds.
    maxHeartbeatThrottleInterval: '2s' as const,
  };
  const workers = [
    await Worker.create({ ...common, taskQueue: options.taskQueue }),
    await Worker.create({ ...common, taskQueue: options.researchTaskQueue }),
  ];
  let running: Promise<void> | undefined;
  return {
    workers,
    run() {
      running ??= Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
      return running;
    },
    async shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** The tuning the configuration asks for (WORKER_MAX_CACHED_WORKFLOWS); Temporal's defaults otherwise. */
export function workerTuning(config: { worker: Pick<Config['worker'], 'maxCachedWorkflows'> & Partial<Pick<Config['worker'], 'shutdownGraceMs'>> }): WorkerTuning {
  const { maxCachedWorkflows, shutdownGraceMs } = config.worker;
  return {
    ...(maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows }),
    // On SIGTERM, running activities (an LLM call) get this long to finish before they are cancelled.
    ...(shutdownGraceMs === undefined ? {} : { shutdownGraceTime: shutdownGraceMs }),
  };
}

export interface StartWorkersOptions {
  /** A bundle made elsewhere (the benchmark's); else the build's, else one made now. */
  workflowBundle?: WorkflowBundleOption;
  /** Tuning on top of the configuration's (experiments). */
  tuning?: WorkerTuning;
}

/** Both workers as configured, with real clients: what `npm run worker` runs. */
export async function startWorkers(config: Config, address: string, options: StartWorkersOptions = {}) {
  const connection = await NativeConnection.connect({ ...config.temporal.connection, address });
  const encryption = encryptionFor(config.encryption, (line) => log().warn(line));
  const dataConverter = temporalDataConverter(encryption);
  const set = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    researchTaskQueue: config.temporal.researchTaskQueue,
    dataConverter,
    activities: createActivities(buildActivityDeps(config, new Client({ connection, namespace: config.temporal.namespace, dataConverter }))),
    workflowBundle: options.workflowBundle ?? (await workflowBundleForWorker()),
    tuning: { ...workerTuning(config), ...options.tuning },
    prices: config.pipeline.prices,
    onStageChange: homeRefreshFor(config, connection, slackWebClient(config), dataConverter),
  });
  // Runs still needing a key this worker was not given: a worker cannot continue them, so say which.
  if (encryption.mode !== 'off') {
    void warnAboutMissingKeys(new Client({ connection, namespace: config.temporal.namespace, dataConverter }), encryption.keys.map((key) => key.id), log());
  }
  const done = set.run().finally(() => connection.close());
  return {
    set,
    done,
    /** Readiness: Temporal answers, and both workers are polling. */
    checks: {
      temporal: async () => {
        await connection.workflowService.getSystemInfo({});
        return true;
      },
      workers: () => set.workers.every((worker) => worker.getState() === 'RUNNING') || `workers are ${set.workers.map((w) => w.getState()).join(', ')}`,
    },
    async stop() {
      await set.shutdown();
      await done;
    },
  };
}

if (isMainModule(import.meta.url)) {
  const config = loadConfigOrExit('worker');
  setUpLogging(config, 'worker');
  const ops = await startOpsEndpoint(config, { temporalRuntime: true });
  const address = config.temporal.connection.address ?? 'localhost:7233';
  const worker = await startWorkers(config, address);
  ops.addChecks(worker.checks);
  announce(`Worker polling "${config.temporal.taskQueue}" and "${config.temporal.researchTaskQueue}" on ${address}; metrics and health on ${ops.url}`);
  onShutdownSignal(async () => {
    await worker.stop();
    await ops.close();
  });
  await worker.done;
}
