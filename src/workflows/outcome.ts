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
import type { Decision, PipelineResult, UnpublishedArticle } from './messages.js';
import { channelErrorOf } from './opening.js';
import type { ReviewLoop } from './review.js';
import { threadOf, type RunContext } from './run.js';

type PublishedAt = NonNullable<PipelineResult['published']>;
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
  const publishing: UnpublishedArticle | undefined = approved
    ? {
      channel: settings.publishChannel ?? channel, sourceChannel: channel, threadTs: run.posted.threadTs!, slackError: '',
      requestedBy, approvedBy: outcome.by ?? requestedBy, edited: outcome.edit !== undefined,
      costUsd: usage.costUsd, costComplete: usage.unpricedSteps.length === 0,
    }
    : undefined;
  // The card and the publication do not depend on each other: both at once.
  const [, publication] = await Promise.all([
    review.draftTs ? slack.recordDecision({ ...review.card(), draftTs: review.draftTs, decision: outcome }) : undefined,
    publishing ? publish(run, publishing, article, review.version) : undefined,
  ]);
  const published = publication?.published;
  const unpublished = publication?.unpublished;
  if (unpublished) {
    // The bot was removed from the channel, or it was archived: the thread says what to do, and the
    // approved article stays in the result for `/research publish <workflow-id>`.
    await slack.postPublishFailed({
      ...threadOf(run), publishChannel: unpublished.channel, slackError: unpublished.slackError, command: run.command,
      ...(run.botUserId ? { botUserId: run.botUserId } : {}),
    });
  }
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
  return { workflowId, topic, article, decision: outcome, versions: review.version, usage, ...(published ? { published } : {}), ...(unpublished ? { unpublished } : {}) };
}

/** Publishes the approved article; a channel the bot cannot post in is reported, not a failed run. */
async function publish(run: RunContext, target: UnpublishedArticle, article: string, versions: number): Promise<{ published?: PublishedAt; unpublished?: UnpublishedArticle }> {
  const { workflowId, topic } = run;
  try {
    const published = await slack.publishArticle({
      channel: target.channel, sourceChannel: target.sourceChannel, threadTs: target.threadTs, workflowId, topic, article,
      requestedBy: target.requestedBy, approvedBy: target.approvedBy, versions, edited: target.edited,
      costUsd: target.costUsd, costComplete: target.costComplete,
    });
    return { published };
  } catch (error) {
    const slackError = channelErrorOf(error);
    if (slackError === undefined) throw error;
    return { unpublished: { ...target, slackError } };
  }
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
