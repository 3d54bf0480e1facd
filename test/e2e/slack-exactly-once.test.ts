/**
 * Exactly-once Slack posts, end to end: Slack accepts a post but the answer is lost (a 500, a
 * `ratelimited` 429 with Retry-After, a timeout), Temporal retries the activity, and the thread
 * still holds exactly one parent message, one status message, one draft card and one outcome.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { buttonsOf, postedKind } from '../harness/fake-slack.js';
import { BOT_TOKEN, CHANNEL, REVIEWER, Stack } from '../harness/stack.js';

/** Below the Slack activity's 20 s start-to-close, so a lost answer fails the attempt quickly. */
const SLACK_CLIENT_TIMEOUT_MS = 1_000;

describe('exactly-once Slack posts under lost answers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = new Stack();
    await stack.start({
      activityDeps: (deps) => ({
        ...deps,
        slack: new WebClient(BOT_TOKEN, {
          slackApiUrl: stack.slack.apiUrl,
          retryConfig: { retries: 0 },
          rejectRateLimitedCalls: true,
          timeout: SLACK_CLIENT_TIMEOUT_MS,
        }),
      }),
    });
  });
  afterAll(() => stack?.stop());

  const posts = (kind: string, topic?: string) =>
    stack.slack
      .callsOf('chat.postMessage')
      .filter((call) => postedKind(call.args) === kind && (topic === undefined || JSON.stringify(call.args).includes(topic)));

  it('timeout on the parent message, 429 on the status, 500 on the draft and the outcome: one of each in the thread', async () => {
    const kind = (name: string) => (args: Record<string, unknown>) => postedKind(args) === name;
    // Each is written by Slack, then the answer is lost.
    stack.slack.failNextWhere('chat.postMessage', kind('thread_root'), { afterSuccess: true, hangMs: SLACK_CLIENT_TIMEOUT_MS * 2 });
    stack.slack.failNextWhere('chat.postMessage', kind('status'), { status: 429, headers: { 'retry-after': '1' }, afterSuccess: true });
    stack.slack.failNextWhere('chat.postMessage', kind('draft'), { status: 500, afterSuccess: true });
    stack.slack.failNextWhere('chat.postMessage', kind('outcome'), { status: 500, afterSuccess: true });

    await stack.research('lost answers');
    const { workflowId, threadTs } = await stack.waitForPipeline('lost answers');
    const draft = await stack.waitForDraft(threadTs);
    expect(buttonsOf(draft).find((b) => b.action_id === APPROVE_ACTION_ID)?.value).toBe(workflowId);

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });

    // Every post was attempted once; each retry looked first and found the message instead of posting it again.
    expect(posts('thread_root', 'lost answers')).toHaveLength(1);
    expect(posts('status', 'lost answers')).toHaveLength(1);
    expect(posts('draft', 'lost answers')).toHaveLength(1);
    expect(posts('outcome', 'lost answers')).toHaveLength(1);
    // openThread posts the parent message: its 2nd attempt (after the timeout) found it in the
    // channel's history. postStatusMessage's 2nd attempt (after the 429) found the status in the thread.
    expect(stack.slack.callsOf('conversations.history')).toHaveLength(1); // the parent message, by attempt 2
    expect(stack.slack.callsOf('conversations.replies')).toHaveLength(3); // status, draft, outcome (each by attempt 2)

    // And what people see: one of each.
    expect(stack.slack.postedOfKind(CHANNEL, 'thread_root').filter((m) => m.metadata?.event_payload.workflow_id === workflowId)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'status', threadTs)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
    expect(stack.slack.postedOfKind(CHANNEL, 'outcome', threadTs)).toHaveLength(1);
    // The workflow kept the ts the retries found: the decision landed on the one card, the
    // status edits on the one status message.
    expect(buttonsOf(stack.slack.message(CHANNEL, draft.ts))).toEqual([]);
    const status = stack.slack.postedOfKind(CHANNEL, 'status', threadTs)[0]!;
    expect(stack.slack.callsOf('chat.update').some((call) => call.args.ts === status.ts)).toBe(true);
  });
});
