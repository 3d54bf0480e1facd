/**
 * The app's own Prometheus metrics (prefixed `content_pipeline_`), recorded where the facts are:
 * the worker's activity interceptor (src/ops/activity-metrics.ts) sees tokens, costs, drafts,
 * decisions and outcomes; the Slack clients' fetch sees every Web API error; the bot's HTTP
 * receiver sees how long each request took to be acknowledged.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const PREFIX = 'content_pipeline_';

export const metrics = {
  pipelinesStarted: new Counter({
    name: `${PREFIX}pipelines_started_total`,
    help: 'Pipelines whose Slack thread was opened.',
    registers: [registry],
  }),
  pipelinesEnded: new Counter({
    name: `${PREFIX}pipelines_ended_total`,
    help: 'Pipelines that ended, by outcome (approved, rejected, expired, stopped, cancelled, undeliverable, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  llmTokens: new Counter({
    name: `${PREFIX}llm_tokens_total`,
    help: 'LLM tokens used, by model, pipeline step and kind (input, output, cached_input).',
    labelNames: ['model', 'step', 'kind'] as const,
    registers: [registry],
  }),
  llmCostUsd: new Counter({
    name: `${PREFIX}llm_cost_usd_total`,
    help: 'LLM spend in US dollars at the configured prices, by model and step (unpriced models add nothing).',
    labelNames: ['model', 'step'] as const,
    registers: [registry],
  }),
  llmCalls: new Counter({
    name: `${PREFIX}llm_calls_total`,
    help: 'LLM activity attempts, by step and result (ok, or the failure type).',
    labelNames: ['step', 'result'] as const,
    registers: [registry],
  }),
  timeToDraft: new Histogram({
    name: `${PREFIX}time_to_draft_seconds`,
    help: 'From the thread opening to the first draft being posted.',
    buckets: [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [registry],
  }),
  reviewWait: new Histogram({
    name: `${PREFIX}review_wait_seconds`,
    help: 'From a draft being posted to the decision on it, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600],
    registers: [registry],
  }),
  slackApiErrors: new Counter({
    name: `${PREFIX}slack_api_errors_total`,
    help: 'Slack Web API calls that failed, by method and error (Slack error code, http_<status>, ratelimited or request_failed).',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  }),
  spendReservations: new Counter({
    name: `${PREFIX}spend_reservations_total`,
    help: 'Spend reservations asked of the spend account, by kind (admission or call) and result (granted, or the limit that refused: team-daily, team-monthly, user-daily, user-running).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  }),
  spendSettledUsd: new Counter({
    name: `${PREFIX}spend_settled_usd_total`,
    help: 'Actual LLM spend in US dollars recorded with the spend account (settled reservations).',
    registers: [registry],
  }),
  spendAccountErrors: new Counter({
    name: `${PREFIX}spend_account_errors_total`,
    help: 'Calls to the spend account that failed (it could not be reached or refused the request as malformed), by operation (reserve, settle).',
    labelNames: ['operation'] as const,
    registers: [registry],
  }),
  ackLatency: new Histogram({
    name: `${PREFIX}ack_latency_seconds`,
    help: 'From a Slack request arriving to its acknowledgement being sent, by kind (command, action, view, event, other). Slack allows 3 s.',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [registry],
  }),
};

type Fetch = typeof globalThis.fetch;

/**
 * A `fetch` for @slack/web-api's WebClient (its `fetch` option) that counts failed calls by
 * method. Slack answers most errors with HTTP 200 and `{ ok: false, error }`
 * (https://api.slack.com/web#responses), so the body is read from a clone.
 */
export function meteredSlackFetch(inner: Fetch = globalThis.fetch): Fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'unknown';
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      metrics.slackApiErrors.inc({ method, error: 'request_failed' });
      throw error;
    }
    if (response.status === 429) metrics.slackApiErrors.inc({ method, error: 'ratelimited' });
    else if (!response.ok) metrics.slackApiErrors.inc({ method, error: `http_${response.status}` });
    else if ((response.headers.get('content-type') ?? '').includes('json')) {
      const body = (await response.clone().json().catch(() => undefined)) as { ok?: boolean; error?: string } | undefined;
      if (body && body.ok === false) metrics.slackApiErrors.inc({ method, error: body.error ?? 'unknown' });
    }
    return response;
  };
}

/** The kind of Slack request in a body: slash command, action, view submission, event. */
export function slackRequestKind(body: Record<string, unknown>): string {
  if (typeof body.command === 'string') return 'command';
  const type = body.type;
  if (type === 'block_actions' || type === 'interactive_message') return 'action';
  if (type === 'view_submission' || type === 'view_closed') return 'view';
  if (type === 'event_callback') return 'event';
  if (type === 'shortcut' || type === 'message_action') return 'shortcut';
  return 'other';
}

interface ReceiverEventLike {
  body: Record<string, unknown>;
  ack: (...args: never[]) => Promise<void>;
}

/**
 * Times every request Bolt dispatches, from the receiver handing it over (signature checked, body
 * parsed) to its `ack()` having been sent, by kind. Wraps `App#processEvent`, which both the HTTP
 * and the Socket Mode receivers call for each request.
 */
export function timeAcks(app: { processEvent(event: ReceiverEventLike): Promise<void> }): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = (event) => {
    const started = performance.now();
    const kind = slackRequestKind(event.body);
    const ack = event.ack;
    let timed = false;
    const timedAck = async (...args: never[]) => {
      await ack(...args);
      if (!timed) {
        timed = true;
        metrics.ackLatency.observe({ kind }, (performance.now() - started) / 1000);
      }
    };
    return processEvent({ ...event, ack: timedAck });
  };
}
