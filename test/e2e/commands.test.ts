/**
 * `/research help | status | cancel`, unknown subcommands, publishing (split for long articles)
 * and the search attributes that make pipelines findable in the Web UI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { PUBLISH_CHARS_PER_MESSAGE } from '../../src/slack/blocks/publish.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const PUBLISH_CHANNEL = 'C0PUBLISHED';

describe('subcommands', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PUBLISH_CHANNEL, REVIEWERS: REVIEWER } });
  });
  afterAll(() => stack?.stop());

  /** The ephemeral answer to a command, sent through its response_url. */
  async function answerTo(text: string, userId = REQUESTER): Promise<string> {
    const before = stack.slack.callsOf('response_url').length;
    const response = await stack.research(text, { userId });
    expect(response.status).toBe(200);
    const reply = await waitFor(`the answer to "${text}"`, () => stack.slack.callsOf('response_url').slice(before)[0]);
    expect(reply.args).toMatchObject({ response_type: 'ephemeral' });
    return String(reply.args.text);
  }

  const pipelinesStarted = () => stack.slack.channelMessages(CHANNEL).filter((m) => m.metadata?.event_payload.kind === 'thread_root').length;

  it('help explains every command and button; unknown subcommands get help, not a pipeline', async () => {
    const help = await answerTo('help');
    for (const word of ['Approve', 'Edit', 'Request changes', 'Reject', 'Cancel pipeline', '/research status', '/research cancel']) {
      expect(help).toContain(word);
    }
    const unknown = await answerTo('stop');
    expect(unknown).toContain("I don't have a `stop` subcommand, so nothing was started.");
    expect(unknown).toContain('/research status');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pipelinesStarted()).toBe(0);
  });

  it('status lists the caller’s running pipelines in this channel with stage, age and links', async () => {
    // A user of its own: other test files share the Temporal server, channel and requester IDs.
    const lister = 'U0LISTER';
    await stack.research('stream processing', { userId: lister });
    await stack.research('batch processing', { userId: lister });
    await stack.research('someone else entirely', { userId: 'U0OTHER' });
    const mine = await stack.waitForPipeline('stream processing');
    const mine2 = await stack.waitForPipeline('batch processing');
    await stack.waitForDraft(mine.threadTs);
    await stack.waitForDraft(mine2.threadTs);

    // Visibility is eventually consistent: ask until the listing has caught up with both drafts.
    const status = await waitFor('both pipelines listed as awaiting review', async () => {
      const text = await answerTo('status', lister);
      return (text.match(/awaiting-review/g) ?? []).length === 2 && text.includes(mine.workflowId) && text.includes(mine2.workflowId) ? text : undefined;
    });
    expect(status).toContain('Your running pipelines in this channel (2):');
    expect(status).toMatch(/\*stream processing\*: awaiting-review, started \d+(ms|s) ago/);
    expect(status).toContain(`/namespaces/default/workflows/${mine.workflowId}|Temporal UI>`);
    expect(status).not.toContain('someone else entirely');

    // The search attributes make the same question answerable in the UI and the CLI.
    const listed: string[] = [];
    for await (const run of stack.client.workflow.list({ query: `Stage = 'AwaitingReview' AND RequestedBy = '${lister}'` })) {
      listed.push(run.workflowId);
    }
    expect(listed).toEqual(expect.arrayContaining([mine.workflowId, mine2.workflowId]));
    const description = await stack.client.workflow.getHandle(mine.workflowId).describe();
    const attributes = description.typedSearchAttributes.getAll().map((pair) => pair.key.name);
    expect(attributes).toEqual(expect.arrayContaining(['RequestedBy', 'Stage', 'Channel']));
    // The topic is not one of them: the server indexes search attributes in plain text, no codec covers them.
    expect(attributes).not.toContain('Topic');
  });

  it('cancel <id> cancels the caller’s pipeline; a bad or foreign ID changes nothing', async () => {
    await stack.research('circuit breakers');
    const { workflowId, threadTs } = await stack.waitForPipeline('circuit breakers');
    await stack.waitForDraft(threadTs);

    expect(await answerTo('cancel not-a-workflow')).toContain('Please give the workflow ID to cancel');
    expect(await answerTo(`cancel ${workflowId}`, 'U0STRANGER')).toContain(`I can't cancel \`${workflowId}\` from here, so nothing was cancelled.`);

    expect(await answerTo(`cancel ${workflowId}`)).toContain(`Cancelling \`${workflowId}\``);
    const outcome = await stack.waitForReply(threadTs, 'outcome');
    expect(blockText(outcome)).toContain(`*Cancelled* by <@${REQUESTER}>`);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'cancelled', by: REQUESTER });
    expect(await answerTo(`cancel ${workflowId}`)).toContain('has already finished');
  });

  it('a topic in quotes is a topic, even when it is a subcommand word', async () => {
    await stack.research('"status"');
    const { threadTs } = await stack.waitForPipeline('Researching "status"');
    const draft = await stack.waitForDraft(threadTs);
    expect(blockText(draft)).toContain('Draft v1: status');
  });

  it('publishes the approved article in PUBLISH_CHANNEL, split within Slack limits, with a footer', async () => {
    const paragraph = 'Long-form content keeps going so that the article is far larger than one Slack message can hold. ';
    const article = `# Very long article\n\n${Array.from({ length: 260 }, (_, i) => `${paragraph.repeat(1)}(${i})`).join('\n\n')}`;
    expect(article.length).toBeGreaterThan(2 * PUBLISH_CHARS_PER_MESSAGE);
    // Longer than the writer's max_tokens (1,500) allows: real OpenAI would cut it at the cap, and
    // the stand-in does too by default. Splitting needs an article this long, so the cap is lifted here.
    stack.openai.enforceMaxTokens = false;
    stack.openai.script('writeArticle', { content: article });

    await stack.research('long form content');
    const { workflowId, threadTs } = await stack.waitForPipeline('long form content');
    const draft = await stack.waitForDraft(threadTs);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.published?.channel).toBe(PUBLISH_CHANNEL);

    const parts = stack.slack.messages
      .filter((m) => m.channel === PUBLISH_CHANNEL && m.metadata?.event_payload.workflow_id === workflowId)
      .sort((a, b) => Number(String(a.metadata!.event_payload.kind).split('_')[1]) - Number(String(b.metadata!.event_payload.kind).split('_')[1]));
    expect(parts.length).toBe(result.published?.parts);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts[0]!.thread_ts).toBeUndefined(); // a new top-level message
    for (const part of parts.slice(1)) expect(part.thread_ts).toBe(parts[0]!.ts);
    const markdown = parts.map((part) => part.blocks!.filter((b) => b.type === 'markdown').map((b) => String(b.text)).join(''));
    for (const text of markdown) expect(text.length).toBeLessThanOrEqual(PUBLISH_CHARS_PER_MESSAGE);
    // Without a knowledge base the article says it was not grounded in team documents (issue 12).
    expect(markdown.join('')).toBe(`${article}\n\n_Not grounded in team documents: no knowledge base is set up._`);
    const footer = blockText(parts.at(-1));
    expect(footer).toContain(`Requested by <@${REQUESTER}> · approved by <@${REVIEWER}> · 1 version · cost $`);
    expect(blockText(await stack.waitForReply(threadTs, 'outcome'))).toContain(`Published in <#${PUBLISH_CHANNEL}> in ${parts.length} parts`);
    stack.openai.enforceMaxTokens = true;
  });
});
