import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';
import { registerHome } from './home.js';
import { registerMembershipEvents } from './membership.js';

export function registerEvents(app: App, deps: ListenerDeps): void {
  registerHome(app, deps);
  registerMembershipEvents(app, deps);
}
