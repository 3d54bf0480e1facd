/**
 * Workflow tests: the real workflows on the shared dev server, with plain-function activities
 * standing in for LLM and Slack so each test controls timing and results exactly.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createEstimateActivities, refuseOverBudget } from '../../src/activities/estimates.js';
import type { Activities } from '../../src/activities/index.js';
import { createWorkers, type WorkerSet } from '../../src/worker.js';
import type { LlmUsage } from '../../src/workflows/messages.js';
import { sleep } from './http.js';
import { temporalDataConverter } from '../../src/temporal/codec.js';
import { TEST_ENCRYPTION } from './keys.js';

export interface ActivityEvent {
  name: string;
  phase: 'start' | 'end';
  at: number;
}

export function fakeUsage(model = 'gpt-4o-mini', inputTokens = 100, outputTokens = 50): LlmUsage {
  return { model, inputTokens, outputTokens, cachedInputTokens: 0, totalTokens: inputTokens + outputTokens };
}

/** Activities that record when they run; `researchDelayMs` makes overlap measurable. */
export function recordingActivities(options: { researchDelayMs?: number } = {}) {
  const events: ActivityEvent[] = [];
  const calls: Array<{ name: string; input: unknown }> = [];
  let ts = 0;
  const timed = async <T>(name: string, input: unknown, delayMs: number, result: () => T): Promise<T> => {
    calls.push({ name, input });
    events.push({ name, phase: 'start', at: Date.now() });
    if (delayMs) await sleep(delayMs);
    events.push({ name, phase: 'end', at: Date.now() });
    return result();
  };
  const delay = options.researchDelayMs ?? 0;
  const activities: Activities = {
    researchTopic: (input) => timed('researchTopic', input, delay, () => ({ output: `facts about ${input.topic}`, usage: fakeUsage() })),
    findExamples: (input) =>
      timed('findExamples', input, delay, () => ({
        output: [1, 2, 3].map((n) => ({ title: `E${n}`, description: `d${n}` })),
        usage: fakeUsage(),
      })),
    getStatistics: (input) => timed('getStatistics', input, delay, () => ({ output: 'stats', usage: fakeUsage() })),
    writeArticle: (input) => {
      // The real budget check, as the LLM activity makes it before calling the model.
      if (input.budget) refuseOverBudget({ step: 'writing', topic: input.topic, model: input.budget.model, prices: input.budget.prices, research: input.research }, input.budget.remainingUsd);
      return timed('writeArticle', input, 0, () => ({ output: `# ${input.topic}\n\nBody.`, usage: fakeUsage('gpt-4o', 400, 700) }));
    },
    openThread: (input) => timed('openThread', input, 0, () => ({ threadTs: `100.${++ts}`, channel: input.channel })),
    postStatusMessage: (input) => timed('postStatusMessage', input, 0, () => ({ ts: `300.${++ts}` })),
    notifyRequester: (input) => timed('notifyRequester', input, 0, () => undefined),
    postPublishFailed: (input) => timed('postPublishFailed', input, 0, () => ({ ts: `900.${++ts}` })),
    postRepublished: (input) => timed('postRepublished', input, 0, () => ({ ts: `950.${++ts}` })),
    postDraft: (input) => timed('postDraft', input, 0, () => ({ ts: `200.${++ts}` })),
    recordDecision: (input) => timed('recordDecision', input, 0, () => undefined),
    updateStatus: (input) => timed('updateStatus', input, 0, () => undefined),
    askBudget: (input) => timed('askBudget', input, 0, () => ({ ts: `400.${++ts}` })),
    recordBudgetAnswer: (input) => timed('recordBudgetAnswer', input, 0, () => undefined),
    postOutcome: (input) => timed('postOutcome', input, 0, () => ({ ts: `500.${++ts}` })),
    postFailure: (input) => timed('postFailure', input, 0, () => ({ ts: `600.${++ts}` })),
    reviseArticle: (input) => timed('reviseArticle', input, 0, () => ({ output: `# ${input.topic} revised\n\n${input.feedback}`, usage: fakeUsage('gpt-4o', 500, 600) })),
    resolveReviewers: (input) => timed('resolveReviewers', input, 0, () => input.reviewers.filter((id) => !id.startsWith('S'))),
    // Channels whose ID starts with G are private, with U1 and U2 in them; C… channels are public.
    reviewersIn: (input) => timed('reviewersIn', input, 0, () => {
      // A conversation Slack will not describe to the bot (after the activity's own retries).
      if (input.channel === 'G0UNREADABLE') throw ApplicationFailure.create({ type: 'SlackChannelError', message: 'conversations.members failed: channel_not_found', nonRetryable: true });
      const users = input.reviewers.filter((id) => !id.startsWith('S'));
      if (!input.channel.startsWith('G')) return { allowed: users, outside: [] };
      return { allowed: users.filter((id) => ['U1', 'U2'].includes(id)), outside: users.filter((id) => !['U1', 'U2'].includes(id)) };
    }),
    postReviewersOutside: (input) => timed('postReviewersOutside', input, 0, () => ({ ts: `750.${++ts}` })),
    supersedeDraft: (input) => timed('supersedeDraft', input, 0, () => undefined),
    postReminder: (input) => timed('postReminder', input, 0, () => ({ ts: `700.${++ts}` })),
    tellUser: (input) => timed('tellUser', input, 0, () => undefined),
    // The real estimate (pure): budget questions depend on it exactly as in production.
    estimateBudget: createEstimateActivities().estimateBudget,
    publishArticle: (input) => timed('publishArticle', input, 0, () => ({ channel: input.channel, ts: `800.${++ts}`, parts: 1 })),
    // No knowledge base: retrieval finds nothing, so no evidence check runs.
    retrieveContext: (input) => timed('retrieveContext', input, 0, () => ({ output: { status: 'no-index' as const, passages: [] }, usage: fakeUsage('text-embedding-3-small', 0, 0) })),
    checkEvidence: (input) => timed('checkEvidence', input, 0, () => ({ output: { statements: [], supported: 0, total: 0 }, usage: fakeUsage() })),
  };
  return { activities, events, calls };
}

export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  researchTaskQueue: string;
  workers: WorkerSet;
  stop(): Promise<void>;
}

export async function startWorkflowEnv(activities: Activities): Promise<WorkflowTestEnv> {
  // Encrypted as in production (the codec and the failure converter are outside workflow code).
  const dataConverter = temporalDataConverter(TEST_ENCRYPTION);
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress'), client: { dataConverter } });
  const suffix = randomUUID().slice(0, 8);
  const taskQueue = `wf-test-${suffix}`;
  const researchTaskQueue = `wf-research-${suffix}`;
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    researchTaskQueue,
    activities,
    dataConverter,
    workflowBundle: { code: inject('workflowBundleCode') },
  });
  void workers.run();
  return {
    env,
    taskQueue,
    researchTaskQueue,
    workers,
    async stop() {
      await workers.shutdown();
      await env.teardown();
    },
  };
}
