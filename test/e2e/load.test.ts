/**
 * Load and Slack's redeliveries, end to end on one stack: 100 signed `/research` commands at once,
 * then 100 Approve clicks at once. Every request is acked within Slack's 3 s (Bolt's receiver
 * answers 200 with the ack body only then), and nothing is lost or duplicated: 100 workflows,
 * 100 threads with one draft each, 100 decisions. A command Slack delivers again
 * (`X-Slack-Retry-Num`) reaches the pipeline the first delivery started.
 * Timings are not asserted (speed is for benchmarks); FAULTS_REPORT=1 prints them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { signedHeaders } from '../harness/slack-signing.js';
import { CHANNEL, REVIEWER, SIGNING_SECRET, startStack, type Stack } from '../harness/stack.js';

const COUNT = 100;

describe('100 concurrent commands and clicks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // 100 pipelines in one channel post ~500 messages and ~800 updates within two minutes: Slack
    // would spread that over many minutes with 429s (one post per second per channel; chat.update
    // is Tier 3). This file measures acks and exactly-once under the burst, not Slack's throughput,
    // so the stand-in's rate limits are off here; test/e2e/rate-limits.test.ts covers the 429 path.
    stack.slack.rateLimits.disable();
  });
  afterAll(() => stack?.stop());

  const rootsOf = (topic: string) => stack.slack.postedOfKind(CHANNEL, 'thread_root').filter((m) => m.text?.includes(`"${topic}"`));

  it(`${COUNT} commands, then ${COUNT} Approve clicks: all acked in time, ${COUNT} workflows, ${COUNT} decisions, none lost or doubled`, async () => {
    const topics = Array.from({ length: COUNT }, (_, i) => `load topic ${String(i).padStart(3, '0')}`);
    const startedAt = Date.now();
    const acks = await Promise.all(topics.map((topic) => stack.postToBot(stack.commandBody(topic))));
    const ackedIn = Date.now() - startedAt;
    for (const [i, ack] of acks.entries()) {
      expect(ack.status, topics[i]).toBe(200);
      expect(ack.json, topics[i]).toMatchObject({ response_type: 'ephemeral' });
      expect(String(ack.json?.text)).toContain(topics[i]);
    }

    // One thread per command, each with its own workflow.
    const threads = await waitFor('a thread for every command', () => {
      const found = topics.map((topic) => rootsOf(topic));
      return found.every((roots) => roots.length >= 1) ? found : undefined;
    }, 90_000);
    expect(threads.map((roots) => roots.length)).toEqual(topics.map(() => 1));
    const workflowIds = threads.map((roots) => String(roots[0]!.metadata?.event_payload.workflow_id));
    expect(new Set(workflowIds).size).toBe(COUNT);
    const drafts = await waitFor('a draft in every thread', () => {
      const found = threads.map((roots) => stack.slack.postedOfKind(CHANNEL, 'draft', roots[0]!.ts));
      return found.every((d) => d.length >= 1) ? found : undefined;
    }, 120_000);
    const draftsAt = Date.now() - startedAt;
    expect(drafts.map((d) => d.length)).toEqual(topics.map(() => 1));
    expect(await stack.workflowIds()).toEqual([...workflowIds].sort());

    // 100 clicks at once.
    const clickedAt = Date.now();
    const clicks = await Promise.all(drafts.map((d, i) => stack.click(APPROVE_ACTION_ID, workflowIds[i]!, d[0]!.ts)));
    const clicksAckedIn = Date.now() - clickedAt;
    expect(clicks.map((c) => c.status)).toEqual(topics.map(() => 200));
    const results = (await Promise.all(workflowIds.map((id) => stack.client.workflow.getHandle(id).result()))) as PipelineResult[];
    const decidedIn = Date.now() - clickedAt;
    expect(results.map((r) => r.decision.outcome)).toEqual(topics.map(() => 'approved'));
    expect(results.every((r) => r.decision.by === REVIEWER)).toBe(true);
    expect(results.map((r) => r.topic)).toEqual(topics);

    // Each thread: exactly one status, one draft, one outcome; nobody was told a click failed.
    for (const roots of threads) {
      const ts = roots[0]!.ts;
      expect(stack.slack.postedOfKind(CHANNEL, 'status', ts)).toHaveLength(1);
      expect(stack.slack.postedOfKind(CHANNEL, 'draft', ts)).toHaveLength(1);
      expect(stack.slack.postedOfKind(CHANNEL, 'outcome', ts)).toHaveLength(1);
    }
    expect(stack.slack.callsOf('response_url')).toEqual([]);
    // Each LLM step once per workflow.
    for (const step of ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle'] as const) {
      expect(stack.openai.completions.filter((c) => c.step === step && c.usage)).toHaveLength(COUNT);
    }
    if (process.env.FAULTS_REPORT) {
      console.info(`${COUNT} commands acked in ${ackedIn} ms; all drafts after ${draftsAt} ms; ${COUNT} clicks acked in ${clicksAckedIn} ms; all decided after ${decidedIn} ms`);
    }
  }, 240_000);

  it('a command Slack delivers again (X-Slack-Retry-Num) reaches the same pipeline, never a second one', async () => {
    const topic = 'redelivered command';
    const body = stack.commandBody(topic);
    const redelivery = (n: number, reason: string) => ({
      ...signedHeaders(SIGNING_SECRET, body),
      'x-slack-retry-num': String(n),
      'x-slack-retry-reason': reason,
    });
    // Slack retries when our ack seemed late, so the first delivery may still be in progress.
    const [first, retry] = await Promise.all([stack.postToBot(body), stack.postToBot(body, redelivery(1, 'http_timeout'))]);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    const root = await waitFor('the thread', () => rootsOf(topic)[0]);
    const workflowId = String(root.metadata?.event_payload.workflow_id);
    await stack.waitForDraft(root.ts);

    // A later redelivery, then a new command: once that one's thread exists, the redelivery's
    // start (sent before it) has long been answered.
    expect((await stack.postToBot(body, redelivery(2, 'http_error'))).status).toBe(200);
    expect((await stack.postToBot(stack.commandBody(`${topic} sentinel`))).status).toBe(200);
    await waitFor('the sentinel thread', () => rootsOf(`${topic} sentinel`)[0]);

    expect(rootsOf(topic)).toHaveLength(1);
    const ids = (await stack.workflowIds()).filter((id) => id.startsWith('research-redelivered-command-') && !id.includes('sentinel'));
    expect(ids).toEqual([workflowId]);
    expect(stack.openai.completions.filter((c) => c.step === 'writeArticle' && JSON.stringify(c.request).includes(`<topic>${topic}</topic>`))).toHaveLength(1);
  });
});
