/**
 * Editorial review in Slack, end to end through signed requests: request changes (revision from
 * stored research), edit then approve, who may decide, double clicks, reminders, expiry, cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDIT_VIEW_ID, REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import {
  APPROVE_ACTION_ID,
  CANCEL_ACTION_ID,
  EDIT_ACTION_ID,
  REJECT_ACTION_ID,
  REQUEST_CHANGES_ACTION_ID,
} from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const drafts = (stack: Stack, threadTs: string) => stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'draft');

describe('editorial review', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { MAX_REVISIONS: '1' } });
  });
  afterAll(() => stack?.stop());

  it('request changes: v2 from the stored research, v1 superseded, no research call repeated, then no revisions left', async () => {
    await stack.research('feature flags');
    const { workflowId, threadTs } = await stack.waitForPipeline('feature flags');
    const v1 = await stack.waitForDraft(threadTs);
    const researchCalls = () => stack.openai.completions.filter((c) => ['researchTopic', 'findExamples', 'getStatistics'].includes(c.step)).length;
    const before = researchCalls();

    const { view } = await stack.clickAndSubmit(REQUEST_CHANGES_ACTION_ID, REQUEST_CHANGES_VIEW_ID, workflowId, v1.ts, { feedback: 'Add a healthcare example' });
    expect(JSON.parse(view.private_metadata)).toMatchObject({ workflowId, version: 1 });

    const v2 = await waitFor('draft v2', () => drafts(stack, threadTs)[1]);
    expect(blockText(v2)).toContain('Draft v2: feature flags');
    expect(blockText(v2)).toContain('feature flags (revised)');
    expect(researchCalls()).toBe(before); // the revision reused the research
    const revision = stack.openai.completions.find((c) => c.step === 'reviseArticle' && JSON.stringify(c.request).includes('feature flags'));
    expect(JSON.stringify(revision?.request)).toContain('Add a healthcare example');

    const v1Card = stack.slack.message(CHANNEL, v1.ts);
    expect(buttonsOf(v1Card)).toEqual([]);
    expect(blockText(v1Card)).toContain(`Superseded by v2: <@${REVIEWER}> requested changes: “Add a healthcare example”`);
    // MAX_REVISIONS=1: v2 offers no more revisions.
    expect(buttonsOf(v2).map((b) => b.action_id)).not.toContain(REQUEST_CHANGES_ACTION_ID);
    expect(blockText(v2)).toContain('No revisions left');

    // A click on the superseded v1 card changes nothing; v2's approve counts.
    await stack.click(REJECT_ACTION_ID, workflowId, v1.ts);
    await stack.click(APPROVE_ACTION_ID, workflowId, v2.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result).toMatchObject({ versions: 2, decision: { outcome: 'approved', version: 2 } });
    expect(result.article).toContain('(revised)');
    expect(result.usage.steps.map((s) => s.step)).toEqual(['researchTopic', 'findExamples', 'getStatistics', 'writeArticle', 'reviseArticle']);
  });

  it('edit of a draft over several inputs: submitted unchanged, the approved article is the draft exactly (the tab at the cut kept)', async () => {
    // One paragraph over 3,000 characters whose only whitespace is a tab at the cut (U+3000, NBSP and hard breaks: test/unit/modals.test.ts).
    const body = `${'a'.repeat(2_990)}\t${'b'.repeat(400)}`;
    stack.openai.script('writeArticle', { content: `# Long cuts\n\n${body}` });
    await stack.research('long cuts');
    const { workflowId, threadTs } = await stack.waitForPipeline('long cuts');
    const draft = await stack.waitForDraft(threadTs);
    const before = stack.slack.callsOf('views.open').length;
    await stack.click(EDIT_ACTION_ID, workflowId, draft.ts);
    const view = await stack.waitForModal(EDIT_VIEW_ID, before);
    const parts = (view.blocks as Array<{ type: string; block_id: string; element?: { initial_value?: string } }>).filter((b) => b.type === 'input');
    // The tab at the cut travels in the block ID of the part after it (`_ws_9`), not at an input's edge.
    expect(parts.map((b) => b.block_id)).toContainEqual(expect.stringMatching(/^article_\d+_ws_9$/));
    for (const part of parts) expect(part.element?.initial_value).not.toMatch(/^\s|\s$/);
    await stack.submitModal(view, Object.fromEntries(parts.map((b) => [b.block_id, b.element?.initial_value ?? ''])));
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
    expect(result.article).toContain(body);
    expect(result.decision.edit?.charactersChanged ?? 0).toBe(0);
  });

  it('edit: the modal holds the draft; submitting approves the edited text, recorded with its edit size', async () => {
    await stack.research('blue green deploys');
    const { workflowId, threadTs } = await stack.waitForPipeline('blue green deploys');
    const draft = await stack.waitForDraft(threadTs);
    const before = stack.slack.callsOf('views.open').length;
    await stack.click(EDIT_ACTION_ID, workflowId, draft.ts);
    const view = await stack.waitForModal(EDIT_VIEW_ID, before);
    const original = (view.blocks.find((b) => b.block_id === 'article_0') as { element: { initial_value: string } }).element.initial_value;
    expect(original).toMatch(/^# blue green deploys/);

    const edited = original.replace('# blue green deploys', '# Blue/green deploys, explained');
    await stack.submitModal(view, { article_0: edited });
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.article).toBe(edited);
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
    expect(result.decision.edit?.charactersChanged).toBeGreaterThan(0);
    expect(result.decision.edit?.charactersChanged).toBeLessThan(40);
    expect(blockText(stack.slack.message(CHANNEL, draft.ts))).toMatch(/Approved by <@U0REVIEWER> with their edits \(\d+ characters changed\)/);
    // The published article is the edited one.
    const published = stack.slack.channelMessages(CHANNEL).find((m) => m.metadata?.event_payload.kind === 'publish_1' && m.metadata.event_payload.workflow_id === workflowId);
    expect(blockText(published)).toContain('# Blue/green deploys, explained');
  });

  it('a second click after the decision is told who decided, and changes nothing', async () => {
    await stack.research('canary releases');
    const { workflowId, threadTs } = await stack.waitForPipeline('canary releases');
    const draft = await stack.waitForDraft(threadTs);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    await waitFor('the decision on the card', () => blockText(stack.slack.message(CHANNEL, draft.ts)).includes('Approved by'));
    const before = stack.slack.callsOf('response_url').length;
    await stack.click(REJECT_ACTION_ID, workflowId, draft.ts, { userId: 'U0SECOND' });
    const reply = await waitFor('an ephemeral reply', () => stack.slack.callsOf('response_url').slice(before)[0]);
    expect(String(reply.args.text)).toContain(`already approved by <@${REVIEWER}>`);
    expect(((await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult).decision.outcome).toBe('approved');
  });

  it('cancel during research: the LLM calls are aborted, the thread says who cancelled and what was spent', async () => {
    stack.openai.script('researchTopic', { delayMs: 8_000 });
    stack.openai.script('findExamples', { delayMs: 8_000 });
    stack.openai.script('getStatistics', { delayMs: 8_000 });
    await stack.research('chaos engineering');
    const { workflowId, threadTs } = await stack.waitForPipeline('chaos engineering');
    await waitFor('research calls in flight', () => stack.openai.completions.filter((c) => JSON.stringify(c.request).includes('chaos engineering')).length === 3);
    const status = await stack.waitForReply(threadTs, 'status');
    expect(buttonsOf(stack.slack.message(CHANNEL, status.ts)).map((b) => b.action_id)).toEqual([CANCEL_ACTION_ID]);

    await stack.click(CANCEL_ACTION_ID, workflowId, status.ts, { userId: REQUESTER });
    const outcome = await stack.waitForReply(threadTs, 'outcome', 30_000);
    expect(blockText(outcome)).toContain(`*Cancelled* by <@${REQUESTER}>`);
    expect(blockText(outcome)).toContain('Total: 0 tokens · $0.0000');
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    await waitFor('the run to close', async () => (await stack.client.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING');
    // Cancelled from Slack, the run checks who asked and completes with outcome `cancelled`.
    expect((await stack.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    expect(((await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult).decision).toMatchObject({ outcome: 'cancelled', by: REQUESTER });
    expect(description.workflowId).toBe(workflowId);
    await waitFor('the in-flight LLM calls to be aborted', () =>
      stack.openai.completions.filter((c) => JSON.stringify(c.request).includes('chaos engineering')).every((c) => c.aborted));
    expect(stack.reply(threadTs, 'draft')).toBeUndefined();
    expect(stack.statusVersions(threadTs).at(-1)).not.toContain('Cancel pipeline');
  });
});

describe('who may decide', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { REVIEWERS: 'U0REVIEWER,S0EDITORS' } });
    stack.slack.userGroups.set('S0EDITORS', ['U0EDITOR']);
  });
  afterAll(() => stack?.stop());

  it('a non-reviewer gets an immediate refusal and changes nothing; a member of a reviewer group decides', async () => {
    await stack.research('data contracts');
    const { workflowId, threadTs } = await stack.waitForPipeline('data contracts');
    const draft = await stack.waitForDraft(threadTs);

    const before = stack.slack.callsOf('response_url').length;
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts, { userId: 'U0STRANGER' });
    const refusal = await waitFor('the refusal', () => stack.slack.callsOf('response_url').slice(before)[0]);
    expect(refusal.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(refusal.args.text)).toContain('Only reviewers (<@U0REVIEWER>, <!subteam^S0EDITORS>) can approve this draft');
    expect(buttonsOf(stack.slack.message(CHANNEL, draft.ts)).length).toBeGreaterThan(0);

    // Even a signal sent straight to Temporal by a non-reviewer changes nothing.
    const { approveSignal, statusQuery } = await import('../../src/workflows/messages.js');
    const handle = stack.client.workflow.getHandle(workflowId);
    await handle.signal(approveSignal, { userId: 'U0STRANGER' });
    expect((await handle.query(statusQuery)).decision).toBeUndefined();

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts, { userId: 'U0EDITOR' });
    const result = (await handle.result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: 'U0EDITOR' });
  });
});

describe('reminders and expiry', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { REVIEWERS: 'U0REVIEWER', REVIEW_REMINDER_AFTER: '1s', REVIEW_TIMEOUT: '3s' } });
  });
  afterAll(() => stack?.stop());

  it('reminds the reviewers once, then expires the draft and removes its buttons', async () => {
    await stack.research('idempotency');
    const { workflowId, threadTs } = await stack.waitForPipeline('idempotency');
    const draft = await stack.waitForDraft(threadTs);
    const reminder = await stack.waitForReply(threadTs, 'reminder');
    expect(blockText(reminder)).toContain('<@U0REVIEWER> draft v1 of *idempotency* has waited 1s');

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('expired');
    const card = stack.slack.message(CHANNEL, draft.ts);
    expect(buttonsOf(card)).toEqual([]);
    expect(blockText(card)).toContain('Review expired without a decision');
    expect(stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'reminder')).toHaveLength(1);
  });
});
