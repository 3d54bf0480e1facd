/**
 * Issue 10 items 3 and 4, end to end (signed requests → real Bolt → real Temporal → stand-in
 * Slack): every overtaken or refused decision is answered, ephemerally, by the workflow itself,
 * and text that lost a race is given back to its author; a budget Allow or a Cancel from someone
 * not allowed, sent straight to the workflow past the bot, changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EDIT_VIEW_ID, REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, EDIT_ACTION_ID, REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { BUDGET_STOP_ACTION_ID } from '../../src/slack/blocks/budget.js';
import { budgetSignal, cancelSignal, statusQuery, type PipelineResult } from '../../src/workflows/messages.js';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, startStack, type Stack } from '../harness/stack.js';

const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const MALLORY = 'U0MALLORY';

const ephemeralsTo = (stack: Stack, user: string) =>
  stack.slack.callsOf('chat.postEphemeral').filter((c) => c.args.user === user).map((c) => ({ ...c.args, shown: blockText({ blocks: c.args.blocks } as never) }));

describe('refused and overtaken decisions are answered', () => {
  const stacks: Stack[] = [];
  afterAll(() => Promise.all(stacks.map((s) => s.stop())));
  const stackWith = async (env: Record<string, string>) => {
    const stack = await startStack({ env });
    stacks.push(stack);
    return stack;
  };

  it('A opens Edit on v1, B requests changes, v2 is posted, A submits: A gets the reason and their text back', async () => {
    const stack = await stackWith({ REVIEWERS: `${ALICE},${BOB}` });
    await stack.research('racing reviewers');
    const { workflowId, threadTs } = await stack.waitForPipeline('racing reviewers');
    const v1 = await stack.waitForDraft(threadTs);

    const before = stack.slack.callsOf('views.open').length;
    await stack.click(EDIT_ACTION_ID, workflowId, v1.ts, { userId: ALICE });
    const aliceView = await stack.waitForModal(EDIT_VIEW_ID, before);
    await stack.clickAndSubmit(REQUEST_CHANGES_ACTION_ID, REQUEST_CHANGES_VIEW_ID, workflowId, v1.ts, { feedback: 'Add a section on retries' }, BOB);
    const v2 = await waitFor('draft v2', () => stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'draft')[1]);

    const aliceText = '# Racing reviewers\n\nAlice & Bob both had ideas <3; this is Alice\'s version.';
    await stack.submitModal(aliceView, { article_0: aliceText }, ALICE);
    const [notice] = await waitFor('an ephemeral for Alice', () => (ephemeralsTo(stack, ALICE).length ? ephemeralsTo(stack, ALICE) : undefined));
    expect(notice).toMatchObject({ channel: CHANNEL, thread_ts: threadTs });
    expect(notice!.shown).toContain('Your edit was on v1, but v2 has been posted since, so your edit changed nothing');
    expect(notice!.shown).toContain('Your edited text');
    expect(notice!.shown).toContain('Alice &amp; Bob both had ideas &lt;3; this is Alice\'s version.');

    // Her edit changed nothing: v2 still waits, and a reviewer decides it.
    const handle = stack.client.workflow.getHandle(workflowId);
    expect(await handle.query(statusQuery)).toMatchObject({ stage: 'awaiting-review', version: 2 });
    await stack.click(APPROVE_ACTION_ID, workflowId, v2.ts, { userId: BOB });
    const result = (await handle.result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: BOB, version: 2 });
  });

  it('a budget Allow and a Cancel from someone not allowed, signalled past the bot: nothing changes, no LLM call, they are told why', async () => {
    const stack = await stackWith({ REVIEWERS: ALICE, MAX_COST_USD: '0.001' });
    await stack.research('guarded budget');
    const { workflowId, threadTs } = await stack.waitForPipeline('guarded budget');
    const question = await stack.waitForReply(threadTs, 'budget_question');
    const handle = stack.client.workflow.getHandle(workflowId);

    await handle.signal(budgetSignal, { answer: 'allow', userId: MALLORY });
    await handle.signal(cancelSignal, { userId: MALLORY });
    const notices = await waitFor('two ephemerals for Mallory', () => (ephemeralsTo(stack, MALLORY).length === 2 ? ephemeralsTo(stack, MALLORY) : undefined));
    expect(notices.map((n) => n.shown).join('\n')).toContain('Only the person who started this pipeline or a reviewer can answer a budget question, so your click changed nothing.');
    expect(notices.map((n) => n.shown).join('\n')).toContain('Only the person who started this pipeline or a reviewer can cancel this pipeline, so nothing changed.');
    expect(await handle.query(statusQuery)).toMatchObject({ stage: 'awaiting-budget', budgetUsd: 0.001 });
    expect(stack.openai.count()).toBe(0);

    await stack.click(BUDGET_STOP_ACTION_ID, workflowId, question.ts, { userId: REQUESTER });
    const result = (await handle.result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: REQUESTER });
    expect(stack.openai.count()).toBe(0);
  });
});
