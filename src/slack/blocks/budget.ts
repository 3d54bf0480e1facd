/**
 * The budget question: asked before a call that could cross the run's budget, answered with
 * Allow +$Z or Stop, then rewritten to say who answered.
 */
import type { KnownBlock } from '@slack/types';
import { formatBudget, formatUsd } from '../../shared/pricing.js';
import type { BudgetAnswer } from '../../workflows/messages.js';
import { slackDate, type SlackMessage } from './pipeline.js';
import { CEILING_NAMES, ceilingText, type CeilingQuestion } from '../../shared/spend-text.js';

export type { CeilingQuestion };
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
  /** Asked because a workspace spend ceiling refused the call (not the run's own budget). */
  ceiling?: CeilingQuestion;
}

function ceilingQuestionText(step: string, ceiling: CeilingQuestion): string {
  return `${step} would pass ${ceilingText(ceiling)}`;
}

function ceilingQuestionMessage(input: BudgetQuestionInput & { ceiling: CeilingQuestion }): SlackMessage {
  const { ceiling } = input;
  const question = ceilingQuestionText(input.step, ceiling);
  const used = `Used ${CEILING_NAMES[ceiling.limit].period}: ${formatUsd(ceiling.usedUsd)} of ${formatUsd(ceiling.limitUsd)} (spent plus calls in flight); this step could cost up to ${formatUsd(input.estimateUsd)}. The ceiling resets ${slackDate(ceiling.resetsAt)}.`;
  const choice = ceiling.canWait
    ? 'Nothing is called until you decide. *Wait for the reset* goes on after it (no ceiling is raised; an admin can raise it in the settings); *Stop* ends the run now.'
    : "The reset comes after this run's time limit (PIPELINE_TIMEOUT), so it cannot wait for it. *Stop* ends the run now; start it again after the reset, or ask an admin to raise the ceiling.";
  const elements = [
    ...(ceiling.canWait
      ? [{ type: 'button' as const, action_id: BUDGET_ALLOW_ACTION_ID, text: { type: 'plain_text' as const, text: 'Wait for the reset' }, style: 'primary' as const, value: input.workflowId }]
      : []),
    { type: 'button' as const, action_id: BUDGET_STOP_ACTION_ID, text: { type: 'plain_text' as const, text: 'Stop' }, style: 'danger' as const, value: input.workflowId },
  ];
  return {
    text: `${question}: ${ceiling.canWait ? 'wait for the reset or stop?' : 'stop?'}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: *${question}.*\n${used}\n${choice}` } },
      { type: 'actions', block_id: 'budget', elements },
    ],
  };
}

export function budgetQuestionText({ step, budgetUsd, estimateUsd }: Pick<BudgetQuestionInput, 'step' | 'budgetUsd' | 'estimateUsd'>): string {
  return `Budget ${formatBudget(budgetUsd)} would be exceeded by ${step} (estimated ${formatUsd(estimateUsd)})`;
}

export function budgetQuestionMessage(input: BudgetQuestionInput): SlackMessage {
  if (input.ceiling) return ceilingQuestionMessage({ ...input, ceiling: input.ceiling });
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
  /** The question was about a workspace spend ceiling. */
  ceiling?: CeilingQuestion;
}

function ceilingAnsweredMessage(input: BudgetAnsweredInput & { ceiling: CeilingQuestion }): SlackMessage {
  const question = ceilingQuestionText(input.step, input.ceiling);
  const line =
    input.expired
      ? ':hourglass: Expired: the pipeline reached its time limit (PIPELINE_TIMEOUT) before anyone answered'
      : input.answer === 'allow'
      ? `:hourglass_flowing_sand: ${userMention(input.by ?? 'unknown')} chose to wait: the run goes on after the reset, ${slackDate(input.ceiling.resetsAt)} (no ceiling raised)`
      : input.by
        ? `:octagonal_sign: Stopped by ${userMention(input.by)}`
        : ':octagonal_sign: Stopped: nobody answered in time';
  return {
    text: `${question}: ${input.expired ? 'expired' : input.answer === 'allow' ? 'waiting for the reset' : 'stopped'}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:warning: ${question}.` } },
      { type: 'section', block_id: 'budget_answer', text: { type: 'mrkdwn', text: line } },
    ],
  };
}

export function budgetAnsweredMessage(input: BudgetAnsweredInput): SlackMessage {
  if (input.ceiling) return ceilingAnsweredMessage({ ...input, ceiling: input.ceiling });
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
