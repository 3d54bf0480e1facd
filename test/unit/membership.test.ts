/** The bot's membership source: cached per person for a time limit, dropped on events, never failing open. */
import { describe, expect, it, vi } from 'vitest';
import { cachedMembership, cachedVisibility, visibilityOf } from '../../src/slack/membership.js';
import { membershipProblem, visibleTo } from '../../src/temporal/home.js';

describe('cachedMembership', () => {
  it('asks Slack once per person within the time limit, and again after it', async () => {
    let clock = 0;
    const load = vi.fn(async (user: string) => (user === 'U1' ? ['C1', 'G2'] : ['C1']));
    const membership = cachedMembership(load, 5 * 60_000, () => clock);
    expect([...(await membership.conversationsOf('U1'))]).toEqual(['C1', 'G2']);
    clock = 4 * 60_000;
    expect(await membership.isMember('U1', 'G2')).toBe(true);
    expect(await membership.isMember('U2', 'G2')).toBe(false);
    expect(load).toHaveBeenCalledTimes(2); // U1 once, U2 once
    clock = 5 * 60_000 + 1;
    await membership.conversationsOf('U1');
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('forgets a person on a membership event, and everyone when the bot leaves a conversation', async () => {
    const members = new Map([['U1', ['C1', 'G2']], ['U2', ['G2']]]);
    const load = vi.fn(async (user: string) => members.get(user) ?? []);
    const membership = cachedMembership(load, 60 * 60_000);
    expect(await membership.isMember('U1', 'G2')).toBe(true);
    members.set('U1', ['C1']);
    expect(await membership.isMember('U1', 'G2')).toBe(true); // still cached
    membership.forgetUser('U1'); // member_left_channel
    expect(await membership.isMember('U1', 'G2')).toBe(false);
    expect(await membership.isMember('U2', 'G2')).toBe(true);
    members.set('U2', []);
    membership.forgetAll(); // group_left: the bot is no longer in G2
    expect(await membership.isMember('U2', 'G2')).toBe(false);
  });

  it('never fails open: a failed answer is an error (or "not a member"), and is not cached', async () => {
    const load = vi.fn<(user: string) => Promise<string[]>>().mockRejectedValueOnce(Object.assign(new Error('An API error occurred: ratelimited'), { data: { error: 'ratelimited' } })).mockResolvedValue(['G2']);
    const membership = cachedMembership(load, 60_000);
    await expect(membership.conversationsOf('U1')).rejects.toThrow('ratelimited');
    expect(await membership.isMember('U1', 'G2')).toBe(true); // asked again, not served the failure
    const failing = cachedMembership(async () => { throw new Error('fetch failed'); }, 60_000);
    expect(await failing.isMember('U1', 'G2')).toBe(false);
  });
});

describe('visibility of a conversation', () => {
  const info = (channel: Record<string, unknown> | Error) => ({
    conversations: { info: vi.fn(async () => { if (channel instanceof Error) throw channel; return { ok: true, channel }; }) },
  }) as never;

  it('public only when Slack says it is not private; DMs and group DMs by kind; anything else private', async () => {
    expect(await visibilityOf(info({ is_private: false }), 'C1')).toBe('public');
    expect(await visibilityOf(info({ is_private: true }), 'C1')).toBe('private');
    expect(await visibilityOf(info({ is_im: true, is_private: true }), 'D1')).toBe('im');
    expect(await visibilityOf(info({ is_mpim: true, is_private: true }), 'G1')).toBe('mpim');
    expect(await visibilityOf(info({}), 'C1')).toBe('private');
    expect(await visibilityOf(info(new Error('channel_not_found')), 'C1')).toBe('private');
  });

  it('caches a "public" answer for the time limit, never a "private" one (which may be Slack not answering)', async () => {
    let clock = 0;
    const load = vi.fn(async (channel: string) => (channel === 'C1' ? 'public' as const : 'private' as const));
    const { visibility, forget } = cachedVisibility(load, 60_000, () => clock);
    await visibility('C1');
    await visibility('C1');
    await visibility('G1');
    await visibility('G1');
    expect(load).toHaveBeenCalledTimes(3);
    clock = 60_001;
    await visibility('C1');
    expect(load).toHaveBeenCalledTimes(4);
    // channel_converted_to_private: asked again at once, within the time limit.
    forget('C1');
    await visibility('C1');
    expect(load).toHaveBeenCalledTimes(5);
  });
});

describe('the Home query and its note', () => {
  it('lets through public channels and the viewer\'s conversations, IDs sanitised', () => {
    expect(visibleTo(new Set())).toBe("(ChannelVisibility = 'public')");
    expect(visibleTo(new Set(['C1', 'D2', "G3') OR ('1'='1"]))).toBe("(ChannelVisibility = 'public' OR Channel IN ('C1', 'D2', 'G3OR11'))");
  });

  it('gives a guest only their own conversations, and nothing at all when there are none', () => {
    expect(visibleTo(new Set(['C1', 'G2']), false)).toBe("(Channel IN ('C1', 'G2'))");
    expect(visibleTo(new Set(), false)).toBe("(ChannelVisibility = 'none')");
  });

  it('says what to do, without Slack\'s raw error text', () => {
    expect(membershipProblem({ data: { error: 'missing_scope' } })).toContain('reinstall it with the scopes in manifest.yml');
    expect(membershipProblem({ code: 'slack_webapi_rate_limited_error' })).toContain('slow down');
    expect(membershipProblem(new Error('connect ECONNREFUSED 10.0.0.7:443'))).not.toContain('10.0.0.7');
  });
});

describe('isReviewer in a conversation', () => {
  const directory = { membersOf: async () => ['U0GROUPED'] };
  const membership = cachedMembership(async (user: string) => (user === 'U0INSIDE' || user === 'U0GROUPED' ? ['G0PRIVATE'] : []), 60_000);
  const deps = { reviewers: ['U0INSIDE', 'U0OUTSIDE', 'S0EDITORS'], directory, membership, channelVisibility: async () => 'private' as const };

  it('counts a named reviewer (or a group member) in a private conversation only when they are in it', async () => {
    const { isReviewer } = await import('../../src/slack/listeners/authorization.js');
    expect(await isReviewer(deps, 'U0INSIDE', { channel: 'G0PRIVATE', visibility: 'private' })).toBe(true);
    expect(await isReviewer(deps, 'U0GROUPED', { channel: 'G0PRIVATE', visibility: 'private' })).toBe(true);
    expect(await isReviewer(deps, 'U0OUTSIDE', { channel: 'G0PRIVATE', visibility: 'private' })).toBe(false);
    // Visibility unknown (a run from before the attribute): asked of Slack, here "private".
    expect(await isReviewer(deps, 'U0OUTSIDE', { channel: 'G0PRIVATE' })).toBe(false);
    // Public channels: every named reviewer.
    expect(await isReviewer(deps, 'U0OUTSIDE', { channel: 'C0PUBLIC', visibility: 'public' })).toBe(true);
    // Not a reviewer at all: no.
    expect(await isReviewer(deps, 'U0MALLORY', { channel: 'C0PUBLIC', visibility: 'public' })).toBe(false);
  });
});

describe('within', () => {
  it('answers what the lookup answers in time, and fails (closed) when it does not', async () => {
    const { within } = await import('../../src/slack/membership.js');
    expect(await within(Promise.resolve(['C1']), 100, 'users.conversations')).toEqual(['C1']);
    await expect(within(new Promise(() => undefined), 20, 'users.conversations')).rejects.toThrow('users.conversations did not answer within 20 ms');
  });
});

describe('the Home when Slack could not say', () => {
  it('shows the note above the lists, in words, with what to do', async () => {
    const { homeView } = await import('../../src/slack/blocks/home.js');
    const view = homeView(
      { userId: 'U1', page: 0, recent: [], moreRecent: false, awaitingReview: [], spend: { todayUsd: 0, monthUsd: 0, todayRuns: 0, monthRuns: 0, partial: false }, membershipNote: membershipProblem({ data: { error: 'missing_scope' } }) },
      { temporalUiUrl: 'http://ui.test', namespace: 'default', now: new Date('2026-12-03T08:00:00Z') },
    );
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Runs in private channels and direct messages are hidden for now');
    expect(text).toContain('reinstall it with the scopes in manifest.yml');
    expect(text.indexOf('hidden for now')).toBeLessThan(text.indexOf('Drafts waiting for your review'));
  });
});

describe('MEMBERSHIP_CACHE_TTL', () => {
  it('defaults to 5 minutes, takes a duration, and refuses anything else with a helpful message', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', OPENAI_API_KEY: 'sk-x', TEMPORAL_CONFIG_FILE: join(mkdtempSync(join(tmpdir(), 'mct-')), 'none.toml') };
    expect(loadConfig(base).slack.membershipCacheMs).toBe(5 * 60_000);
    expect(loadConfig({ ...base, MEMBERSHIP_CACHE_TTL: '90s' }).slack.membershipCacheMs).toBe(90_000);
    let error: unknown;
    try {
      loadConfig({ ...base, MEMBERSHIP_CACHE_TTL: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toContain('MEMBERSHIP_CACHE_TTL');
  });
});
