/**
 * Retrieval survives a worker crash like the other activities (issue 12): the worker process is
 * SIGKILLed while `retrieveContext` waits for its query embedding; a new worker retries it after
 * the attempt's timeout, the draft is written from the passages and cites them, and the research
 * calls that had completed are not made again.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { blockText } from '../harness/fake-slack.js';
import type { Step } from '../harness/fake-openai.js';
import { completedActivities as completedOf } from '../harness/failures.js';
import { waitFor } from '../harness/http.js';
import { startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';
import { indexedCorpus } from '../harness/kb.js';

const LLM_ATTEMPT_TIMEOUT = '6s';
/** Longer than the test: the embedding call stays in flight until its worker dies. */
const IN_FLIGHT_MS = 300_000;

describe('worker killed during retrieval', () => {
  let stack: Stack;
  let dir: string;
  const workers: ProductProcess[] = [];

  beforeAll(async () => {
    // `npm run kb -- add corpus --channel CHANNEL`, against a stand-in of its own.
    dir = await indexedCorpus('kb-crash-', [CHANNEL]);
    stack = await startStack({ withoutWorkers: true, env: { LLM_ATTEMPT_TIMEOUT, KB_URI: join(dir, '.kb') } });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(
      stack.processEnv({ LLM_ATTEMPT_TIMEOUT, KB_URI: join(dir, '.kb') }),
    );
    workers.push(worker);
    return worker;
  };
  const answered = (step: Step) => stack.openai.completions.filter((c) => c.step === step && c.usage).length;
  const completedActivities = (id: string) => completedOf(stack.client, id);

  it('a new worker retries retrieveContext; the draft cites the documents; completed research is not repeated', async () => {
    stack.openai.embeddingScripts.push({ delayMs: IN_FLIGHT_MS });
    const first = await startWorker();
    await stack.research('Zephyr rollout protocol');
    const { workflowId, threadTs } = await stack.waitForPipeline('Zephyr rollout protocol');
    const research = ['researchTopic', 'findExamples', 'getStatistics'] as const;
    await waitFor('research recorded as completed, the query embedding in flight', async () => {
      // (The stand-in records an embedding call when it answers: the held one is not in the list yet.)
      const completed = await completedActivities(researchChildWorkflowId(workflowId)).catch(() => [] as string[]); // child not started yet
      return research.every((step) => completed.includes(step)) && !completed.includes('retrieveContext');
    }, 30_000);
    expect(research.map(answered)).toEqual([1, 1, 1]);
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    await startWorker();
    const draft = await stack.waitForDraft(threadTs, 120_000);
    expect(await completedActivities(researchChildWorkflowId(workflowId))).toContain('retrieveContext'); // asked again, answered
    expect(blockText(draft)).toMatch(/zephyr/i);
    expect(blockText(draft)).toContain('statements supported by your documents');
    const writing = stack.openai.completions.find((c) => c.step === 'writeArticle' && c.usage)!;
    expect(JSON.stringify(writing.request.messages)).toContain('<team_document');
    // Research calls whose completion was recorded before the kill are never made again.
    for (const step of research) {
      expect(stack.openai.completions.filter((c) => c.step === step)).toHaveLength(1);
    }
    expect(stack.slack.postedOfKind(CHANNEL, 'draft', threadTs)).toHaveLength(1);
  }, 240_000);
});
