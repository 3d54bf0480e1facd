/**
 * Slack activities in MockActivityEnvironment with a real WebClient aimed at the stand-in Slack API.
 */
import { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { runActivity } from '../harness/activity-env.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackActivities, METADATA_EVENT_TYPE } from '../../src/activities/slack.js';
import { SlackFailure } from '../../src/shared/failure-types.js';
import type { StatusView } from '../../src/shared/progress.js';
import { blockText, buttonsOf, FakeSlack } from '../harness/fake-slack.js';

describe('Slack activities', () => {
  const slack = new FakeSlack();
  let activities: ReturnType<typeof createSlackActivities>;
  const workflowId = 'research-crdts-20261125-abc123';
  const draft = { channel: 'C1', threadTs: '1.000001', workflowId, topic: 'CRDTs', article: '# CRDTs\n\nMerge without locks.', totalTokens: 1234 };
  const statusView: StatusView = {
    workflowId, topic: 'CRDTs', state: 'running', totalTokens: 0, totalCostUsd: 0, unpricedSteps: [], budgetUsd: 0.5, elapsedMs: 0,
    headline: 'Researching in parallel', steps: [{ key: 'researchTopic', label: 'Key facts', state: 'running' }],
  };

  beforeAll(async () => {
    await slack.start();
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    activities = createSlackActivities({ slack: client, temporalUiUrl: 'http://ui.test:8233/', namespace: 'default' });
  });
  afterAll(() => slack.stop());
  beforeEach(() => {
    slack.calls.length = 0;
    slack.messages.length = 0;
  });

  it('openThread posts the parent message with a UI link, then postStatusMessage the status message in its thread, both marked with metadata', async () => {
    const { threadTs } = await runActivity(activities.openThread, {
      channel: 'C1', topic: 'CRDTs <!channel>', requestedBy: 'U1', workflowId,
    });
    const { ts: statusTs } = await runActivity(activities.postStatusMessage, { channel: 'C1', threadTs, workflowId, view: statusView });
    const [rootCall, statusCall] = slack.callsOf('chat.postMessage');
    expect(rootCall!.token).toBe('xoxb-test');
    expect(rootCall!.args.thread_ts).toBeUndefined();
    const root = slack.message('C1', threadTs)!;
    expect(root.metadata).toEqual({ event_type: METADATA_EVENT_TYPE, event_payload: { workflow_id: workflowId, kind: 'thread_root' } });
    const text = blockText(root);
    expect(text).toContain('Researching *CRDTs &lt;!channel&gt;* for <@U1>');
    expect(text).toContain(`<http://ui.test:8233/namespaces/default/workflows/${workflowId}|open in Temporal UI>`);

    expect(statusCall!.args.thread_ts).toBe(threadTs);
    const status = slack.message('C1', statusTs)!;
    expect(status.metadata).toEqual({ event_type: METADATA_EVENT_TYPE, event_payload: { workflow_id: workflowId, kind: 'status' } });
    expect(blockText(status)).toContain('Researching in parallel');
  });

  it('postDraft replies in the thread with the article and both review buttons', async () => {
    const { ts } = await runActivity(activities.postDraft, draft);
    const message = slack.message('C1', ts)!;
    expect(message.thread_ts).toBe('1.000001');
    expect(blockText(message)).toContain('Merge without locks.');
    expect(blockText(message)).toContain('1,234 tokens');
    expect(buttonsOf(message)).toEqual([
      { action_id: 'approve_draft', value: workflowId },
      { action_id: 'edit_draft', value: workflowId },
      { action_id: 'reject_draft', value: workflowId },
      { action_id: 'cancel_pipeline', value: workflowId },
    ]);
  });

  it('recordDecision replaces the buttons with who decided', async () => {
    const { ts } = await runActivity(activities.postDraft, draft);
    await runActivity(activities.recordDecision, { ...draft, draftTs: ts, decision: { outcome: 'approved' as const, by: 'U9', at: '2026-11-25T10:00:00.000Z' } });
    const card = slack.message('C1', ts)!;
    expect(buttonsOf(card)).toEqual([]);
    expect(blockText(card)).toContain('Approved by <@U9>');
    expect(blockText(card)).toContain('Merge without locks.');
  });

  async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
    const error = await run().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }

  it.each([
    { failure: { error: 'not_in_channel' }, type: SlackFailure.Channel, nonRetryable: true },
    { failure: { error: 'invalid_auth' }, type: SlackFailure.Auth, nonRetryable: true },
    { failure: { error: 'invalid_blocks' }, type: SlackFailure.InvalidRequest, nonRetryable: true },
    { failure: { error: 'internal_error' }, type: SlackFailure.Unavailable, nonRetryable: false },
    { failure: { status: 503 }, type: SlackFailure.Unavailable, nonRetryable: false },
  ])('maps Slack $failure to $type, in a single HTTP call', async ({ failure, type, nonRetryable }) => {
    slack.failNext('chat.postMessage', failure);
    const error = await failureOf(() => runActivity(activities.postDraft, draft));
    expect(error.type).toBe(type);
    expect(error.nonRetryable).toBe(nonRetryable);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('turns `ratelimited` into a retryable failure that waits Retry-After', async () => {
    slack.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '3' } });
    const error = await failureOf(() => runActivity(activities.postDraft, draft));
    expect(error.type).toBe(SlackFailure.RateLimited);
    expect(error.nextRetryDelay).toBe(3_000);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('the stand-in limits chat.postMessage per channel: a post past the window gets 429 with Retry-After, a retryable failure that waits it', async () => {
    slack.rateLimits.set('chat.postMessage', { max: 1, windowMs: 4_000 });
    try {
      const throttled = { ...draft, channel: 'CBUSY' };
      await runActivity(activities.postDraft, throttled);
      const error = await failureOf(() => runActivity(activities.postDraft, throttled));
      expect(error.type).toBe(SlackFailure.RateLimited);
      expect(error.nextRetryDelay).toBe(slack.rateLimited.at(-1)!.retryAfterS * 1_000);
      expect(error.nextRetryDelay).toBeGreaterThanOrEqual(1_000);
      // Another channel has its own window.
      await runActivity(activities.postDraft, { ...draft, channel: 'CQUIET' });
    } finally {
      slack.rateLimits.set('chat.postMessage', { max: 60, windowMs: 60_000 });
    }
  });

  it('updating a message a person wrote is refused as Slack does (cant_update_message), a channel failure no retry fixes', async () => {
    const human = slack.postAsUser('C1', 'U0HUMAN', 'my own words');
    slack.expectedRefusals.add('cant_update_message');
    const error = await failureOf(() => runActivity(activities.updateStatus, { channel: 'C1', ts: human.ts, view: statusView }));
    expect(error.type).toBe(SlackFailure.Channel);
    expect(error.nonRetryable).toBe(true);
    expect(slack.message('C1', human.ts)!.text).toBe('my own words');
    expect(slack.refusals.at(-1)).toMatchObject({ method: 'chat.update', error: 'cant_update_message' });
  });

  it('an ephemeral to someone outside the channel is refused with user_not_in_channel; members get it', async () => {
    slack.channelMembers.set('CPRIVATE', new Set(['U0MEMBER']));
    slack.expectedRefusals.add('user_not_in_channel');
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await expect(client.chat.postEphemeral({ channel: 'CPRIVATE', user: 'U0MEMBER', text: 'hi' })).resolves.toMatchObject({ ok: true });
    await expect(client.chat.postEphemeral({ channel: 'CPRIVATE', user: 'U0OUTSIDER', text: 'hi' })).rejects.toMatchObject({ data: { error: 'user_not_in_channel' } });
    // Channels nobody listed keep everyone in them (the tests' public channels).
    await expect(client.chat.postEphemeral({ channel: 'C1', user: 'U0OUTSIDER', text: 'hi' })).resolves.toMatchObject({ ok: true });
  });
});
