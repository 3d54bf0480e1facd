/**
 * `/research cancel <id>` and `/research publish <id>` with an ID the person may not act on from
 * where they ask: an unknown ID, a run of another channel, or a run they neither started nor
 * review. All three get the same words (no oracle on whether the run exists, how it is doing, or
 * where it was published), and nothing happens: no signal acted on, no republish started, no post.
 * A republish sent past the bot with another channel is refused by the workflow itself.
 * Signed requests → real Bolt → real Temporal → the strict stand-in Slack.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinesFor } from '../../src/bot.js';
import { notActionableHere } from '../../src/slack/listeners/commands/subcommands.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { republishWorkflowId } from '../../src/temporal/pipelines.js';
import { cancelSignal, statusQuery, type PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { sleep, waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const PUBLISH_CHANNEL = 'C0EDITORS2';
const ELSEWHERE = 'C0ELSEWHERE';
const STRANGER = 'U0STRANGER';
const UNKNOWN_ID = 'research-no-such-pipeline-20261203-zzzzzz';

describe('an ID from another channel, of another person, or of no run: one answer, nothing done', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PUBLISH_CHANNEL, REVIEWERS: REVIEWER } });
    stack.slack.channels.add({ id: PUBLISH_CHANNEL, name: 'editors-two', kind: 'private', botIsMember: true });
    stack.slack.channels.add({ id: ELSEWHERE, name: 'elsewhere', kind: 'public', botIsMember: true });
    // Real Slack's answer to a post in a private channel the bot was removed from.
    stack.slack.expectedRefusals.add('channel_not_found');
  });
  afterAll(() => stack?.stop());

  /** The ephemeral answer to a `/research …` command. */
  async function answerTo(text: string, { userId = REQUESTER, channelId = CHANNEL } = {}): Promise<string> {
    const before = stack.slack.responses.length;
    expect((await stack.research(text, { userId, channelId })).status).toBe(200);
    const reply = await waitFor(`the answer to "${text}"`, () => stack.slack.responses.slice(before)[0], 30_000);
    expect(reply.response_type).toBe('ephemeral');
    return reply.text ?? '';
  }

  /** The answers to the three kinds of ID, with the ID itself taken out so they can be compared. */
  async function threeAnswers(verb: 'cancel' | 'publish', workflowId: string) {
    const unknown = (await answerTo(`${verb} ${UNKNOWN_ID}`)).replaceAll(UNKNOWN_ID, '<id>');
    const foreign = (await answerTo(`${verb} ${workflowId}`, { channelId: ELSEWHERE })).replaceAll(workflowId, '<id>');
    const forbidden = (await answerTo(`${verb} ${workflowId}`, { userId: STRANGER })).replaceAll(workflowId, '<id>');
    return { unknown, foreign, forbidden };
  }

  const expected = (verb: 'cancel' | 'publish') => notActionableHere('/research', verb, '<id>', { reviewers: [REVIEWER] });

  it('cancel: the requester from another channel, a stranger in the run’s channel and an unknown ID get the same answer; the run goes on', async () => {
    await stack.research('foreign cancel topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('foreign cancel topic');
    await stack.waitForDraft(threadTs);
    const ephemerals = stack.slack.callsOf('chat.postEphemeral').length;

    const answers = await threeAnswers('cancel', workflowId);
    expect(answers).toEqual({ unknown: expected('cancel'), foreign: expected('cancel'), forbidden: expected('cancel') });
    expect(answers.unknown).toContain("I can't cancel `<id>` from here, so nothing was cancelled.");

    // Nothing happened: still awaiting review, no outcome, nobody told anything in the run's channel.
    await sleep(500);
    const handle = stack.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');
    expect(stack.reply(threadTs, 'outcome')).toBeUndefined();
    expect(stack.slack.callsOf('chat.postEphemeral').length).toBe(ephemerals);

    // Past the bot, straight to the workflow with another channel: the workflow itself refuses, silently there.
    await handle.signal(cancelSignal, { userId: REQUESTER, channel: ELSEWHERE });
    await sleep(1_000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-review');
    expect(stack.reply(threadTs, 'outcome')).toBeUndefined();
    expect(stack.slack.callsOf('chat.postEphemeral').length).toBe(ephemerals);

    // The requester, in the run's channel: cancelled.
    expect(await answerTo(`cancel ${workflowId}`)).toContain(`Cancelling \`${workflowId}\``);
    expect(blockText(await stack.waitForReply(threadTs, 'outcome'))).toContain(`*Cancelled* by <@${REQUESTER}>`);
    // Once it has finished, another channel still learns nothing (not "already finished").
    expect((await answerTo(`cancel ${workflowId}`, { channelId: ELSEWHERE })).replaceAll(workflowId, '<id>')).toBe(expected('cancel'));
  });

  it('publish: the same answer before and after publication, never where it went; nothing is started or posted', async () => {
    await stack.research('foreign publish topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('foreign publish topic');
    const draft = await stack.waitForDraft(threadTs);
    // The card says where an approval publishes, before anyone approves.
    expect(blockText(draft)).toContain(`Approving publishes it in <#${PUBLISH_CHANNEL}>.`);

    // While it runs: another channel is not told "still running".
    expect((await answerTo(`publish ${workflowId}`, { channelId: ELSEWHERE })).replaceAll(workflowId, '<id>')).toBe(expected('publish'));

    // Approved, but the bot was removed from the publish channel: the article waits for /research publish.
    stack.slack.channels.update(PUBLISH_CHANNEL, { botIsMember: false });
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.unpublished).toMatchObject({ channel: PUBLISH_CHANNEL, sourceChannel: CHANNEL });
    stack.slack.channels.update(PUBLISH_CHANNEL, { botIsMember: true });

    const answers = await threeAnswers('publish', workflowId);
    expect(answers).toEqual({ unknown: expected('publish'), foreign: expected('publish'), forbidden: expected('publish') });
    expect(answers.unknown).toContain("I can't publish `<id>` from here, so nothing was published.");
    // No republish was started, nothing was posted, though the channel is usable again.
    await expect(stack.client.workflow.getHandle(republishWorkflowId(workflowId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(0);

    // Past the bot, straight to Temporal with another channel: the republish workflow itself refuses.
    expect(await pipelinesFor(stack.client, stack.config).republish(workflowId, REQUESTER, ELSEWHERE)).toEqual({ kind: 'refused' });
    expect((await stack.client.workflow.getHandle(republishWorkflowId(workflowId)).describe()).status.name).toBe('FAILED');
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(0);
    expect(stack.reply(threadTs, 'republished')).toBeUndefined();

    // The requester, in the run's channel: published.
    expect(await answerTo(`publish ${workflowId}`)).toContain(`Published in <#${PUBLISH_CHANNEL}>`);
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(1);

    // After publication, from another channel or by a stranger: the same words, no channel named.
    const after = await threeAnswers('publish', workflowId);
    expect(after).toEqual({ unknown: expected('publish'), foreign: expected('publish'), forbidden: expected('publish') });
    expect(JSON.stringify(after)).not.toContain(PUBLISH_CHANNEL);
    // A reviewer in the run's channel may know.
    expect(await answerTo(`publish ${workflowId}`, { userId: REVIEWER })).toContain(`already published in <#${PUBLISH_CHANNEL}>`);
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(1);
  });
});
