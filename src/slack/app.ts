/**
 * Builds the Bolt app: Socket Mode when an app-level token is configured, otherwise the HTTP
 * receiver at /slack/events. Listeners are registered here and nowhere else.
 */
import { App, LogLevel } from '@slack/bolt';
import type { Config } from '../config.js';
import { registerListeners, type ListenerDeps } from './listeners/index.js';

const LOG_LEVELS: Record<Config['logLevel'], LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

export const SLACK_EVENTS_PATH = '/slack/events';

export function createSlackApp(config: Pick<Config, 'slack' | 'logLevel'>, deps: ListenerDeps): App {
  const { slack } = config;
  const common = {
    token: slack.botToken,
    logLevel: LOG_LEVELS[config.logLevel],
    ...(slack.apiUrl ? { clientOptions: { slackApiUrl: slack.apiUrl } } : {}),
  };
  const app = slack.appToken
    ? new App({ ...common, appToken: slack.appToken, socketMode: true })
    : new App({ ...common, signingSecret: slack.signingSecret ?? '', endpoints: SLACK_EVENTS_PATH });
  registerListeners(app, deps);
  app.error(async (error) => {
    app.logger.error(`Unhandled error in a listener: ${error.message}`);
  });
  return app;
}
