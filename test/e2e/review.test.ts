/**
 * End to end: a signed `/research` POST into the real Bolt receiver → a real Temporal run →
 * the draft card with both buttons in the thread (stand-in Slack) → a signed click → decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

describe('/research → draft → review, end to end', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('acks the command at once with an ephemeral confirmation', async () => {
    const response = await stack.research('durable execution');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect(String(response.json?.text)).toContain('durable execution');
    await stack.waitForPipeline('durable execution');
  });

  it('posts a parent message, then the draft with Approve and Reject in its thread; Approve completes the run', async () => {
    await stack.research('event sourcing');
    const { workflowId, threadTs } = await stack.waitForPipeline('event sourcing');
    expect(workflowId).toMatch(/^research-event-sourcing-\d{8}-[a-z0-9]{6}$/);

    const root = stack.slack.message(CHANNEL, threadTs);
    expect(blockText(root)).toContain(`<@${REQUESTER}>`);
    expect(blockText(root)).toContain(workflowId);
    expect(blockText(root)).toContain(`http://localhost:8233/namespaces/default/workflows/${workflowId}`);

    const draft = await stack.waitForDraft(threadTs);
    expect(draft.thread_ts).toBe(threadTs);
    expect(blockText(draft)).toContain('# event sourcing');
    const buttons = buttonsOf(draft);
    expect(buttons.map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, 'request_changes', 'edit_draft', REJECT_ACTION_ID, 'cancel_pipeline']);
    expect(buttons.every((b) => b.value === workflowId)).toBe(true);

    const click = await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    expect(click.status).toBe(200);

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', by: REVIEWER });
    expect(result.article).toContain('# event sourcing');
    expect(result.usage.steps.map((s) => s.step)).toEqual(['researchTopic', 'findExamples', 'getStatistics', 'writeArticle']);
    expect(result.usage.totalTokens).toBeGreaterThan(0);

    const card = stack.slack.message(CHANNEL, draft.ts);
    expect(buttonsOf(card)).toEqual([]);
    expect(blockText(card)).toContain(`Approved by <@${REVIEWER}>`);

    // One research call per step, one writing call: nothing was repeated.
    for (const step of ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle'] as const) {
      expect(stack.openai.completions.filter((c) => c.step === step && c.request.messages.some((m) => String(m.content).includes('event sourcing')))).toHaveLength(1);
    }
  });

  it('Reject completes the run as rejected and says so on the card', async () => {
    await stack.research('saga pattern');
    const { workflowId, threadTs } = await stack.waitForPipeline('saga pattern');
    const draft = await stack.waitForDraft(threadTs);

    // Reject asks for an optional reason in a modal; the reason lands on the card and in the result.
    const { view, response } = await stack.clickAndSubmit(REJECT_ACTION_ID, REJECT_VIEW_ID, workflowId, draft.ts, { reason: 'Off-brand tone' });
    expect(JSON.parse(view.private_metadata)).toEqual({ workflowId, version: 1, channel: CHANNEL });
    expect(response.status).toBe(200);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'rejected', by: REVIEWER, reason: 'Off-brand tone', version: 1 });

    const card = stack.slack.message(CHANNEL, draft.ts);
    expect(buttonsOf(card)).toEqual([]);
    expect(blockText(card)).toContain(`Rejected by <@${REVIEWER}>`);
    expect(blockText(card)).toContain('Reason: “Off-brand tone”');
  });

  it('answers a click on a finished pipeline politely and changes nothing', async () => {
    await stack.research('outbox pattern');
    const { workflowId, threadTs } = await stack.waitForPipeline('outbox pattern');
    const draft = await stack.waitForDraft(threadTs);
    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    await stack.client.workflow.getHandle(workflowId).result();

    const before = stack.slack.callsOf('response_url').length;
    await stack.click(REJECT_ACTION_ID, workflowId, draft.ts, { userId: 'U0LATECOMER' });
    const reply = await waitFor('an ephemeral reply', () => stack.slack.callsOf('response_url').slice(before)[0]);
    expect(reply.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.args.text)).toContain(`already approved by <@${REVIEWER}>`);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision.outcome).toBe('approved');
  });
});
