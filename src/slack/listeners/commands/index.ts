import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';
import { registerResearchCommand } from './research.js';

export function registerCommands(app: App, deps: ListenerDeps): void {
  registerResearchCommand(app, deps);
}
