/**
 * Allow +$Z / Stop on a budget question, forwarded as the budget signal.
 */
import type { App } from '@slack/bolt';
import { BUDGET_ALLOW_ACTION_ID, BUDGET_STOP_ACTION_ID } from '../../blocks/budget.js';
import type { ListenerDeps } from '../deps.js';
import { registerForwardingButton } from './forward.js';

export function registerBudgetActions(app: App, { pipelines }: ListenerDeps): void {
  // A budget question from another channel's pipeline is refused like any other card button.
  const options = { channelOf: async (workflowId: string) => (await pipelines.describe(workflowId))?.channel };
  registerForwardingButton(app, BUDGET_ALLOW_ACTION_ID, (workflowId, userId) => pipelines.answerBudget(workflowId, 'allow', userId), options);
  registerForwardingButton(app, BUDGET_STOP_ACTION_ID, (workflowId, userId) => pipelines.answerBudget(workflowId, 'stop', userId), options);
}
