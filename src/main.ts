/**
 * `npm start`: everything in one process tree for local use.
 * Without TEMPORAL_ADDRESS it runs an embedded Temporal dev server (SQLite under .temporal/,
 * Web UI on :8233), then the workers and the Bolt app. Ctrl-C stops all three, in that reverse order.
 * With encryption on (the default) a codec server on loopback (CODEC_SERVER_PORT, 8234) decodes
 * payloads for the embedded server's Web UI and for the CLI (`--codec-endpoint`).
 */
import { startEmbeddedDevServer, type DevServer } from './temporal/dev-server.js';
import { startBot } from './bot.js';
import { startWorkers } from './worker.js';
import { exitOnConfigError, loadConfigOrExit, onShutdownSignal, setUpLogging, startOpsEndpoint } from './entry.js';
import { log } from './ops/log.js';
import { noSlackConfigured, temporalDeploymentSettings } from './config.js';
import { runPlayground } from './playground/index.js';
import { encryptionFor } from './temporal/codec.js';
import { startCodecServer, type CodecServer } from './temporal/codec-server.js';

// No Slack variable set at all: the local playground instead (src/playground/), until Ctrl-C;
// unless a Temporal deployment is named, which the playground never touches: then this is a bot
// without its Slack settings, and the checks below list them.
if (noSlackConfigured(process.env)) {
  const deployment = temporalDeploymentSettings(process.env);
  if (!deployment.length) await runPlayground(process.env, 'no-slack');
  console.error(
    `${deployment.join(', ')} ${deployment.length === 1 ? 'is' : 'are'} set, so npm start runs the bot for that Temporal server, not the local playground ` +
      `(which never attaches to a deployment: unset ${deployment.join(', ')} to try it).\n`,
  );
}

const config = loadConfigOrExit('all');
setUpLogging(config, 'all');
// One /metrics, /healthz, /readyz for everything in this process (METRICS_PORT).
const ops = await startOpsEndpoint(config, { temporalRuntime: true });

// The codec server first: the embedded server's Web UI is started pointing at it. It holds the
// same keys as this process's workers (the local key file is made here the first time).
let encryption: ReturnType<typeof encryptionFor>;
try {
  encryption = encryptionFor(config.encryption, console.log);
} catch (error) {
  exitOnConfigError(error); // a lost local key file: says what to do
}
let codecServer: CodecServer | undefined;
/** Why there is no codec server with encryption on (an external server's, whose port was taken). */
let codecServerSkipped: string | undefined;
if (encryption.mode !== 'off') {
  codecServer = await startCodecServer({
    ...config.encryption.codecServer,
    namespace: config.temporal.namespace,
    keys: encryption.keys,
    onRefusal: (line) => log().warn(line),
  }).catch(async (error: unknown) => {
    // The embedded Web UI needs it; with an external server it is a convenience (its own codec
    // server, e.g. compose's, may hold the port): say so and go on.
    if (config.temporal.connection.address) {
      codecServerSkipped = (error as Error).message;
      return undefined;
    }
    console.error((error as Error).message);
    await ops.close();
    process.exit(1);
  });
}

let devServer: DevServer | undefined;
let address = config.temporal.connection.address;
if (!address) {
  devServer = await startEmbeddedDevServer(config, process.env, console.log, { uiCodecEndpoint: codecServer?.url });
  address = devServer.address;
}

const workers = await startWorkers(config, address);
const bot = await startBot(config, address).catch(async (error: unknown) => {
  // PUBLISH_CHANNEL unusable: stop what started, then print the problem and exit.
  await workers.stop().catch(() => undefined);
  await devServer?.stop();
  await codecServer?.close();
  return exitOnConfigError(error);
});
ops.addChecks({ ...workers.checks, slack: bot.checks.slack! });

console.log(
  [
    '',
    'Content pipeline is running:',
    `  Temporal      ${address}${devServer ? ' (embedded dev server)' : ''}`,
    `  Web UI        ${devServer?.uiUrl ?? config.temporal.uiUrl}`,
    codecServerSkipped
      ? `  Codec server  not started: ${codecServerSkipped}`
      : !codecServer
      ? '  Codec server  off (PAYLOAD_ENCRYPTION=off: Temporal stores payloads in plaintext)'
      : devServer
        ? `  Codec server  ${codecServer.url} (Web UI decodes through it; CLI: --codec-endpoint ${codecServer.url})`
        : `  Codec server  ${codecServer.url} (CLI: --codec-endpoint ${codecServer.url}; a Web UI on this machine: set it as the UI's codec endpoint)`,
    `  Task queues   ${config.temporal.taskQueue}, ${config.temporal.researchTaskQueue}`,
    `  Metrics       ${ops.url}/metrics (health: /healthz, /readyz)`,
    config.slack.appToken
      ? '  Slack         Socket Mode'
      : `  Slack         http://localhost:${bot.port}/slack/events`,
    '',
    'Type /research <topic> in Slack. Ctrl-C stops everything.',
  ].join('\n'),
);

onShutdownSignal(async () => {
  await bot.stop();
  await workers.stop();
  await ops.close();
  await devServer?.stop();
  await codecServer?.close();
});

// If the workers stop on their own (e.g. the server went away for good), take the rest down too.
workers.done.catch(async (error: unknown) => {
  log().error({ err: error }, 'Workers stopped with an error');
  await bot.stop().catch(() => undefined);
  await devServer?.stop();
  await codecServer?.close();
  process.exit(1);
});
