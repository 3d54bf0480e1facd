/**
 * Slack's Web API rate limits, as the stand-in enforces them: a limit per method (and, for
 * chat.postMessage, per channel) over a sliding window, answered with HTTP 429, `ratelimited` and
 * a `Retry-After` header in seconds, as Slack does.
 *
 * Limits apply "per API method per app per workspace"; Tier 1 allows "1+ per minute", Tier 2
 * "20+", Tier 3 "50+", Tier 4 "100+"; chat.postMessage (special tier) "generally allows posting one
 * message per second per channel", short bursts allowed.
 * https://docs.slack.dev/apis/web-api/rate-limits (also https://api.slack.com/docs/rate-limits).
 * The error `ratelimited`: "Refer to the Retry-After header for when to retry the request" (every
 * method page's error table, e.g. https://docs.slack.dev/reference/methods/chat.update).
 *
 * The stand-in takes each tier's lower figure as the limit (Slack's "+" is a floor it may exceed,
 * so this is never more lenient), over a 60 s sliding window. Methods whose tier is not listed here
 * are not limited. Tests lower a limit (and shorten its window) to provoke a 429 cheaply.
 */

export type Tier = 1 | 2 | 3 | 4;

/** Requests per minute of each tier (the documented floor). */
export const TIER_PER_MINUTE: Record<Tier, number> = { 1: 1, 2: 20, 3: 50, 4: 100 };

/**
 * The tier of each method the project calls, from each method page's "Rate limits" fact:
 * https://docs.slack.dev/reference/methods/<method> (api.slack.com/methods/<method> before the move).
 */
export const METHOD_TIERS: Record<string, Tier> = {
  'chat.update': 3, // api.slack.com/methods/chat.update: "Rate limits Tier 3"
  'chat.postEphemeral': 4, // not re-read for this table (its page was not in the searchable copy)
  'views.open': 4, // docs.slack.dev/reference/methods/views.open: "Tier 4: 100+ per minute"
  'views.update': 4, // api.slack.com/methods/views.update: "Rate limits Tier 4"
  'views.publish': 4, // docs.slack.dev/reference/methods/views.publish: "Tier 4: 100+ per minute"
  'conversations.history': 3, // Tier 3 for internal (customer-built) apps; see the rate-limits page
  'conversations.replies': 3,
  'conversations.info': 3,
  'users.info': 4, // docs.slack.dev/reference/methods/users.info: Tier 4
  'users.conversations': 3, // docs.slack.dev/reference/methods/users.conversations: "Tier 3"
  'conversations.members': 3, // its page's tier was not in the searchable copy: Tier 3 (stricter than the Tier 4 it is usually listed with)
  'usergroups.users.list': 2, // as usergroups.list ("Tier 2: 20+ per minute"); its own page not re-read
  'apps.connections.open': 3, // docs.slack.dev/reference/methods/apps.connections.open: "Tier 3: 50+ per minute"
};

/** chat.postMessage: one per second per channel, bursts allowed: 60 per channel per minute. */
export const POST_MESSAGE_PER_CHANNEL_PER_MINUTE = 60;

export interface Limit {
  /** Calls allowed within the window. */
  max: number;
  /** Window length in ms (60,000 unless a test shortens it). */
  windowMs: number;
}

const MINUTE_MS = 60_000;

export class RateLimiter {
  /** Accepted calls' times, by key (method, or method + channel). */
  private readonly history = new Map<string, number[]>();
  private readonly overrides = new Map<string, Limit>();
  private enabled = true;
  /** The most calls each key had within one window (how close a run came to a limit). */
  readonly peaks = new Map<string, number>();

  /** Lowers (or sets) the limit of one method, e.g. `set('chat.update', { max: 2, windowMs: 2_000 })`. */
  set(method: string, limit: Limit): void {
    this.overrides.set(method, limit);
  }

  /** Turns enforcement off (only for tools that are not a test of our Slack usage). */
  disable(): void {
    this.enabled = false;
  }

  limitOf(method: string): Limit | undefined {
    const override = this.overrides.get(method);
    if (override) return override;
    if (method === 'chat.postMessage') return { max: POST_MESSAGE_PER_CHANNEL_PER_MINUTE, windowMs: MINUTE_MS };
    const tier = METHOD_TIERS[method];
    return tier ? { max: TIER_PER_MINUTE[tier], windowMs: MINUTE_MS } : undefined;
  }

  /**
   * Records a call, or refuses it: answers the seconds to wait (Retry-After) when the method's
   * window is full, undefined when the call may proceed.
   */
  take(method: string, args: Record<string, unknown>, now = Date.now()): number | undefined {
    if (!this.enabled) return undefined;
    const limit = this.limitOf(method);
    if (!limit) return undefined;
    const key = method === 'chat.postMessage' ? `${method} ${String(args.channel ?? '')}` : method;
    const times = (this.history.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    if (times.length >= limit.max) {
      this.history.set(key, times);
      // Until the oldest call in the window leaves it; whole seconds, at least one.
      return Math.max(1, Math.ceil((times[0]! + limit.windowMs - now) / 1000));
    }
    times.push(now);
    this.history.set(key, times);
    this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, times.length));
    return undefined;
  }
}
