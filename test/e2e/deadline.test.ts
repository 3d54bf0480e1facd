/**
 * Issue 10 item 2, the measured repro: PIPELINE_TIMEOUT=50s, REVIEW_TIMEOUT=35s and a revision
 * requested 18 s after the draft. v2's review window would end after the cap; the run's own
 * deadline ends it first: before the cap the v2 card loses its buttons and says "expired", the
 * thread says so, and the run completes (not a Temporal timeout) with outcome `expired`.
 * Real durations (the shared dev server does not skip time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_CHANGES_VIEW_ID } from '../../src/slack/blocks/modals.js';
import { REQUEST_CHANGES_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { sleep, waitFor } from '../harness/http.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';

const CAP_MS = 50_000;

describe('deadlines that fit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PIPELINE_TIMEOUT: '50s', REVIEW_TIMEOUT: '35s', LLM_ATTEMPT_TIMEOUT: '5s' } });
  });
  afterAll(() => stack?.stop());

  it('a revision late in the window: v2 closes as expired before the cap, the thread says so, outcome expired', async () => {
    await stack.research('late revisions');
    const { workflowId, threadTs } = await stack.waitForPipeline('late revisions');
    const handle = stack.client.workflow.getHandle(workflowId);
    const startedAt = (await handle.describe()).startTime.getTime();
    const v1 = await stack.waitForDraft(threadTs);

    await sleep(Math.max(0, startedAt + 18_000 - Date.now()));
    await stack.clickAndSubmit(REQUEST_CHANGES_ACTION_ID, REQUEST_CHANGES_VIEW_ID, workflowId, v1.ts, { feedback: 'One more example, please' });
    const v2 = await waitFor('draft v2', () => stack.slack.threadReplies(CHANNEL, threadTs).filter((m) => m.metadata?.event_payload.kind === 'draft')[1]);
    expect(buttonsOf(v2).length).toBeGreaterThan(0);

    const result = (await handle.result()) as PipelineResult;
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.closeTime!.getTime() - startedAt).toBeLessThan(CAP_MS);
    expect(result.decision).toMatchObject({ outcome: 'expired', version: 2, deadline: true });

    const v2Card = stack.slack.message(CHANNEL, v2.ts);
    expect(buttonsOf(v2Card)).toEqual([]);
    expect(blockText(v2Card)).toContain('Expired: the pipeline reached its time limit');
    const outcome = stack.reply(threadTs, 'outcome');
    expect(blockText(outcome!)).toContain('*Expired*: the pipeline reached its time limit (PIPELINE_TIMEOUT)');
  }, 70_000);
});
