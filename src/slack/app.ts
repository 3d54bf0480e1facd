/**
 * Builds the Bolt app: Socket Mode when an app-level token is configured, otherwise the HTTP
 * receiver at /slack/events. Listeners are registered here and nowhere else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger } from '@slack/bolt';
import type { Config } from '../config.js';
import { noteArrival } from './listeners/after-ack.js';
import { registerListeners, type ListenerDeps } from './listeners/index.js';
import { boltLogger } from '../ops/log.js';
import { meteredSlackFetch, timeAcks } from '../ops/metrics.js';

const LOG_LEVELS: Record<Config['logLevel'], LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

export const SLACK_EVENTS_PATH = '/slack/events';

export function createSlackApp(config: Pick<Config, 'slack' | 'logLevel'>, deps: ListenerDeps): App {
  const { slack } = config;
  // Bolt, its receiver and its WebClient all write to the process's structured log.
  const logger = boltLogger();
  const common = {
    token: slack.botToken,
    logger,
    logLevel: LOG_LEVELS[config.logLevel],
    // Counts failed Web API calls by method (content_pipeline_slack_api_errors_total). The SDK's
    // default retry policy stays on here (unlike the workers' client): on a 429 it waits the
    // Retry-After and retries by itself (test/e2e/rate-limits.test.ts).
    clientOptions: { fetch: meteredSlackFetch(), ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}) },
  };
  const app = slack.appToken
    ? new App({ ...common, appToken: slack.appToken, socketMode: true })
    : new App({ ...common, receiver: httpReceiver(slack.signingSecret ?? '', LOG_LEVELS[config.logLevel], Date.now, logger) });
  // content_pipeline_ack_latency_seconds, for every request whichever the receiver.
  timeAcks(app as unknown as Parameters<typeof timeAcks>[0]);
  // Socket Mode envelopes count as arrivals for the follow-up queue too (HTTP requests already
  // did, as their headers were read: see httpReceiver).
  if (slack.appToken) noteArrivals(app as unknown as Parameters<typeof noteArrivals>[0]);
  registerListeners(app, deps);
  app.error(async (error) => {
    app.logger.error(`Unhandled error in a listener: ${error.message}`);
  });
  return app;
}

function noteArrivals(app: { processEvent(event: unknown): Promise<void> }): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = (event) => {
    noteArrival();
    return processEvent(event);
  };
}

/** Slack's replay window: requests more than 5 minutes from now, either way, are refused. */
const MAX_CLOCK_SKEW_S = 5 * 60;

/**
 * Bolt's receiver verifies signatures and refuses stale timestamps, but accepts a correctly signed
 * request dated in the future (which a captured request replayed later would be). This refuses
 * those too, before Bolt sees them.
 */
export function httpReceiver(signingSecret: string, logLevel: LogLevel, now: () => number = Date.now, logger?: Logger): HTTPReceiver {
  const receiver = new HTTPReceiver({ signingSecret, endpoints: SLACK_EVENTS_PATH, logLevel, ...(logger ? { logger } : {}) });
  const boltListener = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    noteArrival();
    const header = req.headers['x-slack-request-timestamp'];
    const timestamp = Number(Array.isArray(header) ? header[0] : header);
    if (Number.isFinite(timestamp) && timestamp - now() / 1000 > MAX_CLOCK_SKEW_S) {
      // Bolt answers stale requests the same way: 401, no body, nothing dispatched.
      res.writeHead(401).end();
      return;
    }
    boltListener(req, res);
  };
  return receiver;
}
