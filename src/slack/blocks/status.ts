/**
 * The live status message: one thread reply, edited in place as the pipeline moves.
 */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../shared/duration.js';
import { formatBudget, formatUsd } from '../../shared/pricing.js';
import type { RunState, StatusView, StepState, StepView } from '../../shared/progress.js';
import { CANCEL_ACTION_ID, type SlackMessage } from './pipeline.js';
import { cut, userText } from './text.js';
import { tokens, totalCost } from './usage.js';

const STEP_ICONS: Record<StepState, string> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
};

const RUN_TITLES: Record<RunState, string> = {
  running: ':arrows_counterclockwise: *Pipeline running*',
  waiting: ':double_vertical_bar: *Pipeline waiting for you*',
  completed: ':white_check_mark: *Pipeline finished*',
  stopped: ':octagonal_sign: *Pipeline stopped*',
  failed: ':x: *Pipeline failed*',
};

export function stepLine(step: StepView): string {
  const parts = [`${STEP_ICONS[step.state]} *${step.label}*`];
  if (step.tokens !== undefined) parts.push(tokens(step.tokens), step.unpriced ? 'cost unknown' : formatUsd(step.costUsd));
  if (step.durationMs !== undefined && step.state !== 'pending') parts.push(formatDuration(step.durationMs));
  if (step.state === 'running' && step.tokens === undefined && !step.note) parts.push('running…');
  if (step.note) parts.push(step.note);
  return parts.join(' · ');
}

export function statusMessage(view: StatusView): SlackMessage {
  const total = `${tokens(view.totalTokens)} · ${totalCost(view.totalCostUsd, view.unpricedSteps)} of ${formatBudget(view.budgetUsd)} budget`;
  const live = view.state === 'running' || view.state === 'waiting';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${RUN_TITLES[view.state]} · ${userText(view.topic, 150)}` } },
    // Slack refuses a section with empty text (1 to 3,000 characters): no steps, no section.
    ...(view.steps.length > 0 ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: view.steps.map(stepLine).join('\n') } }] : []),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${cut(view.headline, 500)}\n${live ? 'Total so far' : 'Total'}: ${total} · elapsed ${formatDuration(view.elapsedMs)}`,
        },
      ],
    },
  ];
  if (live) {
    blocks.push({
      type: 'actions',
      block_id: 'status_actions',
      elements: [{ type: 'button', action_id: CANCEL_ACTION_ID, text: { type: 'plain_text', text: 'Cancel pipeline' }, value: view.workflowId }],
    });
  }
  return { text: `Pipeline status: ${view.state} · ${tokens(view.totalTokens)} · ${formatUsd(view.totalCostUsd)}`, blocks };
}
