/**
 * Turns a failure type into a sentence a Slack user can act on. Pure: used by the workflow to
 * write the failure reply, so the words are in history next to the cause.
 */
import { LlmFailure, SlackFailure, SPEND_CEILING_REACHED } from './failure-types.js';

/** `--docs-only` and the team's documents hold nothing relevant to the topic. */
export const NOTHING_RELEVANT = 'NothingRelevantInDocuments';

const EXPLANATIONS: Record<string, string> = {
  [NOTHING_RELEVANT]:
    'Your documents hold nothing relevant to this topic, so nothing was written (--docs-only). Share documents with this conversation with `npm run kb -- add <folder> --channel <its ID>` (`/research kb` shows the exact command), or run `/research <topic>` without --docs-only.',
  [LlmFailure.Authentication]: 'OpenAI rejected the API key: check OPENAI_API_KEY.',
  [LlmFailure.PermissionDenied]: 'The API key may not use this model: check RESEARCH_MODEL / WRITER_MODEL and the project’s model access.',
  [LlmFailure.NotFound]: 'The model was not found: check RESEARCH_MODEL / WRITER_MODEL (and OPENAI_BASE_URL).',
  [LlmFailure.BadRequest]: 'The LLM provider rejected the request as invalid; retrying cannot help. The details are in the Temporal UI.',
  [LlmFailure.QuotaExceeded]: 'The OpenAI account is out of quota: check billing and usage limits.',
  [LlmFailure.ContextOverflow]: 'The prompt is longer than the model accepts: try a shorter topic or a model with a larger context.',
  [LlmFailure.RateLimited]: 'OpenAI kept rate-limiting the calls through every retry: try again later, or raise the account’s rate limits.',
  [LlmFailure.ServerError]: 'The LLM provider returned server errors on every attempt: try again in a few minutes.',
  [LlmFailure.Timeout]: 'The LLM did not answer in time on any attempt: try again, or raise LLM_ATTEMPT_TIMEOUT.',
  [LlmFailure.Connection]: 'The LLM provider could not be reached: check OPENAI_BASE_URL and the network.',
  [LlmFailure.OutputInvalid]:
    'The model’s answer could not be used, even after asking it once to correct itself: try again, or try another model (RESEARCH_MODEL / WRITER_MODEL).',
  [LlmFailure.Refusal]: 'The model declined to write about this: rephrase the topic, or try another model.',
  [LlmFailure.OutputTruncated]:
    'The model’s answer was cut off at its output limit, so it was not used: try a narrower topic, or a model with a larger output limit.',
  [LlmFailure.Unknown]: 'The LLM call failed on every attempt; the details are in the Temporal UI.',
  [SPEND_CEILING_REACHED]:
    'The workspace’s spend ceiling (TEAM_DAILY_USD, TEAM_MONTHLY_USD or USER_DAILY_USD) was reached, so the model was not called: run it again after the ceiling resets (`/research status` shows your usage), or ask an admin to raise it.',
  [SlackFailure.Auth]: 'Slack refused the bot’s token or a scope is missing: check SLACK_BOT_TOKEN and reinstall the app.',
  [SlackFailure.Channel]: 'The bot cannot post in this channel: invite it, or check the channel still exists.',
  [SlackFailure.InvalidRequest]: 'Slack rejected a message the bot built; the details are in the Temporal UI.',
  [SlackFailure.RateLimited]: 'Slack kept rate-limiting the bot: try again in a few minutes.',
  [SlackFailure.Unavailable]: 'Slack was unavailable on every attempt: try again in a few minutes.',
  /** Temporal's own timeout failures (an attempt or the whole step ran out of time). */
  TimeoutFailure: 'A step ran out of time on every attempt: try again, or raise LLM_ATTEMPT_TIMEOUT.',
};

export function explainFailure(type: string | undefined): string {
  return (type && EXPLANATIONS[type]) || 'Something unexpected failed; the details are in the Temporal UI.';
}
