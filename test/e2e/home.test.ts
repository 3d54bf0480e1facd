/**
 * App Home, end to end from signed requests: `app_home_opened` publishes the viewer's pipelines
 * (read from Temporal visibility), a reviewer sees the draft waiting for them, and the New research
 * button opens a modal whose submission starts a pipeline in the chosen channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { buttonClickBody, eventCallbackBody, signedHeaders } from '../harness/slack-signing.js';
import { CHANNEL, REVIEWER, SIGNING_SECRET, startStack, type Stack } from '../harness/stack.js';

/** A requester of this file's own: other test files share the Temporal server (and its visibility). */
const REQUESTER = 'U0HOMEVIEWER';
import { HOME_NEW_RESEARCH_ACTION_ID, NEW_RESEARCH_CALLBACK_ID } from '../../src/slack/blocks/home.js';

describe('App Home tab', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  /** Opens the Home tab as `user` and returns the text of the view the bot published for it. */
  async function openHome(user: string): Promise<string> {
    const before = stack.slack.callsOf('views.publish').length;
    const body = eventCallbackBody({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` });
    // Slack sends events as JSON.
    const response = await stack.postToBot(body, { ...signedHeaders(SIGNING_SECRET, body), 'content-type': 'application/json' });
    expect(response.status).toBe(200);
    const call = await waitFor('views.publish', () => stack.slack.callsOf('views.publish').slice(before).find((c) => c.args.user_id === user));
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    return blockText({ channel: '', ts: '', blocks: view.blocks as never });
  }

  it("publishes the viewer's pipelines and the reviewer's waiting drafts, from Temporal", async () => {
    await stack.research('home tab topic', { userId: REQUESTER });
    const { workflowId, threadTs } = await stack.waitForPipeline('home tab topic');
    await stack.waitForDraft(threadTs);

    // Without opening the tab: the worker re-publishes the requester's Home once the stage changed.
    await waitFor('the worker refreshing the Home with the draft awaiting review', () =>
      stack.slack.callsOf('views.publish').find((call) => call.args.user_id === REQUESTER && blockText({ channel: '', ts: '', blocks: (call.args.view as { blocks: never }).blocks }).includes('home tab topic*\nawaiting-review')), 20_000);
    expect(stack.slack.homeViews.get(REQUESTER)).toBeDefined();

    // Visibility follows the workflow's search attributes a moment later: open again until it shows the stage.
    const mine = await waitFor('the Home tab showing the draft awaiting review', async () => {
      const text = await openHome(REQUESTER);
      return text.includes('home tab topic*\nawaiting-review') ? text : undefined;
    }, 20_000);
    expect(mine).toContain('home tab topic');
    expect(mine).toContain('draft v1');
    expect(mine).toContain(`/workflows/${workflowId}`);
    // A link to the run's thread (its permalink: archives/<channel>/p<ts without the dot>).
    expect(mine).toContain(`https://test-workspace.slack.com/archives/${CHANNEL}/p${threadTs.replace('.', '')}`);
    expect(mine).toMatch(/Team spend today\*\n\S+ · [1-9]\d* runs?/);

    const reviewers = await openHome(REVIEWER);
    expect(reviewers).toMatch(/Drafts waiting for your review\s*\*home tab topic\*/);
    expect(reviewers).toContain('None yet');
  }, 60_000);

  it('New research opens a modal at once; its submission starts a pipeline, or says what is missing', async () => {
    const opened = stack.slack.callsOf('views.open').length;
    const click = await stack.postToBot(buttonClickBody({ actionId: HOME_NEW_RESEARCH_ACTION_ID, value: 'new', userId: REQUESTER, messageTs: '1', responseUrl: stack.slack.responseUrl('home-1') }));
    expect(click.status).toBe(200);
    const view = await stack.waitForModal(NEW_RESEARCH_CALLBACK_ID, opened);

    const submit = (topic: string, channel: string | null) => {
      const payload = {
        type: 'view_submission',
        team: { id: 'T0TEST01', domain: 'test-workspace' },
        user: { id: REQUESTER, username: 'req', name: 'req', team_id: 'T0TEST01' },
        api_app_id: 'A0TESTAPP',
        token: 'legacy-verification-token',
        trigger_id: `trigger-${Date.now()}`,
        view: {
          id: `VHOME${Date.now()}`, team_id: 'T0TEST01', type: 'modal', callback_id: view.callback_id, private_metadata: '', blocks: view.blocks,
          state: { values: { topic: { topic_input: { type: 'plain_text_input', value: topic } }, channel: { channel_select: { type: 'conversations_select', selected_conversation: channel } } } },
          hash: 'h', app_id: 'A0TESTAPP', bot_id: 'BBOT0001',
        },
        response_urls: [],
      };
      return stack.postToBot(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    };

    const refused = await submit('   ', null);
    expect(refused.json).toMatchObject({ response_action: 'errors', errors: { topic: expect.any(String), channel: expect.any(String) } });

    // A private channel the submitter is not in (a forged choice: Slack's picker would not offer it).
    stack.slack.channels.add({ id: 'G0NOTMINE1', kind: 'private', botIsMember: true, members: ['U0SOMEONE'] });
    const foreign = await submit('forged private start', 'G0NOTMINE1');
    expect(foreign.json).toMatchObject({ response_action: 'errors', errors: { channel: 'Pick a public channel or a conversation you are in.' } });
    expect(stack.slack.channelMessages('G0NOTMINE1')).toHaveLength(0);

    const published = stack.slack.callsOf('views.publish').length;
    const accepted = await submit('started from home', CHANNEL);
    expect(accepted.status).toBe(200);
    expect(accepted.json?.response_action).toBeUndefined();
    const { threadTs } = await stack.waitForPipeline('started from home');
    expect(stack.slack.message(CHANNEL, threadTs)?.text).toContain('started from home');
    // The Home tab is refreshed after the start.
    await waitFor('a refreshed Home', () => stack.slack.callsOf('views.publish').slice(published).find((c) => c.args.user_id === REQUESTER));
  }, 60_000);
});
