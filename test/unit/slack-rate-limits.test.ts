import { describe, expect, it } from 'vitest';
import { METHOD_TIERS, RateLimiter, TIER_PER_MINUTE } from '../../src/stand-ins/slack/rate-limits.js';

describe('stand-in Slack rate limits', () => {
  it('allows a tier’s per-minute floor within a sliding minute, then answers the seconds until the oldest call leaves', () => {
    const limiter = new RateLimiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 50; i += 1) expect(limiter.take('chat.update', {}, t0 + i * 100)).toBeUndefined();
    // 51st within the minute: the first call (at t0) leaves the window at t0 + 60 s.
    expect(limiter.take('chat.update', {}, t0 + 10_000)).toBe(50);
    expect(limiter.take('chat.update', {}, t0 + 59_500)).toBe(1);
    expect(limiter.take('chat.update', {}, t0 + 60_001)).toBeUndefined();
  });

  it('limits chat.postMessage per channel, 60 a minute (one a second, bursts allowed)', () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 60; i += 1) expect(limiter.take('chat.postMessage', { channel: 'C1' }, 5_000)).toBeUndefined();
    expect(limiter.take('chat.postMessage', { channel: 'C1' }, 5_000)).toBe(60);
    expect(limiter.take('chat.postMessage', { channel: 'C2' }, 5_000)).toBeUndefined();
  });

  it('uses each method’s documented tier; unknown methods are not limited; tests can lower a limit', () => {
    const limiter = new RateLimiter();
    expect(limiter.limitOf('views.open')).toEqual({ max: TIER_PER_MINUTE[METHOD_TIERS['views.open']!], windowMs: 60_000 });
    expect(limiter.limitOf('usergroups.users.list')?.max).toBe(20);
    expect(limiter.limitOf('auth.test')).toBeUndefined();
    limiter.set('views.update', { max: 1, windowMs: 2_000 });
    expect(limiter.take('views.update', {}, 0)).toBeUndefined();
    expect(limiter.take('views.update', {}, 500)).toBe(2);
    expect(limiter.take('views.update', {}, 2_001)).toBeUndefined();
    expect(limiter.peaks.get('views.update')).toBe(1);
  });
});
