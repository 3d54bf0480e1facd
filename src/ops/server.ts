/**
 * The operations endpoint of a process, on METRICS_PORT:
 * - `GET /metrics`: Prometheus text: this process's `content_pipeline_*` and Node metrics
 *   (prom-client), followed by Temporal's runtime metrics (`temporal_*`) when the process runs
 *   workers. Temporal's runtime serves those on its own HTTP listener, which we bind to a loopback
 *   port and read on each scrape, so one scrape target covers both.
 * - `GET /healthz`: 200 while the process is up (liveness).
 * - `GET /readyz`: 200 when every readiness check passes (Temporal reachable, workers polling,
 *   bot connected), 503 with the failing checks otherwise (readiness: take it out of rotation),
 *   each with a generic reason (`temporal: unreachable`); the error itself goes to the log.
 * Listens on METRICS_HOST, 127.0.0.1 unless set: none of it needs authentication.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.js';
import { log } from './log.js';
import { scrubDetails } from '../shared/scrub.js';

export type ReadinessCheck = () => Promise<boolean | string> | boolean | string;

export interface OpsServerOptions {
  port: number;
  /** Where to listen: loopback unless told otherwise (METRICS_HOST); the endpoint has no authentication. */
  host?: string;
  /** Named checks; a check is failing when it returns false, a string (the reason) or throws. */
  checks?: Record<string, ReadinessCheck>;
  /** Temporal runtime's Prometheus endpoint, e.g. http://127.0.0.1:40123/metrics. */
  temporalMetricsUrl?: string;
}

export interface OpsServer {
  port: number;
  /** The address it listens on (METRICS_HOST). */
  address: string;
  url: string;
  addChecks(checks: Record<string, ReadinessCheck>): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** The ops endpoint's default bind address: this machine only. */
export const DEFAULT_OPS_HOST = '127.0.0.1';

/**
 * A check's answer as /readyz shows it: `ok`, or a generic reason. /readyz answers whoever can reach
 * the port, so a thrown error (which names hosts and addresses) becomes `unreachable` there and goes
 * to the log in full; a reason the check returns is its own words, scrubbed all the same.
 */
async function runCheck(name: string, check: ReadinessCheck, logged: Map<string, string>): Promise<true | string> {
  let reason: string;
  let detail: unknown;
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS).unref()),
    ]);
    if (result === true) {
      logged.delete(name);
      return true;
    }
    reason = result === false ? 'failing' : scrubDetails(result);
    detail = result;
  } catch (error) {
    reason = 'unreachable';
    detail = error;
  }
  // Once per change, not on every probe: a load balancer asks every few seconds.
  const key = `${reason} ${String(detail)}`;
  if (logged.get(name) !== key) {
    logged.set(name, key);
    log().warn({ check: name, err: detail }, `Readiness check ${name} failing: ${reason}`);
  }
  return reason;
}

export async function temporalRuntimeMetrics(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    return response.ok ? await response.text() : `# Temporal runtime metrics unavailable: HTTP ${response.status}\n`;
  } catch (error) {
    // The runtime stops its listener when its last worker stops; say so rather than fail the scrape.
    return `# Temporal runtime metrics unavailable: ${(error as Error).message}\n`;
  }
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const checks: Record<string, ReadinessCheck> = { ...options.checks };
  const logged = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      void (async () => {
        const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(name, check, logged)] as const));
        const failing = results.filter(([, result]) => result !== true);
        const body = results.map(([name, result]) => `${name}: ${result === true ? 'ok' : result}`).join('\n');
        res.writeHead(failing.length ? 503 : 200, { 'content-type': 'text/plain' }).end(`${body || 'ok'}\n`);
      })();
      return;
    }
    if (path === '/metrics') {
      void (async () => {
        try {
          const [own, temporal] = await Promise.all([registry.metrics(), temporalRuntimeMetrics(options.temporalMetricsUrl)]);
          res.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${temporal}`);
        } catch (error) {
          log().error({ err: error }, 'Could not render /metrics');
          res.writeHead(500).end();
        }
      })();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? DEFAULT_OPS_HOST, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = options.host ?? DEFAULT_OPS_HOST;
  // Every interface includes loopback; a single interface is reached at its own address.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    address,
    url: `http://${reachable}:${port}`,
    addChecks(more) {
      Object.assign(checks, more);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
