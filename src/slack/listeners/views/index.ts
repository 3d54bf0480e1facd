import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';
import { registerReviewModals } from './review-modals.js';

export function registerViews(app: App, deps: ListenerDeps): void {
  registerReviewModals(app, deps);
}
