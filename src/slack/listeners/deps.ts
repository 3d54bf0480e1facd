import type { Pipelines } from '../../temporal/pipelines.js';
import type { ReviewerDirectory } from './authorization.js';
import type { HomeData } from '../blocks/home.js';
import type { KbStats } from '../../kb/stats.js';
import type { MembershipSource } from '../membership.js';
import type { ChannelVisibility } from '../../workflows/search-attributes.js';
import type { SpendLines } from '../blocks/spend.js';

/** What listeners need; the bot entry builds it, tests build it over a test server. */
export interface ListenerDeps {
  pipelines: Pick<
    Pipelines,
    'start' | 'review' | 'answerBudget' | 'requestChanges' | 'approveEdited' | 'reject' | 'cancel' | 'describe' | 'draft' | 'listRunning' | 'republish'
  >;
  /** REVIEWERS: user and user-group IDs; empty = anyone in the channel. */
  reviewers: string[];
  directory: ReviewerDirectory;
  /** Which conversations a person is in (users.conversations, cached; dropped on membership events). */
  membership: MembershipSource;
  /** Whether a conversation's runs are open to the workspace (`public`) or to its members only. */
  channelVisibility: (channel: string) => Promise<ChannelVisibility>;
  /** A channel was made private: its cached visibility is dropped (runs started from then on are private). */
  forgetChannelVisibility?: (channel: string) => void;
  temporalUiUrl: string;
  namespace: string;
  /** What the App Home tab shows a viewer (page 0 = newest); no Home tab when absent. */
  home?: (userId: string, page: number, teamId?: string) => Promise<HomeData>;
  /**
   * Spend ceilings (issue 21), when any is set: the viewer's usage against each for `/research
   * status` (from the workspace's spend account, exact). Absent: no ceilings, nothing to show.
   */
  spendLimits?: (teamId: string | undefined, userId: string) => Promise<SpendLines[]>;
  /** What the knowledge base holds for one conversation, for `/research kb`; "not set up" when absent. */
  kb?: (channelId: string) => Promise<KbStats>;
}
