/**
 * Issue 11 item 2: values from outside the workflow's determinism (prompt sizes, prices, output
 * caps) enter history through the estimateBudget activity. A run recorded with today's prompts and
 * prices replays against workflow code bundled with prompts ten times longer and prices a thousand
 * times higher: had the workflow computed its estimates itself, the replay would ask a budget
 * question the history never saw and fail with a determinism error.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import webpack from 'webpack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { webpackConfigHook, workflowsPath } from '../../src/temporal/bundle.js';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveSignal, requestChangesSignal, statusQuery } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';
import { TEST_DATA_CONVERTER } from '../harness/keys.js';

const CHANGED = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'changed-code');

/** The workflows bundled with test/fixtures/changed-code/{prompts,pricing}.ts in place of src/shared's. */
async function bundleWithChangedPromptsAndPrices(): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error },
    webpackConfigHook: (config) => {
      const hooked = webpackConfigHook(config);
      const swap = new webpack.NormalModuleReplacementPlugin(/shared\/(prompts|pricing)\.js$/, (resource: { request: string; context: string }) => {
        if (resource.context.startsWith(CHANGED)) return; // the changed modules re-export the originals
        const name = /(prompts|pricing)\.js$/.exec(resource.request)![1]!;
        resource.request = path.join(CHANGED, `${name}.ts`);
      });
      return { ...hooked, plugins: [...(hooked.plugins ?? []), swap] };
    },
  });
  return { code };
}

describe('prompt and price changes never change a run in flight', () => {
  let t: WorkflowTestEnv;
  beforeAll(async () => {
    t = await startWorkflowEnv(recordingActivities().activities);
  });
  afterAll(async () => t?.stop());

  it('the workflow bundle contains neither the prompts nor the price table', () => {
    const code = inject('workflowBundleCode');
    expect(code).not.toContain('meticulous research assistant'); // src/shared/prompts.ts
    expect(code).not.toContain('text-embedding-ada-002'); // src/shared/pricing.ts's table
  });

  it('replays a recorded run (budget checked three times) against changed prompts and prices', async () => {
    const handle = await t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-estimate-replay-${Date.now()}-abc123`,
      taskQueue: t.taskQueue,
      args: [{ topic: 'estimates in history', requestedBy: 'U1', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue } }],
      workflowExecutionTimeout: '1m',
    });
    await waitFor('v1', async () => ((await handle.query(statusQuery)).stage === 'awaiting-review' ? true : undefined));
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'more examples' });
    await waitFor('v2', async () => {
      const status = await handle.query(statusQuery);
      return status.version === 2 && status.stage === 'awaiting-review' ? true : undefined;
    });
    await handle.signal(approveSignal, { userId: 'U2', version: 2 });
    const result = await handle.result();
    expect(result.decision.outcome).toBe('approved');
    expect(result.usage.costUsd).toBeGreaterThan(0);
    const history = await handle.fetchHistory();

    const changed = await bundleWithChangedPromptsAndPrices();
    await expect(Worker.runReplayHistory({ workflowBundle: { code: changed.code }, dataConverter: TEST_DATA_CONVERTER }, history, handle.workflowId)).resolves.toBeUndefined();
  });
});
