/**
 * The budget question: asked before a call that could cross the run's budget, answered with
 * Allow +$Z or Stop, then rewritten to say who answered.
 */
import type { KnownBlock } from '@slack/types';
import { formatBudget, formatUsd } from '../../shared/pricing.js';
import type { BudgetAnswer } from '../../workflows/messages.js';
import type { SlackMessage } from './pipeline.js';
import { userMention } from './text.js';

export const BUDGET_ALLOW_ACTION_ID = 'budget_allow';
export const BUDGET_STOP_ACTION_ID = 'budget_stop';

export interface BudgetQuestionInput {
  workflowId: string;
  step: string;
  budgetUsd: number;
  spentUsd: number;
  estimateUsd: number;
  increaseUsd: number;
}

export function budgetQuestionText({ step, budgetUsd, estimateUsd }: Pick<BudgetQuestionInput, 'step' | 'budgetUsd' | 'estimateUsd'>): string {
  return `Budget ${formatBudget(budgetUsd)} would be exceeded by ${step} (estimated ${formatUsd(estimateUsd)})`;
}

export function budgetQuestionMessage(input: BudgetQuestionInput): SlackMessage {
  const question = budgetQuestionText(input);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:warning: *${question}.*\nSpent so far: ${formatUsd(input.spentUsd)}. The estimate is the worst case: the whole prompt plus a full-length answer at list price. Nothing is called until you decide.`,
      },
    },
    {
      type: 'actions',
      block_id: 'budget',
      elements: [
        {
          type: 'button',
          action_id: BUDGET_ALLOW_ACTION_ID,
          text: { type: 'plain_text', text: `Allow +${formatBudget(input.increaseUsd)}` },
          style: 'primary',
          value: input.workflowId,
        },
        { type: 'button', action_id: BUDGET_STOP_ACTION_ID, text: { type: 'plain_text', text: 'Stop' }, style: 'danger', value: input.workflowId },
      ],
    },
  ];
  return { text: `${question}: allow more or stop?`, blocks };
}

export interface BudgetAnsweredInput {
  step: string;
  budgetUsd: number;
  estimateUsd: number;
  increaseUsd: number;
  answer: BudgetAnswer;
  /** Absent when nobody answered in time. */
  by?: string;
  /** The run reached its time limit (PIPELINE_TIMEOUT) before anyone answered. */
  expired?: boolean;
}

export function budgetAnsweredMessage(input: BudgetAnsweredInput): SlackMessage {
  const question = budgetQuestionText(input);
  const line =
    input.expired
      ? ':hourglass: Expired: the pipeline reached its time limit (PIPELINE_TIMEOUT) before anyone answered'
      : input.answer === 'allow'
      ? `:white_check_mark: Allowed +${formatBudget(input.increaseUsd)} by ${userMention(input.by ?? 'unknown')}: budget now ${formatBudget(input.budgetUsd + input.increaseUsd)}`
      : input.by
        ? `:octagonal_sign: Stopped by ${userMention(input.by)}`
        : ':octagonal_sign: Stopped: nobody answered in time';
  return {
    text: `${question}: ${input.expired ? 'expired' : input.answer === 'allow' ? 'allowed' : 'stopped'}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: ${question}.` } },
      { type: 'section', block_id: 'budget_answer', text: { type: 'mrkdwn', text: line } },
    ],
  };
}
