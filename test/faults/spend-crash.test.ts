/**
 * A worker SIGKILLed while an LLM call holds a spend reservation (issue 21): the worker is a real OS
 * process (`src/worker.ts`) with TEAM_DAILY_USD set, so every call reserves from the workspace's
 * spend account (a real Temporal workflow) before calling the model. The call cut off by the kill
 * is retried on a new worker under a reservation of its own, settled with its actual cost; the dead
 * attempt's reservation keeps counting at its worst case (never lost, never charged twice) until its
 * expiry (the attempt's start-to-close timeout + 60 s), then stops counting. The account's usage
 * query proves each step.
 *
 * The run is started the way the bot starts it (pipelinesFor), with the workspace on the request,
 * so this file does not depend on the bot's admission (issue 21 part B).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinesFor } from '../../src/bot.js';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { costOf, DEFAULT_PRICES } from '../../src/shared/pricing.js';
import { readUsage } from '../../src/temporal/spend.js';
import { statusQuery } from '../../src/workflows/messages.js';
import type { Step } from '../harness/fake-openai.js';
import { waitFor } from '../harness/http.js';
import { startWorkerProcess, type ProductProcess } from '../harness/processes.js';
import { CHANNEL, REQUESTER, startStack, type Stack } from '../harness/stack.js';

/** A call cut off by the kill is retried after this (its heartbeat timeout is the same); its reservation expires 60 s later. */
const LLM_ATTEMPT_TIMEOUT = '6s';
const IN_FLIGHT_MS = 120_000;
const SPEND = { TEAM_DAILY_USD: '5', LLM_ATTEMPT_TIMEOUT };
const TEAM = `T${randomUUID().slice(0, 8).toUpperCase()}`;

describe('worker killed while holding a spend reservation', () => {
  let stack: Stack;
  const workers: ProductProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ withoutWorkers: true, env: SPEND });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    await stack?.stop();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(stack.processEnv(SPEND));
    workers.push(worker);
    return worker;
  };
  const answeredCost = (step: Step) => stack.openai.completions
    .filter((c) => c.step === step && c.usage)
    .reduce((sum, c) => sum + (costOf({
      model: String(c.request.model), inputTokens: c.usage!.prompt_tokens, outputTokens: c.usage!.completion_tokens,
      cachedInputTokens: c.usage!.prompt_tokens_details.cached_tokens, totalTokens: c.usage!.prompt_tokens + c.usage!.completion_tokens,
    }, DEFAULT_PRICES) ?? 0), 0);

  it('the retried call reserves and settles anew; the dead attempt\'s reservation counts at its worst case until it expires, then not at all', async () => {
    stack.openai.script('findExamples', { delayMs: IN_FLIGHT_MS });
    const first = await startWorker();
    const { workflowId } = await pipelinesFor(stack.client, stack.config).start({ topic: 'reservation crash', requestedBy: REQUESTER, channel: CHANNEL, teamId: TEAM });
    const childId = researchChildWorkflowId(workflowId);

    // The examples call is in flight under its reservation; the other two have settled.
    const held = await waitFor('the examples call in flight, holding its reservation', async () => {
      const usage = await readUsage(stack.client, TEAM);
      const open = usage?.openReservations.filter((r) => r.workflowId === childId) ?? [];
      return stack.openai.count('findExamples') === 1 && usage?.counts.settled === 2 && open.length === 1 ? open[0] : undefined;
    }, 60_000);
    expect(held.id).toMatch(new RegExp(`^${childId}:[\\w-]+:\\d+:1$`)); // <workflow>:<run>:<activity>:<attempt 1>
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    // A new worker: the call is retried (attempt 2) under a reservation of its own, and the run goes on.
    await startWorker();
    const handle = stack.client.workflow.getHandle(workflowId);
    await waitFor('the draft awaiting review', async () => ((await handle.query(statusQuery)).stage === 'awaiting-review' ? true : undefined), 90_000);
    // Calls after the draft (the evidence check) may still be settling: wait until only the dead one is open.
    const afterRetry = await waitFor('every call but the dead one settled', async () => {
      const usage = await readUsage(stack.client, TEAM);
      return usage && usage.openReservations.filter((r) => !r.id.endsWith(':admission')).length === 1 ? usage : undefined;
    }, 30_000);
    // Never lost: the dead attempt's reservation still counts, at its worst case, until it expires.
    expect(afterRetry.openReservations.map((r) => r.id).filter((id) => !id.endsWith(':admission'))).toEqual([held.id]);
    expect(afterRetry.team.day.reservedUsd).toBeCloseTo(held.amountUsd, 5); // (plus any micro-dollars left in the hold)
    expect(Date.parse(held.expiresAt)).toBeGreaterThan(Date.now());
    // Every call but the dead one was settled, once. What was settled covers at least every step the
    // run recorded; it may be more than the stand-in's answers alone, since an attempt the machine's
    // load made time out client-side settles at its worst case (it may have been billed).
    // Granted beyond settled: the dead call, and the run's admission hold (drawn from by the research
    // calls, closed once drawn to nothing, never settled itself).
    expect(afterRetry.counts).toMatchObject({ granted: afterRetry.counts.settled + 2, refused: 0 });
    const recorded = (await handle.query(statusQuery)).usage?.costUsd ?? 0;
    expect(recorded).toBeGreaterThan(0);
    expect(afterRetry.team.day.spentUsd).toBeGreaterThanOrEqual(recorded - 1e-6);
    expect(answeredCost('findExamples')).toBeGreaterThan(0); // the retried call was answered

    // Past its expiry it no longer counts, and nothing was charged for it.
    const expired = await waitFor('the dead reservation expired', async () => {
      const usage = await readUsage(stack.client, TEAM);
      return usage && usage.openReservations.every((r) => r.id.endsWith(':admission')) ? usage : undefined;
    }, Math.max(0, Date.parse(held.expiresAt) - Date.now()) + 30_000);
    expect(expired.team.day.reservedUsd).toBeLessThan(1e-5); // at most micro-dollars left in the hold
    expect(expired.team.day.spentUsd).toBe(afterRetry.team.day.spentUsd); // nothing charged for the expired one
    expect(expired.counts.expired).toBe(1);
    await handle.terminate('test done');
  }, 240_000);
});
