/**
 * The codec server: how operators read encrypted runs. The Temporal Web UI (from the browser) and
 * the CLI (`--codec-endpoint`) POST a run's payloads here and show what comes back. It decodes with
 * the same key list as the workers (src/temporal/codec.ts), but never in `required` mode, so runs
 * from before encryption still show.
 *
 * The protocol (temporalio/samples-go codec-server/protocol.md): POST `…/encode` or `…/decode`,
 * only the last path segment counts (the UI since 2.4x appends `?preserveStorageRefs=true`), body and
 * answer are proto3 JSON of temporal.api.common.v1.Payloads: `{"payloads":[{"metadata":{"encoding":
 * "<base64>"},"data":"<base64>"}]}` (bytes as standard or URL-safe base64, padded or not).
 *
 * What calls it, as read in their source:
 * - the Web UI, temporalio/ui `src/lib/services/data-encoder.ts` (v2.34.0 and main): `fetch(endpoint +
 *   '/decode', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace':
 *   <namespace> }, body })`, plus `credentials: 'include'` when "include cross-origin credentials" is
 *   on (TEMPORAL_CODEC_INCLUDE_CREDENTIALS), and `Authorization: Bearer <the UI's own OIDC access
 *   token>` (and `Authorization-Extras: <id token>`) only when "pass access token" is on and the
 *   endpoint is https. A JSON Content-Type and those headers make the browser send a CORS preflight.
 * - the CLI, temporalio/cli v1.5.1 `temporalcli/client.go` over sdk-go `converter/codec.go`
 *   (`NewRemotePayloadCodec`): `Content-Type: application/json`, `X-Namespace: <namespace>`, and
 *   `Authorization: <--codec-auth, verbatim>`, no Origin.
 *
 * So a token protects the CLI's use only: the UI can forward nothing but its own login's token. A
 * codec server the UI uses must therefore listen only where the UI's users already are (loopback, or
 * the compose network with its port published on loopback), and refuses everything else:
 * - a Host header that is not a loopback name or the configured host (DNS rebinding: a web page
 *   whose name resolves to 127.0.0.1 would otherwise be same-origin with this server);
 * - an Origin that is not a configured Web UI origin (no CORS headers for it either, and a POST
 *   from it is refused outright rather than answered unreadably);
 * - a body that is not JSON (a cross-site form cannot send `application/json` without a preflight);
 * - an X-Namespace other than the configured namespace;
 * - without `Authorization: Bearer <CODEC_SERVER_TOKEN>` when a token is set.
 * Refusals answer a short sentence (never a stack trace or key material) and log one line each;
 * successful requests are not logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, PayloadDecodeError, type PayloadKey } from './codec.js';

/**
 * Temporal refuses a request carrying more than 2 MB of payloads ("The max payload for a single
 * request is 2 MB", https://docs.temporal.io/troubleshooting/blob-size-limit-error); base64 in JSON
 * makes that about 2.7 MB, so 4 MiB holds the largest payloads a run can have and no more.
 */
export const CODEC_SERVER_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What the Web UI's fetch and the CLI send (see above); a preflight may ask for no other. */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const ANY_INTERFACE = new Set(['0.0.0.0', '::']);
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export interface CodecServerOptions {
  /** Where to listen (CODEC_SERVER_HOST); also a Host name it answers to, unless it is 0.0.0.0 or ::. */
  host: string;
  /** CODEC_SERVER_PORT; 0 = any free port. */
  port: number;
  /** The namespace whose payloads it decodes (TEMPORAL_NAMESPACE): X-Namespace, when sent, must name it. */
  namespace: string;
  /** The workers' key list: the first encrypts (/encode), all decrypt (/decode). */
  keys: PayloadKey[];
  /** CODEC_SERVER_TOKEN: every POST then needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** CODEC_CORS_ORIGINS: the Web UI origins whose pages may call it. */
  corsOrigins: string[];
  maxBodyBytes?: number;
  /** One line per refused request (not per request). */
  onRefusal?: (line: string) => void;
}

export interface CodecServer {
  /** The base URL the UI and the CLI are pointed at, e.g. http://127.0.0.1:8234. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** proto3 JSON of a Payload: bytes as base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** A refusal: status, the sentence the caller reads, the line the log gets. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The host name of a Host header (`name:port`, `[::1]:port`), lower-cased; undefined if unreadable. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed) return bracketed[1]!.toLowerCase();
  const plain = /^([^:]+)(?::\d+)?$/.exec(header);
  return plain?.[1]?.toLowerCase();
}

/** A caller's own text (a header, a metadata key) as a refusal quotes it: in quotes, at most 80 characters. */
const quoted = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so neither the token's length nor its first differing byte shows in the time taken. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function fromJson(value: unknown, index: number): Payload {
  const where = `payloads[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Refusal(400, `${where} is not an object.`);
  const { metadata, data } = value as { metadata?: unknown; data?: unknown };
  const bytes = (text: unknown, field: string): Uint8Array => {
    if (typeof text !== 'string' || !BASE64.test(text)) throw new Refusal(400, `${where}.${field} is not base64.`);
    return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  };
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new Refusal(400, `${where}.metadata is not an object.`);
  }
  return {
    metadata: Object.fromEntries(Object.entries((metadata ?? {}) as Record<string, unknown>).map(([key, text]) => [key, bytes(text, `metadata[${quoted(key)}]`)])),
    data: data === undefined || data === null ? new Uint8Array() : bytes(data, 'data'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

/**
 * The request body, refused past `limit` bytes. An oversized body is still read (and dropped) up to
 * four times the limit, so the client gets to read the 413 rather than a reset connection; a larger
 * one is cut off.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = new Refusal(413, `The body is larger than ${limit} bytes, more than any run's payloads can be.`, { Connection: 'close' });
  const cutOff = 4 * limit;
  if (Number(request.headers['content-length'] ?? 0) > cutOff) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > cutOff) {
      request.destroy();
      throw tooLarge;
    }
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw tooLarge;
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayloads(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Refusal(400, 'The body is not JSON; send {"payloads": [...]} (proto3 JSON of temporal.api.common.v1.Payloads).');
  }
  const payloads = (parsed as { payloads?: unknown } | null)?.payloads;
  // proto3 JSON leaves out an empty repeated field: `{}` is no payloads.
  if (payloads === undefined && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return [];
  if (!Array.isArray(payloads)) throw new Refusal(400, 'The body is not {"payloads": [...]} (proto3 JSON of temporal.api.common.v1.Payloads).');
  return payloads.map(fromJson);
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  // /decode is never `required`: the UI must still show runs started before encryption.
  const codec = new EncryptionCodec(options.keys);
  const limit = options.maxBodyBytes ?? CODEC_SERVER_MAX_BODY_BYTES;
  const origins = new Set(options.corsOrigins);
  const hostNames = new Set(LOOPBACK_NAMES);
  if (!ANY_INTERFACE.has(options.host)) hostNames.add(options.host.toLowerCase());
  const onRefusal = options.onRefusal ?? ((line: string) => console.warn(line));

  /** CORS headers for a configured origin; none for any other (or no) origin. */
  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    origin && origins.has(origin)
      ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
      : { Vary: 'Origin' };

  const check = (request: IncomingMessage, origin: string | undefined): void => {
    const host = hostName(request.headers.host);
    if (!host || !hostNames.has(host)) {
      throw new Refusal(403, `This codec server answers only to ${[...hostNames].join(', ')}, not to Host ${quoted(request.headers.host ?? '')}.`);
    }
    if (origin !== undefined && !origins.has(origin)) {
      throw new Refusal(403, `Origin ${quoted(origin)} is not a Web UI this codec server serves; add it to CODEC_CORS_ORIGINS if it is one.`);
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const origin = request.headers.origin;
    const { pathname } = new URL(request.url ?? '/', 'http://codec-server');
    const operation = /\/(encode|decode)$/.exec(pathname)?.[1] as 'encode' | 'decode' | undefined;
    const cors = corsHeaders(origin);

    if (request.method === 'GET' && pathname === '/healthz') {
      check(request, origin);
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('ok\n');
      return;
    }
    if (!operation) throw new Refusal(404, 'Not found: POST …/decode or …/encode.');
    check(request, origin);
    if (request.method === 'OPTIONS') {
      // A preflight carries no Authorization (browsers never send it there), so no token is asked.
      // A UI served from a non-loopback origin (behind a proxy) calling this loopback server asks
      // for Private Network Access (https://wicg.github.io/private-network-access/#headers): granted
      // to a configured origin only, as everything else here.
      const privateNetwork = request.headers['access-control-request-private-network'] === 'true' ? { 'Access-Control-Allow-Private-Network': 'true' } : {};
      response
        .writeHead(204, {
          ...cors,
          ...privateNetwork,
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
        })
        .end();
      return;
    }
    if (request.method !== 'POST') throw new Refusal(405, `${request.method ?? 'That method'} is not allowed: POST …/${operation}.`, { Allow: 'POST, OPTIONS' });
    if (options.token) {
      const authorization = request.headers.authorization ?? '';
      const given = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? '';
      if (!sameSecret(given, options.token)) {
        throw new Refusal(401, 'This codec server needs Authorization: Bearer <CODEC_SERVER_TOKEN> (the CLI: --codec-auth "Bearer <token>").', {
          'WWW-Authenticate': 'Bearer',
        });
      }
    }
    const namespace = request.headers['x-namespace'];
    if (namespace !== undefined && namespace !== options.namespace) {
      throw new Refusal(403, `This codec server holds the keys of namespace "${options.namespace}", not of ${quoted(String(namespace))}.`);
    }
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') throw new Refusal(415, 'Send the payloads as Content-Type: application/json.');

    const payloads = parsePayloads(await readBody(request, limit));
    let result: Payload[];
    try {
      result = operation === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
    } catch (error) {
      if (error instanceof PayloadDecodeError) throw new Refusal(422, error.message, error.missingKeyId ? { 'X-Missing-Key-Id': error.missingKeyId } : {});
      throw error;
    }
    response
      .writeHead(200, { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
      .end(JSON.stringify({ payloads: result.map(toJson) }));
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Anything else is a fault of ours: its name goes to the log, never its text (it may quote a payload).
      const refusal =
        error instanceof Refusal ? error : new Refusal(500, `The codec server failed on this request (${error instanceof Error ? error.name : 'error'}).`);
      const from = request.socket.remoteAddress ?? 'unknown';
      onRefusal(`Codec server refused ${request.method ?? '?'} ${(request.url ?? '').split('?')[0]} from ${from} (${refusal.status}): ${refusal.message}`);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      // CORS headers on a refusal too, for a configured origin: the UI can then read the status.
      const origin = request.headers.origin;
      const cors = origin && origins.has(origin) ? corsHeaders(origin) : { Vary: 'Origin' };
      response
        .writeHead(refusal.status, { ...cors, ...refusal.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
        .end(`${refusal.message}\n`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${options.port} is in use, so the codec server could not start there (perhaps another npm start holds it). Set CODEC_SERVER_PORT to a free port.`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = ANY_INTERFACE.has(options.host) ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
