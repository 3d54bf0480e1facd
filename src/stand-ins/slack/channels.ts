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
 */

export type ChannelKind = 'public' | 'private' | 'im';

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
  readonly botScopes = new Set(['chat:write', 'chat:write.public', 'channels:read', 'groups:read', 'im:read', 'channels:history', 'groups:history']);

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
    if (method === 'conversations.info' && !this.visible(channel)) return 'channel_not_found';
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
}
