/**
 * Bot entry (`npm run bot`): Temporal client + Bolt app. Stateless: everything needed to resume a
 * pipeline lives in Temporal, so any number of bot processes can run side by side.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { encryptionFor, temporalDataConverter, type Encryption } from './temporal/codec.js';
import { warnAboutMissingKeys } from './temporal/keys.js';
import type { App } from '@slack/bolt';
import { cachedDirectory } from './slack/listeners/authorization.js';
import { cachedMembership, cachedPerPerson, cachedVisibility, conversationsOf, MEMBERSHIP_LOOKUP_MS, seesPublicChannels, visibilityOf, VISIBILITY_LOOKUP_MS, within } from './slack/membership.js';
import type { Config } from './config.js';
import { isLocalKbUri } from './kb/uri.js';
import { createSlackApp } from './slack/app.js';
import { checkPublishChannel } from './slack/publish-channel.js';
import { trackInFlight } from './slack/in-flight.js';
import { Pipelines } from './temporal/pipelines.js';
import { loadHome, spendLimitsOf } from './temporal/home.js';
import { spendAccountFor, type SpendAccount } from './temporal/spend.js';
import { exitOnConfigError, isMainModule, loadConfigOrExit, onShutdownSignal, setUpLogging, startOpsEndpoint } from './entry.js';
import { announce, log } from './ops/log.js';
import type { ReadinessCheck } from './ops/server.js';

export interface RunningBot {
  app: App;
  /** HTTP port in HTTP mode; undefined in Socket Mode. */
  port: number | undefined;
  /** Readiness: Temporal answers, and Slack can reach the bot (HTTP listening or Socket Mode connected). */
  checks: Record<string, ReadinessCheck>;
  stop(): Promise<void>;
}

/**
 * The bot's view of the spend account, over its own Client (same data converter, so reservations are
 * encrypted like every payload); undefined when no ceiling is set (no account traffic at all).
 */
export function spendAccountOf(client: Client, config: Config): SpendAccount | undefined {
  return config.spend.enabled ? spendAccountFor(client, { taskQueue: config.temporal.taskQueue }) : undefined;
}

export function pipelinesFor(client: Client, config: Config, encryption: Encryption = encryptionFor(config.encryption), account: SpendAccount | undefined = spendAccountOf(client, config)): Pipelines {
  return new Pipelines(client, {
    // Spend ceilings set: every start is admitted by the workspace's spend account first.
    ...(account
      ? { admission: { account, spend: config.spend, prices: config.pipeline.prices, researchModel: config.openai.researchModel, writerModel: config.openai.writerModel } }
      : {}),
    taskQueue: config.temporal.taskQueue,
    workflowIdStyle: config.temporal.workflowIdStyle,
    // Recorded on each run (PayloadKey), so `npm run keys -- check` can tell which runs still need an old key.
    ...(encryption.mode === 'off' ? {} : { payloadKeyId: encryption.keys[0]!.id }),
    executionTimeoutMs: config.pipeline.executionTimeoutMs,
    settings: {
      researchTaskQueue: config.temporal.researchTaskQueue,
      reviewTimeoutMs: config.pipeline.reviewTimeoutMs,
      llmAttemptTimeoutMs: config.pipeline.llmAttemptTimeoutMs,
      maxCostUsd: config.pipeline.maxCostUsd,
      prices: config.pipeline.prices,
      researchModel: config.openai.researchModel,
      writerModel: config.openai.writerModel,
      maxRevisions: config.review.maxRevisions,
      reviewers: config.review.reviewers,
      reminderAfterMs: config.review.reminderAfterMs,
      ...(config.review.publishChannel ? { publishChannel: config.review.publishChannel } : {}),
      // Used once the server confirms the attributes are registered (Pipelines.refreshSearchAttributes).
      searchAttributes: true,
    },
  });
}

/**
 * How long a stopping bot lets requests it has acked finish their work (a start or a signal to
 * Temporal, whose slowest path is ~17 s: src/temporal/pipelines.ts), within Kubernetes' default
 * 30 s and compose.yaml's stop_grace_period.
 */
export const BOT_SHUTDOWN_GRACE_MS = 25_000;

export interface StartBotOptions {
  /** Interface the HTTP receiver binds to; all of them when unset (the playground binds 127.0.0.1). */
  host?: string;
}

/** Logs how to bind documents indexed before collections existed, if there are any (in the background). */
export async function announceUnboundDocuments(uri: string, warn: (message: string) => void): Promise<boolean> {
  try {
    // No local index: nothing to say, and LanceDB stays unloaded in the bot.
    if (isLocalKbUri(uri) && !existsSync(uri)) return false;
    const [{ kbStats }, { legacyBindHint }] = await Promise.all([import('./kb/stats.js'), import('./kb/channels.js')]);
    if (!(await kbStats(uri)).legacyUnbound) return false;
    warn(legacyBindHint());
    return true;
  } catch (error) {
    warn(`Could not read the knowledge base to check its documents are bound to conversations: ${(error as Error).message}`);
    return false;
  }
}

export async function startBot(config: Config, address: string, options: StartBotOptions = {}): Promise<RunningBot> {
  // Connects lazily: the bot comes up (and acks commands) even while Temporal is unreachable.
  const connection = Connection.lazy({ ...config.temporal.connection, address });
  const encryption = encryptionFor(config.encryption, (line) => log().warn(line));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(encryption) });
  const spendAccount = spendAccountOf(client, config);
  const pipelines = pipelinesFor(client, config, encryption, spendAccount);
  // Usage against the ceilings, for App Home and `/research status` (exact, from the account).
  const spendView = spendAccount
    ? { config: config.spend, usage: (teamId: string) => spendAccount.usage(teamId), running: async (userId: string) => (await pipelines.runningIdsOf(userId)).length }
    : undefined;
  // Runs still needing a key this bot was not given (a rotation that dropped it too early): say which.
  if (encryption.mode !== 'off') void warnAboutMissingKeys(client, encryption.keys.map((key) => key.id), log());
  void pipelines.refreshSearchAttributes(config.temporal.namespace).then(() => {
    // Without Channel and ChannelVisibility no run can be shown to anyone: say once how to fix it.
    const missing = pipelines.missingSearchAttributes;
    if (missing.length) {
      log().warn(`Temporal namespace "${config.temporal.namespace}" lacks the search attributes ${missing.join(', ')}: App Home and /research status list no runs until they are registered. Run \`npm run setup:temporal\` once.`);
    }
  });
  // Group membership for REVIEWERS, read with the bot's own Web API client (the app's, once it exists).
  const slackClient: { current?: App['client'] } = {};
  const directory = cachedDirectory(async (usergroup) => (await slackClient.current!.usergroups.users.list({ usergroup })).users ?? []);
  // Who is in which conversation: what every list a person sees is filtered by.
  const membership = cachedMembership(
    (userId) => within(conversationsOf(slackClient.current!, userId), MEMBERSHIP_LOOKUP_MS, 'users.conversations'),
    config.slack.membershipCacheMs,
  );
  const publicChannelsSeen = cachedPerPerson(
    (userId) => within(seesPublicChannels(slackClient.current!, userId), MEMBERSHIP_LOOKUP_MS, 'users.info'),
    config.slack.membershipCacheMs,
  );
  const visibilities = cachedVisibility(
    (channel) => within(visibilityOf(slackClient.current!, channel), VISIBILITY_LOOKUP_MS, 'conversations.info').catch(() => 'private' as const),
    config.slack.membershipCacheMs,
  );
  const app = createSlackApp(config, {
    pipelines,
    reviewers: config.review.reviewers,
    directory,
    membership,
    channelVisibility: visibilities.visibility,
    forgetChannelVisibility: visibilities.forget,
    temporalUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
    home: (userId, page, teamId) => loadHome(client, userId, page, {
      reviewers: config.review.reviewers,
      groupMembers: (group) => directory.membersOf(group),
      membership: (user) => membership.conversationsOf(user),
      seesPublicChannels: publicChannelsSeen,
      ...(spendView ? { spend: spendView } : {}),
    }, teamId),
    ...(spendView ? { spendLimits: (teamId: string | undefined, userId: string) => spendLimitsOf(spendView, teamId, userId) } : {}),
    // Loaded on first use: the bot needs LanceDB only for `/research kb`.
    kb: async (channel) => (await import('./kb/stats.js')).kbStats(config.kb.uri, { channel }),
  });
  // Documents indexed before collections answer nowhere until bound: say once how to bind them.
  void announceUnboundDocuments(config.kb.uri, (message) => app.logger.warn(message));
  slackClient.current = app.client;
  const inFlight = trackInFlight(app);
  // A PUBLISH_CHANNEL the bot cannot post in would only show once an article is approved: say it now.
  if (config.review.publishChannel) {
    await checkPublishChannel(app.client, config.review.publishChannel, (message) => app.logger.warn(message));
  }

  let port: number | undefined;
  let server: Server | undefined;
  if (config.slack.appToken) {
    await app.start();
  } else {
    server = (await app.start(options.host ? { port: config.slack.port, host: options.host } : config.slack.port)) as Server;
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : config.slack.port;
  }
  const socket = (app as unknown as { receiver?: { client?: { isActive?: () => boolean } } }).receiver?.client;
  return {
    app,
    port,
    checks: {
      temporal: async () => {
        await connection.workflowService.getSystemInfo({});
        return true;
      },
      slack: () =>
        server ? server.listening || 'HTTP receiver is not listening' : socket?.isActive?.() !== false || 'Socket Mode is not connected',
    },
    /**
     * Graceful: first no new requests (the HTTP listener closes, so a load balancer or Slack's
     * retry sends them to another bot; Socket Mode disconnects), then the requests already acked
     * finish their forwards, and only then the Temporal connection closes.
     */
    async stop() {
      const pending = inFlight.count;
      await app.stop();
      if (pending > 0) log().info(`Bot stopping: finishing ${pending} request(s) in flight`);
      if (!(await inFlight.drained(BOT_SHUTDOWN_GRACE_MS))) {
        log().warn(`Bot stopped with ${inFlight.count} request(s) still in flight after ${BOT_SHUTDOWN_GRACE_MS / 1000} s`);
      }
      await connection.close();
    },
  };
}

if (isMainModule(import.meta.url)) {
  const config = loadConfigOrExit('bot');
  setUpLogging(config, 'bot');
  const ops = await startOpsEndpoint(config);
  const address = config.temporal.connection.address ?? 'localhost:7233';
  const bot = await startBot(config, address).catch(exitOnConfigError);
  ops.addChecks(bot.checks);
  announce(
    `${config.slack.appToken
      ? 'Bot connected to Slack in Socket Mode'
      : `Bot listening for Slack requests on http://localhost:${bot.port}/slack/events`}; metrics and health on ${ops.url}`,
  );
  onShutdownSignal(async () => {
    await bot.stop();
    await ops.close();
  });
}
