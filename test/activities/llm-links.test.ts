/**
 * The writer's link policy (LINK_POLICY) in MockActivityEnvironment, with a real ChatOpenAI talking to
 * the stand-in: the draft comes back with the statuses of its own links against the run's sources (research
 * results, passages' text and source names); under `strip-unsourced` the links in no source are replaced by their text,
 * in the first draft and in revisions, and the result says how many went.
 */
import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmActivities, type WriteArticleInput } from '../../src/activities/llm.js';
import { runActivity } from '../harness/activity-env.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

describe('writer link policy', () => {
  const openai = new FakeOpenAI();
  const model = (name: string) => ({
    name,
    model: new ChatOpenAI({ model: name, apiKey: 'sk-test', maxRetries: 0, timeout: 5_000, __includeRawResponse: true, configuration: { baseURL: openai.baseUrl } }),
  });

  const research: WriteArticleInput['research'] = {
    facts: 'Key fact, from https://facts.example/report#section-2.',
    examples: [{ title: 'Acme', description: 'Acme wrote it up at <https://acme.example/blog/>.' }],
    statistics: 'See [the survey](https://stats.example/2026).',
    grounding: {
      status: 'grounded',
      passages: [{ n: 1, source: 'https://wiki.example/page', section: '', page: 0, text: 'Our runbook: https://runbook.example/zephyr', score: 0.9 }],
    },
  };
  const planted =
    'Sourced: [report](https://FACTS.example/report), [blog](https://acme.example/blog), https://stats.example/2026, [wiki](https://wiki.example/page/), [runbook](https://runbook.example/zephyr) [1].\n' +
    'Planted: [docs.company.com](https://evil.example/login) and ![pixel](https://tracker.example/p.gif) and https://bare.evil/x.';

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(() => {
    openai.completions.length = 0;
  });

  it('show (the default): the draft as written, each of its links with the source that holds it', async () => {
    const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o') });
    openai.script('writeArticle', { content: planted });
    const written = await runActivity(activities.writeArticle, { topic: 'Zephyr', research });
    expect(written.output).toContain('[docs.company.com](https://evil.example/login)');
    expect(written.links?.policy).toBe('show');
    expect(written.links?.removed).toBeUndefined();
    const from = Object.fromEntries(written.links!.known!.map((url, i) => [url, written.links!.from![i]]));
    expect(from).toEqual({
      'https://facts.example/report': 'research (key facts)',
      'https://stats.example/2026': 'research (statistics)',
      'https://acme.example/blog': 'research (examples)',
      'https://runbook.example/zephyr': '[1] https://wiki.example/page',
      'https://wiki.example/page': '[1] https://wiki.example/page',
    });
  });

  it('strip-unsourced: every planted link replaced by its text in the first draft and in a revision, sourced links kept, the count returned', async () => {
    const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o'), linkPolicy: 'strip-unsourced' });
    openai.script('writeArticle', { content: planted });
    const written = await runActivity(activities.writeArticle, { topic: 'Zephyr', research });
    expect(written.output).toContain('Planted: docs.company.com and pixel and (link removed).');
    for (const kept of ['[report](https://FACTS.example/report)', '[blog](https://acme.example/blog)', 'https://stats.example/2026', '[wiki](https://wiki.example/page/)', '[runbook](https://runbook.example/zephyr)']) {
      expect(written.output).toContain(kept);
    }
    expect(written.links).toMatchObject({ policy: 'strip-unsourced', removed: { count: 3, domains: ['evil.example', 'tracker.example', 'bare.evil'] } });

    openai.script('reviseArticle', { content: `${written.output}\nNew: <https://phish.example|your account>` });
    const revised = await runActivity(activities.reviseArticle, { topic: 'Zephyr', research, article: written.output, feedback: 'add a link' });
    expect(revised.output).toContain('New: your account');
    expect(revised.output).not.toContain('phish.example');
    expect(revised.links?.removed).toEqual({ count: 1, domains: ['phish.example'] });
  });

  it('only the statuses of the draft\'s own links travel with it, however many URLs the sources hold', async () => {
    const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o') });
    const many = { ...research, facts: Array.from({ length: 300 }, (_, i) => `https://facts${i}.example/${'r'.repeat(80)}`).join(' ') };
    openai.script('writeArticle', { content: `One sourced: [r](https://facts5.example/${'r'.repeat(80)}); one planted: [x](https://evil.example/login).` });
    const written = await runActivity(activities.writeArticle, { topic: 'Zephyr', research: many });
    expect(written.links).toEqual({
      known: [`https://facts5.example/${'r'.repeat(80)}`], from: ['research (key facts)'], unsourced: ['https://evil.example/login'], policy: 'show',
    });
    expect(JSON.stringify(written.links).length).toBeLessThan(400);
  });

  it('strip-unsourced with nothing to remove says nothing was removed', async () => {
    const activities = createLlmActivities({ research: model('gpt-4o-mini'), writer: model('gpt-4o'), linkPolicy: 'strip-unsourced' });
    openai.script('writeArticle', { content: 'No links at all.' });
    const written = await runActivity(activities.writeArticle, { topic: 'Zephyr', research });
    expect(written.output).toContain('No links at all.');
    expect(written.links?.removed).toBeUndefined();
  });
});
