/**
 * The stand-in Slack's channel directory: public and private channels (with whether the bot is a
 * member), DMs and archived channels, and what real Slack answers when the bot writes or reads
 * where it may not. Channels a test never registered are public channels the bot is in, as every
 * test before this directory assumed.
 *
 * Sources:
 * - chat.postMessage errors (https://docs.slack.dev/reference/methods/chat.postMessage):
 *   `channel_not_found` ("Value passed for channel was invalid": also what a bot gets for a private
 *   channel or DM it cannot see), `not_in_channel` ("Cannot post user messages to a channel they are
 *   not in"), `is_archived` ("Channel has been archived").
 * - chat:write.public lets a bot post in public channels it is not a member of
 *   (https://docs.slack.dev/reference/scopes/chat.write.public); without it: `not_in_channel`.
 * - conversations.info (https://docs.slack.dev/reference/methods/conversations.info) answers
 *   `channel_not_found` for a conversation the token cannot see, otherwise a conversation object
 *   with is_channel / is_group / is_im / is_private / is_archived / is_member
 *   (https://docs.slack.dev/reference/objects/conversation-object).
 * - conversations.history / conversations.replies need the bot in the channel
 *   (https://docs.slack.dev/reference/methods/conversations.history: `not_in_channel`,
 *   `channel_not_found`).
 * - users.conversations (https://docs.slack.dev/reference/methods/users.conversations): "Using a bot
 *   user token, this method returns the channels and conversations your bot is party to. Specifying
 *   a user parameter filters to conversations your bot shares with that user"; `types` defaults to
 *   `public_channel`; `limit` "with a max of 999" (default 100); cursor pagination through
 *   `response_metadata.next_cursor`; a bad cursor or limit is `invalid_cursor` / `invalid_limit`, the
 *   errors conversations.members documents for the same pagination; the objects omit `is_member` and `num_members`. It "works with
 *   channels:, groups:, im: or mpim: scopes corresponding to the conversation type"
 *   (https://api.slack.com/methods/users.conversations): a type whose scope the token lacks is
 *   `missing_scope`. Channels a test never registered are not listed: the stand-in cannot know who
 *   is in them (they are public, so visibility rules that treat public channels as open still see them).
 * - conversations.members (https://docs.slack.dev/reference/methods/conversations.members): the
 *   member IDs of a conversation the token can see (else `channel_not_found`), paginated the same way.
 */

export type ChannelKind = 'public' | 'private' | 'im';

/** users.conversations `types` values, by our kinds, and the scope each type needs. */
const TYPE_OF: Record<ChannelKind, string> = { public: 'public_channel', private: 'private_channel', im: 'im' };
const SCOPE_OF_TYPE: Record<string, string> = { public_channel: 'channels:read', private_channel: 'groups:read', im: 'im:read', mpim: 'mpim:read' };

export interface StandInChannel {
  id: string;
  name: string;
  kind: ChannelKind;
  /** Whether the bot user is a member (for a DM: whether it is the bot's own DM with someone). */
  botIsMember: boolean;
  archived: boolean;
  /** Human members (for information; Slack checks the bot's membership). */
  members: string[];
}

export interface ChannelSpec {
  id: string;
  name?: string;
  kind?: ChannelKind;
  botIsMember?: boolean;
  archived?: boolean;
  members?: string[];
}

/** Methods that write a message in a channel. */
const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.delete']);
/** Methods that read a channel's messages. */
const READ_METHODS = new Set(['conversations.history', 'conversations.replies']);

export class ChannelDirectory {
  private readonly channels = new Map<string, StandInChannel>();
  /** The bot token's scopes that change what it may do (the manifest grants chat:write.public). */
  readonly botScopes = new Set(['chat:write', 'chat:write.public', 'channels:read', 'groups:read', 'im:read', 'mpim:read', 'channels:history', 'groups:history', 'users:read']);

  /** Registers (or replaces) a channel. DMs default to the bot not being in them. */
  add(spec: ChannelSpec): StandInChannel {
    const kind = spec.kind ?? (spec.id.startsWith('D') ? 'im' : 'public');
    const channel: StandInChannel = {
      id: spec.id,
      name: spec.name ?? spec.id.toLowerCase(),
      kind,
      botIsMember: spec.botIsMember ?? kind === 'public',
      archived: spec.archived ?? false,
      members: spec.members ?? [],
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A registered channel, or the public channel with the bot in it that an unknown ID stands for. */
  get(id: string): StandInChannel {
    return this.channels.get(id) ?? { id, name: id.toLowerCase(), kind: 'public', botIsMember: true, archived: false, members: [] };
  }

  update(id: string, change: Partial<Omit<StandInChannel, 'id'>>): StandInChannel {
    const channel = { ...this.get(id), ...change };
    this.channels.set(id, channel);
    return channel;
  }

  /** Whether the bot can see the conversation at all (a private channel or DM it is not in: no). */
  private visible(channel: StandInChannel): boolean {
    return channel.kind === 'public' || channel.botIsMember;
  }

  /** The error real Slack gives the bot for `method` in `channelId`, if any. */
  refusal(method: string, channelId: string): string | undefined {
    if (!channelId) return undefined;
    const channel = this.get(channelId);
    if (WRITE_METHODS.has(method)) {
      if (!this.visible(channel)) return 'channel_not_found';
      if (channel.archived) return 'is_archived';
      if (!channel.botIsMember && !(method === 'chat.postMessage' && this.botScopes.has('chat:write.public'))) return 'not_in_channel';
      return undefined;
    }
    if (READ_METHODS.has(method)) {
      if (!this.visible(channel)) return 'channel_not_found';
      if (!channel.botIsMember) return 'not_in_channel';
      return undefined;
    }
    if ((method === 'conversations.info' || method === 'conversations.members') && !this.visible(channel)) return 'channel_not_found';
    return undefined;
  }

  /** conversations.info's `channel` object, in the conversation object's shape. */
  info(channelId: string): Record<string, unknown> {
    const channel = this.get(channelId);
    const common = { id: channel.id, created: 1_700_000_000, is_archived: channel.archived, is_org_shared: false, is_shared: false, context_team_id: 'T0TEST01' };
    if (channel.kind === 'im') {
      return { ...common, is_im: true, is_channel: false, is_group: false, is_mpim: false, is_private: true, user: channel.members[0] ?? 'U0SOMEONE' };
    }
    return {
      ...common,
      name: channel.name,
      name_normalized: channel.name,
      is_channel: true,
      is_group: false,
      is_im: false,
      is_mpim: false,
      is_private: channel.kind === 'private',
      is_general: false,
      is_member: channel.botIsMember,
    };
  }

  /**
   * users.conversations with the bot's token: the registered conversations `user` is a member of
   * that the bot shares with them, of the requested `types`, one page at a time.
   */
  userConversations(args: Record<string, unknown>): Record<string, unknown> {
    const types = String(args.types ?? 'public_channel').split(',').map((t) => t.trim()).filter(Boolean);
    const unknownType = types.find((t) => !(t in SCOPE_OF_TYPE));
    // A type Slack does not list: refused (the error's name is ours; the bot never sends one).
    if (unknownType) return { ok: false, error: 'invalid_types' };
    const missing = types.map((t) => SCOPE_OF_TYPE[t]!).find((scope) => !this.botScopes.has(scope));
    if (missing) return { ok: false, error: 'missing_scope', needed: missing, provided: [...this.botScopes].join(',') };
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 999) return { ok: false, error: 'invalid_limit' };
    const user = args.user === undefined ? undefined : String(args.user);
    const all = [...this.channels.values()].filter((channel) =>
      types.includes(TYPE_OF[channel.kind]) &&
      channel.botIsMember &&
      (user === undefined || channel.members.includes(user)) &&
      !(truthy(args.exclude_archived) && channel.archived));
    const page = this.pageOf(all, args.cursor, limit, (listed) => ({ channels: listed.map((c) => this.listed(c)) }));
    return page.error ? page : { ok: true, ...page };
  }

  /** conversations.members: a conversation's members, paginated (the caller has checked it can be seen). */
  membersOf(args: Record<string, unknown>): Record<string, unknown> {
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 999) return { ok: false, error: 'invalid_limit' };
    const channel = this.get(String(args.channel ?? ''));
    // https://docs.slack.dev/reference/methods/conversations.members: channels:read, groups:read,
    // im:read or mpim:read, by the conversation's type.
    const scope = channel.kind === 'public' ? 'channels:read' : channel.kind === 'private' ? 'groups:read' : 'im:read';
    if (!this.botScopes.has(scope)) return { ok: false, error: 'missing_scope', needed: scope, provided: [...this.botScopes].join(',') };
    const members = channel.kind === 'im' ? [...channel.members, ...(channel.botIsMember ? ['UBOT0001'] : [])] : channel.members;
    const page = this.pageOf(members, args.cursor, limit, (listed) => ({ members: listed }));
    return page.error ? page : { ok: true, ...page };
  }

  /** One page and its `response_metadata.next_cursor` ('' on the last page); an unknown cursor is `invalid_cursor`. */
  private pageOf<T>(items: T[], cursor: unknown, limit: number, shape: (page: T[]) => Record<string, unknown>): Record<string, unknown> {
    let start = 0;
    if (cursor !== undefined && cursor !== '') {
      const match = /^dXNlcjp(\d+)$/.exec(String(cursor));
      if (!match) return { ok: false, error: 'invalid_cursor' };
      start = Number(match[1]);
    }
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? `dXNlcjp${start + limit}` : '';
    return { ...shape(page), response_metadata: { next_cursor: next } };
  }

  /** A conversation as users.conversations lists it: without is_member and num_members. */
  private listed(channel: StandInChannel): Record<string, unknown> {
    const info = this.info(channel.id);
    delete info.is_member;
    return info;
  }
}

const truthy = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;
