/**
 * Allow +$Z / Stop on a budget question, forwarded as the budget signal. Only the requester and
 * the reviewers may spend more or stop (checked here for an immediate answer; the workflow checks
 * again and has the final word).
 */
import type { App } from '@slack/bolt';
import { BUDGET_ALLOW_ACTION_ID, BUDGET_STOP_ACTION_ID } from '../../blocks/budget.js';
import { mayCancel, spendersText } from '../authorization.js';
import type { ListenerDeps } from '../deps.js';
import { pipelineCheck, registerForwardingButton } from './forward.js';


export function registerBudgetActions(app: App, deps: ListenerDeps): void {
  const { pipelines } = deps;
  const check = pipelineCheck(
    (workflowId) => pipelines.describe(workflowId),
    async (facts, click) => ((await mayCancel(deps, click.userId, facts.requestedBy, facts)) ? undefined : `Only ${spendersText(deps)} can answer its budget question, so nothing changed.`),
  );
  registerForwardingButton(app, BUDGET_ALLOW_ACTION_ID, ({ workflowId, userId }) => pipelines.answerBudget(workflowId, 'allow', userId), check);
  registerForwardingButton(app, BUDGET_STOP_ACTION_ID, ({ workflowId, userId }) => pipelines.answerBudget(workflowId, 'stop', userId), check);
}
