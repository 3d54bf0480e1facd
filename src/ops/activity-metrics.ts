/**
 * An activity interceptor on the worker that records the pipeline's metrics from what its
 * activities take and return, so no activity or workflow code changes:
 * - LLM activities return `{ usage }` (or fail with `details[0].usage`): tokens and dollars by model and step;
 * - `openThread` succeeding: a pipeline started; `postOutcome` / `postFailure`: a pipeline ended, by outcome;
 *   `notifyRequester`: a pipeline ended `undeliverable` (its thread could not be opened);
 * - `postDraft` of version 1: time to draft (from the thread's first post, whose Slack `ts` is its time);
 * - `recordDecision`: time the draft waited for review (draft `ts` to the decision's time).
 * It also puts the Slack channel an activity works in on its log lines, beside the workflow ID
 * the SDK already adds; and calls `onStageChange` after activities that move a pipeline on
 * (the App Home refresh).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import { costOf, type PriceTable } from '../shared/pricing.js';
import type { Decision, LlmUsage } from '../workflows/messages.js';
import { metrics } from './metrics.js';

const LLM_ACTIVITIES = new Set(['researchTopic', 'findExamples', 'getStatistics', 'writeArticle', 'reviseArticle']);
/** Activities after which a pipeline's stage (as the Home tab shows it) may have changed. */
const STAGE_ACTIVITIES = new Set(['openThread', 'notifyRequester', 'updateStatus', 'postDraft', 'recordDecision', 'askBudget', 'postOutcome', 'postFailure']);

function isUsage(value: unknown): value is LlmUsage {
  const usage = value as Partial<LlmUsage> | undefined;
  return typeof usage?.model === 'string' && typeof usage.inputTokens === 'number' && typeof usage.outputTokens === 'number';
}

export function recordUsage(step: string, usage: LlmUsage, prices: PriceTable): void {
  const cached = usage.cachedInputTokens ?? 0;
  metrics.llmTokens.inc({ model: usage.model, step, kind: 'input' }, Math.max(0, usage.inputTokens - cached));
  metrics.llmTokens.inc({ model: usage.model, step, kind: 'cached_input' }, cached);
  metrics.llmTokens.inc({ model: usage.model, step, kind: 'output' }, usage.outputTokens);
  const cost = costOf(usage, prices);
  if (cost !== undefined) metrics.llmCostUsd.inc({ model: usage.model, step }, cost);
}

/** Slack `ts` ("1712345678.000100") as epoch milliseconds; undefined when it is not one. */
function tsMillis(ts: unknown): number | undefined {
  const seconds = typeof ts === 'string' ? Number(ts) : NaN;
  return Number.isFinite(seconds) && seconds > 1e9 ? seconds * 1000 : undefined;
}

export interface ActivityObservation {
  workflowId: string;
  activityType: string;
  input: Record<string, unknown>;
}

/** Records what one completed (or failed) activity tells about its pipeline. Exported for tests. */
export function observeActivity(type: string, input: Record<string, unknown>, outcome: { result?: unknown; error?: unknown }, prices: PriceTable, now = Date.now()): void {
  if (LLM_ACTIVITIES.has(type)) {
    const usage = outcome.error === undefined
      ? (outcome.result as { usage?: unknown } | undefined)?.usage
      : outcome.error instanceof ApplicationFailure ? (outcome.error.details?.[0] as { usage?: unknown } | undefined)?.usage : undefined;
    if (isUsage(usage)) recordUsage(type, usage, prices);
    const result = outcome.error === undefined ? 'ok' : ((outcome.error as { type?: string; name?: string }).type ?? (outcome.error as Error).name ?? 'error');
    metrics.llmCalls.inc({ step: type, result });
    return;
  }
  if (type === 'notifyRequester') {
    // The run could not open its thread: it ends here, whether or not its response_url still worked.
    const final = outcome.error === undefined || (outcome.error instanceof ApplicationFailure && outcome.error.nonRetryable);
    if (final) metrics.pipelinesEnded.inc({ outcome: 'undeliverable' });
    return;
  }
  if (outcome.error !== undefined) return;
  switch (type) {
    case 'openThread':
      metrics.pipelinesStarted.inc();
      break;
    case 'postOutcome': {
      const decision = input.decision as Decision | undefined;
      metrics.pipelinesEnded.inc({ outcome: decision?.outcome ?? 'unknown' });
      break;
    }
    case 'postFailure':
      metrics.pipelinesEnded.inc({ outcome: 'failed' });
      break;
    case 'postDraft': {
      const opened = tsMillis(input.threadTs);
      if ((input.version ?? 1) === 1 && opened !== undefined) metrics.timeToDraft.observe(Math.max(0, now - opened) / 1000);
      break;
    }
    case 'recordDecision': {
      const decision = input.decision as Decision | undefined;
      const posted = tsMillis(input.draftTs);
      const decided = decision ? Date.parse(decision.at) : NaN;
      if (decision && posted !== undefined && Number.isFinite(decided)) metrics.reviewWait.observe({ outcome: decision.outcome }, Math.max(0, decided - posted) / 1000);
      break;
    }
  }
}

export interface ActivityObserverOptions {
  prices: PriceTable;
  /** Called (not awaited) after an activity that may have moved its pipeline to another stage. */
  onStageChange?: (observation: ActivityObservation) => void;
}

export function activityObserver(options: ActivityObserverOptions): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    let channel: string | undefined;
    return {
      inbound: {
        async execute(input, next) {
          const type = ctx.info.activityType;
          const arg = (input.args[0] ?? {}) as Record<string, unknown>;
          if (typeof arg.channel === 'string') channel = arg.channel;
          try {
            const result = await next(input);
            observeActivity(type, arg, { result }, options.prices);
            if (STAGE_ACTIVITIES.has(type)) options.onStageChange?.({ workflowId: ctx.info.workflowExecution?.workflowId ?? '', activityType: type, input: arg });
            return result;
          } catch (error) {
            observeActivity(type, arg, { error }, options.prices);
            throw error;
          }
        },
      },
      outbound: {
        getLogAttributes(input, next) {
          return next(channel ? { ...input, channel } : input);
        },
      },
    };
  };
}
