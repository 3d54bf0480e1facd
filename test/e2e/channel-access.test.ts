/**
 * Channels the bot cannot post in (issue 10, item 1): `/research` in a private channel the bot was
 * not invited to, or in an archived channel, tells the requester at once and ephemerally through
 * the command's response_url, makes no LLM call, and ends the run `undeliverable`. Signed request →
 * real Bolt → real Temporal → the strict stand-in Slack, which answers as Slack does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/stand-ins/slack/index.js';
import { metrics } from '../../src/ops/metrics.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { REQUESTER, startStack, type Stack } from '../harness/stack.js';

const PRIVATE = 'C0PRIVATE1';
const ARCHIVED = 'C0ARCHIVED';

describe('a channel the bot cannot post in', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    stack.slack.channels.add({ id: PRIVATE, name: 'secret-plans', kind: 'private', botIsMember: false, members: [REQUESTER] });
    stack.slack.channels.add({ id: ARCHIVED, name: 'old-news', kind: 'public', archived: true });
    // What real Slack answers the bot's posts there: expected, not a payload mistake.
    stack.slack.expectedRefusals.add('channel_not_found');
    stack.slack.expectedRefusals.add('is_archived');
  });
  afterAll(() => stack?.stop());

  /** Runs `/research` in a channel, waits for the ephemeral notice, and returns it with the run's result. */
  async function researchIn(channelId: string, topic: string) {
    const before = stack.slack.responses.length;
    const llmCallsBefore = stack.openai.count();
    const started = Date.now();
    const response = await stack.research(topic, { channelId });
    expect(response.status).toBe(200);
    const notice = await waitFor('the undeliverable notice', () =>
      stack.slack.responses.slice(before).find((r) => r.text?.includes('couldn’t start research')), 20_000);
    const elapsedMs = Date.now() - started;
    const workflowId = /`(research-[^`]+)`/.exec(notice.text ?? '')?.[1];
    expect(workflowId).toBeDefined();
    const result = (await stack.client.workflow.getHandle(workflowId!).result()) as PipelineResult;
    return { notice, result, elapsedMs, llmCalls: stack.openai.count() - llmCallsBefore, workflowId: workflowId! };
  }

  it('a private channel the bot is not in: an ephemeral notice with /invite, 0 LLM calls, outcome undeliverable', async () => {
    const { notice, result, elapsedMs, llmCalls } = await researchIn(PRIVATE, 'private channel topic');
    console.log(`/research in a private channel → ephemeral notice: ${elapsedMs} ms; LLM calls: ${llmCalls}`);
    expect(notice.response_type).toBe('ephemeral');
    expect(notice.replace_original).toBe(false);
    expect(notice.text).toContain(`<#${PRIVATE}>`);
    expect(notice.text).toContain(`/invite <@${FakeSlack.BOT_USER_ID}>`);
    expect(notice.text).toContain('private channel');
    expect(llmCalls).toBe(0);
    expect(result.decision).toMatchObject({ outcome: 'undeliverable', reason: 'channel_not_found' });
    // Nothing reached the channel, and the refusal was real Slack's.
    expect(stack.slack.channelMessages(PRIVATE)).toHaveLength(0);
    // (conversations.info: the bot asking, at the start, who may see the run; unknown counts as private.)
    expect(stack.slack.refusals.filter((r) => r.args.channel === PRIVATE).map((r) => `${r.method}: ${r.error}`).sort())
      .toEqual(['chat.postMessage: channel_not_found', 'conversations.info: channel_not_found']);
    expect(stack.slack.callsOf('conversations.history').filter((c) => c.args.channel === PRIVATE)).toHaveLength(0);
  });

  it('an archived channel: the notice says so, 0 LLM calls, outcome undeliverable, visible in the Web UI and the metrics', async () => {
    const endedBefore = (await metrics.pipelinesEnded.get()).values.find((v) => v.labels.outcome === 'undeliverable')?.value ?? 0;
    const { notice, result, elapsedMs, llmCalls, workflowId } = await researchIn(ARCHIVED, 'archived channel topic');
    console.log(`/research in an archived channel → ephemeral notice: ${elapsedMs} ms; LLM calls: ${llmCalls}`);
    expect(notice.text).toContain('is archived');
    expect(notice.text).toContain('Unarchive it');
    expect(llmCalls).toBe(0);
    expect(result.decision).toMatchObject({ outcome: 'undeliverable', reason: 'is_archived' });
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.memo).toMatchObject({ stage: 'undeliverable', outcome: 'undeliverable' });
    const endedAfter = (await metrics.pipelinesEnded.get()).values.find((v) => v.labels.outcome === 'undeliverable')?.value ?? 0;
    expect(endedAfter - endedBefore).toBe(1);
  });

  it('a DM between two people: the notice points to a channel or the app\'s own DM, 0 LLM calls', async () => {
    stack.slack.channels.add({ id: 'D0PEOPLE01', kind: 'im', botIsMember: false, members: [REQUESTER, 'U0FRIEND01'] });
    const { notice, result, llmCalls } = await researchIn('D0PEOPLE01', 'direct message topic');
    expect(notice.text).toContain('direct message');
    expect(notice.text).toContain('Messages tab');
    expect(llmCalls).toBe(0);
    expect(result.decision.outcome).toBe('undeliverable');
  });

  it('a public channel the bot is not in still works (chat:write.public), as before', async () => {
    stack.slack.channels.add({ id: 'C0PUBLIC02', kind: 'public', botIsMember: false });
    // chat:write.public covers posting only: the stand-in refuses the bot's edits of its status
    // line there (not_in_channel), whenever one happens before the run is cancelled. The run goes
    // on regardless (status edits are best effort), which is what this test is about.
    stack.slack.expectedRefusals.add('not_in_channel');
    const before = stack.openai.count();
    await stack.research('public channel topic', { channelId: 'C0PUBLIC02' });
    const root = await waitFor('the thread root', () => stack.slack.channelMessages('C0PUBLIC02')[0], 20_000);
    expect(root.metadata?.event_payload.kind).toBe('thread_root');
    await waitFor('research calls', () => stack.openai.count() - before >= 3 || undefined, 20_000);
    const handle = stack.client.workflow.getHandle(String(root.metadata?.event_payload.workflow_id));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(stack.slack.refusals.filter((r) => r.args.channel === 'C0PUBLIC02' && r.method !== 'chat.update')).toEqual([]);
    await handle.cancel();
  });
});
