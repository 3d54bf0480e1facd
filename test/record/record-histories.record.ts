/**
 * Records one history per workflow path into test/fixtures/histories/, for the replay test.
 * Run with `npm run record-histories` when a workflow change is intended to alter histories
 * (and only then: a replay failure otherwise means the change broke running pipelines).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { LlmFailure, SlackFailure, SPEND_CEILING_REACHED } from '../../src/shared/failure-types.js';
import { spendAccountFor } from '../../src/temporal/spend.js';
import { spendAccountWorkflowId, type SpendRefusal } from '../../src/workflows/spend-messages.js';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { contentPipeline } from '../../src/workflows/content-pipeline.js';
import {
  approveEditedSignal,
  approveSignal,
  budgetSignal,
  cancelSignal,
  rejectSignal,
  requestChangesSignal,
  statusQuery,
  type PipelineInput,
  type Stage,
} from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { recordingActivities, startWorkflowEnv, type WorkflowTestEnv } from '../harness/workflow-env.js';

const OUT = new URL('../fixtures/histories/', import.meta.url);

/**
 * The workflow code generation these recordings come from: the newest patch ID (README → Changing
 * workflow code safely). Files are named `<path>.<generation>.json`; the first generation's files
 * have no suffix. A change behind a new patch sets this to the new ID, and recording then adds a
 * full set beside the older ones, which keep replaying through the patch's old branch.
 */
const GENERATION = 'spend-ceilings';
/**
 * How the payloads in a file are stored: `encrypted` since issue 20 (the suite's test key,
 * test/harness/keys.ts), as every deployment stores them now; the replay test opens them with
 * that key. A generation recorded in plaintext before has no such suffix.
 */
const STORAGE = 'encrypted';

describe('record workflow histories', () => {
  let ok: WorkflowTestEnv;
  let failing: WorkflowTestEnv;
  /** Slack refuses the channel: the thread's root in one run, the publication in another. */
  let refused: WorkflowTestEnv;
  /** A knowledge base answers: passages in the draft's research, an evidence check per version. */
  let grounded: WorkflowTestEnv;
  /** Research calls that take seconds: time to cancel while they run. */
  let slow: WorkflowTestEnv;
  /** The writing call is refused once by a workspace spend ceiling (`spend-ceilings`). */
  let ceiling: WorkflowTestEnv;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    ok = await startWorkflowEnv(recordingActivities().activities);
    const broken = recordingActivities();
    broken.activities.writeArticle = async () => {
      throw ApplicationFailure.create({ type: LlmFailure.Authentication, message: 'stand-in 401', nonRetryable: true });
    };
    failing = await startWorkflowEnv(broken.activities);
    const channelError = (slackError: string) =>
      ApplicationFailure.create({ type: SlackFailure.Channel, message: `stand-in ${slackError}`, nonRetryable: true, details: [{ slackError, method: 'chat.postMessage' }] });
    const refusing = recordingActivities();
    const openThread = refusing.activities.openThread;
    refusing.activities.openThread = async (input) => {
      if (input.channel === 'C0PRIVATE') throw channelError('channel_not_found');
      return openThread(input);
    };
    refusing.activities.publishArticle = async () => {
      throw channelError('not_in_channel');
    };
    refused = await startWorkflowEnv(refusing.activities);
    const documented = recordingActivities();
    const passages = [1, 2].map((n) => ({ n, source: `docs/runbook-${n}.md`, section: 'On call', page: 0, text: `Passage ${n} of the runbook.`, score: 0.8 }));
    documented.activities.retrieveContext = async () => ({
      output: { status: 'grounded' as const, passages },
      usage: { model: 'text-embedding-3-small', inputTokens: 12, outputTokens: 0, cachedInputTokens: 0, totalTokens: 12 },
    });
    documented.activities.checkEvidence = async () => ({
      output: { statements: [{ statement: 'Pages go to the primary first.', verdict: 'supported' as const, passage: 1 }, { statement: 'Sleep matters.', verdict: 'general' as const, passage: 0 }], supported: 1, total: 2 },
      usage: { model: 'gpt-4o-mini', inputTokens: 300, outputTokens: 60, cachedInputTokens: 0, totalTokens: 360 },
    });
    grounded = await startWorkflowEnv(documented.activities);
    slow = await startWorkflowEnv(recordingActivities({ researchDelayMs: 3_000 }).activities);
    const limited = recordingActivities();
    const write = limited.activities.writeArticle;
    const refusedOnce = new Set<string>();
    limited.activities.writeArticle = async (input) => {
      if (refusedOnce.has(input.topic)) return write(input);
      refusedOnce.add(input.topic);
      // As the real activity refuses (src/activities/spend.ts): the account's refusal in the details.
      const refusal: SpendRefusal = {
        status: 'refused', reservationId: 'r', limit: 'team-daily', usedUsd: 0.98, limitUsd: 1, requestedUsd: 0.03,
        resetsAt: new Date(Date.now() + (input.topic.includes('wait') ? 3_000 : 3_600_000)).toISOString(),
      };
      throw ApplicationFailure.create({ type: SPEND_CEILING_REACHED, message: 'stand-in refusal', nonRetryable: true, details: [refusal] });
    };
    const statistics = limited.activities.getStatistics;
    limited.activities.getStatistics = async (input) => {
      if (!input.topic.includes('research-wait') || refusedOnce.has(`stats:${input.topic}`)) return statistics(input);
      refusedOnce.add(`stats:${input.topic}`);
      const refusal: SpendRefusal = {
        status: 'refused', reservationId: 'r', limit: 'user-daily', usedUsd: 0.5, limitUsd: 0.5, requestedUsd: 0.001,
        resetsAt: new Date(Date.now() + 3_000).toISOString(),
      };
      throw ApplicationFailure.create({ type: SPEND_CEILING_REACHED, message: 'stand-in refusal', nonRetryable: true, details: [refusal] });
    };
    ceiling = await startWorkflowEnv(limited.activities);
  });
  afterAll(async () => {
    await ok?.stop();
    await failing?.stop();
    await refused?.stop();
    await grounded?.stop();
    await slow?.stop();
    await ceiling?.stop();
  });

  async function start(t: WorkflowTestEnv, name: string, settings: PipelineInput['settings'] = {}, cap: number | '1m' = '1m', channel = 'C1') {
    return t.env.client.workflow.start(contentPipeline, {
      workflowId: `research-replay-${name}-20261125-abc123`,
      taskQueue: t.taskQueue,
      args: [{ topic: `replay ${name}`, requestedBy: 'U1', channel, teamId: 'T1', responseUrl: 'https://hooks.slack.test/commands/T1/1/x', botUserId: 'UBOT', command: '/research', settings: { researchTaskQueue: t.researchTaskQueue, ...settings } }],
      workflowExecutionTimeout: cap,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
  }

  const stageOf = (handle: WorkflowHandle, stage: Stage) =>
    waitFor(stage, async () => ((await handle.query(statusQuery)).stage === stage ? true : undefined));

  /** The history as the Temporal CLI exports it (`temporal workflow show --output json`). */
  function exportHistory(workflowId: string, runId?: string): string {
    return execFileSync(
      inject('temporalCliPath'),
      ['workflow', 'show', '--address', inject('temporalAddress'), '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json'],
      { encoding: 'utf8' },
    );
  }

  /** `{ workflowId, history }`: replay needs the ID the workflow ran under (child IDs derive from it). */
  // Histories are only ever added (README → Changing workflow code safely): an existing file is
  // left alone unless RECORD_OVERWRITE=1 says this is the one deliberate re-recording.
  function write(file: string, workflowId: string, runId?: string) {
    if (existsSync(new URL(file, OUT)) && process.env.RECORD_OVERWRITE !== '1') {
      console.log(`${file} exists: kept (RECORD_OVERWRITE=1 rewrites it)`);
      return;
    }
    const history: unknown = JSON.parse(exportHistory(workflowId, runId));
    writeFileSync(new URL(file, OUT), `${JSON.stringify({ workflowId, history }, null, 1)}\n`);
  }

  async function save(name: string, handle: WorkflowHandle, withChild = false) {
    await handle.result().catch(() => undefined);
    write(`${name}.${GENERATION}.${STORAGE}.json`, handle.workflowId);
    if (withChild) write(`${name}-parallel-research.${GENERATION}.${STORAGE}.json`, researchChildWorkflowId(handle.workflowId));
  }

  it('approve (and its research child)', async () => {
    const handle = await start(ok, 'approve');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('approve', handle, true);
  });

  it('reject', async () => {
    const handle = await start(ok, 'reject');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(rejectSignal, { userId: 'U2' });
    await save('reject', handle);
  });

  it('second decision ignored', async () => {
    const handle = await start(ok, 'double');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await handle.signal(rejectSignal, { userId: 'U3' });
    await save('double-decision', handle);
  });

  it('review expired', async () => {
    const handle = await start(ok, 'expired', { reviewTimeoutMs: 1_000 });
    await save('expired', handle);
  });

  it('budget allowed', async () => {
    const handle = await start(ok, 'budget-allow', { maxCostUsd: 0.000001 });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' }); // the requester: only they (or REVIEWERS) may spend
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('budget-allow', handle);
  });

  it('budget allowed before writing (the writing activity refuses over budget, then writes)', async () => {
    // Research on gpt-4o-mini fits in half a cent; a gpt-4o article's worst case does not.
    const handle = await start(ok, 'writing-budget', { maxCostUsd: 0.005, writerModel: 'gpt-4o' });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' });
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('writing-budget-allow', handle);
  });

  it('grounded in the team\'s documents: passages, an evidence check per version, a revision', async () => {
    const handle = await start(grounded, 'grounded');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'cite the runbook more' });
    await waitFor('v2 awaiting review', async () => {
      const status = await handle.query(statusQuery);
      return status.version === 2 && status.stage === 'awaiting-review' ? true : undefined;
    });
    await handle.signal(approveSignal, { userId: 'U2', version: 2 });
    await save('grounded', handle, true);
  });

  it('budget stopped', async () => {
    const handle = await start(ok, 'budget-stop', { maxCostUsd: 0.000001 });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    await save('budget-stop', handle);
  });

  it('changes requested, then approved', async () => {
    const handle = await start(ok, 'revision');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'shorter' });
    await waitFor('v2', async () => ((await handle.query(statusQuery)).version === 2 && (await handle.query(statusQuery)).stage === 'awaiting-review' ? true : undefined));
    await handle.signal(approveSignal, { userId: 'U2', version: 2 });
    await save('revision', handle);
  });

  it('approved with edits', async () => {
    const handle = await start(ok, 'edited');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveEditedSignal, { userId: 'U2', version: 1, article: '# edited' });
    await save('edited', handle);
  });

  it('cancelled during research (the research child is cancelled with its calls)', async () => {
    const handle = await start(slow, 'cancelled-research');
    await stageOf(handle, 'researching');
    await handle.signal(cancelSignal, { userId: 'U1' });
    await save('cancelled-during-research', handle, true);
  });

  it('cancelled', async () => {
    const handle = await start(ok, 'cancelled');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(cancelSignal, { userId: 'U1' });
    await save('cancelled', handle);
  });

  it('expired at the run\'s own deadline (a 12 s cap, a review window longer than the run)', async () => {
    const handle = await start(ok, 'expired-at-deadline', { reviewTimeoutMs: 60_000 }, 12_000);
    await save('expired-at-deadline', handle);
  });

  it('an edit overtaken by a revision is refused and given back', async () => {
    const handle = await start(ok, 'superseded-edit');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(requestChangesSignal, { userId: 'U2', version: 1, feedback: 'more examples' });
    await waitFor('v2', async () => ((await handle.query(statusQuery)).version === 2 && (await handle.query(statusQuery)).stage === 'awaiting-review' ? true : undefined));
    await handle.signal(approveEditedSignal, { userId: 'U3', version: 1, article: '# edited v1' });
    await handle.signal(approveSignal, { userId: 'U2', version: 2 });
    await save('superseded-edit', handle);
  });

  it('budget answer and cancel from someone not allowed are refused', async () => {
    const handle = await start(ok, 'refused-budget', { maxCostUsd: 0.000001, reviewers: ['U2'] });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U9' });
    await handle.signal(cancelSignal, { userId: 'U9' });
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U2' });
    await save('refused-budget', handle);
  });

  it('failed step', async () => {
    const handle = await start(failing, 'failed');
    await save('failed', handle);
  });

  it('undeliverable: the thread cannot be opened', async () => {
    const handle = await start(refused, 'undeliverable', {}, '1m', 'C0PRIVATE');
    await save('undeliverable', handle);
  });

  it('a named reviewer outside the private channel: named in the thread, refused; one inside approves', async () => {
    // In the stand-in activities, G… channels are private with U1 and U2 in them.
    const handle = await start(ok, 'reviewers-outside', { reviewers: ['U2', 'U9'] }, '1m', 'G0PRIVATE');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U9' });
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('reviewers-outside', handle);
  });

  it('approved, publication refused', async () => {
    const handle = await start(refused, 'unpublished');
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('unpublished', handle);
  });

  it('spend ceiling reached before writing: Allow waits for the reset, then writes', async () => {
    const handle = await start(ceiling, 'spend-wait', { reviewers: ['U2'] });
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U9' }); // refused: not the requester or a reviewer
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' });
    await stageOf(handle, 'awaiting-review');
    await handle.signal(approveSignal, { userId: 'U2' });
    await save('spend-wait', handle);
  });

  it('spend ceiling reached during research (a research call refused): Allow waits, the research child runs again', async () => {
    const handle = await start(ceiling, 'spend-research-wait');
    await stageOf(handle, 'awaiting-budget');
    // The research child's first run, which the refusal ended (the child is started again after the reset).
    const refusedChild = await ceiling.env.client.workflow.getHandle(researchChildWorkflowId(handle.workflowId)).describe();
    await handle.signal(budgetSignal, { answer: 'allow', userId: 'U1' });
    // Then writing is refused once too: the second question, once research is in the ledger.
    await waitFor('the writing question', async () => {
      const status = await handle.query(statusQuery);
      return status.stage === 'awaiting-budget' && (status.usage?.steps.length ?? 0) >= 3 ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the question is posted just after the stage changes
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    await save('spend-research-wait', handle, true);
    write(`spend-research-refused-parallel-research.${GENERATION}.${STORAGE}.json`, refusedChild.workflowId, refusedChild.runId);
  });

  it('spend ceiling reached before writing: Stop', async () => {
    const handle = await start(ceiling, 'spend-stop');
    await stageOf(handle, 'awaiting-budget');
    await handle.signal(budgetSignal, { answer: 'stop', userId: 'U1' });
    await save('spend-stop', handle);
  });

  it('the spend account itself: grants, a settle, a refusal, an admission hold drawn from, an expiry', async () => {
    const teamId = `TREPLAY${Date.now()}`;
    const account = spendAccountFor(ok.env.client, { taskQueue: ok.taskQueue });
    const base = { teamId, userId: 'U1', workflowId: 'research-replay-spend', ceilings: { teamDailyUsd: 1, userDailyUsd: 0.8 }, ttlMs: 60_000, timeZone: 'UTC' };
    await account.reserve({ ...base, reservationId: 'research-replay-spend:admission', amountUsd: 0.2, runningCheck: { limit: 2, running: [] } });
    await account.reserve({ ...base, reservationId: 'research-replay-spend:1:1', amountUsd: 0.1, drawFrom: 'research-replay-spend:admission' });
    await account.settle({ teamId, reservationId: 'research-replay-spend:1:1', actualUsd: 0.02 });
    await account.reserve({ ...base, reservationId: 'research-replay-spend:2:1', amountUsd: 0.9 }); // refused: user-daily
    await account.reserve({ ...base, reservationId: 'research-replay-spend:3:1', amountUsd: 0.1, ttlMs: 1_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // its expiry timer fires
    await account.settle({ teamId, reservationId: 'research-replay-spend:3:1', actualUsd: 0.01 }); // after expiry
    await account.settle({ teamId, reservationId: 'research-replay-spend:admission', actualUsd: 0 });
    const handle = ok.env.client.workflow.getHandle(spendAccountWorkflowId(teamId));
    await handle.terminate('recorded');
    write(`spend-account.${GENERATION}.${STORAGE}.json`, handle.workflowId);
  });
});
