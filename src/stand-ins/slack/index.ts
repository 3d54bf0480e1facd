/**
 * A stand-in for Slack's Web API (and for response_url), good enough for @slack/web-api and Bolt:
 * real-shaped answers, a message store with threads, every call recorded, failures on demand.
 */
import http from 'node:http';
import { close, listen, readBody, sendJson, sleep } from '../http.js';
import { ChannelDirectory } from './channels.js';
import { messageRefusal, triggerIssuedAt, TRIGGER_LIFETIME_MS, viewRefusal, type Refusal } from './rules.js';
import { RateLimiter } from './rate-limits.js';
import type { SocketModeEndpoint } from './socket-mode.js';

export { issueTriggerId, TRIGGER_LIFETIME_MS } from './rules.js';
export { ChannelDirectory, type ChannelSpec, type StandInChannel } from './channels.js';

/**
 * A response_url "can be used up to 5 times within 30 minutes" of the command or click it came with
 * (https://api.slack.com/interactivity/slash-commands#responding_to_commands, "Sending delayed
 * responses"; https://docs.slack.dev/interactivity/handling-user-interaction#message_responses).
 */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;

/** What was posted to one response_url: the ephemeral (or in-channel) replies a person saw. */
export interface RecordedResponse {
  id: string;
  at: number;
  response_type?: string;
  text?: string;
  blocks?: Array<Record<string, unknown>>;
  replace_original?: boolean;
}

/** A call the stand-in refused because real Slack would have (not an injected failure). */
export interface RecordedRefusal extends Refusal {
  method: string;
  args: Record<string, unknown>;
}

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** When it arrived (ms since the epoch). */
  at?: number;
}

/** A call answered 429 by the rate limiter (not processed, so not in `calls`). */
export interface RateLimitedCall extends RecordedCall {
  at: number;
  /** The Retry-After the stand-in gave, in seconds. */
  retryAfterS: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: Array<Record<string, unknown>>;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Who wrote it, when not the bot (a person's message, seeded with `postAsUser`). */
  user?: string;
}

export interface InjectedFailure {
  /** HTTP status; 200 with `error` gives a Slack platform error. */
  status?: number;
  error?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Process the call normally, then fail (Slack accepted it but the answer was lost). */
  afterSuccess?: boolean;
  /**
   * With `afterSuccess`: wait this long after the write before answering. Longer than the client's
   * timeout, it is a post Slack accepted whose answer never arrived (the client times out).
   */
  hangMs?: number;
}

/** A failure for the next call of a method whose arguments match (e.g. only the draft's post). */
interface MatchedFailure {
  method: string;
  match: (args: Record<string, unknown>) => boolean;
  failure: InjectedFailure;
}

/** The metadata `kind` our activities put on a chat.postMessage (see src/activities/slack.ts). */
export function postedKind(args: Record<string, unknown>): string | undefined {
  const kind = (args.metadata as { event_payload?: { kind?: unknown } } | undefined)?.event_payload?.kind;
  return typeof kind === 'string' ? kind : undefined;
}

const truthy = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

function parseArgs(body: string, contentType: string | undefined): Record<string, unknown> {
  if (!body) return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly messages: StoredMessage[] = [];
  /** Every call refused by a rule of real Slack; the test harness fails a test that did not expect one. */
  readonly refusals: RecordedRefusal[] = [];
  /** Errors a test expects Slack to give (e.g. `expired_trigger_id`): not reported as unexpected. */
  readonly expectedRefusals = new Set<string>();
  /** trigger_ids already exchanged for a view. */
  private readonly usedTriggers = new Set<string>();
  /** Age of each trigger_id when views.open used it, in ms (for the modal-burst figures). */
  readonly triggerAges: number[] = [];
  private readonly failures = new Map<string, InjectedFailure[]>();
  private readonly matchedFailures: MatchedFailure[] = [];
  /** Slack's per-method rate limits (./rate-limits.ts); tests lower them with `rateLimits.set`. */
  readonly rateLimits = new RateLimiter();
  /** Calls refused with 429 by the rate limiter, in order. */
  readonly rateLimited: RateLimitedCall[] = [];
  /**
   * People in a channel, for the channels a test lists (chat.postEphemeral to anyone else answers
   * `user_not_in_channel`). A channel not listed here has everyone in it, as the tests' public
   * channels do.
   */
  readonly channelMembers = new Map<string, Set<string>>();
  /** Members of user groups, for usergroups.users.list. */
  readonly userGroups = new Map<string, string[]>();
  /**
   * Guests, for users.info: `multi` is a multi-channel guest (`is_restricted`), `single` a
   * single-channel guest (`is_ultra_restricted` too). Anyone else is a full member, as every test
   * before guests assumed (the stand-in has no user directory to answer `user_not_found` from).
   */
  readonly guests = new Map<string, 'multi' | 'single'>();
  /** The Home tab each user was last shown (views.publish), by user ID. */
  readonly homeViews = new Map<string, { type?: string; blocks?: unknown[] }>();
  /** Public and private channels, DMs, archived channels; unknown IDs are public channels the bot is in. */
  readonly channels = new ChannelDirectory();
  /** Every accepted post to a response_url, in order. */
  readonly responses: RecordedResponse[] = [];
  /** When each response_url was issued, and how many posts it accepted. */
  private readonly responseUrls = new Map<string, { issuedAt: number; uses: number }>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  /** Socket Mode, once `enableSocketMode` has been called (loaded on demand: it needs `ws`). */
  socketMode?: SocketModeEndpoint;
  private tsCounter = 0;
  port = 0;

  static readonly BOT_USER_ID = 'UBOT0001';
  static readonly TEAM_ID = 'T0TEST01';

  async start(port = 0): Promise<this> {
    this.port = await listen(this.server, port);
    return this;
  }

  stop(): Promise<void> {
    this.socketMode?.close();
    return close(this.server);
  }

  /** Serves Socket Mode (apps.connections.open → a ws:// URL on this server). */
  async enableSocketMode(): Promise<SocketModeEndpoint> {
    if (this.socketMode) return this.socketMode;
    const { SocketModeEndpoint } = await import('./socket-mode.js');
    const endpoint = new SocketModeEndpoint({ appId: 'A0TESTAPP', baseUrl: () => `ws://127.0.0.1:${this.port}` });
    endpoint.attach(this.server);
    this.socketMode = endpoint;
    return endpoint;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Web API base for `slackApiUrl` (with the trailing slash the SDK expects). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /**
   * A response_url for a command or action payload, valid from now on for 5 posts within 30
   * minutes; posts to it are recorded as method `response_url` and in `responses`.
   */
  responseUrl(id = 'r1', issuedAt = Date.now()): string {
    if (!this.responseUrls.has(id)) this.responseUrls.set(id, { issuedAt, uses: 0 });
    return `${this.url}/respond/${id}`;
  }

  /** What reached the person through one response_url (by the id given to responseUrl), oldest first. */
  responsesTo(id: string): RecordedResponse[] {
    return this.responses.filter((r) => r.id === id);
  }

  /** Queues failures for the next calls of `method`, in order. */
  failNext(method: string, ...failures: InjectedFailure[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...failures]);
  }

  /**
   * Queues failures for the next calls of `method` whose arguments match, in order, ahead of
   * `failNext`'s. E.g. `failNextWhere('chat.postMessage', (a) => postedKind(a) === 'draft', …)`.
   */
  failNextWhere(method: string, match: (args: Record<string, unknown>) => boolean, ...failures: InjectedFailure[]): void {
    for (const failure of failures) this.matchedFailures.push({ method, match, failure });
  }

  /** Posts of one kind (from their metadata) in a thread, or top-level in a channel without `threadTs`. */
  postedOfKind(channel: string, kind: string, threadTs?: string): StoredMessage[] {
    return this.messages.filter(
      (m) => m.channel === channel && m.metadata?.event_payload.kind === kind && (threadTs === undefined ? !m.thread_ts : m.thread_ts === threadTs),
    );
  }

  /** Refusals no test asked for: a payload real Slack would refuse. */
  unexpectedRefusals(): RecordedRefusal[] {
    return this.refusals.filter((r) => !this.expectedRefusals.has(r.error));
  }

  /** Throws when a call was refused that the test did not expect; the harness calls it on stop. */
  assertNoUnexpectedRefusals(): void {
    const unexpected = this.unexpectedRefusals();
    if (unexpected.length) {
      const lines = unexpected.map((r) => `${r.method}: ${r.error} ${r.messages.join('; ')}`);
      throw new Error(`The stand-in Slack refused ${unexpected.length} call(s) real Slack would refuse:\n${lines.join('\n')}`);
    }
  }

  /** What real Slack would answer instead of accepting the call, if anything. */
  private refusal(method: string, args: Record<string, unknown>): Refusal | undefined {
    switch (method) {
      case 'chat.update': {
        // "cant_update_message: Authenticated user does not have permission to update this message":
        // a bot token updates only the bot's own messages. https://docs.slack.dev/reference/methods/chat.update
        const message = this.message(String(args.channel), String(args.ts));
        if (message?.user && message.user !== FakeSlack.BOT_USER_ID) return { error: 'cant_update_message', messages: [] };
        return messageRefusal(args);
      }
      case 'chat.postEphemeral': {
        // "user: id of the user who will receive the ephemeral message. The user should be in the
        // channel specified by the channel argument"; otherwise `user_not_in_channel`.
        // https://docs.slack.dev/reference/methods/chat.postEphemeral
        const members = this.channelMembers.get(String(args.channel ?? ''));
        if (members && !members.has(String(args.user ?? ''))) return { error: 'user_not_in_channel', messages: [] };
        return messageRefusal(args);
      }
      case 'chat.postMessage':
      case 'response_url':
        return messageRefusal(args);
      case 'views.open': {
        const triggerId = String(args.trigger_id ?? '');
        const issuedAt = triggerIssuedAt(triggerId);
        if (issuedAt === undefined) return { error: 'invalid_trigger_id', messages: [] };
        if (this.usedTriggers.has(triggerId)) return { error: 'exchanged_trigger_id', messages: [] };
        const age = Date.now() - issuedAt;
        this.triggerAges.push(age);
        if (age > TRIGGER_LIFETIME_MS) return { error: 'expired_trigger_id', messages: [] };
        const refused = viewRefusal(args.view as Record<string, unknown>);
        if (!refused) this.usedTriggers.add(triggerId);
        return refused;
      }
      case 'views.update':
        return viewRefusal(args.view as Record<string, unknown>);
      default:
        return undefined;
    }
  }

  /** A message a person wrote (not the bot): the bot's token cannot update it. */
  postAsUser(channel: string, user: string, text: string, threadTs?: string): StoredMessage {
    const message: StoredMessage = { channel, ts: this.nextTs(), text, user, ...(threadTs ? { thread_ts: threadTs } : {}) };
    this.messages.push(message);
    return message;
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Top-level messages of a channel (not thread replies). */
  channelMessages(channel: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && !m.thread_ts);
  }

  threadReplies(channel: string, threadTs: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const token = req.headers.authorization?.replace(/^Bearer /, '');

    // Inspection endpoints for people trying the bot by hand (scripts/stand-ins.ts).
    if (req.method === 'GET' && url.pathname === '/_messages') {
      sendJson(res, 200, this.messages);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/_calls') {
      sendJson(res, 200, this.calls);
      return;
    }
    if (url.pathname.startsWith('/respond/')) {
      const id = decodeURIComponent(url.pathname.slice('/respond/'.length));
      const args = parseArgs(body, 'application/json');
      this.calls.push({ method: 'response_url', args, token });
      // Used more than 5 times, or older than 30 minutes: refused. The documentation gives the
      // limits, not the answer's wording: a 404 with an error name. A URL built by a payload's
      // sender without responseUrl() (scripts, the benchmarks in another process) counts from its
      // first use: the stand-in cannot know when Slack would have issued it.
      const issued = this.responseUrls.get(id) ?? { issuedAt: Date.now(), uses: 0 };
      this.responseUrls.set(id, issued);
      const expired = Date.now() - issued.issuedAt > RESPONSE_URL_LIFETIME_MS;
      const error = expired ? 'expired_url' : issued.uses >= RESPONSE_URL_MAX_USES ? 'used_url' : undefined;
      const refused = error ? { error, messages: [] } : this.refusal('response_url', args);
      if (refused) {
        this.refusals.push({ method: 'response_url', args, ...refused });
        sendJson(res, error ? 404 : 200, { ok: false, error: refused.error });
        return;
      }
      issued.uses += 1;
      this.responses.push({
        id,
        at: Date.now(),
        ...(typeof args.response_type === 'string' ? { response_type: args.response_type } : {}),
        ...(typeof args.text === 'string' ? { text: args.text } : {}),
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks as RecordedResponse['blocks'] } : {}),
        ...(typeof args.replace_original === 'boolean' ? { replace_original: args.replace_original } : {}),
      });
      sendJson(res, 200, { ok: true });
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = { ...Object.fromEntries(url.searchParams), ...parseArgs(body, req.headers['content-type']) };
    const at = Date.now();
    const recorded: RecordedCall = { method, args, token: token ?? (args.token as string | undefined), at };
    const retryAfterS = this.rateLimits.take(method, args, at);
    if (retryAfterS !== undefined) {
      this.rateLimited.push({ ...recorded, at, retryAfterS });
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfterS) });
      return;
    }
    this.calls.push(recorded);

    const matched = this.matchedFailures.findIndex((f) => f.method === method && f.match(args));
    const failure = matched >= 0 ? this.matchedFailures.splice(matched, 1)[0]!.failure : this.failures.get(method)?.shift();
    if (failure?.delayMs) await sleep(failure.delayMs);
    if (failure && !failure.afterSuccess) {
      this.sendFailure(res, failure);
      return;
    }
    const channelError = this.channels.refusal(method, String(args.channel ?? ''));
    const refused = channelError ? { error: channelError, messages: [] } : this.refusal(method, args);
    if (refused) {
      this.refusals.push({ method, args, ...refused });
      sendJson(res, 200, { ok: false, error: refused.error, ...(refused.messages.length ? { response_metadata: { messages: refused.messages } } : {}) });
      return;
    }
    // apps.connections.open reads its app-level token from the Authorization header only.
    const result = method === 'apps.connections.open' && this.socketMode ? this.socketMode.open(token) : this.answer(method, args);
    if (failure?.afterSuccess) {
      if (failure.hangMs) await sleep(failure.hangMs);
      if (res.destroyed || req.socket.destroyed) return; // the client gave up waiting
      this.sendFailure(res, failure);
      return;
    }
    sendJson(res, 200, result);
  }

  private sendFailure(res: http.ServerResponse, failure: InjectedFailure): void {
    const status = failure.status ?? 200;
    if (status === 429) {
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1', ...failure.headers });
    } else if (status >= 400) {
      sendJson(res, status, { ok: false, error: failure.error ?? 'internal_error' }, failure.headers);
    } else {
      sendJson(res, 200, { ok: false, error: failure.error ?? 'internal_error' }, failure.headers);
    }
  }

  /** One page of a conversations.* answer: oldest/latest bounds, limit, cursor, metadata on request. */
  private page(messages: StoredMessage[], args: Record<string, unknown>): Record<string, unknown> {
    const inclusive = truthy(args.inclusive);
    const oldest = args.oldest === undefined ? -Infinity : Number(args.oldest);
    const latest = args.latest === undefined ? Infinity : Number(args.latest);
    const inRange = messages.filter((m) => {
      const ts = Number(m.ts);
      return (inclusive ? ts >= oldest : ts > oldest) && (inclusive ? ts <= latest : ts < latest);
    });
    const start = Number(args.cursor ?? 0) || 0;
    const limit = Math.max(1, Math.min(Number(args.limit ?? 100) || 100, 1000));
    const slice = inRange.slice(start, start + limit);
    const hasMore = start + limit < inRange.length;
    const withMetadata = truthy(args.include_all_metadata);
    return {
      ok: true,
      messages: slice.map(({ metadata, channel: _channel, ...message }) => ({
        type: 'message',
        user: FakeSlack.BOT_USER_ID,
        bot_id: 'BBOT0001',
        app_id: 'A0TESTAPP',
        ...message,
        ...(withMetadata && metadata ? { metadata } : {}),
      })),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? String(start + limit) : '' },
    };
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test-workspace.slack.com/',
          team: 'Test Workspace',
          user: 'contentbot',
          team_id: FakeSlack.TEAM_ID,
          user_id: FakeSlack.BOT_USER_ID,
          bot_id: 'BBOT0001',
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const channel = String(args.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const message: StoredMessage = {
          channel,
          ts: this.nextTs(),
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
          ...(args.text !== undefined ? { text: String(args.text) } : {}),
          ...(args.blocks ? { blocks: args.blocks as StoredMessage['blocks'] } : {}),
          ...(args.metadata ? { metadata: args.metadata as StoredMessage['metadata'] } : {}),
        };
        this.messages.push(message);
        return {
          ok: true,
          channel,
          ts: message.ts,
          message: { type: 'message', user: FakeSlack.BOT_USER_ID, bot_id: 'BBOT0001', ...message },
        };
      }
      case 'chat.update': {
        const message = this.message(String(args.channel), String(args.ts));
        if (!message) return { ok: false, error: 'message_not_found' };
        if (args.text !== undefined) message.text = String(args.text);
        if (args.blocks) message.blocks = args.blocks as StoredMessage['blocks'];
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text, message: { ...message } };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'conversations.info':
        // https://docs.slack.dev/reference/methods/conversations.info (channel_not_found is answered above).
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        return { ok: true, channel: this.channels.info(String(args.channel)) };
      case 'conversations.history': {
        // Top-level messages, newest first, as Slack returns them.
        const messages = this.messages.filter((m) => m.channel === String(args.channel ?? '') && !m.thread_ts).reverse();
        return this.page(messages, args);
      }
      case 'conversations.replies': {
        // The parent first, then its replies oldest first.
        const channel = String(args.channel ?? '');
        const parent = this.message(channel, String(args.ts ?? ''));
        if (!parent) return { ok: false, error: 'thread_not_found' };
        return this.page([parent, ...this.threadReplies(channel, parent.ts)], args);
      }
      case 'views.open':
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, hash: `${Date.now()}.h${this.tsCounter}`, ...(args.view as object) } };
      case 'views.update':
        return { ok: true, view: { id: String(args.view_id ?? ''), hash: `${Date.now()}.h${this.tsCounter}`, ...(args.view as object) } };
      case 'views.publish': {
        // https://api.slack.com/methods/views.publish: user_id and a `home` view are required; a
        // view holds at most 100 blocks (https://api.slack.com/reference/block-kit/blocks).
        const view = args.view as { type?: string; blocks?: unknown[] } | undefined;
        if (!args.user_id) return { ok: false, error: 'invalid_arguments' };
        if (!view || view.type !== 'home') return { ok: false, error: 'invalid_arguments' };
        if ((view.blocks ?? []).length > 100) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] must provide an array of no more than 100 items [json-pointer:/view/blocks]'] } };
        this.homeViews.set(String(args.user_id), view);
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, ...view } };
      }
      case 'users.conversations':
        return this.channels.userConversations(args);
      case 'conversations.members':
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        return this.channels.membersOf(args);
      case 'users.info': {
        // https://docs.slack.dev/reference/methods/users.info: needs users:read; the user object
        // (https://docs.slack.dev/reference/objects/user-object) says is_restricted for guests and
        // is_ultra_restricted for single-channel guests.
        if (!this.channels.botScopes.has('users:read')) return { ok: false, error: 'missing_scope', needed: 'users:read', provided: [...this.channels.botScopes].join(',') };
        const user = String(args.user ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(user)) return { ok: false, error: 'user_not_found' };
        const guest = this.guests.get(user);
        return { ok: true, user: { id: user, team_id: 'T0TEST01', name: user.toLowerCase(), deleted: false, is_bot: false, is_admin: false, is_owner: false, is_restricted: guest !== undefined, is_ultra_restricted: guest === 'single' } };
      }
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(args.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: true };
    }
  }
}

/** All text of a message's blocks, flattened, for assertions. */
export function blockText(message: StoredMessage | undefined): string {
  if (!message) return '';
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else walk(value);
      }
    }
  };
  walk(message.blocks);
  return parts.join('\n');
}

/** The buttons of a message, as `{ action_id, value }`. */
export function buttonsOf(message: StoredMessage | undefined): Array<{ action_id: string; value: string }> {
  return (message?.blocks ?? [])
    .filter((block) => block.type === 'actions')
    .flatMap((block) => (block.elements as Array<Record<string, string>>) ?? [])
    .filter((element) => element.type === 'button')
    .map((element) => ({ action_id: element.action_id ?? '', value: element.value ?? '' }));
}
