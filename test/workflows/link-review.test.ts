/**
 * The link check travels with each version (ContentPipeline on the real dev server, plain-function
 * activities): what the writer returns about links (the sources' known URLs, what it removed) reaches
 * the card of that version, the superseded card keeps its own version's, a revision's replaces it, and
 * a reviewer's edit is shown with the known URLs but nothing "removed" (a person's text is never stripped).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkCheck } from '../../src/shared/links.js';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import { approveEditedSignal, requestChangesSignal, statusQuery } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { fakeUsage, recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

const KNOWN = ['https://facts.example/report'];
const V1: LinkCheck = { known: KNOWN, policy: 'strip-unsourced', removed: { count: 2, domains: ['evil.example', 'tracker.example'] } };
const V2: LinkCheck = { known: KNOWN, policy: 'strip-unsourced', removed: { count: 1, domains: ['phish.example'] } };

describe('link checks in the review loop', () => {
  const recorder = recordingActivities();
  recorder.activities.writeArticle = async (input) => ({ output: `# ${input.topic}\n\nBody.`, usage: fakeUsage('gpt-4o'), links: V1 });
  const revise = recorder.activities.reviseArticle;
  recorder.activities.reviseArticle = async (input) => ({ ...(await revise(input)), links: V2 });
  let t: WorkflowTestEnv;

  beforeAll(async () => {
    t = await startWorkflowEnv(recorder.activities);
  });
  afterAll(() => t?.stop());

  const inputsOf = (name: string, topic: string) =>
    recorder.calls.filter((c) => c.name === name && (c.input as { topic?: string }).topic === topic).map((c) => c.input as { version?: number; links?: LinkCheck });

  it('each card gets its version\'s link check; an edit keeps the known URLs and removes nothing', async () => {
    const topic = 'link checks';
    const handle = await t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-link-checks-20261203-${randomUUID().slice(0, 6)}`,
      taskQueue: t.taskQueue,
      args: [{ topic, requestedBy: 'U1', channel: 'C1', settings: { researchTaskQueue: t.researchTaskQueue } }],
      workflowExecutionTimeout: '1m',
    });
    const atVersion = (version: number) => waitFor(`v${version} awaiting review`, async () => {
      const status = await handle.query(statusQuery);
      return status.stage === 'awaiting-review' && status.version === version ? status : undefined;
    });
    await atVersion(1);
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'shorter' });
    await atVersion(2);
    await handle.signal(approveEditedSignal, { userId: 'U2', version: 2, article: 'Edited by a person: [mine](https://mine.example).' });
    const result = await handle.result();
    expect(result.article).toBe('Edited by a person: [mine](https://mine.example).');

    expect(inputsOf('postDraft', topic).map((i) => [i.version, i.links])).toEqual([[1, V1], [2, V2]]);
    expect(inputsOf('supersedeDraft', topic).map((i) => i.links)).toEqual([V1]);
    expect(inputsOf('recordDecision', topic).map((i) => i.links)).toEqual([{ known: KNOWN, policy: 'strip-unsourced', removed: { count: 0, domains: [] } }]);
  });
});
