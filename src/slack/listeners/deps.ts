import type { Pipelines } from '../../temporal/pipelines.js';

/** What listeners need; the bot entry builds it, tests build it over a test server. */
export interface ListenerDeps {
  pipelines: Pick<Pipelines, 'start' | 'review' | 'answerBudget'>;
  maxTopicLength: number;
}
