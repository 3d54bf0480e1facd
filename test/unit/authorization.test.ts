import { describe, expect, it, vi, type Mock } from 'vitest';
import { cachedDirectory, isReviewer, mayCancel, reviewersList, type ReviewerDirectory } from '../../src/slack/listeners/authorization.js';

/** A directory over fixed groups, recording which groups were looked up. */
function directory(groups: Record<string, string[]>): { membersOf: Mock<(groupId: string) => Promise<string[]>> } {
  return { membersOf: vi.fn(async (groupId: string) => groups[groupId] ?? []) };
}

describe('isReviewer', () => {
  it('lets anyone decide when no reviewers are configured, without asking the directory', async () => {
    const dir = directory({});
    expect(await isReviewer({ reviewers: [], directory: dir }, 'U0ANYONE')).toBe(true);
    expect(dir.membersOf).not.toHaveBeenCalled();
  });

  it('accepts a listed user without asking the directory', async () => {
    const dir = directory({ S0EDITORS: [] });
    expect(await isReviewer({ reviewers: ['S0EDITORS', 'U0ALICE'], directory: dir }, 'U0ALICE')).toBe(true);
    expect(dir.membersOf).not.toHaveBeenCalled();
  });

  it('accepts a member of a listed user group', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB', 'U0CAROL'] });
    expect(await isReviewer({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0CAROL')).toBe(true);
    expect(dir.membersOf).toHaveBeenCalledWith('S0EDITORS');
  });

  it('looks through every listed group', async () => {
    const dir = directory({ S0FIRST: ['U0BOB'], S0SECOND: ['U0DAVE'] });
    expect(await isReviewer({ reviewers: ['S0FIRST', 'S0SECOND'], directory: dir }, 'U0DAVE')).toBe(true);
    expect(dir.membersOf.mock.calls.map(([id]) => id)).toEqual(['S0FIRST', 'S0SECOND']);
  });

  it('refuses someone who is neither listed nor in a listed group', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB'] });
    expect(await isReviewer({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0MALLORY')).toBe(false);
  });

  it('only asks the directory about user groups (S…), not users', async () => {
    const dir = directory({});
    expect(await isReviewer({ reviewers: ['U0ALICE', 'W0BOB'], directory: dir }, 'U0MALLORY')).toBe(false);
    expect(dir.membersOf).not.toHaveBeenCalled();
  });

  it('does not treat a group ID typed as a user ID as membership', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB'] });
    expect(await isReviewer({ reviewers: ['S0EDITORS'], directory: dir }, 'S0OTHER')).toBe(false);
  });

  it('lets a directory failure reach the caller instead of granting access', async () => {
    const failing: ReviewerDirectory = { membersOf: () => Promise.reject(new Error('missing_scope')) };
    await expect(isReviewer({ reviewers: ['S0EDITORS'], directory: failing }, 'U0BOB')).rejects.toThrow('missing_scope');
  });
});

describe('mayCancel', () => {
  it('always lets the requester cancel, even when reviewers are configured', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB'] });
    expect(await mayCancel({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0REQUESTER', 'U0REQUESTER')).toBe(true);
    expect(dir.membersOf).not.toHaveBeenCalled();
  });

  it('lets a reviewer cancel someone else’s pipeline', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB'] });
    expect(await mayCancel({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0ALICE', 'U0REQUESTER')).toBe(true);
    expect(await mayCancel({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0BOB', 'U0REQUESTER')).toBe(true);
  });

  it('refuses others', async () => {
    const dir = directory({ S0EDITORS: ['U0BOB'] });
    expect(await mayCancel({ reviewers: ['U0ALICE', 'S0EDITORS'], directory: dir }, 'U0MALLORY', 'U0REQUESTER')).toBe(false);
  });

  it('refuses others when the requester is unknown', async () => {
    expect(await mayCancel({ reviewers: ['U0ALICE'], directory: directory({}) }, 'U0MALLORY', undefined)).toBe(false);
  });

  it('lets only the requester cancel (or answer a budget question) when no reviewers are configured', async () => {
    expect(await mayCancel({ reviewers: [], directory: directory({}) }, 'U0MALLORY', 'U0REQUESTER')).toBe(false);
    expect(await mayCancel({ reviewers: [], directory: directory({}) }, 'U0REQUESTER', 'U0REQUESTER')).toBe(true);
  });
});

describe('reviewersList', () => {
  it('names people as mentions and groups as group mentions, comma-separated', () => {
    expect(reviewersList(['U0ALICE', 'S0EDITORS', 'W0BOB'])).toBe('<@U0ALICE>, <!subteam^S0EDITORS>, <@W0BOB>');
  });

  it('names a single reviewer without a separator', () => {
    expect(reviewersList(['U0ALICE'])).toBe('<@U0ALICE>');
  });

  it('is empty for no reviewers', () => {
    expect(reviewersList([])).toBe('');
  });
});

describe('cachedDirectory', () => {
  function setup() {
    let clock = 1_000_000;
    let loads = 0;
    const load = vi.fn(async (groupId: string) => {
      loads += 1;
      return [`${groupId}-member-${loads}`];
    });
    const dir = cachedDirectory(load, () => clock);
    return {
      dir,
      load,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  it('loads a group on first use', async () => {
    const { dir, load } = setup();
    expect(await dir.membersOf('S0EDITORS')).toEqual(['S0EDITORS-member-1']);
    expect(load).toHaveBeenCalledExactlyOnceWith('S0EDITORS');
  });

  it('serves a group from the cache for 60 seconds', async () => {
    const { dir, load, advance } = setup();
    await dir.membersOf('S0EDITORS');
    advance(30_000);
    expect(await dir.membersOf('S0EDITORS')).toEqual(['S0EDITORS-member-1']);
    advance(29_999);
    expect(await dir.membersOf('S0EDITORS')).toEqual(['S0EDITORS-member-1']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('reloads once 60 seconds have passed, and caches the new answer', async () => {
    const { dir, load, advance } = setup();
    await dir.membersOf('S0EDITORS');
    advance(60_000);
    expect(await dir.membersOf('S0EDITORS')).toEqual(['S0EDITORS-member-2']);
    expect(load).toHaveBeenCalledTimes(2);
    advance(59_999);
    expect(await dir.membersOf('S0EDITORS')).toEqual(['S0EDITORS-member-2']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('caches each group separately', async () => {
    const { dir, load } = setup();
    expect(await dir.membersOf('S0ONE')).toEqual(['S0ONE-member-1']);
    expect(await dir.membersOf('S0TWO')).toEqual(['S0TWO-member-2']);
    expect(await dir.membersOf('S0ONE')).toEqual(['S0ONE-member-1']);
    expect(load.mock.calls.map(([id]) => id)).toEqual(['S0ONE', 'S0TWO']);
  });

  it('shares one load between concurrent lookups of the same group', async () => {
    const { dir, load } = setup();
    const [a, b, c] = await Promise.all([dir.membersOf('S0EDITORS'), dir.membersOf('S0EDITORS'), dir.membersOf('S0EDITORS')]);
    expect(a).toEqual(['S0EDITORS-member-1']);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failure: the next lookup tries again', async () => {
    let clock = 0;
    const load = vi
      .fn<(groupId: string) => Promise<string[]>>()
      .mockRejectedValueOnce(new Error('ratelimited'))
      .mockResolvedValueOnce(['U0BOB']);
    const dir = cachedDirectory(load, () => clock);
    await expect(dir.membersOf('S0EDITORS')).rejects.toThrow('ratelimited');
    clock += 1; // well within the 60 s a success would be cached for
    expect(await dir.membersOf('S0EDITORS')).toEqual(['U0BOB']);
    expect(load).toHaveBeenCalledTimes(2);
    // …and the success is cached.
    expect(await dir.membersOf('S0EDITORS')).toEqual(['U0BOB']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('uses the real clock by default', async () => {
    const load = vi.fn(async () => ['U0BOB']);
    const dir = cachedDirectory(load);
    await dir.membersOf('S0EDITORS');
    await dir.membersOf('S0EDITORS');
    expect(load).toHaveBeenCalledTimes(1);
  });
});
