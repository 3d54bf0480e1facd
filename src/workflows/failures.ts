/**
 * How a run ends badly: a cancellation (who cancelled, in the thread) or a failed step (what
 * failed, why, and what to do, in the thread; the run then fails with the cause attached, so the
 * Web UI shows exactly what went wrong).
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, log, setHandler, TimeoutFailure } from '@temporalio/workflow';
import type { LlmUsage } from './messages.js';
import { explainFailure } from '../shared/explain.js';
import { slack } from './activities.js';
import type { Authority } from './authority.js';
import { decidedText, spendersText, tellUser } from './notices.js';
import { cancelSignal, type PipelineResult } from './messages.js';
import type { RunParts } from './outcome.js';
import { threadOf, type RunContext } from './run.js';

/**
 * The scope the run's work runs in, and the Cancel from Slack that cancels it: only from the run's
 * own channel, and only from the requester or a reviewer (authority.ts); anyone else's changes nothing.
 */
export function watchCancellation(run: RunContext, authority: Authority): CancellationScope {
  const work = new CancellationScope();
  setHandler(cancelSignal, async ({ userId, channel }) => {
    // Asked from another channel: the bot has already answered there, in the same words as for an
    // unknown ID; saying anything in this run's channel would tell the asker it exists. No
    // activity either, so histories recorded before the channel was sent replay unchanged.
    if (channel !== undefined && channel !== run.channel) {
      log.warn('Cancel from another channel than the run\'s refused', { userId, channel });
      return;
    }
    const allowed = await authority.maySpend(userId);
    const ended = run.decision ?? (run.cancelledBy ? { outcome: 'cancelled' as const, by: run.cancelledBy } : undefined);
    if (!allowed) return tellUser(run, userId, `Only ${spendersText(run)} can cancel this pipeline, so nothing changed.`);
    if (ended) return tellUser(run, userId, `${decidedText(ended)}, so your cancel changed nothing.`);
    run.cancelledBy = userId;
    work.cancel();
  });
  return work;
}

/** The result of a run cancelled from Slack: it completes, with outcome `cancelled` (reported already). */
export function cancelledResult({ run, ledger, review }: RunParts): PipelineResult {
  return { workflowId: run.workflowId, topic: run.topic, article: review.article, decision: run.decision!, versions: review.version, usage: ledger.summary() };
}

/** Where a failure came from: the failed activity's type and the innermost typed failure. */
export function rootCause(error: unknown): { activity?: string; type?: string; message: string; usage?: LlmUsage } {
  let activity: string | undefined;
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error) {
    if (current instanceof ActivityFailure) activity = current.activityType;
    if (current instanceof ApplicationFailure) {
      const usage = usageOf(current.details?.[0]);
      return { activity, type: current.type ?? undefined, message: current.message, ...(usage ? { usage } : {}) };
    }
    if (current instanceof TimeoutFailure) return { activity, type: 'TimeoutFailure', message: current.message };
    message = current.message;
    current = current.cause;
  }
  return { activity, message };
}

/** Reports the cancellation in a scope the cancellation cannot interrupt; the caller then rethrows it. */
export async function reportCancellation({ run, ledger, status, budget, review }: RunParts, threadOpened: Promise<void>): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    const { cancelledBy } = run;
    const decision = { outcome: 'cancelled' as const, ...(cancelledBy ? { by: cancelledBy } : {}), at: new Date().toISOString(), version: review.version };
    run.decision = decision;
    ledger.skipUnfinished();
    status.runState = 'stopped';
    status.enter('cancelled', cancelledBy ? `Cancelled by <@${cancelledBy}>` : 'Cancelled');
    try {
      await threadOpened.catch(() => undefined);
      if (review.draftTs) await slack.recordDecision({ ...review.card(), draftTs: review.draftTs, decision });
      await budget.closeOnCancel(cancelledBy);
      if (run.posted.threadTs) {
        await slack.postOutcome({ ...threadOf(run), topic: run.topic, decision, usage: ledger.summary(), budgetUsd: budget.budgetUsd, versions: review.version });
      }
    } catch (postError) {
      log.error('Could not report the cancellation', { error: String(postError) });
    }
    await status.close();
  });
}

/** Reports a failed step in the thread; returns the failure the run ends with. */
export async function reportFailure({ run, ledger, status, budget }: RunParts, error: unknown, threadOpened: Promise<void>): Promise<ApplicationFailure> {
  const cause = rootCause(error);
  const running = ledger.running();
  // A Slack step can fail while research runs beside it: blame a running LLM step only when it failed.
  const failed = running.find((s) => s.step === cause.activity) ?? (cause.activity ? undefined : running[0]);
  // The failed step's calls were billed all the same (an answer that could not be used, a repair):
  // their tokens, carried in the failure's details, count toward the total shown.
  if (failed && cause.usage) ledger.record(failed, cause.usage);
  for (const entry of running) Object.assign(entry, { state: entry === failed ? 'failed' : 'skipped', endedAt: Date.now() });
  const where = failed?.label ?? cause.activity ?? status.stage;
  const explanation = explainFailure(cause.type);
  status.runState = 'failed';
  status.enter('failed', `${where} failed: ${explanation}`);
  try {
    await threadOpened.catch(() => undefined);
    // Without a thread (the channel refused the first post) there is nowhere to say it; the Web UI shows it.
    if (run.posted.threadTs) {
      await slack.postFailure({ ...threadOf(run), step: where, explanation, detail: cause.message, usage: ledger.summary(), budgetUsd: budget.budgetUsd });
    }
  } catch (postError) {
    log.error('Could not post the failure reply', { error: String(postError) });
  }
  await status.close();
  return ApplicationFailure.create({
    type: cause.type ?? 'PipelineFailed',
    message: `${where} failed: ${explanation}`,
    nonRetryable: true,
    cause: error instanceof Error ? error : undefined,
  });
}

/** The usage an LLM failure carries in `details[0].usage` (src/activities/llm-errors.ts), if any. */
function usageOf(details: unknown): LlmUsage | undefined {
  const usage = (details as { usage?: Partial<LlmUsage> } | undefined)?.usage;
  return usage && typeof usage.model === 'string' && typeof usage.totalTokens === 'number' && usage.totalTokens > 0 ? (usage as LlmUsage) : undefined;
}
