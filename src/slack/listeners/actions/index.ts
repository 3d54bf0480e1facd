import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';
import { registerBudgetActions } from './budget.js';
import { registerReviewActions } from './review.js';

export function registerActions(app: App, deps: ListenerDeps): void {
  registerReviewActions(app, deps);
  registerBudgetActions(app, deps);
}
