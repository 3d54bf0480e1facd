/**
 * Builds Slack requests exactly as Slack sends them to an app: form-encoded bodies (a slash
 * command's fields, or `payload=<JSON>` for interactions), signed with HMAC-SHA256 over
 * `v0:<timestamp>:<raw body>` using the signing secret.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 * https://api.slack.com/reference/interaction-payloads/block-actions
 * https://api.slack.com/reference/interaction-payloads/views
 *
 * The tests use them (test/harness/slack-signing.ts re-exports this module) and so does the local
 * playground (src/playground/), which sends a visitor's commands, clicks and submissions to the
 * real Bolt receiver.
 */
import { createHmac } from 'node:crypto';
import { issueTriggerId } from './slack/rules.js';

export const STAND_IN_TEAM = { id: 'T0TEST01', domain: 'test-workspace' } as const;
export const STAND_IN_APP_ID = 'A0TESTAPP';
export const STAND_IN_BOT_USER_ID = 'UBOT0001';

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

/** The `user` object of an interaction payload. */
function payloadUser(userId: string) {
  return { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: STAND_IN_TEAM.id };
}

/**
 * A trigger ID the stand-in Slack will accept: issued by it (its issue time is inside), so it
 * expires 3 s later as Slack's do.
 */
export function newTriggerId(): string {
  return issueTriggerId();
}

export interface CommandFields {
  text: string;
  userId?: string;
  channelId?: string;
  channelName?: string;
  responseUrl: string;
  command?: string;
  triggerId?: string;
}

export function slashCommandBody({
  text,
  userId = 'U0REQUESTER',
  channelId = 'C0CHANNEL',
  channelName = 'research',
  responseUrl,
  command = '/research',
  triggerId = issueTriggerId(),
}: CommandFields): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: STAND_IN_TEAM.id,
    team_domain: STAND_IN_TEAM.domain,
    channel_id: channelId,
    channel_name: channelName,
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: STAND_IN_APP_ID,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  }).toString();
}

export interface ButtonClickFields {
  actionId: string;
  value: string;
  userId?: string;
  channelId?: string;
  channelName?: string;
  messageTs: string;
  /** The thread the message is in, when it is a reply (Slack puts it in the container). */
  threadTs?: string;
  responseUrl: string;
  /** The actions block's `block_id` (our cards name the draft version in it: `review:v2`). */
  blockId?: string;
  /** The button as the message has it (text, style); a plain one when absent. */
  button?: Record<string, unknown>;
  /** The message the button is on, as Slack includes it; a minimal one when absent. */
  message?: Record<string, unknown>;
  triggerId?: string;
}

/** What every interaction payload opens with: its type, the workspace, the user, the app. */
function interactionHeader(type: string, userId: string) {
  return { type, team: STAND_IN_TEAM, user: payloadUser(userId), api_app_id: STAND_IN_APP_ID, token: 'legacy-verification-token' };
}

/** The clicked button as a `block_actions` payload lists it (its `value` only when it has one). */
function buttonAction(actionId: string, blockId: string, value: string | undefined, button: Record<string, unknown> | undefined) {
  return {
    type: 'button',
    text: { type: 'plain_text', text: actionId, emoji: true },
    ...button,
    action_id: actionId,
    block_id: blockId,
    ...(value !== undefined ? { value } : {}),
    action_ts: `${Date.now() / 1000}`,
  };
}

/** A `block_actions` payload for a button click on a message. */
export function buttonClickBody({
  actionId,
  value,
  userId = 'U0REVIEWER',
  channelId = 'C0CHANNEL',
  channelName = 'research',
  messageTs,
  threadTs,
  responseUrl,
  blockId = 'review',
  button,
  message,
  triggerId = issueTriggerId(),
}: ButtonClickFields): string {
  const payload = {
    ...interactionHeader('block_actions', userId),
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false, ...(threadTs ? { thread_ts: threadTs } : {}) },
    trigger_id: triggerId,
    channel: { id: channelId, name: channelName },
    message: message ?? { type: 'message', ts: messageTs, user: STAND_IN_BOT_USER_ID, text: 'Draft' },
    state: { values: {} },
    response_url: responseUrl,
    actions: [buttonAction(actionId, blockId, value, button)],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A view as Slack sends it back in interaction payloads (what views.open answered, plus state). */
export interface SubmittedView {
  id?: string;
  callback_id?: string;
  private_metadata?: string;
  blocks?: unknown[];
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  external_id?: string;
  root_view_id?: string | null;
  previous_view_id?: string | null;
  hash?: string;
}

/** `state.values` as Slack sends it: block ID → action ID → element state. */
export type ViewStateValues = Record<string, Record<string, Record<string, unknown>>>;

export interface ViewSubmissionFields {
  /** The view as the bot opened it (views.open arguments or answer), so callback_id and private_metadata match. */
  view: SubmittedView;
  /** Text per input block ID, for plain-text inputs whose action ID is `text` (our modals'). */
  values?: Record<string, string>;
  /** The full state, for any inputs (takes precedence over `values`). */
  state?: ViewStateValues;
  userId?: string;
  triggerId?: string;
}

/** A `view_submission` payload for a modal the bot opened, with its inputs filled in. */
export function viewSubmissionBody({ view, values = {}, state, userId = 'U0REVIEWER', triggerId = issueTriggerId() }: ViewSubmissionFields): string {
  const stateValues =
    state ??
    Object.fromEntries(Object.entries(values).map(([blockId, value]) => [blockId, { text: { type: 'plain_text_input', value } }]));
  const payload = {
    type: 'view_submission',
    team: STAND_IN_TEAM,
    user: payloadUser(userId),
    api_app_id: STAND_IN_APP_ID,
    token: 'legacy-verification-token',
    trigger_id: triggerId,
    view: {
      id: view.id ?? `V${Date.now()}`,
      team_id: STAND_IN_TEAM.id,
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata ?? '',
      blocks: view.blocks ?? [],
      ...(view.title ? { title: view.title } : {}),
      ...(view.submit ? { submit: view.submit } : {}),
      ...(view.close ? { close: view.close } : {}),
      state: { values: stateValues },
      hash: view.hash ?? 'h',
      external_id: view.external_id ?? '',
      root_view_id: view.root_view_id ?? view.id ?? null,
      previous_view_id: view.previous_view_id ?? null,
      app_id: STAND_IN_APP_ID,
      bot_id: 'BBOT0001',
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface ViewClosedFields {
  view: SubmittedView;
  userId: string;
}

/** A `view_closed` payload: sent only for views opened with `notify_on_close: true`. */
export function viewClosedBody({ view, userId }: ViewClosedFields): string {
  const payload = {
    type: 'view_closed',
    team: STAND_IN_TEAM,
    user: payloadUser(userId),
    api_app_id: STAND_IN_APP_ID,
    token: 'legacy-verification-token',
    view: { ...view, type: 'modal', team_id: STAND_IN_TEAM.id, state: { values: {} }, app_id: STAND_IN_APP_ID },
    is_cleared: false,
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface ViewButtonFields {
  actionId: string;
  value?: string;
  blockId?: string;
  userId: string;
  view: SubmittedView & { type?: string };
  button?: Record<string, unknown>;
  triggerId?: string;
}

/** A `block_actions` payload for a button in a view (App Home tab or a modal). */
export function viewButtonBody({ actionId, value, blockId = '', userId, view, button, triggerId = issueTriggerId() }: ViewButtonFields): string {
  const payload = {
    ...interactionHeader('block_actions', userId),
    container: { type: 'view', view_id: view.id },
    trigger_id: triggerId,
    view: { ...view, team_id: STAND_IN_TEAM.id, state: { values: {} }, app_id: STAND_IN_APP_ID },
    actions: [buttonAction(actionId, blockId, value, button)],
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
