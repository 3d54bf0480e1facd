/**
 * The `reviewersIn` activity (patch reviewers-by-membership) with a real WebClient aimed at the
 * stand-in Slack: every named reviewer in a public channel; in a private channel or DM only its
 * members, the rest named as outside; a conversation Slack will not describe counts as private,
 * and members it cannot read fail the activity rather than letting everyone in.
 */
import { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackActivities } from '../../src/activities/slack.js';
import { runActivity } from '../harness/activity-env.js';
import { blockText, FakeSlack } from '../harness/fake-slack.js';

describe('reviewersIn', () => {
  const slack = new FakeSlack();
  let activities: ReturnType<typeof createSlackActivities>;
  beforeAll(async () => {
    await slack.start();
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    activities = createSlackActivities({ slack: client, temporalUiUrl: 'http://ui.test:8233/', namespace: 'default' });
    slack.channels.add({ id: 'C0PUBLIC01', members: ['U1'] });
    slack.channels.add({ id: 'G0PRIVATE1', kind: 'private', botIsMember: true, members: ['U1', 'U2', 'U5'] });
    slack.channels.add({ id: 'G0HIDDEN01', kind: 'private', botIsMember: false, members: ['U1'] });
    slack.userGroups.set('S0EDITORS', ['U5', 'U6']);
    slack.expectedRefusals.add('channel_not_found');
  });
  afterAll(() => slack.stop());

  it('a public channel: every named reviewer, groups expanded', async () => {
    expect(await runActivity(activities.reviewersIn, { reviewers: ['U3', 'S0EDITORS'], channel: 'C0PUBLIC01' })).toEqual({ allowed: ['U3', 'U5', 'U6'], outside: [] });
  });

  it('a private channel: only its members; the others are outside', async () => {
    expect(await runActivity(activities.reviewersIn, { reviewers: ['U2', 'U3', 'S0EDITORS'], channel: 'G0PRIVATE1' })).toEqual({ allowed: ['U2', 'U5'], outside: ['U3', 'U6'] });
  });

  it('a conversation the bot cannot see: never everyone (the members lookup fails the activity)', async () => {
    await expect(runActivity(activities.reviewersIn, { reviewers: ['U1'], channel: 'G0HIDDEN01' })).rejects.toBeInstanceOf(ApplicationFailure);
  });

  it('postReviewersOutside names them once in the thread, and says what to do', async () => {
    const workflowId = 'research-x-20261203-abc123';
    await runActivity(activities.postReviewersOutside, { channel: 'G0PRIVATE1', threadTs: '1.000001', workflowId, outside: ['U3', 'U6'], inside: 0 });
    const note = slack.messages.find((m) => m.metadata?.event_payload.kind === 'reviewers_outside')!;
    expect(note.thread_ts).toBe('1.000001');
    expect(blockText(note)).toContain('<@U3> and <@U6> are reviewers but not in this private conversation');
    expect(blockText(note)).toContain('No reviewer is in this conversation');
  });
});
