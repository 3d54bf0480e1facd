import { describe, expect, it } from 'vitest';
import { homeView, HOME_PAGE_SIZE, type HomeData, type HomeRun } from '../../src/slack/blocks/home.js';

const now = new Date('2026-03-10T12:00:00Z');
const run = (i: number): HomeRun => ({
  workflowId: `research-t${i}-20260310-x${i}`, topic: `Topic <${i}>`, stage: 'awaiting-review', version: 1, costUsd: 0.0123, channel: 'C0CHANNEL',
  startTime: new Date(now.getTime() - i * 3_600_000), running: true,
});
const data = (overrides: Partial<HomeData> = {}): HomeData => ({
  userId: 'U1', recent: [], moreRecent: false, page: 0, awaitingReview: [],
  spend: { todayUsd: 0.5, monthUsd: 12.25, todayRuns: 3, monthRuns: 40, partial: false }, ...overrides,
});
const links = { temporalUiUrl: 'http://ui', namespace: 'default', now };

describe('Home view', () => {
  it('stays within 100 blocks however many runs it is given, and pages', () => {
    const many = Array.from({ length: 500 }, (_, i) => run(i));
    const view = homeView(data({ recent: many, awaitingReview: many, moreRecent: true, page: 2 }), links);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('page 3');
    expect(text).toContain('"value":"3"');
    expect(text).toContain('"value":"1"');
    expect((text.match(/Temporal UI/g) ?? []).length).toBe(HOME_PAGE_SIZE * 2);
  });

  it('shows a run whose memo cannot be decoded as a neutral placeholder, still with its ID and links', () => {
    const unreadable: HomeRun = { ...run(3), topic: 'a run this bot cannot read: its encryption key is gone', stage: 'running', version: 0, unreadable: true };
    const text = JSON.stringify(homeView(data({ recent: [unreadable, run(4)] }), links).blocks);
    expect(text).toContain('_a run this bot cannot read: its encryption key is gone_\\nrunning');
    expect(text).not.toContain('*a run this bot cannot read');
    expect(text).toContain('`research-t3-20260310-x3`');
    expect(text).toContain('*Topic &lt;4&gt;*'); // the other rows are as ever
  });

  it('escapes topics, shows cost, age, links and spend', () => {
    const text = JSON.stringify(homeView(data({ recent: [run(2)] }), links).blocks);
    expect(text).toContain('Topic &lt;2&gt;');
    expect(text).toContain('2 h ago');
    expect(text).toContain('http://ui/namespaces/default/workflows/research-t2-20260310-x2');
    expect(text).toContain('$12.25');
  });

  it('links each run to its thread (permalink from the workspace URL) and to the Temporal UI', () => {
    const withThread = { ...run(1), threadTs: '1767225600.000100' };
    const text = JSON.stringify(homeView(data({ recent: [withThread] }), { ...links, workspaceUrl: 'https://acme.slack.com/' }).blocks);
    expect(text).toContain('<https://acme.slack.com/archives/C0CHANNEL/p1767225600000100|Thread> in <#C0CHANNEL>');
    expect(text).toContain('<http://ui/namespaces/default/workflows/research-t1-20260310-x1|Temporal UI>');
    // Without the thread's timestamp (runs from before it was recorded) or the workspace URL: the channel, named.
    for (const view of [homeView(data({ recent: [run(1)] }), { ...links, workspaceUrl: 'https://acme.slack.com/' }), homeView(data({ recent: [withThread] }), links)]) {
      expect(JSON.stringify(view.blocks)).toContain('Thread in <#C0CHANNEL>');
    }
  });

  it('says when Temporal could not be read', () => {
    const text = JSON.stringify(homeView(data({ error: 'deadline exceeded' }), links).blocks);
    expect(text).toContain("Could not read the pipelines from Temporal (deadline exceeded; details are in the Temporal UI and the bot's logs)");
  });

  it('never shows where Temporal is: hosts, addresses and ports are scrubbed from the error', () => {
    const error = 'Error: Failed to list ← Error: 14 UNAVAILABLE: connect ECONNREFUSED 10.1.2.3:7233 (temporal.corp.internal:7233)';
    const text = JSON.stringify(homeView(data({ error }), links).blocks);
    expect(text).toContain('14 UNAVAILABLE: connect ECONNREFUSED [address] ([host])');
    expect(text).not.toMatch(/10\.1\.2\.3|7233|corp\.internal/);
  });
});
