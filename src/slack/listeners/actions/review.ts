/**
 * Approve / Reject on a draft card, forwarded as Temporal signals.
 * The workflow, not this listener, decides whether the click counts (first decision wins).
 */
import type { App } from '@slack/bolt';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../blocks/pipeline.js';
import type { ListenerDeps } from '../deps.js';
import { registerForwardingButton } from './forward.js';

export function registerReviewActions(app: App, { pipelines }: ListenerDeps): void {
  registerForwardingButton(app, APPROVE_ACTION_ID, (workflowId, userId) => pipelines.review(workflowId, 'approved', userId));
  registerForwardingButton(app, REJECT_ACTION_ID, (workflowId, userId) => pipelines.review(workflowId, 'rejected', userId));
}
