/**
 * Keeps the requester's App Home tab current without touching workflow code: after an activity
 * that may move a pipeline to another stage (the worker's activity observer reports them), the
 * requester's Home is re-published, at most once per `debounceMs` per person, after the burst.
 */
import type { Client } from '@temporalio/client';
import type { WebClient } from '@slack/web-api';
import { homeView, type HomeData } from '../slack/blocks/home.js';
import { workspaceUrl } from '../slack/workspace-url.js';
import type { ActivityObservation } from './activity-metrics.js';
import { log } from './log.js';
import { errorChain } from '../shared/error-chain.js';

export interface HomeRefreshOptions {
  client: Client;
  slack: Pick<WebClient, 'views' | 'auth'>;
  load: (userId: string) => Promise<HomeData>;
  temporalUiUrl: string;
  namespace: string;
  /** Wait this long after a change before publishing (visibility catches up meanwhile). */
  debounceMs?: number;
}

export function homeRefresher(options: HomeRefreshOptions): (observation: ActivityObservation) => void {
  const debounceMs = options.debounceMs ?? 2_000;
  const pending = new Map<string, NodeJS.Timeout>();
  /** Requester of each pipeline seen lately (bounded). */
  const requesters = new Map<string, string>();

  const requesterOf = async (observation: ActivityObservation): Promise<string | undefined> => {
    const fromInput = observation.input.requestedBy;
    if (typeof fromInput === 'string') return fromInput;
    const known = requesters.get(observation.workflowId);
    if (known) return known;
    const description = await options.client.workflow.getHandle(observation.workflowId).describe();
    const memo = (description.memo ?? {}) as { requestedBy?: unknown };
    return typeof memo.requestedBy === 'string' ? memo.requestedBy : undefined;
  };

  const publish = async (userId: string) => {
    const [data, url] = await Promise.all([options.load(userId), workspaceUrl(options.slack)]);
    await options.slack.views.publish({ user_id: userId, view: homeView(data, { temporalUiUrl: options.temporalUiUrl, namespace: options.namespace, now: new Date(), workspaceUrl: url }) });
  };

  return (observation) => {
    if (!observation.workflowId || observation.workflowId.endsWith('-parallel-research')) return;
    void requesterOf(observation)
      .then((userId) => {
        if (!userId) return;
        requesters.set(observation.workflowId, userId);
        if (requesters.size > 10_000) requesters.delete(requesters.keys().next().value!);
        clearTimeout(pending.get(userId));
        pending.set(userId, setTimeout(() => {
          pending.delete(userId);
          publish(userId).catch((error: unknown) => log().warn({ userId, workflowId: observation.workflowId }, `Could not refresh the Home tab: ${errorChain(error)}`));
        }, debounceMs).unref());
      })
      .catch((error: unknown) => log().warn({ workflowId: observation.workflowId }, `Could not find the requester to refresh their Home tab: ${errorChain(error)}`));
  };
}
