/**
 * Encrypted by default, seen from the outside: a history fetched raw from the server (a plain gRPC
 * client, no codec: what anyone with access to the server or its database reads) holds none of
 * the topic, research, passages, draft, feedback, edits, Slack response URL or failure messages,
 * only the workflow ID's slug; the same history read through the codec holds all of them (so the
 * search above looked in the right place). And `PAYLOAD_ENCRYPTION=required` turns away a signal
 * written without the key.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { EDIT_VIEW_ID, REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { EDIT_ACTION_ID, REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { approveSignal, type PipelineResult } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { historyAsText, suitePayloadCodec } from '../harness/keys.js';
import { CHANNEL, REVIEWER, startStack, type Stack } from '../harness/stack.js';
import { indexedCorpus } from '../harness/kb.js';

/** The raw history of a run as stored (no codec), and as the codec reads it. */
async function histories(stack: Stack, workflowId: string): Promise<{ raw: string; decoded: string }> {
  const { workflowService } = stack.client.connection;
  const fetch = async (id: string) => (await workflowService.getWorkflowExecutionHistory({ namespace: stack.config.temporal.namespace, execution: { workflowId: id } })).history;
  const parts = [await fetch(workflowId), await fetch(researchChildWorkflowId(workflowId))];
  return {
    // The workflow IDs (and the child's, which extends the parent's) are the one place a slug of the topic may be.
    raw: (await historyAsText(parts)).split(workflowId).join('<workflow-id>'),
    decoded: await historyAsText(parts, suitePayloadCodec),
  };
}

describe('encrypted by default', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    // `npm run kb -- add corpus --channel CHANNEL`, against a stand-in of its own.
    dir = await indexedCorpus('kb-encryption-', [CHANNEL]);
    stack = await startStack({ env: { KB_URI: join(dir, '.kb'), MAX_REVISIONS: '1' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a run with documents, research, a revision and an edit: the raw history holds none of its words', async () => {
    const topic = 'Zephyr rollout protocol';
    await stack.research(topic);
    const { workflowId, threadTs } = await stack.waitForPipeline(topic);
    const v1 = await stack.waitForDraft(threadTs);
    const feedback = 'Mention the Quokka maintenance window';
    await stack.clickAndSubmit(REQUEST_CHANGES_ACTION_ID, REQUEST_CHANGES_VIEW_ID, workflowId, v1.ts, { feedback });
    const v2 = await waitFor('draft v2', () => stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'draft')[1]);
    const before = stack.slack.callsOf('views.open').length;
    await stack.click(EDIT_ACTION_ID, workflowId, v2.ts);
    const view = await stack.waitForModal(EDIT_VIEW_ID, before);
    const edited = '# Zephyr rollout protocol\n\nThe Platypus appendix explains the freeze flag.';
    await stack.submitModal(view, { article_0: edited });
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'approved', version: 2 });

    const responseUrl = stack.slack.responseUrl('cmd-1');
    const words = {
      topic: 'zephyr',
      research: 'keeps state durable across failures',
      statistics: '42% of teams',
      passage: 'error budget burn stays below one point five',
      draft: 'protocol (revised)',
      feedback: 'Quokka maintenance window',
      edit: 'Platypus appendix',
      responseUrl,
    };
    const { raw, decoded } = await histories(stack, workflowId);
    for (const [what, text] of Object.entries(words)) {
      expect(decoded.toLowerCase().includes(text.toLowerCase()), `${what} read through the codec`).toBe(true);
      expect(raw.toLowerCase().includes(text.toLowerCase()), `${what} in the raw history`).toBe(false);
    }
    // Nothing readable in search attributes either: only IDs, stage and cost.
    const started = (await stack.client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    expect(Object.keys(started).sort()).not.toContain('Topic');
    expect(await historyAsText(started)).not.toMatch(/zephyr/i);
  });

  it('a failure message (a model refusal quoting the topic) is stored encrypted, and read back through the codec', async () => {
    stack.openai.script('findExamples', { refusal: 'I will not describe Wombat logistics for you.' }, { refusal: 'I will not describe Wombat logistics for you.' }, { refusal: 'I will not describe Wombat logistics for you.' });
    await stack.research('Wombat logistics');
    const { workflowId } = await stack.waitForPipeline('Wombat logistics');
    await waitFor('the refusal recorded', async () => {
      const { decoded } = await histories(stack, workflowId).catch(() => ({ decoded: '' }));
      return decoded.includes('Wombat logistics for you') || undefined;
    });
    const { raw, decoded } = await histories(stack, workflowId);
    expect(decoded.includes('activityTaskFailedEventAttributes')).toBe(true);
    expect(raw.includes('Encoded failure'), 'the failure is there, its message is not').toBe(true);
    expect(raw.toLowerCase().includes('wombat'), 'the topic in the raw history').toBe(false);
    await stack.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
  });
});

describe('PAYLOAD_ENCRYPTION=required', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PAYLOAD_ENCRYPTION: 'required' } });
  });
  afterAll(() => stack?.stop());

  it('a decision signalled without the key is refused: the run does not act on it, and the Web UI shows why', async () => {
    await stack.research('plaintext injection');
    const { workflowId, threadTs } = await stack.waitForPipeline('plaintext injection');
    await stack.waitForDraft(threadTs);
    // Someone with access to the server but not the key: a client with no codec.
    const plain = new Client({ connection: stack.client.connection, namespace: stack.config.temporal.namespace });
    await plain.workflow.getHandle(workflowId).signal(approveSignal, { userId: REVIEWER, version: 1 });
    const failedTask = await waitFor('the workflow task that met the plaintext signal', async () => {
      const { decoded } = await histories(stack, workflowId).catch(() => ({ decoded: '' }));
      return decoded.includes('workflowTaskFailedEventAttributes') ? decoded : undefined;
    });
    // The reason, as the Web UI shows the failed task through the codec server (encrypted like any failure).
    expect(failedTask.includes('PAYLOAD_ENCRYPTION=required'), 'the reason, in the failed workflow task').toBe(true);
    const handle = stack.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(stack.slack.channelMessages(CHANNEL).some((m) => m.metadata?.event_payload.kind === 'publish_1' && m.metadata.event_payload.workflow_id === workflowId)).toBe(false);
    // Stuck at that event until an operator resets the run to before it (docs/security.md).
    await handle.terminate('test done');
  });
});
