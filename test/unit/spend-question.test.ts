/**
 * The budget question when a workspace spend ceiling refused a call: which ceiling and its setting,
 * what is used of it, when it resets; "Wait for the reset" only when the reset comes before the
 * run's deadline; the answered card says who chose what. Every message passes the stand-in Slack's
 * block rules (as strict as Slack's).
 */
import { describe, expect, it } from 'vitest';
import { budgetAnsweredMessage, budgetQuestionMessage, BUDGET_ALLOW_ACTION_ID, BUDGET_STOP_ACTION_ID, type CeilingQuestion } from '../../src/slack/blocks/budget.js';
import { blockProblems } from '../../src/stand-ins/slack/rules.js';
import { ceilingText } from '../../src/shared/spend-text.js';

const ceiling = (canWait: boolean, limit: CeilingQuestion['limit'] = 'team-daily'): CeilingQuestion => ({ limit, usedUsd: 19.95, limitUsd: 20, resetsAt: '2026-12-04T00:00:00.000Z', canWait });
const question = (c: CeilingQuestion) => budgetQuestionMessage({ workflowId: 'research-x', step: 'writing the article', budgetUsd: 0.5, spentUsd: 0.01, estimateUsd: 0.06, increaseUsd: 0, ceiling: c });
const text = (message: { blocks?: unknown[] }) => JSON.stringify(message.blocks);
const buttons = (message: { blocks?: unknown[] }) =>
  (message.blocks as Array<{ type: string; elements?: Array<{ action_id: string; text: { text: string } }> }>).flatMap((b) => (b.type === 'actions' ? b.elements ?? [] : []));

describe('the spend ceiling question', () => {
  it('names the ceiling and its setting, what is used, the step\'s worst case and the reset; offers Wait for the reset / Stop', () => {
    const message = question(ceiling(true));
    expect(message.text).toBe("writing the article would pass the team's daily spend ceiling ($20.00, TEAM_DAILY_USD): wait for the reset or stop?");
    expect(text(message)).toContain('Used today: $19.9500 of $20.0000');
    expect(text(message)).toContain('up to $0.0600');
    expect(text(message)).toContain('<!date^1796342400^{date_short_pretty} at {time}|2026-12-04T00:00:00.000Z>');
    expect(buttons(message).map((b) => [b.action_id, b.text.text])).toEqual([[BUDGET_ALLOW_ACTION_ID, 'Wait for the reset'], [BUDGET_STOP_ACTION_ID, 'Stop']]);
    expect(blockProblems(message.blocks as never, 'message')).toEqual([]);
  });

  it('only Stop when the reset is after the run\'s deadline, saying why and what to do', () => {
    const message = question(ceiling(false, 'user-daily'));
    expect(message.text).toContain("the requester's daily spend ceiling ($20.00, USER_DAILY_USD)");
    expect(text(message)).toContain("after this run's time limit (PIPELINE_TIMEOUT)");
    expect(buttons(message).map((b) => b.action_id)).toEqual([BUDGET_STOP_ACTION_ID]);
    expect(blockProblems(message.blocks as never, 'message')).toEqual([]);
  });

  it('the answered card: who chose to wait, until when; or who stopped; no buttons left', () => {
    const base = { step: 'writing the article', budgetUsd: 0.5, estimateUsd: 0.06, increaseUsd: 0, ceiling: ceiling(true, 'team-monthly') };
    const waited = budgetAnsweredMessage({ ...base, answer: 'allow', by: 'U1' });
    expect(text(waited)).toContain('<@U1> chose to wait: the run goes on after the reset');
    expect(text(waited)).toContain('no ceiling raised');
    expect(waited.text).toContain("the team's monthly spend ceiling");
    const stopped = budgetAnsweredMessage({ ...base, answer: 'stop', by: 'U2' });
    expect(text(stopped)).toContain('Stopped by <@U2>');
    for (const message of [waited, stopped]) {
      expect(buttons(message)).toEqual([]);
      expect(blockProblems(message.blocks as never, 'message')).toEqual([]);
    }
  });

  it('ceilingText: budgets to the cent, tiny ones to four places', () => {
    expect(ceilingText({ limit: 'team-daily', limitUsd: 20 })).toBe("the team's daily spend ceiling ($20.00, TEAM_DAILY_USD)");
    expect(ceilingText({ limit: 'team-monthly', limitUsd: 0.0016 })).toBe("the team's monthly spend ceiling ($0.0016, TEAM_MONTHLY_USD)");
  });
});
