/**
 * Who may decide on a draft (REVIEWERS: user IDs and user-group IDs; empty means anyone) and who
 * may answer a budget question or cancel (the requester, or a reviewer when REVIEWERS is set). Checked here for an immediate answer, and again in
 * the workflow, which has the final word.
 */
import type { ListenerDeps } from './deps.js';
import type { ChannelVisibility } from '../../workflows/search-attributes.js';

export interface ReviewerDirectory {
  /** User IDs in a user group (usergroups.users.list). */
  membersOf(groupId: string): Promise<string[]>;
}

const GROUP_CACHE_MS = 60_000;

/** Caches group membership for a minute: clicks come in bursts, memberships change rarely. */
export function cachedDirectory(load: (groupId: string) => Promise<string[]>, now: () => number = Date.now): ReviewerDirectory {
  const cache = new Map<string, { at: number; members: Promise<string[]> }>();
  return {
    membersOf(groupId) {
      const hit = cache.get(groupId);
      if (hit && now() - hit.at < GROUP_CACHE_MS) return hit.members;
      const members: Promise<string[]> = load(groupId).catch((error: unknown) => {
        if (cache.get(groupId)?.members === members) cache.delete(groupId); // never drop a newer entry
        throw error;
      });
      cache.set(groupId, { at: now(), members });
      return members;
    },
  };
}

/** The conversation a decision is about: a reviewer outside a private one may not decide there. */
export interface ReviewConversation {
  channel?: string | undefined;
  /** From the run's ChannelVisibility attribute; asked of Slack (conversations.info) when absent. */
  visibility?: ChannelVisibility | undefined;
}

type ReviewerDeps = Pick<ListenerDeps, 'reviewers' | 'directory'> & Partial<Pick<ListenerDeps, 'membership' | 'channelVisibility'>>;

export async function isReviewer(deps: ReviewerDeps, userId: string, conversation?: ReviewConversation): Promise<boolean> {
  if (deps.reviewers.length === 0) return true;
  if (!(await isNamedReviewer(deps, userId))) return false;
  // As the workflow decides (src/workflows/authority.ts): in a private channel, DM or group DM,
  // only the named reviewers who are its members. Unknown membership counts as "not a member".
  if (!conversation?.channel) return true;
  const visibility = conversation.visibility ?? (await deps.channelVisibility?.(conversation.channel)) ?? 'private';
  if (visibility === 'public') return true;
  return (await deps.membership?.isMember(userId, conversation.channel)) ?? false;
}

async function isNamedReviewer(deps: Pick<ListenerDeps, 'reviewers' | 'directory'>, userId: string): Promise<boolean> {
  if (deps.reviewers.includes(userId)) return true;
  for (const group of deps.reviewers.filter((id) => id.startsWith('S'))) {
    if ((await deps.directory.membersOf(group)).includes(userId)) return true;
  }
  return false;
}

/**
 * Budget Allow / Stop and Cancel: the requester, and the reviewers when REVIEWERS is set (unset,
 * anyone may review, but only the requester may spend more or cancel). The workflow checks again.
 */
export async function mayCancel(deps: ReviewerDeps, userId: string, requestedBy: string | undefined, conversation?: ReviewConversation): Promise<boolean> {
  return userId === requestedBy || (deps.reviewers.length > 0 && (await isReviewer(deps, userId, conversation)));
}

/** Who may answer a budget question or cancel, for a refusal: "the person who started it" (or a reviewer). */
export function spendersText(deps: Pick<ListenerDeps, 'reviewers'>): string {
  return deps.reviewers.length ? 'the person who started this pipeline or a reviewer' : 'the person who started this pipeline';
}

/** How the refusal names the reviewers: people as mentions, groups as group mentions. */
export function reviewersList(reviewers: string[]): string {
  return reviewers.map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`)).join(', ');
}
