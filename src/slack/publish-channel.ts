/**
 * PUBLISH_CHANNEL, checked once at startup with conversations.info
 * (https://docs.slack.dev/reference/methods/conversations.info; scopes channels:read / groups:read):
 * the channel exists and the bot can see it, is not archived, is not a DM, and the bot is a member
 * (a private channel) or may post without being one (a public channel, with chat:write.public).
 * A definite "no" stops the bot with a ConfigError that names the setting and the fix; when Slack
 * cannot be asked (network, rate limit), the bot starts and says so in the log: publishing will
 * report any problem in the thread.
 */
import type { WebClient } from '@slack/web-api';
import { ConfigError, type ConfigProblem } from '../config.js';

export type ConversationsInfoApi = { conversations: Pick<WebClient['conversations'], 'info'> };

const FIX_MEMBERSHIP = 'Invite the bot in that channel (/invite @<bot name>), or set PUBLISH_CHANNEL to a channel ID it can post in (C…, not a name); or unset it to publish in each request\'s channel.';

function problem(channel: string, why: string, help: string): ConfigProblem {
  return { variable: 'PUBLISH_CHANNEL', problem: `(${channel}) cannot be used: ${why}.`, help };
}

/** What is wrong with PUBLISH_CHANNEL, or undefined when the bot can publish there (or Slack could not be asked). */
export async function publishChannelProblem(
  client: ConversationsInfoApi,
  channel: string,
  warn: (message: string) => void = () => undefined,
): Promise<ConfigProblem | undefined> {
  let info: { is_im?: boolean; is_mpim?: boolean; is_archived?: boolean; is_private?: boolean; is_member?: boolean; name?: string } | undefined;
  try {
    info = (await client.conversations.info({ channel })).channel as typeof info;
  } catch (error) {
    const slackError = (error as { data?: { error?: unknown } }).data?.error;
    if (slackError === 'channel_not_found') {
      return problem(channel, 'Slack does not know this channel, or it is a private channel the bot is not a member of', FIX_MEMBERSHIP);
    }
    if (slackError === 'missing_scope') {
      return problem(channel, 'the app may not read channel information (missing scope channels:read or groups:read)', 'Reinstall the app from manifest.yml, which asks for channels:read and groups:read.');
    }
    if (typeof slackError === 'string' && ['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive'].includes(slackError)) {
      return problem(channel, `Slack refused the bot token while checking it (${slackError})`, 'Check SLACK_BOT_TOKEN.');
    }
    warn(`Could not check PUBLISH_CHANNEL=${channel} at startup (${String((error as Error).message ?? error)}); publishing will report any problem in the thread.`);
    return undefined;
  }
  if (!info) return undefined;
  if (info.is_im || info.is_mpim) return problem(channel, 'it is a direct message, where the bot does not publish', 'Set PUBLISH_CHANNEL to a channel ID (C…).');
  const name = info.name ? `#${info.name}` : 'the channel';
  if (info.is_archived) return problem(channel, `${name} is archived`, 'Unarchive it, or set PUBLISH_CHANNEL to another channel ID; or unset it to publish in each request\'s channel.');
  if (info.is_private && !info.is_member) return problem(channel, `${name} is private and the bot is not a member`, FIX_MEMBERSHIP);
  return undefined;
}

/** Throws a ConfigError naming PUBLISH_CHANNEL when the bot cannot publish there. */
export async function checkPublishChannel(client: ConversationsInfoApi, channel: string, warn?: (message: string) => void): Promise<void> {
  const found = await publishChannelProblem(client, channel, warn);
  if (found) throw new ConfigError([found]);
}
