/**
 * `npm start`: everything in one process tree for local use.
 * Without TEMPORAL_ADDRESS it runs an embedded Temporal dev server (SQLite under .temporal/,
 * Web UI on :8233), then the workers and the Bolt app. Ctrl-C stops all three, in that reverse order.
 */
import { startEmbeddedDevServer, type DevServer } from './temporal/dev-server.js';
import { startBot } from './bot.js';
import { startWorkers } from './worker.js';
import { exitOnConfigError, loadConfigOrExit, onShutdownSignal, setUpLogging, startOpsEndpoint } from './entry.js';
import { log } from './ops/log.js';
import { noSlackConfigured, temporalDeploymentSettings } from './config.js';
import { runPlayground } from './playground/index.js';

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

let devServer: DevServer | undefined;
let address = config.temporal.connection.address;
if (!address) {
  devServer = await startEmbeddedDevServer(config, process.env, console.log);
  address = devServer.address;
}

const workers = await startWorkers(config, address);
const bot = await startBot(config, address).catch(async (error: unknown) => {
  // PUBLISH_CHANNEL unusable: stop what started, then print the problem and exit.
  await workers.stop().catch(() => undefined);
  await devServer?.stop();
  return exitOnConfigError(error);
});
ops.addChecks({ ...workers.checks, slack: bot.checks.slack! });

console.log(
  [
    '',
    'Content pipeline is running:',
    `  Temporal      ${address}${devServer ? ' (embedded dev server)' : ''}`,
    `  Web UI        ${devServer?.uiUrl ?? config.temporal.uiUrl}`,
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
});

// If the workers stop on their own (e.g. the server went away for good), take the rest down too.
workers.done.catch(async (error: unknown) => {
  log().error({ err: error }, 'Workers stopped with an error');
  await bot.stop().catch(() => undefined);
  await devServer?.stop();
  process.exit(1);
});
