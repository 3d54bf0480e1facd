/**
 * A spend ceiling reached mid-run, end to end: a signed `/research` from a workspace → real Bolt →
 * the bot's admission (the research step's hold, issue 21 part B) → the run; its research calls
 * draw from the hold and settle; the writing call reserves from the workspace's spend account (a
 * real Temporal workflow) and is refused, so the model is not called; the thread asks the budget
 * question in the ceiling's words (Wait for the reset / Stop), answerable only by the requester and
 * reviewers; Stop ends the run naming the ceiling; the account holds exactly what was spent.
 *
 * Needs part B (the bot sets `teamId` on the request from the command's team_id): without it no
 * run has a workspace, nothing reserves, no question is asked, and this file fails waiting for it
 * (verified passing on this branch with part B's diff applied).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worstCaseOf } from '../../src/activities/estimates.js';
import { BUDGET_ALLOW_ACTION_ID, BUDGET_STOP_ACTION_ID } from '../../src/slack/blocks/budget.js';
import { costOf, DEFAULT_PRICES } from '../../src/shared/pricing.js';
import { readUsage } from '../../src/temporal/spend.js';
import { budgetSignal, statusQuery, type PipelineResult } from '../../src/workflows/messages.js';
import { blockText, buttonsOf } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { slashCommandBody } from '../harness/slack-signing.js';
import { CHANNEL, REQUESTER, REVIEWER, startStack, type Stack } from '../harness/stack.js';

const TOPIC = 'ceilings reached while writing';
/** The research step's worst case: what the bot holds at admission. */
const HOLD = worstCaseOf({ step: 'research', topic: TOPIC, model: 'gpt-4o-mini', prices: DEFAULT_PRICES })!;
const TEAM = `T${randomUUID().slice(0, 8).toUpperCase()}`;
const OUTSIDER = 'U0OUTSIDER';

let stack: Stack;

beforeAll(async () => {
  // The ceiling fits the research hold exactly; a gpt-4o article's worst case (1,500 output tokens at
  // $10/M alone) cannot fit beside it.
  stack = await startStack({
    ownNamespace: true,
    env: { TEAM_DAILY_USD: HOLD.toFixed(6), REVIEWERS: REVIEWER, WRITER_MODEL: 'gpt-4o', MAX_COST_USD: '1' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const ephemeralsTo = (user: string) =>
  stack.slack.callsOf('chat.postEphemeral').filter((c) => c.args.user === user).map((c) => blockText({ blocks: c.args.blocks, text: c.args.text } as never) || String(c.args.text));

describe('spend ceiling reached mid-run', () => {
  it('research runs on its hold; writing is refused before the model is called; the question names the ceiling; Stop ends the run', async () => {
    const body = new URLSearchParams(slashCommandBody({ text: TOPIC, userId: REQUESTER, channelId: CHANNEL, responseUrl: stack.slack.responseUrl('midrun') }));
    body.set('team_id', TEAM);
    expect((await stack.postToBot(body.toString())).status).toBe(200);
    const { workflowId, threadTs } = await stack.waitForPipeline(TOPIC);

    const question = await stack.waitForReply(threadTs, 'budget_question');
    expect(stack.openai.count('researchTopic')).toBe(1);
    expect(stack.openai.count('findExamples')).toBe(1);
    expect(stack.openai.count('getStatistics')).toBe(1);
    expect(stack.openai.count('writeArticle')).toBe(0);
    const text = blockText(question);
    expect(text).toContain("writing the article would pass the team's daily spend ceiling");
    expect(text).toContain('TEAM_DAILY_USD');
    expect(text).toMatch(/Used today: \$0\.\d{4} of \$0\.\d{4}/);
    expect(text).toMatch(/resets <!date\^\d+\^/);
    expect(buttonsOf(question)).toEqual([
      { action_id: BUDGET_ALLOW_ACTION_ID, value: workflowId },
      { action_id: BUDGET_STOP_ACTION_ID, value: workflowId },
    ]);

    // Someone who is neither the requester nor a reviewer (signalled past the bot, which refuses them
    // itself) is told by the workflow why nothing changed: Allow never comes from them.
    const handle = stack.client.workflow.getHandle(workflowId);
    await handle.signal(budgetSignal, { answer: 'allow', userId: OUTSIDER });
    const [refused] = await waitFor('the outsider told', () => (ephemeralsTo(OUTSIDER).length ? ephemeralsTo(OUTSIDER) : undefined));
    expect(refused).toContain('can answer a budget question, so your click changed nothing');
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-budget');

    await stack.click(BUDGET_STOP_ACTION_ID, workflowId, question.ts, { userId: REQUESTER });
    const result = (await handle.result()) as PipelineResult;
    expect(result.decision).toMatchObject({ outcome: 'stopped', by: REQUESTER });
    expect(result.decision.ceiling).toContain('TEAM_DAILY_USD');
    expect(stack.openai.count('writeArticle')).toBe(0);
    const outcome = blockText(await stack.waitForReply(threadTs, 'outcome'));
    expect(outcome).toContain(`*Stopped* by <@${REQUESTER}> at the team's daily spend ceiling`);
    expect(blockText(stack.slack.message(CHANNEL, question.ts))).toContain(`Stopped by <@${REQUESTER}>`);

    // The account holds exactly the research's actual cost (every call settled), and never more than the ceiling.
    const usage = await waitFor('every call settled', async () => {
      const u = await readUsage(stack.client, TEAM);
      return u && u.openReservations.every((r) => r.id.endsWith(':admission')) ? u : undefined;
    });
    const researchCost = result.usage.steps.reduce((sum, step) => sum + (costOf(step, DEFAULT_PRICES) ?? 0), 0);
    expect(usage.team.day.spentUsd).toBeCloseTo(researchCost, 5);
    expect(usage.team.day.spentUsd + usage.team.day.reservedUsd).toBeLessThanOrEqual(HOLD + 1e-6);
    expect(usage.counts.refused).toBeGreaterThanOrEqual(1);
  });
});
