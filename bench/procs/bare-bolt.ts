/**
 * The baseline of figure 1: a bare Bolt app with the same receiver, signing secret, token and
 * Web API base as the real bot, whose only listener acks `/research`. Same process shape (Node +
 * tsx), so the ratio to the real bot is what our listener and the Temporal start cost.
 */
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { benchEnv, onStop, ready } from './child.js';

const env = benchEnv();
const app = new App({
  signingSecret: env.SLACK_SIGNING_SECRET ?? '',
  token: env.SLACK_BOT_TOKEN ?? '',
  logLevel: LogLevel.WARN,
  ...(env.SLACK_API_URL ? { clientOptions: { slackApiUrl: env.SLACK_API_URL } } : {}),
});
app.command('/research', async ({ ack }) => {
  await ack();
});
const server = (await app.start(0)) as Server;
const address = server.address();
ready({ port: typeof address === 'object' && address ? address.port : undefined });
onStop(() => app.stop().then(() => undefined));
