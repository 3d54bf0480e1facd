/**
 * Who may do what, checked in the workflow (the bot checks first for an immediate answer; this is
 * the final word, so a signal from anyone else changes nothing):
 *   review decisions (approve, request changes, edit, reject): the reviewers; anyone when REVIEWERS is unset;
 *   spending (budget Allow / Stop) and Cancel: the requester, and the reviewers when REVIEWERS is set.
 * REVIEWERS may name user groups (S…): they are resolved once, by an activity, when first needed.
 *
 * Since patch `reviewers-by-membership`: in a private channel, DM or group DM only the reviewers
 * who are its members count (the `reviewersIn` activity asks Slack), so a named reviewer outside
 * it can neither decide nor spend; the review loop says once in the thread who was not asked.
 * Runs started before the patch keep the old rule (every named reviewer).
 */
import { patched } from '@temporalio/workflow';
import { slack } from './activities.js';
import type { RunContext } from './run.js';

export const REVIEWERS_BY_MEMBERSHIP = 'reviewers-by-membership';

export class Authority {
  private members: Promise<string[]> | undefined;
  private resolved: string[] | undefined;
  /** Reviewers (user IDs) outside the run's private conversation, once resolved by membership. */
  outside: string[] = [];
  /** Whether this run follows membership (decided once, at the start of the run). */
  private readonly byMembership: boolean;

  constructor(private readonly run: RunContext) {
    this.byMembership = patched(REVIEWERS_BY_MEMBERSHIP);
  }

  private get reviewers(): string[] {
    return this.run.settings.reviewers;
  }

  /** Resolves the reviewer groups (once), and by membership who of them may act here; call before review decisions are checked. */
  async ready(): Promise<void> {
    if (!this.reviewers.length) return;
    const members = (this.members ??= this.byMembership
      ? slack.reviewersIn({ reviewers: this.reviewers, channel: this.run.channel }).then(({ allowed, outside }) => {
        this.outside = outside;
        return allowed;
      })
      : slack.resolveReviewers({ reviewers: this.reviewers }));
    try {
      this.resolved = await members;
    } catch (error) {
      // Slack could not say (after the activity's retries): ask again next time, not a cached failure.
      if (this.byMembership && this.members === members) this.members = undefined;
      throw error;
    }
  }

  /** Review decisions; synchronous, once `ready()` has resolved the groups. */
  mayReview(userId: string): boolean {
    if (!this.reviewers.length) return true;
    // By membership, nobody counts until Slack has said who is in the conversation.
    if (this.byMembership) return this.resolved?.includes(userId) ?? false;
    return this.reviewers.includes(userId) || (this.resolved?.includes(userId) ?? false);
  }

  /** Budget answers and Cancel: the requester, or a reviewer when REVIEWERS is set. */
  async maySpend(userId: string): Promise<boolean> {
    if (userId === this.run.requestedBy) return true;
    if (!this.reviewers.length) return false;
    if (this.byMembership) {
      try {
        await this.ready();
      } catch {
        // Called from the Cancel and budget handlers: a failure there would fail the whole run
        // without a word. Nobody but the requester may spend or cancel until Slack can say; the
        // person is told they may not (tellUser), and the run goes on.
        return false;
      }
      return this.mayReview(userId);
    }
    if (this.reviewers.includes(userId)) return true;
    if (!this.reviewers.some((id) => id.startsWith('S'))) return false;
    await this.ready();
    return this.mayReview(userId);
  }

  /** How many reviewers may act here (after `ready()`). */
  inside(): number {
    return this.resolved?.length ?? 0;
  }

  /** Whom the reminder mentions: the reviewers who may act here (the requester when none may). */
  reminded(): string[] {
    if (!this.reviewers.length) return [this.run.requestedBy];
    if (!this.byMembership || !this.outside.length) return this.reviewers;
    return this.resolved?.length ? this.resolved : [this.run.requestedBy];
  }
}
