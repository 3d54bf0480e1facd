/**
 * Slack's rate limits, end to end: the stand-in answers 429 `ratelimited` with Retry-After once a
 * method's window is full (limits lowered here so a small burst reaches them), and both of our
 * Web API paths cope. The workers' activities turn the 429 into a retryable failure whose
 * `nextRetryDelay` is the Retry-After (src/activities/slack-errors.ts); the bot's own WebClient
 * (Bolt's app.client: modals, ephemerals) waits the Retry-After and retries by itself. Nothing is
 * lost, nothing is posted twice, and no retry comes before the time Slack asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import type { RateLimitedCall, RecordedCall } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';

const TOPICS = ['throttled alpha', 'throttled beta'];

describe('Slack rate limits (429 + Retry-After)', () => {
  let stack: Stack;
  const pipelines: Array<{ workflowId: string; threadTs: string; draftTs: string }> = [];
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  /** The same request again (the retry of a refused call), after `refused`. */
  const retryOf = (refused: RateLimitedCall): RecordedCall | undefined => {
    const args = JSON.stringify(refused.args);
    return [...stack.slack.calls, ...stack.slack.rateLimited]
      .filter((c) => c.method === refused.method && (c.at ?? 0) > refused.at && JSON.stringify(c.args) === args)
      .sort((a, b) => (a.at ?? 0) - (b.at ?? 0))[0];
  };

  /** Every refused call was made again, and not before its Retry-After. */
  const expectRetriesHonoured = async (refused: RateLimitedCall[]) => {
    await waitFor('a retry of every refused call', () => refused.every((call) => retryOf(call) !== undefined), 30_000);
    for (const call of refused) {
      const retry = retryOf(call);
      expect(retry, `a retry of ${call.method}`).toBeDefined();
      expect(retry!.at! - call.at, `${call.method} retried after ${call.retryAfterS}s`).toBeGreaterThanOrEqual(call.retryAfterS * 1000);
    }
  };

  it('workers: a burst of posts and updates in one channel is throttled; every message lands once, each retry after its Retry-After', async () => {
    stack.slack.rateLimits.set('chat.postMessage', { max: 3, windowMs: 2_000 });
    stack.slack.rateLimits.set('chat.update', { max: 2, windowMs: 2_000 });

    await Promise.all(TOPICS.map((topic) => stack.postToBot(stack.commandBody(topic))));
    for (const topic of TOPICS) {
      const { workflowId, threadTs } = await stack.waitForPipeline(topic, 60_000);
      const draft = await stack.waitForDraft(threadTs, 60_000);
      pipelines.push({ workflowId, threadTs, draftTs: draft.ts });
    }

    const refused = stack.slack.rateLimited.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
    expect(refused.filter((c) => c.method === 'chat.postMessage').length).toBeGreaterThan(0);
    expect(refused.filter((c) => c.method === 'chat.update').length).toBeGreaterThan(0);
    await expectRetriesHonoured(refused);
    for (const { threadTs } of pipelines) {
      expect(stack.slack.postedOfKind(CHANNEL, 'thread_root').filter((m) => m.ts === threadTs)).toHaveLength(1);
      expect(stack.slack.postedOfKind(CHANNEL, 'status', threadTs)).toHaveLength(1);
      expect(stack.slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
    }
  });

  it('bot: simultaneous modal updates over the limit are retried by the WebClient after Retry-After; every modal is filled once', async () => {
    stack.slack.rateLimits.set('views.update', { max: 1, windowMs: 2_000 });
    const before = stack.slack.callsOf('views.open').length;
    await Promise.all(pipelines.map((p) => stack.click(REQUEST_CHANGES_ACTION_ID, p.workflowId, p.draftTs)));

    const filled = await waitFor('every modal filled', () => {
      const updates = stack.slack.callsOf('views.update').filter((c) => (c.args.view as { callback_id?: string }).callback_id === REQUEST_CHANGES_VIEW_ID);
      return updates.length >= pipelines.length ? updates : undefined;
    }, 60_000);
    const opened = stack.slack.callsOf('views.open').slice(before);
    expect(opened).toHaveLength(pipelines.length);
    // One update per opened view: none lost, none doubled.
    expect(filled).toHaveLength(pipelines.length);
    expect(new Set(filled.map((c) => c.args.view_id)).size).toBe(pipelines.length);

    const refused = stack.slack.rateLimited.filter((c) => c.method === 'views.update');
    expect(refused.length).toBeGreaterThan(0);
    await expectRetriesHonoured(refused);
  });

  it('the throttled pipelines still complete: Approve publishes each article once', async () => {
    await Promise.all(pipelines.map((p) => stack.click(APPROVE_ACTION_ID, p.workflowId, p.draftTs)));
    const results = (await Promise.all(pipelines.map((p) => stack.client.workflow.getHandle(p.workflowId).result()))) as PipelineResult[];
    expect(results.map((r) => r.decision?.outcome)).toEqual(['approved', 'approved']);
    for (const { threadTs } of pipelines) expect(stack.slack.postedOfKind(CHANNEL, 'outcome', threadTs)).toHaveLength(1);
    // Edits of the live status message are coalesced (the status writer sends the latest view), so
    // a refused edit may be replaced by a newer one instead of being sent again with the same
    // arguments; what counts is that each status message ends in the finished state. Every other
    // refused write is retried, with the same arguments, after its Retry-After.
    for (const { threadTs } of pipelines) {
      await waitFor('the status message finished', () => stack.statusVersions(threadTs).at(-1)?.includes('*Pipeline finished*'), 30_000);
    }
    const statusTs = new Set(pipelines.map(({ threadTs }) => stack.reply(threadTs, 'status')?.ts));
    await expectRetriesHonoured(stack.slack.rateLimited.filter((c) => !(c.method === 'chat.update' && statusTs.has(String(c.args.ts)))));
  });
});
