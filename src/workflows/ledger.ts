/**
 * The cost ledger: one record per LLM step (state, timing, usage), priced from the usage its
 * activity returned. Every figure the thread, the card, the budget guard and the result show
 * is summed here, so they always agree.
 */
import { costOf, type PriceTable } from '../shared/money.js';
import { STEP_LABELS, type StepState } from '../shared/progress.js';
import type { LlmStep, LlmUsage, ResearchBundle, UsageSummary } from './messages.js';

export const RESEARCH_STEPS = ['researchTopic', 'findExamples', 'getStatistics'] as const;

export interface StepRecord {
  step: LlmStep;
  label: string;
  version?: number;
  state: StepState;
  startedAt?: number;
  endedAt?: number;
  usage?: LlmUsage;
  costUsd?: number;
}

export class CostLedger {
  readonly steps: StepRecord[];
  /** Prices as the estimateBudget activity reported them (recorded in history), never read from code. */
  private prices: PriceTable = {};

  constructor() {
    this.steps = RESEARCH_STEPS.map((step) => ({ step, label: STEP_LABELS[step], state: 'pending' }));
    this.steps.push({ step: 'writeArticle', label: STEP_LABELS.writeArticle, state: 'pending', version: 1 });
  }

  stepOf(step: LlmStep, version?: number): StepRecord {
    return this.steps.find((s) => s.step === step && (version === undefined || s.version === version))!;
  }

  researchSteps(): StepRecord[] {
    return RESEARCH_STEPS.map((step) => this.stepOf(step));
  }

  begin(...entries: StepRecord[]): void {
    for (const entry of entries) Object.assign(entry, { state: 'running', startedAt: Date.now() });
  }

  usePrices(prices: PriceTable): void {
    this.prices = prices;
  }

  /** The price table in use (as recorded by the run's estimates), for an activity that checks its own budget. */
  priceTable(): PriceTable {
    return this.prices;
  }

  /** A revision is a step of its own, added when it is asked for. */
  addRevision(version: number): StepRecord {
    const entry: StepRecord = { step: 'reviseArticle', label: `Revision v${version}`, state: 'pending', version };
    this.steps.push(entry);
    return entry;
  }

  record(entry: StepRecord, usage: LlmUsage): void {
    entry.usage = usage;
    entry.costUsd = costOf(usage, this.prices);
    entry.state = 'done';
    entry.endedAt ??= Date.now();
  }

  /** A research step the child reported early; a late or duplicate report changes nothing. Returns whether it counted. */
  recordReport(step: LlmStep, usage: LlmUsage): boolean {
    const entry = this.stepOf(step);
    if (entry.state !== 'running') return false;
    this.record(entry, usage);
    return true;
  }

  /** The child's result is authoritative: progress reports may have been missed or come late. */
  recordResearch(research: ResearchBundle): void {
    const docsOnly = research.grounding?.docsOnly === true;
    for (const step of RESEARCH_STEPS) {
      const entry = this.stepOf(step);
      if (docsOnly) entry.state = 'skipped';
      else if (entry.state !== 'done') this.record(entry, research.usage[step]);
    }
    // The retrieval query's embedding tokens, counted like any other step once there were some.
    if (research.groundingUsage?.totalTokens) this.addStep('retrieveContext', research.groundingUsage);
  }

  /** A step that ran outside the fixed plan (retrieval, an evidence check), recorded at once. */
  addStep(step: LlmStep, usage: LlmUsage, version?: number): StepRecord {
    const entry: StepRecord = { step, label: STEP_LABELS[step], state: 'running', ...(version !== undefined ? { version } : {}), startedAt: Date.now() };
    // Retrieval belongs with the research, before the writing; other extra steps go last.
    if (step === 'retrieveContext') this.steps.splice(RESEARCH_STEPS.length, 0, entry);
    else this.steps.push(entry);
    this.record(entry, usage);
    return entry;
  }

  skipPending(): void {
    for (const entry of this.steps) if (entry.state === 'pending') entry.state = 'skipped';
  }

  skipUnfinished(): void {
    for (const entry of this.steps) if (entry.state === 'running' || entry.state === 'pending') entry.state = 'skipped';
  }

  running(): StepRecord[] {
    return this.steps.filter((s) => s.state === 'running');
  }

  summary(): UsageSummary {
    const done = this.steps.flatMap((s) =>
      s.usage
        ? [{ step: s.step, ...(s.version !== undefined ? { version: s.version } : {}), ...s.usage, ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}) }]
        : [],
    );
    const sum = (pick: (u: LlmUsage) => number) => done.reduce((total, u) => total + pick(u), 0);
    return {
      steps: done,
      inputTokens: sum((u) => u.inputTokens),
      outputTokens: sum((u) => u.outputTokens),
      totalTokens: sum((u) => u.totalTokens),
      costUsd: done.reduce((total, u) => total + (u.costUsd ?? 0), 0),
      unpricedSteps: done.filter((u) => u.costUsd === undefined).map((u) => u.step),
    };
  }

  spentUsd(): number {
    return this.summary().costUsd;
  }

  unpricedLabels(): string[] {
    return this.steps.filter((s) => s.usage && s.costUsd === undefined).map((s) => s.label);
  }
}
