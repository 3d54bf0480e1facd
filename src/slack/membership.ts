/**
 * Which conversations a person is in, as Slack says: what every list a person sees is filtered by
 * (App Home, `/research status`, reviewers of a private channel's draft). Public channels are open
 * to the whole workspace; private channels, DMs and group DMs only to their members.
 *
 * users.conversations (https://docs.slack.dev/reference/methods/users.conversations, Tier 3) with
 * the bot's token and `user` lists the conversations the bot shares with that person, which is
 * every conversation a run can live in (the bot cannot open a thread where it is not). Answers are
 * cached per person for MEMBERSHIP_CACHE_TTL, because membership events (member_joined_channel,
 * member_left_channel) reach the bot only for channels it is in; the events it does get drop the
 * entry at once. Never fails open: when Slack cannot be asked, the caller gets the error and shows
 * no private runs.
 */
import type { WebClient } from '@slack/web-api';
import type { ChannelVisibility } from '../workflows/search-attributes.js';

/** Every conversation type a run can live in. */
export const CONVERSATION_TYPES = 'public_channel,private_channel,mpim,im';
/** Slack recommends "no more than 200 results at a time". */
const PAGE_LIMIT = 200;
/** A person in more conversations than this is cut off (and told): 25 pages of Tier 3 calls. */
export const MAX_CONVERSATIONS = 5_000;

export type UsersConversationsClient = { users: Pick<WebClient['users'], 'conversations'> };
export type ConversationsInfoClient = { conversations: Pick<WebClient['conversations'], 'info'> };
export type UsersInfoClient = { users: Pick<WebClient['users'], 'info'> };

/**
 * Whether the person sees the workspace's public channels: full members do; guests (single- and
 * multi-channel, `is_restricted`) see only the conversations they were added to
 * (users.info, https://docs.slack.dev/reference/methods/users.info, scope users:read).
 */
export async function seesPublicChannels(client: UsersInfoClient, userId: string): Promise<boolean> {
  const user = (await client.users.info({ user: userId })).user;
  return !(user?.is_restricted || user?.is_ultra_restricted);
}

/** Caches a yes/no per person for `ttlMs`; a failure is never cached. */
export function cachedPerPerson(load: (userId: string) => Promise<boolean>, ttlMs: number, now: () => number = Date.now): (userId: string) => Promise<boolean> {
  const cache = new Map<string, { at: number; answer: boolean }>();
  return async (userId) => {
    const hit = cache.get(userId);
    if (hit && now() - hit.at < ttlMs) return hit.answer;
    const answer = await load(userId);
    cache.set(userId, { at: now(), answer });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return answer;
  };
}

/** All conversations `userId` shares with the bot, of every type, following the cursor. */
export async function conversationsOf(client: UsersConversationsClient, userId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.users.conversations({ user: userId, types: CONVERSATION_TYPES, exclude_archived: true, limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) });
    for (const channel of page.channels ?? []) if (channel.id) ids.push(channel.id);
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && ids.length < MAX_CONVERSATIONS);
  return ids;
}

/** Who may see a conversation's runs, from conversations.info; anything Slack will not say counts as private. */
export async function visibilityOf(client: ConversationsInfoClient, channel: string): Promise<ChannelVisibility> {
  try {
    const info = (await client.conversations.info({ channel })).channel;
    if (info?.is_im) return 'im';
    if (info?.is_mpim) return 'mpim';
    return info?.is_private === false ? 'public' : 'private';
  } catch {
    return 'private';
  }
}

/**
 * The bot's WebClient retries a rate-limited call by itself (for minutes): a person waiting for a
 * Home or a start is better served by a prompt "cannot say", which every caller treats as
 * "not a member" / "private".
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long the bot waits for users.conversations (all pages) before showing public runs only. */
export const MEMBERSHIP_LOOKUP_MS = 5_000;
/** How long a start waits for conversations.info before counting the channel as private. */
export const VISIBILITY_LOOKUP_MS = 1_000;

export interface MembershipSource {
  /** The conversations the person is in (throws when Slack cannot be asked: the caller fails closed). */
  conversationsOf(userId: string): Promise<ReadonlySet<string>>;
  /** Whether the person is in the conversation (false when Slack cannot be asked). */
  isMember(userId: string, channel: string): Promise<boolean>;
  /** Someone joined or left a conversation: ask Slack again next time. */
  forgetUser(userId: string): void;
  /** The bot left a conversation: everyone's answer may have changed. */
  forgetAll(): void;
}

/** Caches each person's conversations for `ttlMs`; a failed answer is never cached. */
export function cachedMembership(load: (userId: string) => Promise<string[]>, ttlMs: number, now: () => number = Date.now): MembershipSource {
  const cache = new Map<string, { at: number; conversations: Promise<ReadonlySet<string>> }>();
  const source: MembershipSource = {
    conversationsOf(userId) {
      const hit = cache.get(userId);
      if (hit && now() - hit.at < ttlMs) return hit.conversations;
      const conversations: Promise<ReadonlySet<string>> = load(userId).then(
        (ids) => new Set(ids),
        (error: unknown) => {
          if (cache.get(userId)?.conversations === conversations) cache.delete(userId); // never drop a newer entry
          throw error;
        },
      );
      cache.set(userId, { at: now(), conversations });
      // Bounded: a large workspace opening Home tabs must not grow this without end.
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
      return conversations;
    },
    async isMember(userId, channel) {
      try {
        return (await source.conversationsOf(userId)).has(channel);
      } catch {
        return false;
      }
    },
    forgetUser(userId) {
      cache.delete(userId);
    },
    forgetAll() {
      cache.clear();
    },
  };
  return source;
}

/** Caches each channel's visibility for `ttlMs` (a channel converted to private is seen as such within it). */
export function cachedVisibility(load: (channel: string) => Promise<ChannelVisibility>, ttlMs: number, now: () => number = Date.now): {
  visibility: (channel: string) => Promise<ChannelVisibility>;
  /** The channel was made private (channel_converted_to_private): ask Slack again. */
  forget: (channel: string) => void;
} {
  const cache = new Map<string, { at: number; visibility: ChannelVisibility }>();
  return {
    async visibility(channel) {
      const hit = cache.get(channel);
      if (hit && now() - hit.at < ttlMs) return hit.visibility;
      const visibility = await load(channel);
      // Only a definite "public" is worth keeping; "private" may have been Slack not answering.
      if (visibility !== 'private') cache.set(channel, { at: now(), visibility });
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
      return visibility;
    },
    forget(channel) {
      cache.delete(channel);
    },
  };
}
