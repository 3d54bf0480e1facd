/**
 * The evidence check of each draft written from the team's documents: which statements a cited
 * passage supports, which come from general knowledge, which are unsupported. Its result goes on
 * the draft card; its tokens go in the ledger like any step. A check that cannot run (budget,
 * failure) never holds the draft back: the card says the evidence was not checked, and why.
 */
import { isCancellation, log } from '@temporalio/workflow';
import { llmActivities } from './activities.js';
import { spendRefusalOf, type BudgetGuard } from './budget.js';
import { ceilingText } from '../shared/spend-text.js';
import { estimateCost } from './estimates.js';
import type { CostLedger } from './ledger.js';
import type { EvidenceReport, Grounding, GroundingCard } from './messages.js';
import type { RunContext } from './run.js';

export class EvidenceCheck {
  private report: EvidenceReport | undefined;
  private note: string | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly ledger: CostLedger,
    private readonly budget: BudgetGuard,
    private readonly grounding: Grounding | undefined,
  ) {}

  /** Checks a draft version; afterwards `card()` describes it. */
  async check(article: string, version: number): Promise<void> {
    this.report = undefined;
    this.note = undefined;
    const passages = this.grounding?.passages ?? [];
    if (!passages.length) return;
    const { settings } = this.run;
    const cost = await estimateCost(this.run, this.ledger, { step: 'evidence', model: settings.writerModel, article, passages });
    if (!this.budget.fits(cost)) {
      this.note = 'Evidence not checked: it would have gone over the budget.';
      return;
    }
    try {
      const checked = await llmActivities(settings.llmAttemptTimeoutMs).checkEvidence({ article, passages, ...(this.run.payer ? { spend: this.run.payer } : {}) });
      this.ledger.addStep('checkEvidence', checked.usage, version);
      this.report = checked.output;
    } catch (error) {
      if (isCancellation(error)) throw error;
      // A spend ceiling never holds the draft back either: the card says so, and which ceiling.
      const refusal = spendRefusalOf(error);
      if (refusal) {
        this.note = `Evidence not checked: ${ceilingText(refusal)} was reached. Read the cited sources before approving.`;
        return;
      }
      log.warn('Evidence check failed; the draft is posted without it', { error: String(error) });
      this.note = 'Evidence not checked: the check failed (details in the Temporal UI). Read the cited sources before approving.';
    }
  }

  card(): { sources?: GroundingCard } {
    if (!this.grounding) return {};
    return {
      sources: {
        grounding: this.grounding,
        ...(this.report ? { evidence: this.report } : {}),
        ...(this.note ? { evidenceNote: this.note } : {}),
      },
    };
  }
}
