import type { Pipelines } from '../../temporal/pipelines.js';
import type { ReviewerDirectory } from './authorization.js';
import type { HomeData } from '../blocks/home.js';
import type { KbStats } from '../../kb/stats.js';

/** What listeners need; the bot entry builds it, tests build it over a test server. */
export interface ListenerDeps {
  pipelines: Pick<
    Pipelines,
    'start' | 'review' | 'answerBudget' | 'requestChanges' | 'approveEdited' | 'reject' | 'cancel' | 'describe' | 'draft' | 'listRunning' | 'republish'
  >;
  /** REVIEWERS: user and user-group IDs; empty = anyone in the channel. */
  reviewers: string[];
  directory: ReviewerDirectory;
  temporalUiUrl: string;
  namespace: string;
  /** What the App Home tab shows a viewer (page 0 = newest); no Home tab when absent. */
  home?: (userId: string, page: number) => Promise<HomeData>;
  /** What the knowledge base holds for one conversation, for `/research kb`; "not set up" when absent. */
  kb?: (channelId: string) => Promise<KbStats>;
}
