/**
 * Socket Mode end to end, the path the manifest turns on: the bot (SLACK_APP_TOKEN set, Bolt in
 * socketMode) opens a connection with `apps.connections.open` on the stand-in Slack, gets `hello`,
 * and receives commands and interactions as envelopes it acknowledges by `envelope_id`; the
 * stand-in refuses acks later than 3 s and recycles the connection with `disconnect`, as Slack does.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_BLOCK_ID, REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { SocketModeEndpoint } from '../../src/stand-ins/slack/socket-mode.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { APP_TOKEN, BOT_TOKEN, CHANNEL, REVIEWER, startStack, type Stack } from '../harness/stack.js';

describe('Socket Mode, end to end', () => {
  let stack: Stack;
  let socket: SocketModeEndpoint;
  beforeAll(async () => {
    stack = await startStack({ socketMode: true });
    socket = stack.slack.socketMode!;
  });
  afterAll(() => stack?.stop());

  it('connects with the app-level token (a bot token is refused) and is greeted with hello', async () => {
    expect(stack.bot.port).toBeUndefined();
    const opens = stack.slack.callsOf('apps.connections.open');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens.every((call) => call.token === APP_TOKEN)).toBe(true);
    expect(socket.connectionsOpened).toBeGreaterThanOrEqual(1);
    expect(socket.openConnections).toBe(1);
    const withBotToken = new WebClient(BOT_TOKEN, { slackApiUrl: stack.slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(withBotToken.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
  });

  it('/research → draft card → Approve → published, every envelope acknowledged in time', async () => {
    const ack = await stack.research('socket mode basics');
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.json?.text)).toContain('socket mode basics');

    const { workflowId, threadTs } = await stack.waitForPipeline('socket mode basics');
    const draft = await stack.waitForDraft(threadTs);
    expect((await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts)).status).toBe(200);

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
    expect(result.published).toBeDefined();
    expect(blockText(stack.slack.message(result.published!.channel, result.published!.ts))).toContain('socket mode basics');
    expect(socket.envelopes.map((e) => e.type)).toEqual(expect.arrayContaining(['slash_commands', 'interactive']));
    expect(socket.lateAcks).toEqual([]);
  });

  it('Request changes: a field error comes back in the ack (response_action errors), then a valid submission reaches the workflow', async () => {
    await stack.research('socket mode modals');
    const { workflowId, threadTs } = await stack.waitForPipeline('socket mode modals');
    const draft = await stack.waitForDraft(threadTs);
    const before = stack.slack.callsOf('views.open').length;
    await stack.click(REQUEST_CHANGES_ACTION_ID, workflowId, draft.ts);
    const view = await stack.waitForModal(REQUEST_CHANGES_VIEW_ID, before);

    const refused = await stack.submitModal(view, { [FEEDBACK_BLOCK_ID]: 'x' });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ response_action: 'errors', errors: { [FEEDBACK_BLOCK_ID]: expect.any(String) } });

    const accepted = await stack.submitModal(view, { [FEEDBACK_BLOCK_ID]: 'Add a worked example.' });
    expect(accepted.status).toBe(200);
    expect(accepted.json?.response_action).toBeUndefined();
    const v2 = await waitFor('draft v2', () => stack.slack.postedOfKind(CHANNEL, 'draft', threadTs)[1], 30_000);
    expect(blockText(v2)).toContain('v2');
    await stack.click(APPROVE_ACTION_ID, workflowId, v2.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result).toMatchObject({ versions: 2, decision: { outcome: 'approved', version: 2 } });
  });

  it('Slack recycles the connection mid-run (disconnect: refresh_requested); the bot reconnects and the next click still reaches the workflow', async () => {
    await stack.research('socket mode reconnect');
    const { workflowId, threadTs } = await stack.waitForPipeline('socket mode reconnect');
    const opened = socket.connectionsOpened;
    socket.disconnect('refresh_requested');
    await waitFor('a new connection', () => socket.connectionsOpened > opened && socket.openConnections === 1, 15_000);
    expect(stack.slack.callsOf('apps.connections.open').length).toBeGreaterThanOrEqual(2);

    const draft = await stack.waitForDraft(threadTs);
    expect((await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts)).status).toBe(200);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
  });
});
