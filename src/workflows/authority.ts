/**
 * Who may do what, checked in the workflow (the bot checks first for an immediate answer; this is
 * the final word, so a signal from anyone else changes nothing):
 *   review decisions (approve, request changes, edit, reject): the reviewers; anyone when REVIEWERS is unset;
 *   spending (budget Allow / Stop) and Cancel: the requester, and the reviewers when REVIEWERS is set.
 * REVIEWERS may name user groups (S…): they are resolved once, by an activity, when first needed.
 */
import { slack } from './activities.js';
import type { RunContext } from './run.js';

export class Authority {
  private members: Promise<string[]> | undefined;
  private resolved: string[] | undefined;

  constructor(private readonly run: RunContext) {}

  private get reviewers(): string[] {
    return this.run.settings.reviewers;
  }

  /** Resolves the reviewer groups (once); call before review decisions are checked. */
  async ready(): Promise<void> {
    if (!this.reviewers.length) return;
    this.members ??= slack.resolveReviewers({ reviewers: this.reviewers });
    this.resolved = await this.members;
  }

  /** Review decisions; synchronous, once `ready()` has resolved the groups. */
  mayReview(userId: string): boolean {
    if (!this.reviewers.length) return true;
    return this.reviewers.includes(userId) || (this.resolved?.includes(userId) ?? false);
  }

  /** Budget answers and Cancel: the requester, or a reviewer when REVIEWERS is set. */
  async maySpend(userId: string): Promise<boolean> {
    if (userId === this.run.requestedBy) return true;
    if (!this.reviewers.length) return false;
    if (this.reviewers.includes(userId)) return true;
    if (!this.reviewers.some((id) => id.startsWith('S'))) return false;
    await this.ready();
    return this.mayReview(userId);
  }
}
