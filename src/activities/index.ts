/**
 * All activities, built from their dependencies. Only the worker entry builds real clients;
 * tests build the same activities over stand-ins.
 */
import { createKbActivities, type KbActivityDeps } from './kb.js';
import { createEstimateActivities } from './estimates.js';
import { createNoticeActivities } from './notices.js';
import { createLlmActivities, type LlmActivityDeps } from './llm.js';
import { createSlackActivities, type SlackActivityDeps } from './slack.js';

export type ActivityDeps = LlmActivityDeps & SlackActivityDeps & KbActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createLlmActivities(deps),
    ...createSlackActivities(deps),
    ...createKbActivities(deps),
    ...createEstimateActivities(),
    ...createNoticeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { EstimateActivities } from './estimates.js';
export type { NoticeActivities } from './notices.js';
export type { LlmActivities } from './llm.js';
export type { KbActivities } from './kb.js';
export type { SlackActivities } from './slack.js';
