/**
 * The local playground: the real product (Bolt app on its HTTP receiver, workers, workflows on
 * Temporal, LangChain client) talking to a stand-in Slack that a web page renders. `npm start`
 * opens it when no Slack app and no Temporal deployment is configured; `npm run playground` opens
 * it whatever Slack settings are set.
 *
 * The playground builds its own environment (a bot token, a generated signing secret, the
 * stand-in's URL, REVIEWERS = the reviewer persona) over the visitor's and passes it through the
 * normal config loader, so every other setting is validated as usual.
 *
 * It never touches a deployment: it runs its own Temporal dev server (in memory, free ports, never
 * the `npm start` server's data file or ports), and refuses to start when a setting names another
 * server (TEMPORAL_ADDRESS and the rest of what @temporalio/envconfig reads), rather than start
 * workers on that server's task queues.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowBundleOption } from '@temporalio/worker';
import {
  ConfigError,
  loadConfig,
  noModelConfigured,
  SLACK_VARIABLES,
  temporalConfigFileAddress,
  temporalDeploymentSettings,
  type Config,
  type Env,
} from '../config.js';
import { startBot, type RunningBot } from '../bot.js';
import { startWorkers } from '../worker.js';
import { ensureTemporalCli } from '../temporal/cli.js';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { encryptionFor, newPayloadKeyEntry, parsePayloadKeys, type PayloadKey } from '../temporal/codec.js';
import { startCodecServer, type CodecServer } from '../temporal/codec-server.js';
import { log as appLog } from '../ops/log.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes.js';
import { FakeOpenAI } from '../stand-ins/openai.js';
import { FakeSlack } from '../stand-ins/slack/index.js';
import { STAND_IN_BOT_USER_ID } from '../stand-ins/slack-requests.js';
import { PERSONAS, PLAYGROUND_CHANNEL, REVIEWER } from './personas.js';
import { sampleAnswer } from './sample-writer.js';
import { PlaygroundServer } from './server.js';
import { isLocalKbUri } from '../kb/uri.js';

export interface PlaygroundOptions {
  /** The visitor's environment (process.env); Slack settings in it are ignored. */
  env: Env;
  /** A prebuilt workflow bundle (tests share one); the build's or a fresh one otherwise. */
  workflowBundle?: WorkflowBundleOption;
  log?: (line: string) => void;
  /** Called with the validated configuration before anything starts (entry points set up logging there). */
  onConfig?: (config: Config) => void;
  /**
   * A Temporal server the caller runs for the playground (the tests share the suite's), used
   * instead of starting one. Only ever passed in code: the environment cannot choose the server.
   */
  temporalAddress?: string;
}

/** The playground will not start: a setting would point it at a deployment. Says which and what to do. */
export class PlaygroundRefusedError extends Error {
  constructor(readonly settings: string[]) {
    const names = settings.join(', ');
    const one = settings.length === 1;
    super(
      [
        `The playground did not start: ${names} ${one ? 'is' : 'are'} set, and ${one ? 'it points' : 'they point'} at a deployment (its Temporal server or its knowledge base).`,
        'The playground always runs its own Temporal server and reads only a knowledge base on this machine, so that it can never start workers on a real deployment\'s task queues, show its work or search its documents.',
        `  • To try the playground: unset ${names} (in your shell and in .env), then run npm run playground again.`,
        '  • To run the bot for that Temporal server: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode) and OPENAI_API_KEY, then run npm start.',
      ].join('\n'),
    );
    this.name = 'PlaygroundRefusedError';
  }
}

/** KB_URI names a shared store (s3://, gs://, az://, db://…) rather than a folder on this machine. */
export function sharedKnowledgeBase(env: Env): boolean {
  return !isLocalKbUri(env.KB_URI ?? '');
}

export interface RunningPlayground {
  url: string;
  config: Config;
  server: PlaygroundServer;
  slack: FakeSlack;
  /** The sample writer's server, when no model is configured. */
  sampleWriter: FakeOpenAI | undefined;
  temporalAddress: string;
  temporalUiUrl: string;
  /** The codec server its own server's Web UI decodes through (none when PAYLOAD_ENCRYPTION=off or on a given server). */
  codecServerUrl: string | undefined;
  embeddedTemporal: boolean;
  /** The server the Temporal CLI's config file names, which the playground does not use (the banner says so). */
  unusedConfigFileAddress: string | undefined;
  stop(): Promise<void>;
}

/** The visitor's environment with the playground's Slack (and, without a key, the sample writer). */
function playgroundEnv(env: Env, overrides: Env): Env {
  const own: Env = { ...env };
  for (const name of [...SLACK_VARIABLES, 'PUBLISH_CHANNEL']) delete own[name];
  return { ...own, REVIEWERS: REVIEWER.id, ...overrides };
}

/**
 * The playground's own Temporal server: in memory (its Slack is too), on free ports, with the Web UI
 * the page links, which decodes payloads through a codec server on loopback holding the keys the
 * workers encrypt with (unless encryption is off).
 */
async function startOwnTemporal(env: Env, log: (line: string) => void, config: Config): Promise<{ devServer: DevServer; codecServer: CodecServer | undefined }> {
  const cliPath = await ensureTemporalCli({ env });
  const uiPort = await freePort();
  const encryption = encryptionFor(config.encryption, log);
  const codecServer =
    encryption.mode === 'off'
      ? undefined
      : await startCodecServer({
        host: '127.0.0.1',
        port: 0,
        namespace: config.temporal.namespace,
        keys: encryption.keys,
        corsOrigins: [`http://localhost:${uiPort}`],
        onRefusal: (line) => appLog().warn(line),
      });
  log('Starting the playground\'s own Temporal dev server (in memory)…');
  try {
    const devServer = await startDevServer({
      cliPath,
      port: await freePort(),
      uiPort,
      searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
      ...(codecServer ? { uiCodecEndpoint: codecServer.url } : {}),
    });
    return { devServer, codecServer };
  } catch (error) {
    await codecServer?.close();
    throw error;
  }
}

export async function startPlayground({ env, workflowBundle, log = console.log, onConfig, temporalAddress }: PlaygroundOptions): Promise<RunningPlayground> {
  // Before anything starts: nothing may reach a server the visitor named.
  const deployment = [...temporalDeploymentSettings(env), ...(sharedKnowledgeBase(env) ? ['KB_URI'] : [])];
  if (deployment.length) throw new PlaygroundRefusedError(deployment);
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error('Playground shutdown:', error));
  };
  try {
    const slack = await new FakeSlack().start();
    stops.push(() => slack.stop());
    const sample = noModelConfigured(env);
    let sampleWriter: FakeOpenAI | undefined;
    if (sample) {
      sampleWriter = await new FakeOpenAI().start();
      sampleWriter.writer = sampleAnswer;
      stops.push(() => sampleWriter!.stop());
    }
    const slackEnv: Env = {
      // Per start, like the signing secret: the page's server answers only the bot that holds it.
      SLACK_BOT_TOKEN: `xoxb-playground-${randomBytes(16).toString('hex')}`,
      SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
      SLACK_API_URL: slack.apiUrl,
      ...(sampleWriter ? { OPENAI_API_KEY: 'sk-playground-sample-writer', OPENAI_BASE_URL: sampleWriter.baseUrl } : {}),
    };
    // First pass: validates the visitor's settings and gives the page's port (PORT, default 3000).
    const pagePort = loadConfig(playgroundEnv(env, slackEnv), 'all', { ownTemporalServer: true }).slack.port;
    const server = new PlaygroundServer({
      slackApiUrl: slack.apiUrl,
      slackResponseUrl: (id) => slack.responseUrl(id),
      port: pagePort,
      botToken: slackEnv.SLACK_BOT_TOKEN!,
      info: {
        workspace: 'Playground',
        channel: PLAYGROUND_CHANNEL,
        personas: PERSONAS,
        botName: 'Content Pipeline',
        botUserId: STAND_IN_BOT_USER_ID,
        temporalUiUrl: '',
        sampleWriter: sample,
        model: '',
      },
    });
    await server.start().catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new Error(`Port ${pagePort} is in use: set PORT to a free port for the playground page (PORT=0 picks one).`) : error;
    });
    stops.push(() => server.stop());
    // Second pass: the bot calls Slack through the page's server, and its receiver takes any free port.
    const parsed = loadConfig(playgroundEnv(env, { ...slackEnv, SLACK_API_URL: server.apiUrl, PORT: '0' }), 'all', { ownTemporalServer: true });
    // Encrypted like any deployment, with a key made for this start and kept in memory, as the
    // server's data is: the workers, the bot and the Web UI's codec server all hold this one list.
    const loaded: Config = {
      ...parsed,
      encryption: { ...parsed.encryption, keys: parsed.encryption.keys ?? (parsePayloadKeys(newPayloadKeyEntry('playground')) as PayloadKey[]) },
    };
    onConfig?.(loaded);

    let devServer: DevServer | undefined;
    let codecServer: CodecServer | undefined;
    let address = temporalAddress;
    if (!address) {
      ({ devServer, codecServer } = await startOwnTemporal(env, log, loaded));
      if (codecServer) stops.push(() => codecServer!.close());
      stops.push(() => devServer!.stop());
      address = devServer.address;
    }
    // Links in the thread go to this server's Web UI, whatever TEMPORAL_UI_URL says.
    const config: Config = {
      ...loaded,
      temporal: { ...loaded.temporal, connection: { address }, ...(devServer?.uiUrl ? { uiUrl: devServer.uiUrl } : {}) },
    };
    const workers = await startWorkers(config, address, workflowBundle ? { workflowBundle } : {});
    stops.push(() => workers.stop());
    const bot: RunningBot = await startBot(config, address, { host: '127.0.0.1' });
    stops.push(() => bot.stop());
    server.botUrl = `http://127.0.0.1:${bot.port}/slack/events`;
    server.signingSecret = config.slack.signingSecret ?? '';
    const temporalUiUrl = devServer?.uiUrl ?? config.temporal.uiUrl;
    Object.assign(server.info, { temporalUiUrl, model: config.openai.writerModel });

    return {
      url: server.url,
      config,
      server,
      slack,
      sampleWriter,
      temporalAddress: address,
      temporalUiUrl,
      codecServerUrl: codecServer?.url,
      embeddedTemporal: Boolean(devServer),
      unusedConfigFileAddress: temporalConfigFileAddress(env),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What `npm start` (no Slack app configured) and `npm run playground` print. */
export function playgroundBanner(playground: RunningPlayground, reason: 'no-slack' | 'explicit'): string {
  const { config } = playground;
  return [
    '',
    reason === 'no-slack'
      ? `No Slack app configured — local playground at ${playground.url}`
      : `Local playground at ${playground.url}`,
    reason === 'no-slack'
      ? '  (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, to connect to Slack instead)'
      : '  (Slack settings are ignored: the page stands in for Slack)',
    '',
    `  Temporal      ${playground.temporalAddress}${playground.embeddedTemporal ? ' (the playground\'s own dev server, in memory)' : ''}`,
    ...(playground.unusedConfigFileAddress
      ? [`                (not ${playground.unusedConfigFileAddress}, which your Temporal config file names: the playground never uses a deployment)`]
      : []),
    `  Web UI        ${playground.temporalUiUrl}`,
    ...(playground.codecServerUrl ? [`  Codec server  ${playground.codecServerUrl} (Web UI decodes through it)`] : []),
    `  Writer        ${playground.sampleWriter ? 'sample text (no model configured: set OPENAI_API_KEY for a real one)' : `${config.openai.writerModel}${config.openai.baseUrl ? ` at ${config.openai.baseUrl}` : ''}`}`,
    '',
    `Open ${playground.url} and type /research durable execution. Ctrl-C stops everything.`,
  ].join('\n');
}

/** Starts the playground for an entry point and keeps it running until Ctrl-C. */
export async function runPlayground(env: Env, reason: 'no-slack' | 'explicit'): Promise<never> {
  const { installTemporalRuntime, onShutdownSignal, setUpLogging } = await import('../entry.js');
  let playground: RunningPlayground;
  try {
    playground = await startPlayground({
      env,
      onConfig: (config) => {
        setUpLogging(config, 'all');
        installTemporalRuntime(config);
      },
    });
  } catch (error) {
    console.error(error instanceof ConfigError || error instanceof PlaygroundRefusedError ? error.message : `The playground could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(playgroundBanner(playground, reason));
  onShutdownSignal(() => playground.stop());
  // Runs until the shutdown handler exits the process.
  return new Promise<never>(() => undefined);
}
