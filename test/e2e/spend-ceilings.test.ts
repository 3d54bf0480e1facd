/**
 * Spend ceilings (issue 21) end to end: signed `/research` commands → real Bolt → the bot's
 * admission in the workspace's spend account (a real Temporal workflow) → a run, or an ephemeral
 * refusal through the command's response_url. Each workspace (team ID) has its own account, so
 * the cases below use a team each; each stack runs in a namespace of its own, so no other test
 * file's account or runs are counted.
 *
 * The spend bound of the burst ("at most the ceiling plus one call's worst case") needs the LLM
 * activities to reserve and settle their own calls (issue 21 part A); without them it holds
 * trivially, since only admitted runs call the model at all.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { eventCallbackBody, signedHeaders, slashCommandBody } from '../harness/slack-signing.js';
import { CHANNEL, SIGNING_SECRET, startStack, type Stack } from '../harness/stack.js';
import { firstStepWorstCase } from '../../src/temporal/admission.js';
import { costOf, DEFAULT_PRICES } from '../../src/shared/pricing.js';
import { dollars } from '../../src/slack/blocks/spend.js';
import { readUsage } from '../../src/temporal/spend.js';
import { NEW_RESEARCH_CALLBACK_ID, newResearchModal } from '../../src/slack/blocks/home.js';
import { DEFAULT_MAX_TOPIC_LENGTH } from '../../src/shared/topic.js';

const RESEARCH_MODEL = 'gpt-4o-mini';
const MODELS = { prices: DEFAULT_PRICES, researchModel: RESEARCH_MODEL, writerModel: 'gpt-4o' };
/** Every topic of the burst has the same length, so every admission holds the same amount. */
const topicOf = (i: number) => `burst topic ${String(i).padStart(3, '0')}`;
const HOLD = firstStepWorstCase({ topic: topicOf(0) }, MODELS);
/** Fits 10 admissions, not 11. */
const TEAM_DAILY = Number((HOLD * 10.5).toFixed(6));
/** Fits one person's one admission, not two. */
const USER_DAILY = Number((HOLD * 1.5).toFixed(6));

let counter = 0;

/** A `/research` as Slack sends it from `teamId`, with a response_url of its own (returned as `id`). */
function command(stack: Stack, text: string, userId: string, teamId: string): { id: string; body: string } {
  const id = `spend-${++counter}`;
  const body = new URLSearchParams(slashCommandBody({ text, userId, channelId: CHANNEL, responseUrl: stack.slack.responseUrl(id) }));
  body.set('trigger_id', `${Date.now()}.${counter}.${randomUUID().slice(0, 8)}`);
  body.set('team_id', teamId);
  return { id, body: body.toString() };
}

/** The workflow ID of each started run, by topic (from the thread's metadata). */
function runsByTopic(stack: Stack): Map<string, string> {
  const runs = new Map<string, string>();
  for (const root of stack.slack.postedOfKind(CHANNEL, 'thread_root')) {
    const match = /"([^"]+)"/.exec(root.text ?? '');
    const workflowId = root.metadata?.event_payload.workflow_id;
    if (match && typeof workflowId === 'string') runs.set(match[1]!, workflowId);
  }
  return runs;
}

/** Ends runs the test no longer needs, so the file does not leave work behind. */
async function terminate(stack: Stack, workflowIds: string[]): Promise<void> {
  await Promise.all(workflowIds.map((id) => stack.client.workflow.getHandle(id).terminate('test done').catch((error: unknown) => {
    if (!(error instanceof WorkflowNotFoundError) && !/already completed|not found/i.test(String(error))) throw error;
  })));
}

function spentOn(stack: Stack, topics: string[]): number {
  let usd = 0;
  for (const completion of stack.openai.completions) {
    if (!completion.usage || !topics.some((topic) => JSON.stringify(completion.request).includes(topic))) continue;
    const usage = completion.usage;
    usd += costOf({
      model: String(completion.request.model),
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      cachedInputTokens: usage.prompt_tokens_details.cached_tokens,
      totalTokens: usage.prompt_tokens + usage.completion_tokens,
    }, DEFAULT_PRICES) ?? 0;
  }
  return usd;
}

describe('team and personal daily ceilings', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ownNamespace: true, env: { TEAM_DAILY_USD: String(TEAM_DAILY), USER_DAILY_USD: String(USER_DAILY) } });
    // Ten pipelines post dozens of messages in one channel at once: this file is about admission, not Slack's pace.
    stack.slack.rateLimits.disable();
    expect(stack.config.openai.researchModel).toBe(RESEARCH_MODEL);
    expect(stack.config.spend.enabled).toBe(true);
    expect(HOLD).toBeGreaterThan(0);
  });
  afterAll(() => stack?.stop());

  it('100 /research at once against a ceiling that fits 10 holds: at least 10 start, everyone else told which limit and when it resets, no model call for them, spend within the ceiling', async () => {
    const TEAM = 'T0BURST';
    const topics = Array.from({ length: 100 }, (_, i) => topicOf(i));
    // 100 different people, so only the team's ceiling can refuse.
    const commands = topics.map((topic, i) => ({ topic, ...command(stack, topic, `U0BURST${String(i).padStart(3, '0')}`, TEAM) }));
    const acks = await Promise.all(commands.map((c) => stack.postToBot(c.body)));
    for (const ack of acks) {
      expect(ack.status).toBe(200);
      expect(ack.json).toMatchObject({ response_type: 'ephemeral' });
    }

    // Every command ends one way or the other: a thread, or a refusal through its response_url.
    const outcome = await waitFor('every command admitted or refused', () => {
      const runs = runsByTopic(stack);
      const refused = commands.filter((c) => stack.slack.responsesTo(c.id).length > 0);
      return runs.size + refused.length >= 100 ? { runs, refused } : undefined;
    }, 120_000);
    const admitted = commands.filter((c) => outcome.runs.has(c.topic));
    // Ten holds fit the ceiling. More may start later in the burst: a run's research settles at its
    // actual cost, well under the worst case its hold took, and the difference is free again.
    expect(admitted.length).toBeGreaterThanOrEqual(10);
    expect(admitted.length + outcome.refused.length).toBe(100);
    console.log(`burst of 100 against a ceiling of ten holds: ${admitted.length} admitted, ${outcome.refused.length} refused`);
    // Nobody both started and refused; the workflows are exactly the admitted runs.
    expect(outcome.refused.filter((c) => outcome.runs.has(c.topic))).toEqual([]);
    expect(await stack.workflowIds()).toEqual(admitted.map((c) => outcome.runs.get(c.topic)!).sort());
    for (const c of admitted) expect(stack.slack.responsesTo(c.id)).toEqual([]);

    const resetsAt = Date.parse((await readUsage(stack.client, TEAM))!.dayResetsAt) / 1000;
    for (const c of outcome.refused) {
      const [reply, ...more] = stack.slack.responsesTo(c.id);
      expect(more).toEqual([]);
      expect(reply!.response_type).toBe('ephemeral');
      expect(reply!.text).toContain("the team's daily limit");
      expect(reply!.text).toContain(`of ${dollars(TEAM_DAILY)}`);
      expect(reply!.text).toContain(`<!date^${resetsAt}^`);
      expect(reply!.text).toContain('TEAM_DAILY_USD');
      expect(reply!.text).toContain(`\`/research ${c.topic}\``);
    }

    // Each admitted run does its first step (its hold covers it); no refused topic reached the model.
    const refusedTopics = outcome.refused.map((c) => c.topic);
    await waitFor('the first step of every admitted run', () =>
      admitted.every((c) => stack.openai.completions.filter((call) => call.usage && JSON.stringify(call.request).includes(c.topic)).length >= 3) || undefined, 120_000);
    expect(stack.openai.completions.filter((call) => refusedTopics.some((topic) => JSON.stringify(call.request).includes(topic)))).toEqual([]);

    // The spend bound. Every call reserved its worst case before calling and no reservation was
    // granted past the ceiling, so what the model charged (counted at the stand-in) stays within
    // the ceiling itself: tighter than "the ceiling plus one call's worst case" the issue allows.
    const spent = spentOn(stack, topics);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(TEAM_DAILY + 1e-6);
    const usage = (await readUsage(stack.client, TEAM))!;
    expect(usage.team.day.spentUsd).toBeLessThanOrEqual(TEAM_DAILY + 1e-6);
    expect(usage.team.day.spentUsd + usage.team.day.reservedUsd).toBeLessThanOrEqual(TEAM_DAILY + 1e-6);
    expect(usage.counts.refused).toBeGreaterThanOrEqual(outcome.refused.length);

    await terminate(stack, [...outcome.runs.values()]);
  }, 300_000);

  it("USER_DAILY_USD: a person's second request is refused with their own limit; someone else in the team is still admitted; App Home and /research status show usage against each ceiling", async () => {
    const TEAM = 'T0PERSON';
    const first = command(stack, 'personal topic one', 'U0SPENDER', TEAM);
    expect((await stack.postToBot(first.body)).status).toBe(200);
    const one = await waitFor('the first run', () => runsByTopic(stack).get('personal topic one'));

    const second = command(stack, 'personal topic two', 'U0SPENDER', TEAM);
    expect((await stack.postToBot(second.body)).status).toBe(200);
    const [refusal] = await waitFor('the refusal', () => (stack.slack.responsesTo(second.id).length ? stack.slack.responsesTo(second.id) : undefined));
    expect(refusal!.response_type).toBe('ephemeral');
    expect(refusal!.text).toContain('your daily limit');
    expect(refusal!.text).toContain(`of ${dollars(USER_DAILY)}`);
    expect(refusal!.text).toContain('USER_DAILY_USD');
    expect(refusal!.text).toContain('<!date^');

    const other = command(stack, 'personal topic three', 'U0COLLEAGUE', TEAM);
    expect((await stack.postToBot(other.body)).status).toBe(200);
    const three = await waitFor('the colleague\'s run', () => runsByTopic(stack).get('personal topic three'));
    expect(stack.slack.responsesTo(other.id)).toEqual([]);
    expect(runsByTopic(stack).has('personal topic two')).toBe(false);

    // App Home: usage against each ceiling, from the account, for this workspace.
    const before = stack.slack.callsOf('views.publish').length;
    const event = JSON.parse(eventCallbackBody({ type: 'app_home_opened', user: 'U0SPENDER', channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` })) as Record<string, unknown>;
    // A workspace's events name it at the top and in their authorization.
    event.team_id = TEAM;
    event.authorizations = [{ team_id: TEAM, user_id: 'UBOT0001', is_bot: true }];
    const body = JSON.stringify(event);
    expect((await stack.postToBot(body, { ...signedHeaders(SIGNING_SECRET, body), 'content-type': 'application/json' })).status).toBe(200);
    const published = await waitFor('views.publish', () => stack.slack.callsOf('views.publish').slice(before).find((c) => c.args.user_id === 'U0SPENDER'));
    const home = blockText({ channel: '', ts: '', blocks: (published.args.view as { blocks: never }).blocks });
    expect(home).toContain('Spending limits');
    expect(home).toMatch(new RegExp(`Team today\\*\\n\\$\\d+\\.\\d+ of \\${dollars(TEAM_DAILY)}.*resets <!date\\^\\d+\\^`));
    expect(home).toMatch(new RegExp(`You today\\*\\n\\$\\d+\\.\\d+ of \\${dollars(USER_DAILY)}`));
    expect(home).not.toMatch(/You today\*\n\$0\.00 /); // their run's hold or spend counts
    expect(home).not.toContain('Team spend today'); // no visibility scan when the account answers

    // /research status: the viewer's own usage.
    const status = command(stack, 'status', 'U0SPENDER', TEAM);
    expect((await stack.postToBot(status.body)).status).toBe(200);
    const [answer] = await waitFor('the status answer', () => (stack.slack.responsesTo(status.id).length ? stack.slack.responsesTo(status.id) : undefined));
    expect(answer!.text).toContain('Spending limits in this workspace:');
    expect(answer!.text).toMatch(new RegExp(`You today: \\$\\d+\\.\\d+ of \\${dollars(USER_DAILY)}`));

    await terminate(stack, [one, three]);
  }, 120_000);

  it('a command Slack delivers again is admitted once (the hold is the same reservation), never held twice', async () => {
    // USER_DAILY_USD fits one hold: a second hold for the same command would be refused.
    const TEAM = 'T0RETRY';
    const { id, body } = command(stack, 'redelivered spend topic', 'U0RETRY', TEAM);
    const redelivery = { ...signedHeaders(SIGNING_SECRET, body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
    const [first, retry] = await Promise.all([stack.postToBot(body), stack.postToBot(body, redelivery)]);
    expect([first.status, retry.status]).toEqual([200, 200]);
    const workflowId = await waitFor('the run', () => runsByTopic(stack).get('redelivered spend topic'));
    // A later redelivery, then a sentinel from someone else: once the sentinel runs, the redelivery was answered.
    expect((await stack.postToBot(body, { ...redelivery, 'x-slack-retry-num': '2' })).status).toBe(200);
    const sentinel = command(stack, 'redelivery sentinel', 'U0OTHER', TEAM);
    expect((await stack.postToBot(sentinel.body)).status).toBe(200);
    const sentinelId = await waitFor('the sentinel run', () => runsByTopic(stack).get('redelivery sentinel'));
    expect(stack.slack.responsesTo(id)).toEqual([]);
    expect((await stack.workflowIds()).filter((w) => w.startsWith('research-redelivered-spend-topic-'))).toEqual([workflowId]);
    await terminate(stack, [workflowId, sentinelId]);
  }, 60_000);
});

describe('MAX_RUNNING_PER_USER', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ ownNamespace: true, env: { MAX_RUNNING_PER_USER: '2' } });
    stack.slack.rateLimits.disable();
  });
  afterAll(() => stack?.stop());

  it('a burst of 5 from one person: 2 start, 3 are told they already have 2 running and how to free one', async () => {
    const TEAM = 'T0RUNNING';
    const commands = Array.from({ length: 5 }, (_, i) => ({ topic: `running topic ${i}`, ...command(stack, `running topic ${i}`, 'U0BUSY', TEAM) }));
    const acks = await Promise.all(commands.map((c) => stack.postToBot(c.body)));
    expect(acks.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const outcome = await waitFor('every command admitted or refused', () => {
      const runs = runsByTopic(stack);
      const refused = commands.filter((c) => stack.slack.responsesTo(c.id).length > 0);
      return runs.size + refused.length >= 5 ? { runs, refused } : undefined;
    }, 60_000);
    expect(outcome.runs.size).toBe(2);
    expect(outcome.refused).toHaveLength(3);
    expect((await stack.workflowIds()).length).toBe(2);
    for (const c of outcome.refused) {
      const text = stack.slack.responsesTo(c.id)[0]!.text!;
      expect(text).toContain('you already have 2 pipelines running');
      expect(text).toContain('MAX_RUNNING_PER_USER');
      expect(text).toContain('App Home');
      expect(text).toContain(`\`/research ${c.topic}\``);
    }
    // Someone else is not affected.
    const other = command(stack, 'running topic other', 'U0IDLE', TEAM);
    expect((await stack.postToBot(other.body)).status).toBe(200);
    const otherRun = await waitFor('the other person\'s run', () => runsByTopic(stack).get('running topic other'));
    await terminate(stack, [...outcome.runs.values(), otherRun]);
  }, 120_000);

  it('the Home modal: a refused submission stays open and says which limit, nothing starts', async () => {
    const TEAM = 'T0TEST01'; // the stand-in's workspace, which view submissions come from
    for (const topic of ['modal topic a', 'modal topic b']) expect((await stack.postToBot(command(stack, topic, 'U0MODAL', TEAM).body)).status).toBe(200);
    const running = await waitFor('two runs', () => {
      const runs = runsByTopic(stack);
      return runs.has('modal topic a') && runs.has('modal topic b') ? [runs.get('modal topic a')!, runs.get('modal topic b')!] : undefined;
    });
    const response = await submitNewResearch(stack, 'modal topic c', 'U0MODAL', TEAM);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_action: 'errors', errors: { topic: expect.stringContaining('you already have 2 pipelines running') } });
    expect(runsByTopic(stack).has('modal topic c')).toBe(false);
    await terminate(stack, running);
  }, 60_000);
});

/** A New research modal submission from the Home tab, as Slack sends it. */
function submitNewResearch(stack: Stack, topic: string, userId: string, teamId: string) {
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: 'test-workspace' },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: teamId },
    api_app_id: 'A0TESTAPP',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${Date.now()}`,
    view: {
      id: `VSPEND${++counter}`, team_id: teamId, type: 'modal', callback_id: NEW_RESEARCH_CALLBACK_ID, private_metadata: '', blocks: newResearchModal(DEFAULT_MAX_TOPIC_LENGTH).blocks,
      state: { values: { topic: { topic_input: { type: 'plain_text_input', value: topic } }, channel: { channel_select: { type: 'conversations_select', selected_conversation: CHANNEL } } } },
      hash: 'h', app_id: 'A0TESTAPP', bot_id: 'BBOT0001',
    },
    response_urls: [],
  };
  return stack.postToBot(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
}

describe('the spend account does not answer', () => {
  let stack: Stack;
  beforeAll(async () => {
    // No workers: the account workflow is created but nobody runs it, so no reserve is answered.
    stack = await startStack({ ownNamespace: true, withoutWorkers: true, env: { TEAM_DAILY_USD: '5' } });
  });
  afterAll(() => stack?.stop());

  it('the requester is told the limits could not be checked, and no run starts without the check', async () => {
    const TEAM = 'T0TEST01';
    const { id, body } = command(stack, 'unchecked topic', 'U0UNCHECKED', TEAM);
    const [ack, modal] = await Promise.all([stack.postToBot(body), submitNewResearch(stack, 'unchecked modal topic', 'U0UNCHECKED', TEAM)]);
    expect(ack.status).toBe(200);
    // The modal is answered within Slack's 3 s, saying so.
    expect(modal.json).toMatchObject({ response_action: 'errors', errors: { topic: expect.stringContaining('spending limits could not be checked') } });
    const [reply] = await waitFor('the command\'s answer', () => (stack.slack.responsesTo(id).length ? stack.slack.responsesTo(id) : undefined), 60_000);
    expect(reply!.response_type).toBe('ephemeral');
    expect(reply!.text).toContain("could not check this workspace's spending limits");
    expect(reply!.text).toContain('`/research unchecked topic`');
    expect(await stack.workflowIds()).toEqual([]);
  }, 90_000);
});
