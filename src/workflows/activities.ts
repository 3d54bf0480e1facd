/**
 * The activity proxies every workflow module uses, made once at module scope with the policies
 * from policies.ts (as in temporalio/samples-typescript).
 *
 * One setting shapes an activity's options per run: LLM_ATTEMPT_TIMEOUT, which the bot passes in
 * the workflow input (so a run keeps the timeout it started with, even after a redeploy). Rather
 * than a proxy made inside the workflow body, or a fixed ladder of timeout tiers, each LLM call
 * goes through the module-scope proxy's `executeWithOptions` (TS SDK ≥ 1.12, marked experimental),
 * which deep-merges the per-run timeouts over the proxy's defaults. Should that API change, only
 * `llmActivities` below changes.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { EstimateActivities, KbActivities, LlmActivities, NoticeActivities, SlackActivities } from '../activities/index.js';
import { DEFAULT_SETTINGS, ESTIMATE_ACTIVITY_OPTIONS, KB_ACTIVITY_OPTIONS, LEGACY_LOCAL_ESTIMATE_OPTIONS, llmActivityOptions, SLACK_ACTIVITY_OPTIONS, STATUS_ACTIVITY_OPTIONS } from './policies.js';

/** Slack writes people must see: retried for up to five minutes. */
export const slack = proxyActivities<SlackActivities>(SLACK_ACTIVITY_OPTIONS);

/** Edits of the live status message: cosmetic, a few quick attempts. */
export const statusSlack = proxyActivities<SlackActivities>(STATUS_ACTIVITY_OPTIONS);

/** Retrieval from the team's documents (beside the research, on the research task queue). */
export const kb = proxyActivities<KbActivities>(KB_ACTIVITY_OPTIONS);

/** Ephemeral answers to refused clicks: a courtesy, a few quick attempts. */
export const notices = proxyActivities<NoticeActivities>(STATUS_ACTIVITY_OPTIONS);

/** Prompt sizes and prices (values from outside the workflow), recorded in history as the activity's result. */
export const estimates = proxyActivities<EstimateActivities>(ESTIMATE_ACTIVITY_OPTIONS);

/**
 * The same as a local activity: how runs started before the `estimates-as-activities` patch asked
 * (see estimates.ts). Kept so that their histories replay; new runs never use it.
 */
export const legacyLocalEstimates = proxyLocalActivities<EstimateActivities>(LEGACY_LOCAL_ESTIMATE_OPTIONS);

const llm = proxyActivities<LlmActivities>(llmActivityOptions(DEFAULT_SETTINGS.llmAttemptTimeoutMs));

type PipelineLlmStep = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle' | 'reviseArticle' | 'checkEvidence';
type LlmCalls = { [K in PipelineLlmStep]: (...args: Parameters<LlmActivities[K]>) => ReturnType<LlmActivities[K]> };

/** The LLM activities with this run's attempt timeout (and the retry budget derived from it). */
export function llmActivities(attemptTimeoutMs: number): LlmCalls {
  const options = llmActivityOptions(attemptTimeoutMs);
  return {
    researchTopic: (input) => llm.researchTopic.executeWithOptions(options, [input]),
    findExamples: (input) => llm.findExamples.executeWithOptions(options, [input]),
    getStatistics: (input) => llm.getStatistics.executeWithOptions(options, [input]),
    writeArticle: (input) => llm.writeArticle.executeWithOptions(options, [input]),
    reviseArticle: (input) => llm.reviseArticle.executeWithOptions(options, [input]),
    checkEvidence: (input) => llm.checkEvidence.executeWithOptions(options, [input]),
  };
}
