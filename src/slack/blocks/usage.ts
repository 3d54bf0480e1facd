/** Shared wording for tokens and money, so every message says them the same way. */
import { formatUsd } from '../../shared/pricing.js';
import { STEP_LABELS } from '../../shared/progress.js';
import type { UsageSummary } from '../../workflows/messages.js';

export function tokens(count: number): string {
  return `${count.toLocaleString('en-US')} tokens`;
}

/** `$0.0012`, or `$0.0012 + cost unknown for Writing the article` when some steps are unpriced. */
export function totalCost(costUsd: number, unpricedLabels: string[]): string {
  if (unpricedLabels.length === 0) return formatUsd(costUsd);
  return `${formatUsd(costUsd)} + cost unknown for ${unpricedLabels.join(', ')}`;
}

/** One line per LLM step: label, model, tokens in/out, cost. */
export function breakdownLines(usage: UsageSummary): string[] {
  return usage.steps.map(
    (step) =>
      `• ${STEP_LABELS[step.step]}${step.step === 'reviseArticle' ? ` v${step.version}` : ''} (${step.model}): ${tokens(step.totalTokens)} ` +
      `(${step.inputTokens.toLocaleString('en-US')} in / ${step.outputTokens.toLocaleString('en-US')} out) · ${formatUsd(step.costUsd)}`,
  );
}

export function usageTotalLine(usage: UsageSummary): string {
  return `Total: ${tokens(usage.totalTokens)} · ${totalCost(usage.costUsd, usage.unpricedSteps.map((s) => STEP_LABELS[s]))}`;
}
