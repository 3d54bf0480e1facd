/**
 * The budget guard: before a call (or a group of parallel calls) that could cross the run's
 * budget, it asks a person in the thread (Allow +$ / Stop) and waits for the answer.
 *
 * It also answers a workspace spend ceiling's refusal (TEAM_DAILY_USD, TEAM_MONTHLY_USD,
 * USER_DAILY_USD; the LLM activity reserved from the spend account and was refused, so the model was
 * not called) with the same question and buttons, answerable by the same people: "Wait for the
 * reset" never raises a ceiling, it sleeps until the ceiling's period ends (never past the run's
 * deadline) and calls again; Stop ends the run. Patch `spend-ceilings` (December 2026): before it,
 * such a refusal failed the run like any failed step.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, setHandler, sleep } from '@temporalio/workflow';
import { BUDGET_EXCEEDED, type BudgetExceededDetails } from '../shared/failure-types.js';
import { ceilingText, type CeilingQuestion } from '../shared/spend-text.js';
import type { SpendRefusal } from './spend-messages.js';
import { SPEND_CEILINGS, spendRefusalOf } from './spend-refusal.js';
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

export { SPEND_CEILINGS, spendRefusalOf };

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
        const refusal = over ? undefined : spendRefusalOf(error);
        if (!over && !(refusal && patched(SPEND_CEILINGS))) throw error;
        refused();
        const stop = over ? await this.guard(label, over.worstCaseUsd) : await this.waitForCeiling(label, refusal!);
        if (stop) return { stop };
      }
    }
  }

  /**
   * Makes a call that reserves from the workspace's spend account: a ceiling's refusal becomes the
   * question (wait for the reset / Stop), and the call is made again after the reset.
   */
  async underCeilings<T>(label: string, call: () => Promise<T>, refused: () => void = () => undefined): Promise<{ value: T } | { stop: Decision }> {
    for (;;) {
      try {
        return { value: await call() };
      } catch (error) {
        const refusal = spendRefusalOf(error);
        if (!refusal || !patched(SPEND_CEILINGS)) throw error;
        refused();
        const stop = await this.waitForCeiling(label, refusal);
        if (stop) return { stop };
      }
    }
  }

  /**
   * Asks whether to wait for a refused ceiling's reset. Returns the stop (or the deadline's expiry),
   * or undefined once the ceiling has reset and the call may be made again.
   */
  async waitForCeiling(label: string, refusal: SpendRefusal): Promise<Decision | undefined> {
    const { settings } = this.run;
    const resetsAt = Date.parse(refusal.resetsAt);
    const deadlineAt = this.run.deadline.at;
    const canWait = deadlineAt === undefined || resetsAt < deadlineAt;
    const ceiling: CeilingQuestion = { limit: refusal.limit, usedUsd: refusal.usedUsd, limitUsd: refusal.limitUsd, resetsAt: refusal.resetsAt, canWait };
    const named = ceilingText(ceiling);
    const previousStage = this.status.stage;
    const previousRunState = this.status.runState;
    this.status.runState = 'waiting';
    this.status.enter('awaiting-budget', `Waiting for a decision: ${label} would pass ${named}`);
    this.answer = undefined;
    this.questionOpen = true;
    const asked = { step: label, budgetUsd: this.budgetUsd, estimateUsd: refusal.requestedUsd, increaseUsd: 0, ceiling };
    const question = await slack.askBudget({ ...threadOf(this.run), ...asked, spentUsd: this.ledger.spentUsd() });
    this.onScreen = { channel: this.run.channel, ts: question.ts, ...asked };
    const window = this.run.deadline.bound(settings.reviewTimeoutMs);
    const answered = window > 0 ? await condition(() => this.answer !== undefined, window) : this.answer !== undefined;
    this.questionOpen = false;
    this.onScreen = undefined;
    const answer: BudgetAction = (this.answer as BudgetAction | undefined) ?? { answer: 'stop', userId: '' };
    const expired = !answered && this.run.deadline.passed();
    // Allow can only mean waiting, and only when the reset comes before the deadline (no button otherwise).
    const waits = answered && answer.answer === 'allow' && canWait;
    await slack.recordBudgetAnswer({
      channel: this.run.channel, ts: question.ts, ...asked,
      answer: waits ? 'allow' : 'stop', ...(answered ? { by: answer.userId } : {}), ...(expired ? { expired } : {}),
    });
    if (expired) {
      this.status.runState = previousRunState;
      return { outcome: 'expired', at: new Date().toISOString(), deadline: true };
    }
    if (!waits) {
      this.status.runState = previousRunState;
      return { outcome: 'stopped', ...(answered ? { by: answer.userId } : {}), at: new Date().toISOString(), ceiling: named };
    }
    this.status.enter('awaiting-budget', `Waiting for ${named} to reset (chosen by <@${answer.userId}>)`);
    const untilReset = resetsAt - Date.now();
    if (untilReset > 0) {
      const remaining = this.run.deadline.remainingMs();
      if (remaining <= untilReset) {
        await sleep(remaining);
        this.status.runState = previousRunState;
        return { outcome: 'expired', at: new Date().toISOString(), deadline: true };
      }
      await sleep(untilReset);
    }
    this.status.runState = previousRunState;
    this.status.enter(previousStage, `${named} has reset: going on with ${label}`);
    return undefined;
  }

  /** Takes the buttons off a question still on screen when the run is cancelled ("Stopped by" who cancelled). */
  async closeOnCancel(by: string | undefined): Promise<void> {
    if (!this.onScreen) return;
    const question = this.onScreen;
    this.onScreen = undefined;
    await slack.recordBudgetAnswer({ ...question, answer: 'stop', ...(by ? { by } : {}) });
  }
}
