/**
 * The budget guard: before a call (or a group of parallel calls) that could cross the run's
 * budget, it asks a person in the thread (Allow +$ / Stop) and waits for the answer.
 */
import { ActivityFailure, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { BUDGET_EXCEEDED, type BudgetExceededDetails } from '../shared/failure-types.js';
import { formatBudget } from '../shared/money.js';
import type { RecordBudgetAnswerInput } from '../activities/slack.js';
import { slack } from './activities.js';
import type { Authority } from './authority.js';
import type { CostLedger } from './ledger.js';
import { spendersText, tellUser } from './notices.js';
import { budgetSignal, type BudgetAction, type Decision } from './messages.js';
import { threadOf, type RunContext } from './run.js';
import type { StatusReporter } from './status.js';

/** The details of an activity's BudgetExceededError, or undefined for any other error. */
function overBudgetOf(error: unknown): BudgetExceededDetails | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== BUDGET_EXCEEDED) return undefined;
  return cause.details?.[0] as BudgetExceededDetails | undefined;
}

export class BudgetGuard {
  budgetUsd: number;
  private answer: BudgetAction | undefined;
  private questionOpen = false;
  /** The question on screen, so a cancellation can take its buttons away. */
  private onScreen: Omit<RecordBudgetAnswerInput, 'answer' | 'by'> | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly ledger: CostLedger,
    private readonly status: StatusReporter,
    private readonly authority: Authority,
  ) {
    this.budgetUsd = run.settings.maxCostUsd;
    setHandler(budgetSignal, async (action) => {
      const allowed = await this.authority.maySpend(action.userId);
      const unchanged = 'so your click changed nothing';
      const answered = this.answer;
      const reason =
        !allowed ? `Only ${spendersText(this.run)} can answer a budget question, ${unchanged}.`
        : answered ? `<@${answered.userId}> already answered this budget question (${answered.answer === 'allow' ? 'allowed' : 'stopped'}), ${unchanged}.`
        : !this.questionOpen ? `This budget question is closed, ${unchanged}.`
        : undefined;
      if (reason) return tellUser(this.run, action.userId, reason);
      this.answer = action;
    });
  }

  /** Whether a call of this worst-case cost fits what is left; an unpriced model cannot be compared ("cost unknown"). */
  fits(worstCaseUsd: number | undefined): boolean {
    return worstCaseUsd === undefined || this.ledger.spentUsd() + worstCaseUsd <= this.budgetUsd;
  }

  /** Asks a person while the call does not fit. Returns the person's stop, or undefined to go ahead. */
  async guard(label: string, worstCaseUsd: number | undefined): Promise<Decision | undefined> {
    if (worstCaseUsd === undefined) return undefined;
    const { settings } = this.run;
    while (!this.fits(worstCaseUsd)) {
      const spent = this.ledger.spentUsd();
      const increase = Math.ceil(Math.max(settings.maxCostUsd, spent + worstCaseUsd - this.budgetUsd) * 100) / 100;
      const previousStage = this.status.stage;
      const previousRunState = this.status.runState;
      this.status.runState = 'waiting';
      this.status.enter('awaiting-budget', `Waiting for a budget decision before ${label}`);
      this.answer = undefined;
      this.questionOpen = true;
      const question = await slack.askBudget({
        ...threadOf(this.run), step: label, budgetUsd: this.budgetUsd, spentUsd: spent, estimateUsd: worstCaseUsd, increaseUsd: increase,
      });
      this.onScreen = { channel: this.run.channel, ts: question.ts, step: label, budgetUsd: this.budgetUsd, estimateUsd: worstCaseUsd, increaseUsd: increase };
      // The question is open for REVIEW_TIMEOUT, and never past the run's deadline.
      const window = this.run.deadline.bound(settings.reviewTimeoutMs);
      const answered = window > 0 ? await condition(() => this.answer !== undefined, window) : this.answer !== undefined;
      this.questionOpen = false;
      this.onScreen = undefined;
      const answer = this.answer ?? { answer: 'stop' as const, userId: '' };
      const expired = !answered && this.run.deadline.passed();
      await slack.recordBudgetAnswer({
        channel: this.run.channel, ts: question.ts, step: label, budgetUsd: this.budgetUsd, estimateUsd: worstCaseUsd, increaseUsd: increase,
        answer: answer.answer, ...(answered ? { by: answer.userId } : {}), ...(expired ? { expired } : {}),
      });
      this.status.runState = previousRunState;
      if (expired) return { outcome: 'expired', at: new Date().toISOString(), deadline: true };
      if (answer.answer === 'stop') {
        return { outcome: 'stopped', ...(answered ? { by: answer.userId } : {}), at: new Date().toISOString() };
      }
      this.budgetUsd += increase;
      this.status.enter(previousStage, `Budget raised to ${formatBudget(this.budgetUsd)} by <@${answer.userId}>`);
    }
    return undefined;
  }

  /**
   * Makes a call that checks the budget itself (given what is left, it refuses with
   * BudgetExceededError before asking the model): a refusal becomes the usual question, and the
   * call is made again once a person allows more. `refused` undoes what the call's start showed.
   */
  async spend<T>(label: string, call: (remainingUsd: number) => Promise<T>, refused: () => void): Promise<{ value: T } | { stop: Decision }> {
    for (;;) {
      try {
        return { value: await call(this.budgetUsd - this.ledger.spentUsd()) };
      } catch (error) {
        const over = overBudgetOf(error);
        if (!over) throw error;
        refused();
        const stop = await this.guard(label, over.worstCaseUsd);
        if (stop) return { stop };
      }
    }
  }

  /** Takes the buttons off a question still on screen when the run is cancelled ("Stopped by" who cancelled). */
  async closeOnCancel(by: string | undefined): Promise<void> {
    if (!this.onScreen) return;
    const question = this.onScreen;
    this.onScreen = undefined;
    await slack.recordBudgetAnswer({ ...question, answer: 'stop', ...(by ? { by } : {}) });
  }
}
