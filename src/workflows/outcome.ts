/**
 * How a run ends well: the decided card, the publication of an approved article, the outcome
 * reply in the thread, and the result the Web UI and `/research status` read.
 */
import type { CancellationScope } from '@temporalio/workflow';
import { slack } from './activities.js';
import type { Authority } from './authority.js';
import type { BudgetGuard } from './budget.js';
import type { CostLedger } from './ledger.js';
import { DeadlineReached } from './deadline.js';
import type { Decision, PipelineResult } from './messages.js';
import type { ReviewLoop } from './review.js';
import { threadOf, type RunContext } from './run.js';
import type { StatusReporter } from './status.js';

export interface RunParts {
  run: RunContext;
  ledger: CostLedger;
  status: StatusReporter;
  budget: BudgetGuard;
  review: ReviewLoop;
  authority: Authority;
  /** The scope the run's work runs in; a permitted Cancel from Slack cancels it. */
  work: CancellationScope;
}

export async function finish({ run, ledger, status, budget, review }: RunParts, outcome: Decision): Promise<PipelineResult> {
  const { workflowId, topic, requestedBy, channel, settings } = run;
  const article = review.article;
  run.decision = outcome;
  ledger.skipPending();
  const approved = outcome.outcome === 'approved';
  if (approved) status.enter('publishing', 'Publishing the approved article');
  // Otherwise transient (one card edit, then the outcome): not worth a status edit of its own.
  else status.pass('recording-decision');
  const usage = ledger.summary();
  // The card and the publication do not depend on each other: both at once.
  const [, published] = await Promise.all([
    review.draftTs ? slack.recordDecision({ ...review.card(), draftTs: review.draftTs, decision: outcome }) : undefined,
    approved
      ? slack.publishArticle({
        channel: settings.publishChannel ?? channel, sourceChannel: channel, threadTs: run.posted.threadTs!, workflowId, topic,
        article, requestedBy, approvedBy: outcome.by ?? requestedBy, versions: review.version, edited: outcome.edit !== undefined,
        costUsd: usage.costUsd, costComplete: usage.unpricedSteps.length === 0,
      })
      : undefined,
  ]);
  await slack.postOutcome({
    ...threadOf(run), topic, decision: outcome, usage, budgetUsd: budget.budgetUsd, versions: review.version, ...(published ? { published } : {}),
  });
  status.runState = outcome.outcome === 'stopped' ? 'stopped' : 'completed';
  const endLine =
    outcome.outcome === 'approved' ? `Approved by <@${outcome.by}>${published ? ' and published' : ''}`
    : outcome.outcome === 'rejected' ? `Rejected by <@${outcome.by}>`
    : outcome.outcome === 'expired' ? (outcome.deadline ? 'Expired: the pipeline reached its time limit' : 'Review expired without a decision')
    : outcome.by ? `Stopped by <@${outcome.by}> at the budget limit` : 'Stopped: the budget question went unanswered';
  status.enter(outcome.outcome === 'stopped' ? 'stopped' : 'completed', endLine);
  return { workflowId, topic, article, decision: outcome, versions: review.version, usage, ...(published ? { published } : {}) };
}

/** Ends the run `expired` when the deadline cut work short (an LLM call still running); rethrows anything else. */
export function finishAtDeadline(parts: RunParts): (error: unknown) => Promise<PipelineResult> {
  return async (error) => {
    if (!(error instanceof DeadlineReached)) throw error;
    parts.ledger.skipUnfinished();
    const version = parts.review.version;
    return finish(parts, { outcome: 'expired', at: new Date().toISOString(), ...(version ? { version } : {}), deadline: true });
  };
}
