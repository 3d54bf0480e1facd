/**
 * The operations endpoint of a process, on METRICS_PORT:
 * - `GET /metrics`: Prometheus text: this process's `content_pipeline_*` and Node metrics
 *   (prom-client), followed by Temporal's runtime metrics (`temporal_*`) when the process runs
 *   workers. Temporal's runtime serves those on its own HTTP listener, which we bind to a loopback
 *   port and read on each scrape, so one scrape target covers both.
 * - `GET /healthz`: 200 while the process is up (liveness).
 * - `GET /readyz`: 200 when every readiness check passes (Temporal reachable, workers polling,
 *   bot connected), 503 with the failing checks otherwise (readiness: take it out of rotation).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.js';
import { log } from './log.js';

export type ReadinessCheck = () => Promise<boolean | string> | boolean | string;

export interface OpsServerOptions {
  port: number;
  host?: string;
  /** Named checks; a check is failing when it returns false, a string (the reason) or throws. */
  checks?: Record<string, ReadinessCheck>;
  /** Temporal runtime's Prometheus endpoint, e.g. http://127.0.0.1:40123/metrics. */
  temporalMetricsUrl?: string;
}

export interface OpsServer {
  port: number;
  url: string;
  addChecks(checks: Record<string, ReadinessCheck>): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<true | string> {
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS).unref()),
    ]);
    return result === true ? true : result === false ? 'failing' : result;
  } catch (error) {
    return (error as Error).message ?? String(error);
  }
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
        const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const));
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
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    addChecks(more) {
      Object.assign(checks, more);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
