/**
 * The editorial review loop: post a version's card, wait for a reviewer (one reminder, then
 * expiry), and act on the first decision that passes the checks. "Request changes" produces the
 * next version from the stored research (no research call is repeated) and goes round again.
 */
import { condition, setHandler, upsertMemo } from '@temporalio/workflow';
import { editSize } from '../shared/edit-size.js';
import type { LinkCheck } from '../shared/links.js';
import { llmActivities, slack } from './activities.js';
import type { Authority } from './authority.js';
import type { BudgetGuard } from './budget.js';
import type { EvidenceCheck } from './evidence.js';
import { estimateCost } from './estimates.js';
import type { CostLedger } from './ledger.js';
import { decidedText, tellUser } from './notices.js';
import {
  approveEditedSignal,
  approveSignal,
  draftQuery,
  rejectSignal,
  requestChangesSignal,
  type ChangesRequest,
  type Decision,
  type DraftSnapshot,
  type EditedApproval,
  type RejectAction,
  type ResearchBundle,
  type ReviewAction,
} from './messages.js';
import { threadOf, type RunContext } from './run.js';
import type { StatusReporter } from './status.js';

/** What a reviewer asked for; the first one that passes the checks is acted on. */
export type ReviewEvent =
  | { kind: 'approve'; action: ReviewAction }
  | { kind: 'approveEdited'; action: EditedApproval }
  | { kind: 'reject'; action: RejectAction }
  | { kind: 'requestChanges'; action: ChangesRequest };

export type Findings = Omit<ResearchBundle, 'usage'>;

export class ReviewLoop {
  version = 0;
  article = '';
  draftTs: string | undefined;
  /** Checks each version against the team's documents before its card is posted (grounded runs). */
  evidence: EvidenceCheck | undefined;
  /**
   * The statuses of this version's own links (in a source or in none) and what the writer removed
   * from it, as the writing activity returned them (absent in runs written before link checks): the
   * card lists the article's links with them. Data for activity inputs only: no command depends on it.
   */
  private links: LinkCheck | undefined;
  private revisions = 0;
  private pending: ReviewEvent | undefined;
  /** Who asked for the revision being written. */
  private revisingFor: string | undefined;

  constructor(
    private readonly run: RunContext,
    private readonly ledger: CostLedger,
    private readonly status: StatusReporter,
    private readonly budget: BudgetGuard,
    private readonly authority: Authority,
  ) {
    setHandler(approveSignal, (action) => this.accept({ kind: 'approve', action }));
    setHandler(approveEditedSignal, (action) => this.accept({ kind: 'approveEdited', action }));
    setHandler(rejectSignal, (action) => this.accept({ kind: 'reject', action }));
    setHandler(requestChangesSignal, (action) => this.accept({ kind: 'requestChanges', action }));
    setHandler(draftQuery, (): DraftSnapshot => ({
      version: this.version, article: this.article, revisionsLeft: this.revisionsLeft(), decided: run.decision !== undefined,
    }));
  }

  revisionsLeft(): number {
    return Math.max(0, this.run.settings.maxRevisions - this.revisions);
  }

  /** The card fields shared by every version's draft card. */
  card(text = this.article) {
    const usage = this.ledger.summary();
    const { publishChannel } = this.run.settings;
    return {
      ...threadOf(this.run), topic: this.run.topic, article: text, version: this.version,
      // Where an approval publishes, when that is not this conversation (an activity input only: no new command).
      ...(publishChannel && publishChannel !== this.run.channel ? { publishChannel } : {}),
      revisionsLeft: this.revisionsLeft(),
      totalTokens: usage.totalTokens, costUsd: usage.costUsd, costComplete: usage.unpricedSteps.length === 0,
      ...this.evidence?.card(),
      ...(this.links ? { links: this.links } : {}),
    };
  }

  /** Reviews from v1 (the written article) until a decision: approved, rejected, expired or a budget stop. */
  async decide(firstDraft: string, findings: Findings, links?: LinkCheck): Promise<Decision> {
    const { settings, topic } = this.run;
    this.article = firstDraft;
    this.links = links;
    this.version = 1;
    await this.authority.ready();
    // Reviewers outside a private conversation were not asked: the thread says so, once.
    if (this.authority.outside.length) {
      await slack.postReviewersOutside({ ...threadOf(this.run), outside: this.authority.outside, inside: this.authority.inside() });
    }

    for (;;) {
      await this.evidence?.check(this.article, this.version);
      this.status.pass('posting-draft');
      this.pending = undefined;
      this.draftTs = (await slack.postDraft(this.card())).ts;
      this.status.runState = 'waiting';
      this.status.enter('awaiting-review', `Draft v${this.version} posted: awaiting review`);
      const event = await this.awaitReview();
      this.status.runState = 'running';
      const at = new Date().toISOString();
      const version = this.version;

      if (!event) return { outcome: 'expired', at, version, ...(this.run.deadline.passed() ? { deadline: true } : {}) };
      if (event.kind === 'approve') return { outcome: 'approved', by: event.action.userId, at, version };
      if (event.kind === 'approveEdited') {
        const edit = editSize(this.article, event.action.article);
        this.article = event.action.article;
        // A person's edit is published as written: nothing was removed from it.
        if (this.links?.removed) this.links = { ...this.links, removed: { count: 0, domains: [] } };
        return { outcome: 'approved', by: event.action.userId, at, version, edit };
      }
      if (event.kind === 'reject') {
        const reason = event.action.reason?.trim();
        return { outcome: 'rejected', by: event.action.userId, at, version, ...(reason ? { reason } : {}) };
      }

      // Request changes: a revision from the stored research.
      const { feedback, userId } = event.action;
      this.revisingFor = userId;
      const estimate = await estimateCost(this.run, this.ledger, {
        step: 'revision', model: settings.writerModel, research: findings, article: this.article, feedback,
      });
      const stop = await this.budget.guard(`revision v${version + 1}`, estimate);
      if (stop) return stop;
      this.revisions += 1;
      await slack.supersedeDraft({ ...this.card(), draftTs: this.draftTs, nextVersion: version + 1, requestedBy: userId, feedback });
      const revising = this.ledger.addRevision(version + 1);
      this.ledger.begin(revising);
      this.status.enter('revising', `Revising after feedback from <@${userId}>`);
      const payer = this.run.payer ? { spend: this.run.payer } : {};
      const spent = await this.budget.underCeilings(`revision v${version + 1}`, () => this.run.deadline.within(() =>
        llmActivities(settings.llmAttemptTimeoutMs).reviseArticle({ topic, research: findings, article: this.article, feedback, ...payer }),
      ), () => (revising.state = 'pending'));
      if ('stop' in spent) return spent.stop;
      const revised = spent.value;
      this.ledger.record(revising, revised.usage);
      this.article = revised.output;
      this.links = revised.links;
      this.version += 1;
    }
  }

  /** Waits for a reviewer: one reminder after `reminderAfterMs`, expiry after `reviewTimeoutMs` or at the run's deadline. */
  private async awaitReview(): Promise<ReviewEvent | undefined> {
    const { settings, deadline } = this.run;
    const window = deadline.bound(settings.reviewTimeoutMs);
    if (window <= 0) return this.pending;
    const reminderAt = Math.min(settings.reminderAfterMs, window);
    if (await condition(() => this.pending !== undefined, reminderAt)) return this.pending;
    if (reminderAt < window) {
      await slack.postReminder({
        ...threadOf(this.run), topic: this.run.topic, version: this.version,
        reviewers: this.authority.reminded(), waitedMs: reminderAt,
      });
      if (await condition(() => this.pending !== undefined, window - reminderAt)) return this.pending;
    }
    return undefined;
  }

  /**
   * The checks every review click passes in the workflow, whatever the bot checked before: the
   * clicker may decide, nothing decided yet, review open, the card's version is the current one.
   * A click can arrive while postDraft's completion is still on its way back, hence 'posting-draft'.
   * A refused click is answered (with the person's text given back); an accepted one is acted on.
   */
  private accept(event: ReviewEvent): Promise<void> | void {
    const reason = this.refusal(event);
    if (reason) return tellUser(this.run, event.action.userId, reason, returnedText(event));
    this.pending = event;
    // Final decisions show in the memo at once, so a later click can be told who decided.
    if (event.kind !== 'requestChanges') {
      upsertMemo({ outcome: event.kind === 'reject' ? 'rejected' : 'approved', decidedBy: event.action.userId });
    }
  }

  private refusal({ kind, action }: ReviewEvent): string | undefined {
    const unchanged = `so your ${NOUNS[kind]} changed nothing`;
    const stage = this.status.stage;
    const pending = this.pending;
    const decided = this.run.decision ?? (pending && pending.kind !== 'requestChanges'
      ? { outcome: pending.kind === 'reject' ? 'rejected' as const : 'approved' as const, by: pending.action.userId } : undefined);
    if (!this.authority.mayReview(action.userId)) {
      return this.authority.outside.includes(action.userId)
        ? `You are a reviewer, but not a member of this private conversation, so only its members who are reviewers can decide on this draft; ${unchanged.replace(/^so /, '')}.`
        : `Only the reviewers can decide on this draft, ${unchanged}.`;
    }
    if (decided) return `${decidedText(decided)}, ${unchanged}.`;
    if (pending || stage === 'revising') {
      const by = pending?.action.userId ?? this.revisingFor;
      return `v${this.version} is being revised after feedback from <@${by}>, ${unchanged}. The next version will appear in the thread.`;
    }
    if (stage !== 'posting-draft' && stage !== 'awaiting-review') return `This pipeline is not waiting for a review now (it is ${stage}), ${unchanged}.`;
    if (action.version !== undefined && action.version !== this.version) {
      return `Your ${NOUNS[kind]} was on v${action.version}, but v${this.version} has been posted since, ${unchanged}. Review v${this.version} in the thread.`;
    }
    if (kind === 'requestChanges' && this.revisions >= this.run.settings.maxRevisions) {
      return `This draft has used all its revisions, ${unchanged}: approve it, edit it yourself, or reject it.`;
    }
    return undefined;
  }
}

const NOUNS: Record<ReviewEvent['kind'], string> = {
  approve: 'approval',
  approveEdited: 'edit',
  reject: 'rejection',
  requestChanges: 'request for changes',
};

/** What the person wrote, to give back when their action was refused. */
function returnedText(event: ReviewEvent): { label: string; text: string } | undefined {
  switch (event.kind) {
    case 'approveEdited':
      return { label: 'Your edited text', text: event.action.article };
    case 'requestChanges':
      return { label: 'Your feedback', text: event.action.feedback };
    case 'reject':
      return event.action.reason ? { label: 'Your reason', text: event.action.reason } : undefined;
    default:
      return undefined;
  }
}
