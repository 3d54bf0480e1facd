/**
 * Never silent: when the workflow does not act on a click or a submission (superseded version,
 * already decided, question closed, not allowed), the person is told why, ephemerally in the
 * thread, with their own text given back when they wrote some (an edit, feedback, a reason).
 */
import { log } from '@temporalio/workflow';
import { notices } from './activities.js';
import type { Decision } from './messages.js';
import type { RunContext } from './run.js';

/** Tells `userId` why their action changed nothing. A notice that cannot be delivered is logged, never fatal. */
export async function tellUser(run: RunContext, userId: string, reason: string, returned?: { label: string; text: string }): Promise<void> {
  log.info('Refused an action', { userId, reason });
  if (!userId) return;
  try {
    await notices.tellUser({
      channel: run.channel, user: userId, reason,
      ...(run.posted.threadTs ? { threadTs: run.posted.threadTs } : {}),
      ...(returned?.text.trim() ? { returned } : {}),
    });
  } catch (error) {
    log.warn('Could not tell the user why their action changed nothing', { userId, error: String(error) });
  }
}

/** "This draft was already approved by @x"-style, for a decision that closed the run. */
export function decidedText(decision: Pick<Decision, 'outcome' | 'by'>): string {
  const by = decision.by ? ` by <@${decision.by}>` : '';
  switch (decision.outcome) {
    case 'approved':
      return `This draft was already approved${by}`;
    case 'rejected':
      return `This draft was already rejected${by}`;
    case 'expired':
      return 'The review of this draft has expired';
    case 'stopped':
      return `This pipeline was stopped at its budget limit${by}`;
    case 'cancelled':
      return `This pipeline was cancelled${by}`;
    case 'undeliverable':
      return 'This pipeline could not post in its channel';
  }
}

/** Who may answer a budget question or cancel, in words. */
export function spendersText(run: RunContext): string {
  return run.settings.reviewers.length ? 'the person who started this pipeline or a reviewer' : `the person who started this pipeline (<@${run.requestedBy}>)`;
}
