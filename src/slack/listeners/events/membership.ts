/**
 * Membership events drop the cached conversation lists at once (src/slack/membership.ts): someone
 * who leaves a private channel stops seeing its runs on their next Home, not minutes later.
 * Slack sends them only for conversations the bot is in
 * (https://docs.slack.dev/reference/events/member_left_channel, member_joined_channel; channel_left
 * and group_left when the bot itself leaves or is removed); the cache's time limit covers the rest.
 */
import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';

export function registerMembershipEvents(app: App, deps: Pick<ListenerDeps, 'membership' | 'forgetChannelVisibility'>): void {
  // https://docs.slack.dev/reference/events/channel_converted_to_private: a run started there from
  // now on must be marked private, not public from a cached answer.
  app.event('channel_converted_to_private', async ({ event }) => {
    // Bolt's type for this event does not declare its documented `channel` field.
    const { channel } = event as { channel?: unknown };
    if (typeof channel === 'string') deps.forgetChannelVisibility?.(channel);
  });
  // When the bot itself joins or leaves, what it shares with everyone there changes
  // (users.conversations lists only conversations the bot is party to).
  app.event('member_joined_channel', async ({ event, context }) => {
    if (event.user === context.botUserId) deps.membership.forgetAll();
    else deps.membership.forgetUser(event.user);
  });
  app.event('member_left_channel', async ({ event, context }) => {
    if (event.user === context.botUserId) deps.membership.forgetAll();
    else deps.membership.forgetUser(event.user);
  });
  // The bot left: whatever it shared with anyone there is gone, for everyone.
  app.event('channel_left', async () => {
    deps.membership.forgetAll();
  });
  app.event('group_left', async () => {
    deps.membership.forgetAll();
  });
}
