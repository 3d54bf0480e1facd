/**
 * What people are told about the spend ceilings (TEAM_DAILY_USD, TEAM_MONTHLY_USD, USER_DAILY_USD,
 * MAX_RUNNING_PER_USER): a refused `/research` (which limit, what is used of it, when it resets,
 * what to do, and the topic echoed so nothing is lost), and usage against each ceiling for App
 * Home and `/research status`. Pure text builders.
 */
import type { SpendConfig } from '../../config.js';
import { formatBudget } from '../../shared/pricing.js';
import type { SpendLimit, SpendUsage } from '../../workflows/spend-messages.js';
import type { AdmissionRefusal } from '../../temporal/admission.js';
import { userText } from './text.js';
import { CEILING_NAMES } from '../../shared/spend-text.js';

export type { AdmissionRefusal };

/** The setting that sets each limit, named so the person can ask for the right change. */
export const LIMIT_SETTINGS: Record<SpendLimit | 'user-running', string> = {
  'team-daily': CEILING_NAMES['team-daily'].setting,
  'team-monthly': CEILING_NAMES['team-monthly'].setting,
  'user-daily': CEILING_NAMES['user-daily'].setting,
  'user-running': 'MAX_RUNNING_PER_USER',
};

/** "the team's daily limit", "your daily limit", "the team's monthly limit". */
export function spendLimitName(limit: SpendLimit): string {
  switch (limit) {
    case 'team-daily':
      return "the team's daily limit";
    case 'team-monthly':
      return "the team's monthly limit";
    case 'user-daily':
      return 'your daily limit';
  }
}

/** `$1.20`: two decimals (four below a cent), the way budgets are shown. */
export function dollars(amount: number): string {
  return formatBudget(Math.max(0, amount));
}

/**
 * A moment as Slack's date token, which each reader sees in their own time zone
 * (https://api.slack.com/reference/surfaces/formatting#date-formatting); the fallback is UTC.
 */
export function slackDateToken(iso: string): string {
  return `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} at {time}|${plainDate(iso)}>`;
}

/** The plain-text form (a modal's error text shows no date tokens). */
export function plainDate(iso: string): string {
  return `${new Date(Date.parse(iso)).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The ack of `/research <topic>` when spend ceilings are set: admission comes next, then the thread. */
export function admittingReply(topic: string): string {
  return `Checking this workspace's spending limits, then researching *${userText(topic, 1_000)}*. Follow along in the thread I am starting in this channel; if a limit stops it, I will tell you here.`;
}

/** What `/research <topic>` tells the requester when its admission was refused: no run started. */
export function admissionRefusedReply(refusal: AdmissionRefusal, topic: string, command = '/research'): string {
  const retry = `\`${command} ${userText(topic, 500)}\``;
  if (refusal.limit === 'user-running') {
    return [
      `:no_entry: Not started: you already have ${refusal.running} pipeline${refusal.running === 1 ? '' : 's'} running, and this workspace allows ${refusal.maxRunning} per person (MAX_RUNNING_PER_USER).`,
      `Wait for one to finish, or cancel one with *Cancel pipeline* in its thread (the bot's App Home lists yours, each with a link to its thread; \`${command} cancel <workflow-id>\` works too), then send ${retry} again.`,
    ].join('\n');
  }
  const setting = LIMIT_SETTINGS[refusal.limit];
  return [
    `:no_entry: Not started: ${spendLimitName(refusal.limit)} would be passed. ${dollars(refusal.usedUsd)} of ${dollars(refusal.limitUsd)} is used or held by running steps, and this research may cost up to ${dollars(refusal.requestedUsd)} before its first step is done.`,
    `It resets ${slackDateToken(refusal.resetsAt)}. Send ${retry} again then, or ask whoever runs the bot to raise ${setting}. Nothing was started and nothing was spent.`,
  ].join('\n');
}

/** The same refusal in a modal's error text (plain, short: shown under the topic field). */
export function admissionRefusedFieldError(refusal: AdmissionRefusal): string {
  if (refusal.limit === 'user-running') {
    return `Not started: you already have ${refusal.running} pipelines running (at most ${refusal.maxRunning}). Cancel one or wait for one to finish.`;
  }
  return `Not started: ${spendLimitName(refusal.limit)} (${dollars(refusal.usedUsd)} of ${dollars(refusal.limitUsd)} used) resets ${plainDate(refusal.resetsAt)}.`;
}

/** The spend account did not answer: said so, nothing started, the topic echoed to retry. */
export function spendCheckUnavailableReply(topic: string, command = '/research'): string {
  return (
    `:warning: Not started: I could not check this workspace's spending limits (the spend account in Temporal did not answer), and I never start research without that check. ` +
    `Please send \`${command} ${userText(topic, 500)}\` again in a minute; if it keeps happening, ask whoever runs the bot to check its Temporal workers.`
  );
}

export const SPEND_CHECK_UNAVAILABLE_FIELD_ERROR = 'Not started: the spending limits could not be checked. Try again in a minute.';

/** One person's view of every ceiling that is set. */
export interface SpendLines {
  label: string;
  text: string;
}

/**
 * Usage against each ceiling that is set: used (settled spend plus what running steps hold at their
 * worst case) of the limit, and when it resets. `running` is the viewer's running pipelines.
 */
export function spendUsageLines(spend: SpendConfig, usage: SpendUsage | undefined, userId: string, running: number | undefined, dateToken = slackDateToken): SpendLines[] {
  const used = (amounts: { spentUsd: number; reservedUsd: number } | undefined) => (amounts ? amounts.spentUsd + amounts.reservedUsd : 0);
  const held = (amounts: { reservedUsd: number } | undefined) => (amounts && amounts.reservedUsd > 0 ? ` (${dollars(amounts.reservedUsd)} of it held by running steps)` : '');
  const resets = (iso: string | undefined) => (iso ? ` · resets ${dateToken(iso)}` : '');
  const lines: SpendLines[] = [];
  if (spend.teamDailyUsd !== undefined) {
    lines.push({ label: 'Team today', text: `${dollars(used(usage?.team.day))} of ${dollars(spend.teamDailyUsd)}${held(usage?.team.day)}${resets(usage?.dayResetsAt)}` });
  }
  if (spend.teamMonthlyUsd !== undefined) {
    lines.push({ label: 'Team this month', text: `${dollars(used(usage?.team.month))} of ${dollars(spend.teamMonthlyUsd)}${held(usage?.team.month)}${resets(usage?.monthResetsAt)}` });
  }
  if (spend.userDailyUsd !== undefined) {
    const mine = usage?.users[userId]?.day;
    lines.push({ label: 'You today', text: `${dollars(used(mine))} of ${dollars(spend.userDailyUsd)}${held(mine)}${resets(usage?.dayResetsAt)}` });
  }
  if (spend.maxRunningPerUser !== undefined) {
    lines.push({ label: 'Your running pipelines', text: `${running === undefined ? 'unknown' : running} of ${spend.maxRunningPerUser}` });
  }
  return lines;
}

/** `/research status`'s paragraph on spending (empty when no ceiling is set). */
export function spendStatusText(lines: SpendLines[]): string {
  if (lines.length === 0) return '';
  return ['Spending limits in this workspace:', ...lines.map((line) => `• ${line.label}: ${line.text}`)].join('\n');
}
