/**
 * Status reporting: the run's stage and headline, the one live status message in the thread
 * (a single writer, so edits never arrive out of order), and what the Web UI shows (memo,
 * search attributes, current details).
 */
import { CancellationScope, condition, isCancellation, log, setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { formatBudget, formatUsd } from '../shared/money.js';
import { STEP_LABELS, type RunState, type StatusView, type StepState, type StepView } from '../shared/progress.js';
import { statusSlack } from './activities.js';
import type { CostLedger } from './ledger.js';
import type { Stage } from './messages.js';
import type { RunContext } from './run.js';
import { CostUsdAttribute, StageAttribute, stageAttributeValue } from './search-attributes.js';

/** What the status reads from the modules that own it. */
export interface StatusSources {
  version(): number;
  budgetUsd(): number;
}

export class StatusReporter {
  stage: Stage = 'starting';
  runState: RunState = 'running';
  private headline = 'Starting…';
  private sources: StatusSources = { version: () => 0, budgetUsd: () => 0 };
  private dirty = false;
  private closing = false;
  private writer: Promise<void> | undefined;
  // Memo and search attributes are written only when they change: each write is a history event
  // and a visibility update on the server, and most refreshes change only the status message.
  private lastMemo = '';
  private lastAttributes = '';

  constructor(
    private readonly run: RunContext,
    private readonly ledger: CostLedger,
  ) {}

  watch(sources: StatusSources): void {
    this.sources = sources;
  }

  /** Starts the writer. Not cancellable: when the run is cancelled, it still shows how it ended. */
  start(): void {
    this.writer = CancellationScope.nonCancellable(() => this.write());
  }

  /** The status message is posted showing this view: nothing to edit until something changes. */
  firstView(): StatusView {
    const view = this.view();
    this.dirty = false;
    return view;
  }

  /** Enters a stage and says so everywhere. */
  enter(next: Stage, line: string): void {
    this.stage = next;
    this.refresh(line);
  }

  /** A transient stage (one Slack call, then the next): not worth a status edit or a visibility update. */
  pass(next: Stage): void {
    this.stage = next;
  }

  refresh(line?: string): void {
    if (line) this.headline = line;
    this.dirty = true;
    const usage = this.ledger.summary();
    const costUsd = Number(usage.costUsd.toFixed(6));
    const budgetUsd = this.sources.budgetUsd();
    const { decision } = this.run;
    const memo = {
      stage: this.stage, version: this.sources.version(), totalTokens: usage.totalTokens, costUsd, budgetUsd,
      // The Home tab links each pipeline to its thread.
      ...(this.run.posted.threadTs ? { threadTs: this.run.posted.threadTs } : {}),
      ...(decision ? { outcome: decision.outcome, decidedBy: decision.by ?? null } : {}),
    };
    if (JSON.stringify(memo) !== this.lastMemo) {
      this.lastMemo = JSON.stringify(memo);
      upsertMemo(memo);
    }
    const attributes = `${this.stage}|${costUsd}`;
    if (this.run.settings.searchAttributes && attributes !== this.lastAttributes) {
      this.lastAttributes = attributes;
      upsertSearchAttributes([
        { key: StageAttribute, value: stageAttributeValue(this.stage) },
        { key: CostUsdAttribute, value: costUsd },
      ]);
    }
    setCurrentDetails(`**${this.stage}** · v${this.sources.version()} · ${usage.totalTokens} tokens · ${formatUsd(usage.costUsd)} of ${formatBudget(budgetUsd)}`);
  }

  /** Lets the writer post its last edit, then ends it. */
  async close(): Promise<void> {
    this.closing = true;
    await this.writer;
  }

  view(): StatusView {
    const usage = this.ledger.summary();
    const now = Date.now();
    const { decision } = this.run;
    const version = this.sources.version();
    const steps: StepView[] = this.ledger.steps.map((s) => ({
      key: s.step,
      label: s.label,
      state: s.state,
      ...(s.usage ? { tokens: s.usage.totalTokens, unpriced: s.costUsd === undefined } : {}),
      ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
      ...(s.startedAt !== undefined ? { durationMs: (s.endedAt ?? now) - s.startedAt } : {}),
    }));
    const stage = this.stage;
    const reviewState: StepState =
      decision ? (decision.outcome === 'approved' || decision.outcome === 'rejected' ? 'done' : 'skipped')
      : stage === 'awaiting-review' || stage === 'posting-draft' || stage === 'revising' ? 'running'
      : stage === 'failed' || stage === 'stopped' || stage === 'cancelled' ? 'skipped'
      : 'pending';
    const reviewNote =
      decision?.outcome === 'approved' ? `approved by <@${decision.by}>${decision.edit ? ' (edited)' : ''}`
      : decision?.outcome === 'rejected' ? `rejected by <@${decision.by}>`
      : decision?.outcome === 'expired' ? 'expired without a decision'
      : reviewState === 'running' ? `v${Math.max(version, 1)} waiting for a reviewer`
      : undefined;
    steps.push({ key: 'review', label: STEP_LABELS.review, state: reviewState, ...(reviewNote ? { note: reviewNote } : {}) });
    return {
      workflowId: this.run.workflowId,
      topic: this.run.topic,
      state: this.runState,
      steps,
      totalTokens: usage.totalTokens,
      totalCostUsd: usage.costUsd,
      unpricedSteps: this.ledger.unpricedLabels(),
      budgetUsd: this.sources.budgetUsd(),
      elapsedMs: now - this.run.startedAt,
      headline: this.headline,
    };
  }

  private async write(): Promise<void> {
    const { posted, channel } = this.run;
    for (;;) {
      // Edits wait for the status message itself (openThread), which research does not wait for.
      await condition(() => (this.dirty && posted.statusTs !== undefined) || this.closing);
      if (!this.dirty || posted.statusTs === undefined) return;
      this.dirty = false;
      try {
        await statusSlack.updateStatus({ channel, ts: posted.statusTs, view: this.view() });
      } catch (error) {
        if (isCancellation(error)) throw error;
        // A stale progress line is not worth failing a pipeline over.
        log.warn('Could not update the status message', { error: String(error) });
      }
    }
  }
}
