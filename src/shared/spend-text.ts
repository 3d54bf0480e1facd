/**
 * Words for a workspace spend ceiling (TEAM_DAILY_USD, TEAM_MONTHLY_USD, USER_DAILY_USD), shared by
 * the workflow (which records them in history with the decision) and the Slack blocks. Pure.
 */
import { formatBudget } from './money.js';

/**
 * A spend ceiling refused a step's call. Allow never raises a ceiling: it means "wait for the reset,
 * then go on"; when the reset comes after the run's own deadline, only Stop is offered.
 */
export interface CeilingQuestion {
  limit: 'team-daily' | 'team-monthly' | 'user-daily';
  usedUsd: number;
  limitUsd: number;
  /** ISO 8601: when the ceiling's day or month ends. */
  resetsAt: string;
  /** False when the reset is after the run's deadline (PIPELINE_TIMEOUT): waiting cannot help. */
  canWait: boolean;
}

export const CEILING_NAMES: Record<CeilingQuestion['limit'], { name: string; setting: string; period: string }> = {
  'team-daily': { name: "the team's daily spend ceiling", setting: 'TEAM_DAILY_USD', period: 'today' },
  'team-monthly': { name: "the team's monthly spend ceiling", setting: 'TEAM_MONTHLY_USD', period: 'this month' },
  'user-daily': { name: "the requester's daily spend ceiling", setting: 'USER_DAILY_USD', period: 'today' },
};

/** "the team's daily spend ceiling ($20.00, TEAM_DAILY_USD)". */
export function ceilingText(ceiling: Pick<CeilingQuestion, 'limit' | 'limitUsd'>): string {
  const names = CEILING_NAMES[ceiling.limit];
  return `${names.name} (${formatBudget(ceiling.limitUsd)}, ${names.setting})`;
}
