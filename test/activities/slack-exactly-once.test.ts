/**
 * Exactly-once Slack posts, one activity attempt at a time: on a retry, `post` looks for the message
 * an earlier attempt may have left (Slack accepted it, the answer was lost) and returns it instead
 * of posting again. Real WebClient against the stand-in Slack; attempts set through the mock
 * activity environment, as Temporal would number them.
 */
import { WebClient } from '@slack/web-api';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackActivities } from '../../src/activities/slack.js';
import { SlackFailure } from '../../src/shared/failure-types.js';
import type { StatusView } from '../../src/shared/progress.js';
import { runActivityIn } from '../harness/activity-env.js';
import { FakeSlack, postedKind } from '../harness/fake-slack.js';

const CHANNEL = 'C1';
const workflowId = 'research-crdts-20261125-abc123';

/** An attempt of an activity first scheduled a moment ago. */
function attempt(number: number): MockActivityEnvironment {
  return new MockActivityEnvironment({ attempt: number, scheduledTimestampMs: Date.now() - 5_000 });
}

async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await run.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('exactly-once Slack posts', () => {
  const slack = new FakeSlack();
  let activities: ReturnType<typeof createSlackActivities>;
  let client: WebClient;
  let threadTs: string;
  const view = {
    workflowId,
    topic: 'CRDTs',
    state: 'running',
    steps: [],
    totalTokens: 0,
    totalCostUsd: 0,
    unpricedSteps: [],
    budgetUsd: 0.5,
    elapsedMs: 0,
    headline: 'Starting…',
  } as unknown as StatusView;
  const draft = () => ({ channel: CHANNEL, threadTs, workflowId, topic: 'CRDTs', article: '# CRDTs\n\nMerge without locks.', totalTokens: 1234 });

  beforeAll(async () => {
    await slack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 500 });
    activities = createSlackActivities({ slack: client, temporalUiUrl: 'http://ui.test:8233/', namespace: 'default' });
  });
  afterAll(() => slack.stop());
  beforeEach(async () => {
    slack.calls.length = 0;
    slack.messages.length = 0;
    // A thread to reply in, posted directly: the activities under test are the replies.
    ({ ts: threadTs } = (await client.chat.postMessage({ channel: CHANNEL, text: 'Researching CRDTs' })) as { ts: string });
    slack.calls.length = 0;
  });

  const posts = (kind: string) => slack.callsOf('chat.postMessage').filter((call) => postedKind(call.args) === kind);

  it('a first attempt posts without looking', async () => {
    await runActivityIn(attempt(1), activities.postDraft, draft());
    expect(posts('draft')).toHaveLength(1);
    expect(slack.callsOf('conversations.replies')).toHaveLength(0);
  });

  it('500 after Slack accepted the draft: the retry finds it in the thread and posts nothing', async () => {
    slack.failNext('chat.postMessage', { status: 500, afterSuccess: true });
    const failure = await failureOf(runActivityIn(attempt(1), activities.postDraft, draft()));
    expect(failure.type).toBe(SlackFailure.Unavailable);
    expect(failure.nonRetryable).toBe(false);
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1); // accepted all the same

    const { ts } = await runActivityIn(attempt(2), activities.postDraft, draft());
    expect(ts).toBe(slack.postedOfKind(CHANNEL, 'draft', threadTs)[0]!.ts);
    expect(posts('draft')).toHaveLength(1);
    const lookup = slack.callsOf('conversations.replies')[0]!;
    expect(lookup.args).toMatchObject({ channel: CHANNEL, ts: threadTs, include_all_metadata: 'true' });
  });

  const opening = { channel: CHANNEL, topic: 'CRDTs', requestedBy: 'U1', workflowId };

  it('`ratelimited` after the status was accepted: the retry finds it and posts nothing', async () => {
    slack.messages.length = 0;
    const { threadTs: root } = await runActivityIn(attempt(1), activities.openThread, opening);
    slack.failNextWhere('chat.postMessage', (args) => postedKind(args) === 'status', { status: 429, headers: { 'retry-after': '2' }, afterSuccess: true });
    const failure = await failureOf(runActivityIn(attempt(1), activities.postStatusMessage, { channel: CHANNEL, threadTs: root, workflowId, view }));
    expect(failure.type).toBe(SlackFailure.RateLimited);
    expect(failure.nextRetryDelay).toBe(2_000);

    const { ts: statusTs } = await runActivityIn(attempt(2), activities.postStatusMessage, { channel: CHANNEL, threadTs: root, workflowId, view });
    expect(slack.postedOfKind(CHANNEL, 'thread_root').map((m) => m.ts)).toEqual([root]);
    expect(slack.postedOfKind(CHANNEL, 'status', root).map((m) => m.ts)).toEqual([statusTs]);
    expect(posts('thread_root')).toHaveLength(1);
    expect(posts('status')).toHaveLength(1);
  });

  it('a timeout after Slack accepted the thread root: the retry finds it in the channel history and posts nothing', async () => {
    slack.messages.length = 0;
    // Written at once, answered after the client (timeout 500 ms) has given up.
    slack.failNext('chat.postMessage', { afterSuccess: true, hangMs: 1_500 });
    const failure = await failureOf(runActivityIn(attempt(1), activities.openThread, { ...opening, topic: 'Timeouts' }));
    expect(failure.type).toBe(SlackFailure.Unavailable);
    expect(failure.message).toMatch(/timeout|timed out|aborted/i);
    expect(posts('status')).toHaveLength(0);

    const { threadTs: root } = await runActivityIn(attempt(2), activities.openThread, { ...opening, topic: 'Timeouts' });
    expect(slack.postedOfKind(CHANNEL, 'thread_root').map((m) => m.ts)).toEqual([root]);
    expect(posts('thread_root')).toHaveLength(1);
    expect(slack.callsOf('conversations.history')[0]!.args).toMatchObject({ channel: CHANNEL, include_all_metadata: 'true' });
  });

  it('a retry that finds nothing posts', async () => {
    const { ts } = await runActivityIn(attempt(3), activities.postDraft, draft());
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs).map((m) => m.ts)).toEqual([ts]);
    expect(slack.callsOf('conversations.replies')).toHaveLength(1);
  });

  it('another version of the draft is not mistaken for this one (drafts are keyed by version)', async () => {
    await runActivityIn(attempt(1), activities.postDraft, { ...draft(), version: 1 });
    await runActivityIn(attempt(2), activities.postDraft, { ...draft(), version: 2, article: '# v2' });
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(2);
    // …while a retry of the same version finds the card its first attempt left.
    await runActivityIn(attempt(2), activities.postDraft, { ...draft(), version: 2, article: '# v2' });
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(2);
  });

  it('another workflow’s message of the same kind is not mistaken for this one', async () => {
    await runActivityIn(attempt(1), activities.postDraft, { ...draft(), workflowId: 'research-crdts-20261125-zzz999' });
    await runActivityIn(attempt(2), activities.postDraft, draft());
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(2);
  });

  it('a lookup the bot may not make (missing_scope) falls back to posting', async () => {
    slack.failNext('conversations.replies', { error: 'missing_scope' });
    await runActivityIn(attempt(2), activities.postDraft, draft());
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
  });

  it('a lookup that is rate-limited fails the attempt (retryable) instead of risking a duplicate', async () => {
    await runActivityIn(attempt(1), activities.postDraft, draft());
    slack.failNext('conversations.replies', { status: 429, headers: { 'retry-after': '3' } });
    const failure = await failureOf(runActivityIn(attempt(2), activities.postDraft, draft()));
    expect(failure.type).toBe(SlackFailure.RateLimited);
    expect(failure.nextRetryDelay).toBe(3_000);
    expect(posts('draft')).toHaveLength(1);
  });

  it('finds its message beyond the first page of a long thread', async () => {
    const otherWorkflow = (i: number) => `research-other-20261125-${String(i).padStart(6, '0')}`;
    const reminder = (i: number) => ({ channel: CHANNEL, threadTs, workflowId: otherWorkflow(i), topic: 'CRDTs', version: 1, reviewers: ['U2'], waitedMs: 1_000 });
    // 120 posts in one channel within seconds: past Slack's 60 per channel per minute, which this
    // test (about the lookup's pagination, not about rate limits) lifts, as the load test does.
    slack.rateLimits.set('chat.postMessage', { max: 1_000, windowMs: 60_000 });
    for (let i = 0; i < 120; i += 1) await runActivityIn(attempt(1), activities.postReminder, reminder(i));
    slack.failNext('chat.postMessage', { status: 500, afterSuccess: true });
    await failureOf(runActivityIn(attempt(1), activities.postDraft, draft()));
    await runActivityIn(attempt(2), activities.postDraft, draft());
    expect(slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
    expect(slack.callsOf('conversations.replies').length).toBeGreaterThanOrEqual(2);
  });
});
