/**
 * A stand-in for Slack's Socket Mode, served by the stand-in Slack's HTTP server.
 *
 * - `apps.connections.open` takes an app-level token (`xapp-…`) in the Authorization header and
 *   answers a one-time WebSocket URL; any other token type is refused (`not_allowed_token_type`,
 *   `invalid_auth`). https://docs.slack.dev/reference/methods/apps.connections.open
 * - On connecting, the app gets `{ type: "hello" }`; each payload then arrives in an envelope
 *   (`slash_commands`, `interactive`, `events_api`) with an `envelope_id`, which the app
 *   acknowledges by sending `{ envelope_id, payload? }` back; the ack's payload is what the HTTP
 *   response body would be (a command's reply, a modal's `response_action`).
 *   https://docs.slack.dev/apis/events-api/using-socket-mode
 *   (https://api.slack.com/apis/connections/socket-implement)
 * - The ack must come within 3 seconds, as for HTTP requests (Bolt's receivers are built around
 *   it; an interaction or command not acknowledged in time shows the person a timeout error:
 *   https://docs.slack.dev/interactivity/handling-user-interaction). Events API deliveries are
 *   retried, which Socket Mode envelopes mark with `retry_attempt` and `retry_reason` (the fields
 *   @slack/socket-mode passes to listeners); the stand-in retries an unacknowledged event once,
 *   at once, with `retry_reason: "timeout"` (Slack retries later too). A late ack is ignored.
 * - Slack recycles connections: it sends `{ type: "disconnect", reason: "refresh_requested" }`
 *   (or `"warning"`, shortly before it closes the connection) and the app opens a new one.
 * - Slack pings; @slack/socket-mode reconnects when no ping arrives for 30 s.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export const ACK_TIMEOUT_MS = 3_000;
const PING_INTERVAL_MS = 10_000;
const LINK_PATH = '/link/';

export interface DeliveryResult {
  envelopeId: string;
  acked: boolean;
  /** The ack's payload (the reply a person sees, or a modal's response_action). */
  payload?: Record<string, unknown>;
  /** Retries made for an Events API envelope that was not acknowledged in time. */
  retries: number;
}

export interface SocketModeEndpointOptions {
  appId: string;
  /** ws:// base of the HTTP server this endpoint is attached to. */
  baseUrl: () => string;
}

export class SocketModeEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets: WebSocket[] = [];
  private readonly tickets = new Set<string>();
  private readonly waiting = new Map<string, (payload: Record<string, unknown>) => void>();
  private readonly pinger: ReturnType<typeof setInterval>;
  /** Connections opened so far (each `apps.connections.open` URL used). */
  connectionsOpened = 0;
  /** Envelopes sent, in order. */
  readonly envelopes: Array<{ envelope_id: string; type: EnvelopeType; retry_attempt: number; at: number }> = [];
  /** Acks received after their 3 s (ignored, as Slack would). */
  readonly lateAcks: string[] = [];
  /** `disconnect` messages sent. */
  readonly disconnects: Array<{ reason: string; at: number }> = [];

  constructor(private readonly options: SocketModeEndpointOptions) {
    this.pinger = setInterval(() => {
      for (const socket of this.sockets) socket.ping();
    }, PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** Serves the WebSocket URLs on the stand-in's HTTP server. */
  attach(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== LINK_PATH || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  /** `apps.connections.open`: a one-time URL, for an app-level token only. */
  open(token: string | undefined): Record<string, unknown> {
    if (!token) return { ok: false, error: 'not_authed' };
    if (!token.startsWith('xapp-')) return { ok: false, error: token.startsWith('xox') ? 'not_allowed_token_type' : 'invalid_auth' };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return { ok: true, url: `${this.options.baseUrl()}${LINK_PATH}?ticket=${ticket}&app_id=${this.options.appId}` };
  }

  private accept(ws: WebSocket): void {
    this.connectionsOpened += 1;
    this.sockets.push(ws);
    ws.on('close', () => {
      const index = this.sockets.indexOf(ws);
      if (index >= 0) this.sockets.splice(index, 1);
    });
    ws.on('message', (data) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      const id = typeof message.envelope_id === 'string' ? message.envelope_id : '';
      const resolve = this.waiting.get(id);
      if (!resolve) {
        if (id) this.lateAcks.push(id);
        return;
      }
      this.waiting.delete(id);
      resolve(message.payload && typeof message.payload === 'object' ? (message.payload as Record<string, unknown>) : {});
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'stand-in-socket-mode', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
  }

  /** Open connections that got their `hello`. */
  get openConnections(): number {
    return this.sockets.filter((s) => s.readyState === s.OPEN).length;
  }

  /** Sends `disconnect` on every open connection; the app is expected to reconnect. */
  disconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.disconnects.push({ reason, at: Date.now() });
    for (const socket of this.sockets) socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'stand-in-socket-mode' } }));
  }

  /**
   * Delivers a payload in an envelope on the newest open connection and waits up to 3 s for its
   * ack. With no connection open, it waits for one within the same 3 s.
   */
  async deliver(type: EnvelopeType, payload: Record<string, unknown>): Promise<DeliveryResult> {
    let retries = 0;
    for (;;) {
      const envelopeId = randomUUID();
      const attempt = await this.send(envelopeId, type, payload, retries);
      if (attempt.acked || type !== 'events_api' || retries >= 1) return { ...attempt, envelopeId, retries };
      // Events API: one immediate retry of an unacknowledged delivery.
      retries += 1;
    }
  }

  private async send(envelopeId: string, type: EnvelopeType, payload: Record<string, unknown>, retryAttempt: number): Promise<Omit<DeliveryResult, 'envelopeId' | 'retries'>> {
    const deadline = Date.now() + ACK_TIMEOUT_MS;
    let socket = this.newestOpen();
    while (!socket && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket = this.newestOpen();
    }
    if (!socket) return { acked: false };
    const acked = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(envelopeId, resolve));
    this.envelopes.push({ envelope_id: envelopeId, type, retry_attempt: retryAttempt, at: Date.now() });
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        ...(type === 'events_api' ? { retry_attempt: retryAttempt, retry_reason: retryAttempt ? 'timeout' : '' } : {}),
      }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    });
    const result = await Promise.race([acked, timeout]);
    clearTimeout(timer);
    if (result === undefined) {
      this.waiting.delete(envelopeId);
      return { acked: false };
    }
    return { acked: true, payload: result };
  }

  private newestOpen(): WebSocket | undefined {
    return [...this.sockets].reverse().find((s) => s.readyState === s.OPEN);
  }

  close(): void {
    clearInterval(this.pinger);
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
  }
}

/**
 * The Socket Mode envelope for a request body as Slack would send it over HTTP: a command's form
 * fields (`slash_commands`), an interaction's `payload=` JSON (`interactive`), or an Events API
 * JSON body (`events_api`).
 */
export function envelopeFor(body: string): { type: EnvelopeType; payload: Record<string, unknown> } {
  if (body.trimStart().startsWith('{')) return { type: 'events_api', payload: JSON.parse(body) as Record<string, unknown> };
  const form = new URLSearchParams(body);
  const interaction = form.get('payload');
  if (interaction !== null) return { type: 'interactive', payload: JSON.parse(interaction) as Record<string, unknown> };
  return { type: 'slash_commands', payload: Object.fromEntries(form) };
}
