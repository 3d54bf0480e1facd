/**
 * Issue 10's repro, end to end: a 200-character topic of `<&>` and 3,000 characters of feedback made
 * of `<&>`. Escaping multiplies their length by up to five; before "escape first, then cut" the
 * superseded card carried a 6,568-character section and real Slack answered `invalid_blocks`,
 * failing the run. The stand-in Slack refuses what Slack refuses, so any oversized block fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { APPROVE_ACTION_ID, REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';

describe('escape-heavy topic and feedback', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { MAX_REVISIONS: '1' } });
  });
  afterAll(() => stack?.stop());

  it('a 200-character topic of <&> and 3,000 characters of <&> feedback: every card fits, the run is approved', async () => {
    const topic = `${'<&>'.repeat(66)}ok`; // 200 characters, the default limit
    expect(topic).toHaveLength(200);
    const feedback = '<&>'.repeat(1_000); // 3,000 characters, the modal's max_length
    expect((await stack.research(topic)).status).toBe(200);

    // Fresh stack: the channel's only root is this run's.
    const { workflowId, threadTs } = await waitFor('the thread', () => {
      const root = stack.slack.channelMessages(CHANNEL)[0];
      const id = root?.metadata?.event_payload.workflow_id;
      return root && typeof id === 'string' ? { workflowId: id, threadTs: root.ts } : undefined;
    });
    const v1 = await stack.waitForDraft(threadTs);
    await stack.clickAndSubmit(REQUEST_CHANGES_ACTION_ID, REQUEST_CHANGES_VIEW_ID, workflowId, v1.ts, { feedback });

    const drafts = () => stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'draft');
    const v2 = await waitFor('draft v2', () => drafts()[1]);
    // The superseded v1 card quotes the feedback, escaped and cut: no raw `<` or `&` reaches Slack.
    const v1Card = blockText(stack.slack.message(CHANNEL, v1.ts));
    expect(v1Card).toContain('&lt;&amp;&gt;');
    expect(v1Card).not.toMatch(/<&>/);
    expect(buttonsOf(stack.slack.message(CHANNEL, v1.ts))).toEqual([]);

    await stack.click(APPROVE_ACTION_ID, workflowId, v2.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', version: 2 });

    // Nothing Slack would refuse was sent: no invalid_blocks, no msg_too_long, on any surface.
    expect(stack.slack.refusals).toEqual([]);
    // The revision prompt carried the whole feedback (it is cut only for display).
    const revision = stack.openai.completions.find((c) => c.step === 'reviseArticle');
    expect(JSON.stringify(revision?.request)).toContain('<&>'.repeat(100));
  });
});
