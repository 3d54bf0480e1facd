/**
 * Builds Slack requests exactly as Slack sends them: form-encoded bodies, signed with
 * HMAC-SHA256 over `v0:<timestamp>:<raw body>` using the signing secret.
 */
import { createHmac } from 'node:crypto';
import { issueTriggerId } from '../../src/stand-ins/slack/rules.js';

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(signingSecret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(signingSecret, timestamp, body),
  };
}

export interface CommandFields {
  text: string;
  userId?: string;
  channelId?: string;
  responseUrl: string;
  command?: string;
}

export function slashCommandBody({ text, userId = 'U0REQUESTER', channelId = 'C0CHANNEL', responseUrl, command = '/research' }: CommandFields): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEST01',
    team_domain: 'test-workspace',
    channel_id: channelId,
    channel_name: 'research',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: 'A0TESTAPP',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: issueTriggerId(),
  }).toString();
}

export interface ButtonClickFields {
  actionId: string;
  value: string;
  userId?: string;
  channelId?: string;
  messageTs: string;
  responseUrl: string;
}

/** A `block_actions` payload for a button click on a message. */
export function buttonClickBody({ actionId, value, userId = 'U0REVIEWER', channelId = 'C0CHANNEL', messageTs, responseUrl }: ButtonClickFields): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEST01', domain: 'test-workspace' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0TEST01' },
    api_app_id: 'A0TESTAPP',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: issueTriggerId(),
    channel: { id: channelId, name: 'research' },
    message: { type: 'message', ts: messageTs, user: 'UBOT0001', text: 'Draft' },
    response_url: responseUrl,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'review',
        value,
        text: { type: 'plain_text', text: actionId, emoji: true },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface ViewSubmissionFields {
  /** The view as the bot opened it (views.open arguments), so callback_id and private_metadata match. */
  view: { callback_id?: string; private_metadata?: string; blocks?: unknown[] };
  /** Text per input block ID. */
  values: Record<string, string>;
  userId?: string;
}

/** A `view_submission` payload for a modal the bot opened, with plain-text inputs filled in. */
export function viewSubmissionBody({ view, values, userId = 'U0REVIEWER' }: ViewSubmissionFields): string {
  const state = Object.fromEntries(
    Object.entries(values).map(([blockId, value]) => [blockId, { text: { type: 'plain_text_input', value } }]),
  );
  const payload = {
    type: 'view_submission',
    team: { id: 'T0TEST01', domain: 'test-workspace' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T0TEST01' },
    api_app_id: 'A0TESTAPP',
    token: 'legacy-verification-token',
    trigger_id: issueTriggerId(),
    view: {
      id: `V${Date.now()}`,
      team_id: 'T0TEST01',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata ?? '',
      blocks: view.blocks ?? [],
      state: { values: state },
      hash: 'h',
      app_id: 'A0TESTAPP',
      bot_id: 'BBOT0001',
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API `event_callback` body (JSON, as Slack sends events), e.g. `app_home_opened`. */
export function eventCallbackBody(event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEST01',
    api_app_id: 'A0TESTAPP',
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST01', user_id: 'UBOT0001', is_bot: true }],
    event,
  });
}
