/**
 * Publishing fails after approval (the bot was removed from PUBLISH_CHANNEL): the thread says what
 * happened and how to fix it, the approved article stays in the workflow's result, and
 * `/research publish <workflow-id>` publishes it once the channel is fixed. Signed requests → real
 * Bolt → real Temporal → the strict stand-in Slack.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { FakeSlack } from '../../src/stand-ins/slack/index.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const PUBLISH_CHANNEL = 'C0EDITORS1';

describe('publishing fails, then /research publish', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PUBLISH_CHANNEL, REVIEWERS: REVIEWER } });
    stack.slack.channels.add({ id: PUBLISH_CHANNEL, name: 'editors', kind: 'private', botIsMember: true });
    // Real Slack's answer to a post in a private channel the bot was removed from.
    stack.slack.expectedRefusals.add('channel_not_found');
  });
  afterAll(() => stack?.stop());

  /** The ephemeral answer to a `/research …` command. */
  async function answerTo(text: string, userId = REQUESTER): Promise<string> {
    const before = stack.slack.responses.length;
    expect((await stack.research(text, { userId })).status).toBe(200);
    const reply = await waitFor(`the answer to "${text}"`, () => stack.slack.responses.slice(before)[0], 30_000);
    expect(reply.response_type).toBe('ephemeral');
    return reply.text ?? '';
  }

  it('says so in the thread, keeps the article, and publishes it on /research publish after the fix', async () => {
    await stack.research('removed bot topic');
    const { workflowId, threadTs } = await stack.waitForPipeline('removed bot topic');
    const draft = await stack.waitForDraft(threadTs);

    // Someone removes the bot from the publish channel while the draft waits.
    stack.slack.channels.update(PUBLISH_CHANNEL, { botIsMember: false });
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
    expect(result.published).toBeUndefined();
    expect(result.unpublished).toMatchObject({ channel: PUBLISH_CHANNEL, slackError: 'channel_not_found', sourceChannel: CHANNEL, threadTs });
    expect(result.article.length).toBeGreaterThan(100);
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(0);

    const notice = blockText(await stack.waitForReply(threadTs, 'publish_failed'));
    expect(notice).toContain('*Not published.*');
    expect(notice).toContain(`<#${PUBLISH_CHANNEL}>`);
    expect(notice).toContain(`/invite <@${FakeSlack.BOT_USER_ID}>`);
    expect(notice).toContain(`/research publish ${workflowId}`);
    expect(blockText(stack.reply(threadTs, 'outcome'))).toContain('*Approved*');

    // Not everyone may publish; a bad ID gets a clear answer; before the fix, it says why again.
    // (Someone else, or an unknown ID, gets one answer: test/e2e/foreign-ids.test.ts.)
    expect(await answerTo(`publish ${workflowId}`, 'U0SOMEONE')).toContain(`I can't publish \`${workflowId}\` from here, so nothing was published.`);
    expect(await answerTo('publish research-no-such-pipeline-20261202-zzzzzz')).toContain("I can't publish `research-no-such-pipeline-20261202-zzzzzz` from here");
    expect(await answerTo('publish')).toContain('Please give the workflow ID');
    const stillBroken = await answerTo(`publish ${workflowId}`);
    expect(stillBroken).toContain('Still not published.');
    expect(stillBroken).toContain('/invite');
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(0);

    // The bot is invited back: the article is published, the thread says so, and only once.
    stack.slack.channels.update(PUBLISH_CHANNEL, { botIsMember: true });
    const published = await answerTo(`publish ${workflowId}`);
    expect(published).toContain(`Published in <#${PUBLISH_CHANNEL}>`);
    const [article] = stack.slack.channelMessages(PUBLISH_CHANNEL);
    expect(article?.metadata?.event_payload).toMatchObject({ workflow_id: workflowId, kind: 'publish_1' });
    expect(blockText(await stack.waitForReply(threadTs, 'republished'))).toContain(`Published* in <#${PUBLISH_CHANNEL}>`);

    expect(await answerTo(`publish ${workflowId}`, REVIEWER)).toContain('already published');
    expect(stack.slack.channelMessages(PUBLISH_CHANNEL)).toHaveLength(1);
  });

  it('/research help lists publish', async () => {
    expect(await answerTo('help')).toContain('/research publish <workflow-id>');
  });
});
