/**
 * Figure 10 of `npm run bench` (BENCH_ONLY=10 alone; `npx tsx bench/home-membership.ts` prints it
 * too): how long App Home takes to load with the membership check, cold (the viewer's
 * conversations not cached: users.conversations first) and cached, against an in-memory Temporal
 * dev server and the stand-in Slack (rate limits lifted: this measures our code, not Slack's quota).
 *
 * The namespace holds RUNS pipelines (no worker: they stay running, search attributes set at
 * start as the bot sets them): half in public channels, half in private ones; the viewer is in
 * CONVERSATIONS conversations (two pages of users.conversations at 200 a page), a tenth of the
 * private channels among them.
 */
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { WebClient } from '@slack/web-api';
import { ensureTemporalCli } from '../src/temporal/cli.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { loadHome } from '../src/temporal/home.js';
import { cachedMembership, conversationsOf } from '../src/slack/membership.js';
import { FakeSlack } from '../src/stand-ins/slack/index.js';
import {
  ChannelAttribute,
  ChannelVisibilityAttribute,
  RequestedByAttribute,
  SEARCH_ATTRIBUTE_FLAGS,
  StageAttribute,
} from '../src/workflows/search-attributes.js';
import { roundSummary, summarize, type Summary } from './lib/stats.js';

const RUNS = 400;
const CONVERSATIONS = 300;
const ROUNDS = 30;
const VIEWER = 'U0VIEWER';

export interface HomeMembershipFigure {
  runs: number;
  conversations: number;
  rounds: number;
  usersConversationsPages: number;
  coldMs: Summary;
  cachedMs: Summary;
  usersConversationsMs: Summary;
}

export async function homeMembershipFigure(): Promise<HomeMembershipFigure> {
  const cliPath = await ensureTemporalCli({ env: process.env });
  const temporal = await startDevServer({ cliPath, port: 0, headless: true, logLevel: 'error', searchAttributes: SEARCH_ATTRIBUTE_FLAGS });
  const slack = await new FakeSlack().start();
  slack.rateLimits.disable();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  try {
    const privateChannels = Array.from({ length: 50 }, (_, i) => `G0PRIV${String(i).padStart(4, '0')}`);
    for (const [i, id] of privateChannels.entries()) slack.channels.add({ id, kind: 'private', botIsMember: true, members: i % 10 === 0 ? [VIEWER] : [] });
    for (let i = 0; i < CONVERSATIONS - privateChannels.length / 10; i += 1) slack.channels.add({ id: `C0PUB${String(i).padStart(5, '0')}`, members: [VIEWER] });
    const starts = Array.from({ length: RUNS }, (_, i) => {
      const isPrivate = i % 2 === 1;
      const channel = isPrivate ? privateChannels[i % privateChannels.length]! : `C0PUB${String(i % 100).padStart(5, '0')}`;
      return client.workflow.start('contentPipeline', {
        workflowId: `research-bench-home-${i}`,
        taskQueue: 'no-worker-here',
        args: [],
        typedSearchAttributes: new TypedSearchAttributes([
          { key: RequestedByAttribute, value: i % 4 === 0 ? VIEWER : 'U0OTHER' },
          { key: StageAttribute, value: i % 3 === 0 ? 'AwaitingReview' : 'Researching' },
          { key: ChannelAttribute, value: channel },
          { key: ChannelVisibilityAttribute, value: isPrivate ? 'private' : 'public' },
        ]),
        memo: { topic: `topic ${i}`, channel },
      });
    });
    await Promise.all(starts);
    // Visibility is eventually consistent: wait until every run is listed.
    for (;;) {
      const { count } = await client.workflow.count(`WorkflowType = 'contentPipeline'`);
      if (count >= RUNS) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const web = new WebClient('xoxb-bench', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const membership = cachedMembership((user) => conversationsOf(web, user), 5 * 60_000);
    const options = { reviewers: [], membership: (user: string) => membership.conversationsOf(user), seesPublicChannels: async () => true };
    const listed = (await membership.conversationsOf(VIEWER)).size;
    const time = async () => {
      const started = performance.now();
      const home = await loadHome(client, VIEWER, 0, options);
      if (home.error || home.membershipNote) throw new Error(home.error ?? home.membershipNote);
      return performance.now() - started;
    };
    await time(); // warm-up (connections, first queries)
    const cold: number[] = [];
    const cached: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      membership.forgetAll();
      cold.push(await time());
      cached.push(await time());
    }
    const ucCalls = slack.callsOf('users.conversations').length;
    // Slack's part alone: the viewer's conversations, both pages, from the stand-in.
    const lookups: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const started = performance.now();
      await conversationsOf(web, VIEWER);
      lookups.push(performance.now() - started);
    }
    return {
      runs: RUNS,
      conversations: listed,
      rounds: ROUNDS,
      usersConversationsPages: Math.round(ucCalls / (ROUNDS + 2)),
      coldMs: roundSummary(summarize(cold)),
      cachedMs: roundSummary(summarize(cached)),
      usersConversationsMs: roundSummary(summarize(lookups)),
    };
  } finally {
    await connection.close();
    await slack.stop();
    await temporal.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const f = await homeMembershipFigure();
  const fmt = (s: Summary) => `p50 ${s.p50} ms, p90 ${s.p90} ms, max ${s.max} ms`;
  console.log(`App Home with the membership check: ${f.runs} runs in the namespace, the viewer in ${f.conversations} conversations, ${f.rounds} rounds`);
  console.log(`  cold (users.conversations, ${f.usersConversationsPages} page(s), then the visibility queries): ${fmt(f.coldMs)}`);
  console.log(`  cached (visibility queries only): ${fmt(f.cachedMs)}`);
  console.log(`  users.conversations alone (stand-in, every page): ${fmt(f.usersConversationsMs)}`);
}
