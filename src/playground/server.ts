/**
 * The playground's web server (127.0.0.1 only, and only for its own page: see `guard`):
 * - `/api/<method>` and `/respond/<id>`: the Slack Web API and response URLs the bot calls. Each
 *   call is passed to the strict stand-in Slack (which answers as real Slack would, refusals
 *   included) and what it accepted is applied to the page's view of the workspace; a refusal
 *   becomes an error banner on the page.
 * - `/`, `/app.js`, `/blocks.js`, `/app.css`: the page; `/events`: server-sent events with the
 *   state after every change; `/state`: the same state once.
 * - `/action/*`: what a visitor does (a command, a click, a modal submission), sent to the bot's
 *   receiver as Slack sends it: a signed HTTP request, answered within Slack's 3 seconds.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  buttonClickBody,
  newTriggerId,
  signedHeaders,
  slashCommandBody,
  viewButtonBody,
  viewClosedBody,
  viewSubmissionBody,
  type ViewStateValues,
} from '../stand-ins/slack-requests.js';
import { log } from '../ops/log.js';
import { PERSONAS, PLAYGROUND_CHANNEL, type Persona } from './personas.js';

type Json = Record<string, unknown>;
type Block = Json & { type?: string; block_id?: string; elements?: Json[]; accessory?: Json; element?: Json };

export interface PlayMessage {
  /** Order of arrival, shared with ephemerals so both sort into one timeline. */
  seq: number;
  channel: string;
  ts: string;
  thread_ts?: string;
  /** Bot messages have no user; a visitor's own messages name theirs. */
  user?: string;
  text?: string;
  blocks?: Block[];
  edited?: boolean;
}

export interface PlayEphemeral {
  id: number;
  seq: number;
  user: string;
  channel: string;
  thread_ts?: string;
  text?: string;
  blocks?: Block[];
  /** Where it came from: chat.postEphemeral, a response_url or the command's own answer. */
  via: string;
}

export interface PlayView {
  id: string;
  view: Json & { blocks?: Block[]; notify_on_close?: boolean; callback_id?: string; external_id?: string };
  /** Field errors from `response_action: errors`, by block ID. */
  errors?: Record<string, string>;
  /** A problem submitting, shown in the modal as Slack does. */
  problem?: string;
}

export interface PlayError {
  id: number;
  at: string;
  method: string;
  error: string;
  detail?: string;
}

export interface PlaygroundInfo {
  workspace: string;
  channel: { id: string; name: string };
  personas: Persona[];
  botName: string;
  botUserId: string;
  temporalUiUrl: string;
  /** Set when no model is configured: the sample writer answers. */
  sampleWriter: boolean;
  model: string;
}

export interface PlaygroundServerOptions {
  /** The stand-in Slack's Web API base (ending in /api/) and its response URL base. */
  slackApiUrl: string;
  slackResponseUrl: (id: string) => string;
  info: PlaygroundInfo;
  port: number;
  /** The bot token the playground gave the bot: a Web API call without it is answered `invalid_auth`. */
  botToken?: string;
}

/** The header in which the page sends its per-start token with every request that changes something. */
export const TOKEN_HEADER = 'x-playground-token';
/** Where the page finds that token: a meta tag the server fills in when it serves the page. */
const TOKEN_META = '<meta name="playground-token" content="">';

/** Loopback names the page may be opened under; with any other Host (DNS rebinding) nothing is answered. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** A visitor's action is a few kilobytes; the bot's Web API calls carry whole articles. */
const ACTION_BODY_LIMIT = 256 * 1024;
const API_BODY_LIMIT = 4 * 1024 * 1024;

class RequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Equal strings in time that does not depend on where they differ (hashes first: lengths may differ). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Slack shows a command or interaction as failed when the app has not answered within 3 s. */
const ACK_DEADLINE_MS = 3_000;

const STATIC_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/blocks.js': 'blocks.js',
  '/app.css': 'app.css',
};
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

function parseArgs(body: string, contentType: string | undefined): Json {
  if (!body) return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Json;
  const args: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    try {
      args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
    } catch {
      args[key] = value;
    }
  }
  return args;
}

async function readBody(req: http.IncomingMessage, limit = API_BODY_LIMIT): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RequestRefused(413, 'too_large', 'That request is larger than the playground accepts.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

export class PlaygroundServer {
  readonly messages: PlayMessage[] = [];
  readonly ephemerals: PlayEphemeral[] = [];
  /** Each person's modal stack (views.open / push), top last. */
  readonly views = new Map<string, PlayView[]>();
  /** Each person's App Home tab (views.publish). */
  readonly homes = new Map<string, PlayView>();
  readonly errors: PlayError[] = [];
  private readonly triggers = new Map<string, { user: string; at: number }>();
  private readonly responseUrls = new Map<string, { user: string; channel: string; thread_ts?: string }>();
  private readonly clients = new Set<http.ServerResponse>();
  private readonly server = http.createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      if (error instanceof RequestRefused) {
        if (!res.headersSent) send(res, error.status, { ok: false, error: error.code, message: error.message });
        return;
      }
      // The details go to the terminal, not to whoever sent the request.
      log().error({ err: error, path: req.url }, 'Playground page request failed');
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error', message: 'Something went wrong in the playground: its terminal has the details.' });
    });
  });
  private counter = 0;
  private broadcastTimer: NodeJS.Timeout | undefined;
  private readonly staticDir = new URL('./static/', import.meta.url);
  port = 0;
  /**
   * This start's secret for the page: served in it (a meta tag) and required in TOKEN_HEADER on
   * every request that changes something, so another site or page cannot act as the visitor.
   */
  readonly token = randomBytes(32).toString('base64url');
  /** Where the bot's receiver listens (set once the bot is up). */
  botUrl = '';
  signingSecret = '';

  constructor(private readonly options: PlaygroundServerOptions) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    clearTimeout(this.broadcastTimer);
    for (const client of this.clients) client.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Web API base for the bot's SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** What the page shows in its header (filled in once Temporal and the bot are up). */
  get info(): PlaygroundInfo {
    return this.options.info;
  }

  state() {
    return {
      info: this.options.info,
      messages: this.messages,
      ephemerals: this.ephemerals,
      views: Object.fromEntries(this.views),
      homes: Object.fromEntries(this.homes),
      errors: this.errors,
    };
  }

  private changed(): void {
    // A burst of calls (a status edit and a card) becomes one update of the page.
    this.broadcastTimer ??= setTimeout(() => {
      this.broadcastTimer = undefined;
      const data = `event: state\ndata: ${JSON.stringify(this.state())}\n\n`;
      for (const client of this.clients) client.write(data);
    }, 30);
  }

  private recordError(method: string, error: string, detail?: string): void {
    this.errors.push({ id: ++this.counter, at: new Date().toISOString(), method, error, ...(detail ? { detail } : {}) });
    this.changed();
  }

  /**
   * Who may talk to this server: only the page itself and the bot, both on this machine.
   * - Host must be a loopback name with this port: a page elsewhere that re-points its own name at
   *   127.0.0.1 (DNS rebinding) sends its own name and is refused.
   * - Origin, when a browser sends one (it does on every POST), must be this server: another
   *   site's form or fetch is refused. The bot's calls come from Node, with no Origin.
   * - A visitor's action (`/action/*`) must be JSON, which a form on another site cannot send
   *   without asking first, and carry this start's token from the page.
   */
  private guard(req: http.IncomingMessage, path: string): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!LOOPBACK_HOSTS.some((name) => host === `${name}:${this.port}`)) {
      throw new RequestRefused(403, 'wrong_host', `This playground answers only at ${this.url} (or http://localhost:${this.port}): open it there.`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      throw new RequestRefused(403, 'cross_origin', 'This playground answers only its own page: open it at its own address and act from there.');
    }
    if (req.method !== 'POST' || !path.startsWith('/action/')) return;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new RequestRefused(415, 'unsupported_media_type', 'The playground takes actions as JSON (Content-Type: application/json), sent by its own page.');
    }
    const token = req.headers[TOKEN_HEADER];
    if (typeof token !== 'string' || !sameSecret(token, this.token)) {
      throw new RequestRefused(403, 'bad_token', 'This page is from an earlier start of the playground, or not from it: reload the page and try again.');
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    this.guard(req, path);
    if (req.method === 'GET' && STATIC_FILES[path]) return this.serveStatic(res, STATIC_FILES[path]);
    if (req.method === 'GET' && path === '/state') return send(res, 200, this.state());
    if (req.method === 'GET' && path === '/events') return this.subscribe(req, res);
    if (path.startsWith('/api/')) return this.proxyWebApi(req, res, path.slice('/api/'.length));
    if (path.startsWith('/respond/')) return this.proxyResponseUrl(req, res, path.slice('/respond/'.length));
    if (req.method === 'POST' && path.startsWith('/action/')) {
      let body: Json;
      try {
        body = JSON.parse((await readBody(req, ACTION_BODY_LIMIT)) || '{}') as Json;
      } catch (error) {
        if (error instanceof RequestRefused) throw error;
        throw new RequestRefused(400, 'invalid_json', 'The request body is not valid JSON.');
      }
      const persona = PERSONAS.find((p) => p.id === body.user);
      if (!persona) return send(res, 400, { ok: false, error: 'unknown person' });
      return send(res, 200, await this.act(path.slice('/action/'.length), persona.id, body));
    }
    send(res, 404, { ok: false, error: 'not found' });
  }

  private async serveStatic(res: http.ServerResponse, file: string): Promise<void> {
    let content: Buffer | string = await fs.readFile(new URL(file, this.staticDir));
    // The page carries this start's token for its own requests (see `guard`).
    if (file === 'index.html') content = content.toString('utf8').replace(TOKEN_META, `<meta name="playground-token" content="${this.token}">`);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      // Nothing on the page may run but our own scripts, whatever text ends up in it, and no other site may frame it.
      'content-security-policy': "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    res.end(content);
  }

  private subscribe(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: state\ndata: ${JSON.stringify(this.state())}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  // ── The Slack side: what the bot calls ───────────────────────────────────────────────────────

  private async forward(target: string, req: http.IncomingMessage, body: string): Promise<{ status: number; text: string; headers: Headers }> {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const response = await fetch(target, { method: req.method ?? 'POST', headers, ...(req.method === 'GET' ? {} : { body }) });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  private relay(res: http.ServerResponse, answer: { status: number; text: string; headers: Headers }): void {
    const headers: Record<string, string> = { 'content-type': answer.headers.get('content-type') ?? 'application/json' };
    const retryAfter = answer.headers.get('retry-after');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(answer.status, headers);
    res.end(answer.text);
  }

  private async proxyWebApi(req: http.IncomingMessage, res: http.ServerResponse, method: string): Promise<void> {
    const body = await readBody(req);
    const { botToken } = this.options;
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? this.bodyToken(body, req.headers['content-type']);
    if (botToken && (!token || !sameSecret(token, botToken))) {
      // As Slack answers a call without the app's token. https://docs.slack.dev/reference/methods/auth.test
      send(res, 200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' });
      return;
    }
    const target = new URL(method, this.options.slackApiUrl);
    target.search = new URL(req.url ?? '/', this.url).search;
    const answer = await this.forward(target.toString(), req, body);
    this.relay(res, answer);
    let result: Json = {};
    try {
      result = JSON.parse(answer.text) as Json;
    } catch {
      // not JSON: reported below
    }
    if (answer.status !== 200 || result.ok !== true) {
      const detail = (result.response_metadata as { messages?: string[] } | undefined)?.messages?.join('\n') ?? str(result.needed);
      this.recordError(method, str(result.error) ?? `HTTP ${answer.status}`, detail);
      return;
    }
    const args = { ...Object.fromEntries(target.searchParams), ...parseArgs(body, req.headers['content-type']) };
    this.apply(method, args, result);
  }

  /** A Web API token sent in the body rather than the Authorization header (Slack takes both). */
  private bodyToken(body: string, contentType: string | undefined): string | undefined {
    try {
      return str(parseArgs(body, contentType).token);
    } catch {
      return undefined;
    }
  }

  private async proxyResponseUrl(req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> {
    const body = await readBody(req);
    const answer = await this.forward(this.options.slackResponseUrl(id), req, body);
    this.relay(res, answer);
    const context = this.responseUrls.get(id);
    let result: Json = {};
    try {
      result = JSON.parse(answer.text) as Json;
    } catch {
      // not JSON
    }
    if (answer.status !== 200 || result.ok === false) {
      this.recordError('response_url', str(result.error) ?? `HTTP ${answer.status}`);
      return;
    }
    if (!context) return;
    const args = parseArgs(body, 'application/json');
    this.postReply(context, args, 'response_url');
  }

  /** A reply to a command or click (its answer or a response_url post): ephemeral unless in_channel. */
  private postReply(context: { user: string; channel: string; thread_ts?: string }, args: Json, via: string): void {
    if (args.delete_original === true) return;
    if (args.response_type === 'in_channel') {
      this.messages.push({
        seq: ++this.counter,
        channel: context.channel,
        ts: this.nextTs(),
        ...(context.thread_ts ? { thread_ts: context.thread_ts } : {}),
        ...(str(args.text) ? { text: str(args.text) } : {}),
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks as Block[] } : {}),
      });
    } else {
      this.ephemerals.push({
        id: ++this.counter,
        seq: this.counter,
        user: context.user,
        channel: context.channel,
        ...(context.thread_ts ? { thread_ts: context.thread_ts } : {}),
        ...(str(args.text) ? { text: str(args.text) } : {}),
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks as Block[] } : {}),
        via,
      });
    }
    this.changed();
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.counter).padStart(6, '0')}`;
  }

  private findView(id: string | undefined, externalId?: string): { owner: string; entry: PlayView } | undefined {
    for (const [owner, stack] of [...this.views, ...[...this.homes].map(([user, view]) => [user, [view]] as const)]) {
      const entry = stack.find((v) => (id && v.id === id) || (externalId && v.view.external_id === externalId));
      if (entry) return { owner, entry };
    }
    return undefined;
  }

  /** Applies a call the stand-in accepted to what the page shows. */
  private apply(method: string, args: Json, result: Json): void {
    switch (method) {
      case 'chat.postMessage': {
        this.messages.push({
        seq: ++this.counter,
          channel: str(result.channel) ?? String(args.channel),
          ts: String(result.ts),
          ...(str(args.thread_ts) ? { thread_ts: str(args.thread_ts) } : {}),
          ...(str(args.text) ? { text: str(args.text) } : {}),
          ...(Array.isArray(args.blocks) ? { blocks: args.blocks as Block[] } : {}),
        });
        break;
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === String(args.channel) && m.ts === String(args.ts));
        if (!message) break;
        if (args.text !== undefined) message.text = String(args.text);
        if (Array.isArray(args.blocks)) message.blocks = args.blocks as Block[];
        message.edited = true;
        break;
      }
      case 'chat.delete': {
        const index = this.messages.findIndex((m) => m.channel === String(args.channel) && m.ts === String(args.ts));
        if (index >= 0) this.messages.splice(index, 1);
        break;
      }
      case 'chat.postEphemeral':
        this.ephemerals.push({
          id: ++this.counter,
          seq: this.counter,
          user: String(args.user),
          channel: String(args.channel),
          ...(str(args.thread_ts) ? { thread_ts: str(args.thread_ts) } : {}),
          ...(str(args.text) ? { text: str(args.text) } : {}),
          ...(Array.isArray(args.blocks) ? { blocks: args.blocks as Block[] } : {}),
          via: 'chat.postEphemeral',
        });
        break;
      case 'views.open':
      case 'views.push': {
        const trigger = this.triggers.get(String(args.trigger_id));
        if (!trigger) {
          this.recordError(method, 'unknown trigger_id', 'The stand-in accepted a trigger the playground did not issue.');
          return;
        }
        const view = (result.view as PlayView['view'] | undefined) ?? (args.view as PlayView['view']);
        const entry: PlayView = { id: str(view.id) ?? `V${++this.counter}`, view: { ...(args.view as Json), ...view } };
        const stack = method === 'views.open' ? [] : (this.views.get(trigger.user) ?? []);
        this.views.set(trigger.user, [...stack, entry]);
        break;
      }
      case 'views.update': {
        const found = this.findView(str(args.view_id), str(args.external_id));
        if (found) {
          found.entry.view = { ...(args.view as Json), id: found.entry.id };
          delete found.entry.errors;
          delete found.entry.problem;
        }
        break;
      }
      case 'views.publish': {
        const view = (result.view as PlayView['view'] | undefined) ?? (args.view as PlayView['view']);
        this.homes.set(String(args.user_id), { id: str(view.id) ?? `VHOME${++this.counter}`, view: { ...(args.view as Json), ...view } });
        break;
      }
      default:
        return; // reads (conversations.*, auth.test, usergroups.*) change nothing on the page
    }
    this.changed();
  }

  // ── The visitor's side: what they do on the page ─────────────────────────────────────────────

  private issueTrigger(user: string): string {
    const id = newTriggerId();
    this.triggers.set(id, { user, at: Date.now() });
    return id;
  }

  private issueResponseUrl(context: { user: string; channel: string; thread_ts?: string }): string {
    // Not guessable: a response URL is the only credential a reply needs.
    const id = `play-${randomUUID()}`;
    this.responseUrls.set(id, context);
    // Issued now at the stand-in Slack too, so its 30-minute / 5-use limits count from the request.
    this.options.slackResponseUrl(id);
    return `${this.url}/respond/${id}`;
  }

  /** POSTs a body to the bot's receiver as Slack does: signed, and given up on after 3 s. */
  private async toBot(body: string, what: string): Promise<{ ok: true; json: Json | undefined } | { ok: false; error: string }> {
    try {
      const response = await fetch(this.botUrl, {
        method: 'POST',
        headers: signedHeaders(this.signingSecret, body),
        body,
        signal: AbortSignal.timeout(ACK_DEADLINE_MS),
      });
      const text = await response.text();
      if (response.status !== 200) {
        this.recordError(what, `http_error ${response.status}`, 'The bot did not accept the request (Slack shows the person that it failed).');
        return { ok: false, error: `http_error ${response.status}` };
      }
      let json: Json | undefined;
      try {
        json = text ? (JSON.parse(text) as Json) : undefined;
      } catch {
        json = text ? { text } : undefined;
      }
      return { ok: true, json };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      const code = timedOut ? 'operation_timeout' : 'dispatch_failed';
      this.recordError(what, code, timedOut ? 'The bot did not acknowledge within 3 seconds.' : (error as Error).message);
      return { ok: false, error: code };
    }
  }

  private async act(kind: string, user: string, body: Json): Promise<Json> {
    switch (kind) {
      case 'message':
        return this.typed(user, String(body.text ?? ''), str(body.thread_ts));
      case 'click':
        return this.click(user, body);
      case 'submit':
        return this.submit(user, String(body.viewId ?? ''), (body.values ?? {}) as Record<string, Record<string, unknown>>);
      case 'close':
        return this.close(user, String(body.viewId ?? ''));
      case 'dismiss': {
        const index = this.ephemerals.findIndex((e) => e.id === Number(body.id) && e.user === user);
        if (index >= 0) this.ephemerals.splice(index, 1);
        this.changed();
        return { ok: true };
      }
      case 'clear-errors':
        this.errors.splice(0);
        this.changed();
        return { ok: true };
      default:
        return { ok: false, error: `unknown action ${kind}` };
    }
  }

  /** What the visitor typed in the composer: a slash command goes to the bot, anything else is a message. */
  private async typed(user: string, text: string, threadTs?: string): Promise<Json> {
    const trimmed = text.trim();
    if (!trimmed) return { ok: false, error: 'empty' };
    const channel = PLAYGROUND_CHANNEL;
    const command = /^(\/\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
    if (!command) {
      this.messages.push({ seq: ++this.counter, channel: channel.id, ts: this.nextTs(), user, text: trimmed, ...(threadTs ? { thread_ts: threadTs } : {}) });
      this.changed();
      return { ok: true };
    }
    if (command[1] !== '/research') {
      this.postReply({ user, channel: channel.id }, { text: `${command[1]} is not a valid command. In this playground, try /research <topic>.` }, 'slack');
      return { ok: false, error: 'unknown command' };
    }
    const context = { user, channel: channel.id };
    const request = slashCommandBody({
      text: command[2] ?? '',
      userId: user,
      channelId: channel.id,
      channelName: channel.name,
      command: command[1],
      responseUrl: this.issueResponseUrl(context),
      triggerId: this.issueTrigger(user),
    });
    const answer = await this.toBot(request, command[1]);
    if (!answer.ok) {
      this.postReply(context, { text: `${command[1]} failed with the error "${answer.error}"` }, 'slack');
      return { ok: false, error: answer.error };
    }
    // The command's own answer: shown to the person who typed it, unless it says in_channel.
    if (answer.json && (str(answer.json.text) || Array.isArray(answer.json.blocks))) this.postReply(context, answer.json, 'ack');
    return { ok: true };
  }

  private buttonIn(blocks: Block[] | undefined, blockId: string | undefined, actionId: string): { block: Block; button: Json } | undefined {
    for (const block of blocks ?? []) {
      if (blockId !== undefined && (block.block_id ?? '') !== blockId) continue;
      const candidates = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])];
      const button = candidates.find((e) => e.type === 'button' && e.action_id === actionId);
      if (button) return { block, button };
    }
    return undefined;
  }

  private async click(user: string, body: Json): Promise<Json> {
    const actionId = String(body.actionId ?? '');
    const blockId = typeof body.blockId === 'string' ? body.blockId : undefined;
    if (body.viewId) {
      const found = this.findView(String(body.viewId));
      const hit = found && this.buttonIn(found.entry.view.blocks, blockId, actionId);
      if (!found || !hit) return { ok: false, error: 'no such button' };
      const request = viewButtonBody({
        actionId,
        ...(str(hit.button.value) ? { value: str(hit.button.value) } : {}),
        blockId: hit.block.block_id ?? '',
        userId: user,
        view: { ...found.entry.view, id: found.entry.id },
        button: hit.button,
        triggerId: this.issueTrigger(user),
      });
      const answer = await this.toBot(request, `click on ${actionId}`);
      return answer.ok ? { ok: true } : { ok: false, error: answer.error };
    }
    const message = this.messages.find((m) => m.channel === String(body.channel) && m.ts === String(body.ts));
    const hit = message && this.buttonIn(message.blocks, blockId, actionId);
    if (!message || !hit) return { ok: false, error: 'no such button' };
    const context = { user, channel: message.channel, ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) };
    const request = buttonClickBody({
      actionId,
      value: str(hit.button.value) ?? '',
      userId: user,
      channelId: message.channel,
      channelName: PLAYGROUND_CHANNEL.name,
      messageTs: message.ts,
      ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
      responseUrl: this.issueResponseUrl(context),
      blockId: hit.block.block_id ?? '',
      button: hit.button,
      message: { type: 'message', user: 'UBOT0001', bot_id: 'BBOT0001', ts: message.ts, text: message.text ?? '', blocks: message.blocks ?? [], ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}) },
      triggerId: this.issueTrigger(user),
    });
    const answer = await this.toBot(request, `click on ${actionId}`);
    if (!answer.ok) this.postReply(context, { text: `That click did not reach the app (${answer.error}).` }, 'slack');
    return answer.ok ? { ok: true } : { ok: false, error: answer.error };
  }

  /** `state.values` for a view: each input's element type, from the view itself, with what was typed. */
  private stateFor(view: PlayView['view'], typed: Record<string, Record<string, unknown>>): ViewStateValues {
    const values: ViewStateValues = {};
    for (const block of view.blocks ?? []) {
      if (block.type !== 'input' || !block.element || !block.block_id) continue;
      const element = block.element;
      const actionId = String(element.action_id ?? '');
      const value = typed[block.block_id]?.[actionId];
      values[block.block_id] = {
        [actionId]: { type: element.type, value: typeof value === 'string' ? value : (str(element.initial_value) ?? null) },
      };
    }
    return values;
  }

  private async submit(user: string, viewId: string, typed: Record<string, Record<string, unknown>>): Promise<Json> {
    const stack = this.views.get(user) ?? [];
    const entry = stack.find((v) => v.id === viewId);
    if (!entry) return { ok: false, error: 'no such view' };
    delete entry.errors;
    delete entry.problem;
    const request = viewSubmissionBody({
      view: { ...entry.view, id: entry.id },
      state: this.stateFor(entry.view, typed),
      userId: user,
      triggerId: this.issueTrigger(user),
    });
    const answer = await this.toBot(request, `submit ${String(entry.view.callback_id ?? 'view')}`);
    if (!answer.ok) {
      // Slack keeps the modal open and says it could not reach the app.
      entry.problem = 'We had some trouble connecting. Try again?';
      this.changed();
      return { ok: false, error: answer.error };
    }
    const action = answer.json?.response_action;
    if (action === 'errors') {
      entry.errors = (answer.json?.errors ?? {}) as Record<string, string>;
    } else if (action === 'update') {
      entry.view = { ...(answer.json?.view as Json), id: entry.id };
    } else if (action === 'push') {
      this.views.set(user, [...stack, { id: `V${++this.counter}`, view: answer.json?.view as PlayView['view'] }]);
    } else if (action === 'clear') {
      this.views.delete(user);
    } else {
      // An empty answer closes the view that was submitted.
      this.views.set(user, stack.filter((v) => v !== entry));
    }
    this.changed();
    return { ok: true, ...(action === 'errors' ? { errors: entry.errors } : {}) };
  }

  private async close(user: string, viewId: string): Promise<Json> {
    const stack = this.views.get(user) ?? [];
    const entry = stack.find((v) => v.id === viewId);
    if (!entry) return { ok: false, error: 'no such view' };
    this.views.set(user, stack.filter((v) => v !== entry));
    this.changed();
    if (entry.view.notify_on_close) await this.toBot(viewClosedBody({ view: { ...entry.view, id: entry.id }, userId: user }), 'view_closed');
    return { ok: true };
  }
}
