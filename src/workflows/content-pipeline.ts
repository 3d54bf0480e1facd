/**
 * ContentPipeline: research (child workflow) → write → editorial review in Slack → publish.
 *
 * Review is a loop: reviewers approve, approve their own edit, reject, or send the draft back with
 * feedback, which produces a revision from the stored research (no research call is repeated).
 * Along the way the workflow keeps one status message current, prices every LLM step from the
 * usage it returns, never starts a call that could cross the budget without a person's yes,
 * reminds reviewers once and expires the review after a timeout, and honours cancellation.
 * Deterministic: all I/O lives in activities; time and IDs come from the workflow context.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LlmActivities, SlackActivities } from '../activities/index.js';
import { editSize } from '../shared/edit-size.js';
import { explainFailure } from '../shared/explain.js';
import { researchChildWorkflowId } from '../shared/ids.js';
import {
  costOf,
  estimatePromptTokens,
  formatBudget,
  formatUsd,
  MAX_OUTPUT_TOKENS,
  worstCaseCost,
} from '../shared/pricing.js';
import { STEP_LABELS, type RunState, type StatusView, type StepState, type StepView } from '../shared/progress.js';
import {
  articlePrompt,
  examplesPrompt,
  keyFactsPrompt,
  revisionPrompt,
  statisticsPrompt,
  type PromptMessages,
} from '../shared/prompts.js';
import {
  approveEditedSignal,
  approveSignal,
  budgetSignal,
  cancelRequestedSignal,
  draftQuery,
  rejectSignal,
  requestChangesSignal,
  researchStepSignal,
  statusQuery,
  type BudgetAction,
  type ChangesRequest,
  type Decision,
  type DraftSnapshot,
  type EditedApproval,
  type LlmStep,
  type LlmUsage,
  type PipelineInput,
  type PipelineResult,
  type PipelineSettings,
  type PipelineStatus,
  type RejectAction,
  type ResearchBundle,
  type ReviewAction,
  type Stage,
  type UsageSummary,
} from './messages.js';
import { parallelResearchWorkflow } from './parallel-research.js';
import { DEFAULT_SETTINGS, llmActivityOptions, SLACK_ACTIVITY_OPTIONS, STATUS_ACTIVITY_OPTIONS } from './policies.js';
import { CostUsdAttribute, StageAttribute, stageAttributeValue } from './search-attributes.js';

const RESEARCH_STEPS = ['researchTopic', 'findExamples', 'getStatistics'] as const;

interface StepRecord {
  step: LlmStep;
  label: string;
  version?: number;
  state: StepState;
  startedAt?: number;
  endedAt?: number;
  usage?: LlmUsage;
  costUsd?: number;
}

/** What a reviewer asked for; the first one that passes the checks is acted on. */
type ReviewEvent =
  | { kind: 'approve'; action: ReviewAction }
  | { kind: 'approveEdited'; action: EditedApproval }
  | { kind: 'reject'; action: RejectAction }
  | { kind: 'requestChanges'; action: ChangesRequest };

/** Where a failure came from: the failed activity's type and the innermost typed failure. */
function rootCause(error: unknown): { activity?: string; type?: string; message: string } {
  let activity: string | undefined;
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof Error) {
    if (current instanceof ActivityFailure) activity = current.activityType;
    if (current instanceof ApplicationFailure) return { activity, type: current.type ?? undefined, message: current.message };
    if (current instanceof TimeoutFailure) return { activity, type: 'TimeoutFailure', message: current.message };
    message = current.message;
    current = current.cause;
  }
  return { activity, message };
}

export async function contentPipeline(input: PipelineInput): Promise<PipelineResult> {
  const settings: PipelineSettings = { ...DEFAULT_SETTINGS, ...input.settings };
  const { topic, requestedBy, channel } = input;
  const { workflowId } = workflowInfo();
  const startedAt = Date.now();

  const slack = proxyActivities<SlackActivities>(SLACK_ACTIVITY_OPTIONS);
  const status = proxyActivities<SlackActivities>(STATUS_ACTIVITY_OPTIONS);
  const llm = proxyActivities<LlmActivities>(llmActivityOptions(settings.llmAttemptTimeoutMs));

  // ── State: everything the queries and the status message report ─────────────────────────
  let stage: Stage = 'starting';
  const posted: { threadTs?: string; statusTs?: string; draftTs?: string } = {};
  let decision: Decision | undefined;
  let budgetUsd = settings.maxCostUsd;
  let budgetAnswer: BudgetAction | undefined;
  let budgetQuestionOpen = false;
  let headline = 'Starting…';
  let version = 0;
  let article = '';
  let revisions = 0;
  let pendingReview: ReviewEvent | undefined;
  /** Expanded reviewer user IDs (groups resolved), or undefined when anyone may decide. */
  let allowedReviewers: string[] | undefined;
  let cancelledBy: string | undefined;
  const steps: StepRecord[] = RESEARCH_STEPS.map((step) => ({ step, label: STEP_LABELS[step], state: 'pending' }));
  steps.push({ step: 'writeArticle', label: STEP_LABELS.writeArticle, state: 'pending', version: 1 });
  const stepOf = (step: LlmStep, v?: number) => steps.find((s) => s.step === step && (v === undefined || s.version === v))!;

  const usageSummary = (): UsageSummary => {
    const done = steps.flatMap((s) =>
      s.usage
        ? [{ step: s.step, ...(s.version !== undefined ? { version: s.version } : {}), ...s.usage, ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}) }]
        : [],
    );
    const sum = (pick: (u: LlmUsage) => number) => done.reduce((total, u) => total + pick(u), 0);
    return {
      steps: done,
      inputTokens: sum((u) => u.inputTokens),
      outputTokens: sum((u) => u.outputTokens),
      totalTokens: sum((u) => u.totalTokens),
      costUsd: done.reduce((total, u) => total + (u.costUsd ?? 0), 0),
      unpricedSteps: done.filter((u) => u.costUsd === undefined).map((u) => u.step),
    };
  };
  const unpricedLabels = () => steps.filter((s) => s.usage && s.costUsd === undefined).map((s) => s.label);

  let runState: RunState = 'running';
  const statusView = (): StatusView => {
    const usage = usageSummary();
    const now = Date.now();
    const stepViews: StepView[] = steps.map((s) => ({
      key: s.step,
      label: s.label,
      state: s.state,
      ...(s.usage ? { tokens: s.usage.totalTokens, unpriced: s.costUsd === undefined } : {}),
      ...(s.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
      ...(s.startedAt !== undefined ? { durationMs: (s.endedAt ?? now) - s.startedAt } : {}),
    }));
    const reviewState: StepState =
      decision ? (decision.outcome === 'approved' || decision.outcome === 'rejected' ? 'done' : 'skipped')
      : stage === 'awaiting-review' || stage === 'posting-draft' || stage === 'revising' ? 'running'
      : stage === 'failed' || stage === 'stopped' || stage === 'cancelled' ? 'skipped'
      : 'pending';
    const reviewNote =
      decision?.outcome === 'approved' ? `approved by <@${decision.by}>${decision.edit ? ' (edited)' : ''}`
      : decision?.outcome === 'rejected' ? `rejected by <@${decision.by}>`
      : decision?.outcome === 'expired' ? 'expired without a decision'
      : reviewState === 'running' ? `v${Math.max(version, 1)} waiting for a reviewer`
      : undefined;
    stepViews.push({ key: 'review', label: STEP_LABELS.review, state: reviewState, ...(reviewNote ? { note: reviewNote } : {}) });
    return {
      workflowId,
      topic,
      state: runState,
      steps: stepViews,
      totalTokens: usage.totalTokens,
      totalCostUsd: usage.costUsd,
      unpricedSteps: unpricedLabels(),
      budgetUsd,
      elapsedMs: now - startedAt,
      headline,
    };
  };

  setHandler(statusQuery, (): PipelineStatus => ({
    stage, topic, requestedBy, channel, threadTs: posted.threadTs, draftTs: posted.draftTs, decision,
    usage: usageSummary(), budgetUsd, version, maxRevisions: settings.maxRevisions, ...(cancelledBy ? { cancelledBy } : {}),
  }));
  setHandler(draftQuery, (): DraftSnapshot => ({
    version, article, revisionsLeft: Math.max(0, settings.maxRevisions - revisions), decided: decision !== undefined,
  }));

  // ── The live status message: one writer, so edits never arrive out of order ──────────────
  let statusDirty = false;
  let statusClosing = false;
  // Memo and search attributes are written only when they change: each write is a history event
  // and a visibility update on the server, and most refreshes change only the status message.
  let lastMemo = '';
  let lastAttributes = '';
  const refreshStatus = (line?: string) => {
    if (line) headline = line;
    statusDirty = true;
    const usage = usageSummary();
    const costUsd = Number(usage.costUsd.toFixed(6));
    const memo = {
      stage, version, totalTokens: usage.totalTokens, costUsd, budgetUsd,
      ...(decision ? { outcome: decision.outcome, decidedBy: decision.by ?? null } : {}),
    };
    if (JSON.stringify(memo) !== lastMemo) {
      lastMemo = JSON.stringify(memo);
      upsertMemo(memo);
    }
    const attributes = `${stage}|${costUsd}`;
    if (settings.searchAttributes && attributes !== lastAttributes) {
      lastAttributes = attributes;
      upsertSearchAttributes([
        { key: StageAttribute, value: stageAttributeValue(stage) },
        { key: CostUsdAttribute, value: costUsd },
      ]);
    }
    setCurrentDetails(`**${stage}** · v${version} · ${usage.totalTokens} tokens · ${formatUsd(usage.costUsd)} of ${formatBudget(budgetUsd)}`);
  };
  const enter = (next: Stage, line: string) => {
    stage = next;
    refreshStatus(line);
  };

  async function statusWriter(): Promise<void> {
    for (;;) {
      // Edits wait for the status message itself (openThread), which research does not wait for.
      await condition(() => (statusDirty && posted.statusTs !== undefined) || statusClosing);
      if (!statusDirty || posted.statusTs === undefined) return;
      statusDirty = false;
      try {
        await status.updateStatus({ channel, ts: posted.statusTs!, view: statusView() });
      } catch (error) {
        if (isCancellation(error)) throw error;
        // A stale progress line is not worth failing a pipeline over.
        log.warn('Could not update the status message', { error: String(error) });
      }
    }
  }

  // ── Cost: every step priced from the usage its activity returned ────────────────────────
  const record = (entry: StepRecord, usage: LlmUsage) => {
    entry.usage = usage;
    entry.costUsd = costOf(usage, settings.prices);
    entry.state = 'done';
    entry.endedAt ??= Date.now();
  };
  const begin = (...entries: StepRecord[]) => {
    for (const entry of entries) Object.assign(entry, { state: 'running', startedAt: Date.now() });
  };

  // ── Signals ──────────────────────────────────────────────────────────────────────────────
  setHandler(researchStepSignal, ({ step, usage }) => {
    const entry = stepOf(step);
    if (entry.state !== 'running') return; // late or duplicate report
    record(entry, usage);
    refreshStatus();
  });

  /**
   * The checks every review click passes in the workflow, whatever the bot checked before:
   * review open, the card's version is the current one, the clicker may decide, nothing decided yet.
   * A click can arrive while postDraft's completion is still on its way back, hence 'posting-draft'.
   */
  const acceptReview = (event: ReviewEvent): void => {
    const { action } = event;
    const reason =
      stage !== 'posting-draft' && stage !== 'awaiting-review' ? `stage is ${stage}`
      : decision || pendingReview ? 'a decision was already taken'
      : action.version !== undefined && action.version !== version ? `the click was on v${action.version}, current is v${version}`
      : allowedReviewers && !allowedReviewers.includes(action.userId) ? 'the user is not a reviewer'
      : event.kind === 'requestChanges' && revisions >= settings.maxRevisions ? 'no revisions left'
      : undefined;
    if (reason) {
      log.info('Ignoring review signal', { kind: event.kind, userId: action.userId, reason });
      return;
    }
    pendingReview = event;
    // Final decisions show in the memo at once, so a later click can be told who decided.
    if (event.kind !== 'requestChanges') {
      upsertMemo({ outcome: event.kind === 'reject' ? 'rejected' : 'approved', decidedBy: action.userId });
    }
  };
  setHandler(approveSignal, (action) => acceptReview({ kind: 'approve', action }));
  setHandler(approveEditedSignal, (action) => acceptReview({ kind: 'approveEdited', action }));
  setHandler(rejectSignal, (action) => acceptReview({ kind: 'reject', action }));
  setHandler(requestChangesSignal, (action) => acceptReview({ kind: 'requestChanges', action }));

  setHandler(budgetSignal, (action) => {
    if (!budgetQuestionOpen || budgetAnswer) {
      log.info('Ignoring budget signal', { answer: action.answer, userId: action.userId });
      return;
    }
    budgetAnswer = action;
  });

  setHandler(cancelRequestedSignal, ({ userId }) => {
    cancelledBy ??= userId;
  });

  /** Whether a call of this worst-case cost fits what is left; an unpriced model cannot be compared ("cost unknown"). */
  const fitsBudget = (worstCaseUsd: number | undefined) => worstCaseUsd === undefined || usageSummary().costUsd + worstCaseUsd <= budgetUsd;

  /**
   * Before a call (or a group of parallel calls) that could cross the budget, ask a person.
   * Returns the person's stop, or undefined to go ahead.
   */
  async function guardBudget(label: string, worstCaseUsd: number | undefined): Promise<Decision | undefined> {
    if (worstCaseUsd === undefined) return undefined;
    while (!fitsBudget(worstCaseUsd)) {
      const spent = usageSummary().costUsd;
      const increase = Math.ceil(Math.max(settings.maxCostUsd, spent + worstCaseUsd - budgetUsd) * 100) / 100;
      const previousStage = stage;
      const previousRunState = runState;
      runState = 'waiting';
      enter('awaiting-budget', `Waiting for a budget decision before ${label}`);
      budgetAnswer = undefined;
      budgetQuestionOpen = true;
      const question = await slack.askBudget({
        channel, threadTs: posted.threadTs!, workflowId, step: label, budgetUsd, spentUsd: spent, estimateUsd: worstCaseUsd, increaseUsd: increase,
      });
      const answered = await condition(() => budgetAnswer !== undefined, settings.reviewTimeoutMs);
      budgetQuestionOpen = false;
      const answer = budgetAnswer ?? { answer: 'stop' as const, userId: '' };
      await slack.recordBudgetAnswer({
        channel, ts: question.ts, step: label, budgetUsd, estimateUsd: worstCaseUsd, increaseUsd: increase,
        answer: answer.answer, ...(answered ? { by: answer.userId } : {}),
      });
      runState = previousRunState;
      if (answer.answer === 'stop') {
        return { outcome: 'stopped', ...(answered ? { by: answer.userId } : {}), at: new Date().toISOString() };
      }
      budgetUsd += increase;
      enter(previousStage, `Budget raised to ${formatBudget(budgetUsd)} by <@${answer.userId}>`);
    }
    return undefined;
  }

  const promptWorstCase = (model: string, maxOutput: number, prompts: PromptMessages[]) => {
    let total = 0;
    for (const prompt of prompts) {
      const cost = worstCaseCost(model, estimatePromptTokens(prompt.system, prompt.user), maxOutput, settings.prices);
      if (cost === undefined) return undefined;
      total += cost;
    }
    return total;
  };

  /** The card fields shared by every version's draft card. */
  const cardFor = (text: string) => {
    const usage = usageSummary();
    return {
      channel, threadTs: posted.threadTs!, workflowId, topic, article: text, version,
      revisionsLeft: Math.max(0, settings.maxRevisions - revisions),
      totalTokens: usage.totalTokens, costUsd: usage.costUsd, costComplete: usage.unpricedSteps.length === 0,
    };
  };

  async function finish(outcome: Decision, finalArticle: string): Promise<PipelineResult> {
    decision = outcome;
    for (const entry of steps) if (entry.state === 'pending') entry.state = 'skipped';
    const approved = outcome.outcome === 'approved';
    if (approved) enter('publishing', 'Publishing the approved article');
    // Otherwise transient (one card edit, then the outcome): not worth a status edit of its own.
    else stage = 'recording-decision';
    const usage = usageSummary();
    // The card and the publication do not depend on each other: both at once.
    const [, published] = await Promise.all([
      posted.draftTs ? slack.recordDecision({ ...cardFor(article), draftTs: posted.draftTs, decision: outcome }) : undefined,
      approved
        ? slack.publishArticle({
          channel: settings.publishChannel ?? channel, sourceChannel: channel, threadTs: posted.threadTs!, workflowId, topic,
          article: finalArticle, requestedBy, approvedBy: outcome.by ?? requestedBy, versions: version, edited: outcome.edit !== undefined,
          costUsd: usage.costUsd, costComplete: usage.unpricedSteps.length === 0,
        })
        : undefined,
    ]);
    await slack.postOutcome({ channel, threadTs: posted.threadTs!, workflowId, topic, decision: outcome, usage, budgetUsd, versions: version, ...(published ? { published } : {}) });
    runState = outcome.outcome === 'stopped' ? 'stopped' : 'completed';
    const endLine =
      outcome.outcome === 'approved' ? `Approved by <@${outcome.by}>${published ? ' and published' : ''}`
      : outcome.outcome === 'rejected' ? `Rejected by <@${outcome.by}>`
      : outcome.outcome === 'expired' ? 'Review expired without a decision'
      : outcome.by ? `Stopped by <@${outcome.by}> at the budget limit` : 'Stopped: the budget question went unanswered';
    enter(outcome.outcome === 'stopped' ? 'stopped' : 'completed', endLine);
    return { workflowId, topic, article: finalArticle, decision: outcome, versions: version, usage, ...(published ? { published } : {}) };
  }

  /** Waits for a reviewer: one reminder after `reminderAfterMs`, expiry after `reviewTimeoutMs`. */
  async function awaitReview(): Promise<ReviewEvent | undefined> {
    const reminderAt = Math.min(settings.reminderAfterMs, settings.reviewTimeoutMs);
    if (await condition(() => pendingReview !== undefined, reminderAt)) return pendingReview;
    if (reminderAt < settings.reviewTimeoutMs) {
      await slack.postReminder({
        channel, threadTs: posted.threadTs!, workflowId, topic, version,
        reviewers: settings.reviewers.length ? settings.reviewers : [requestedBy], waitedMs: reminderAt,
      });
      if (await condition(() => pendingReview !== undefined, settings.reviewTimeoutMs - reminderAt)) return pendingReview;
    }
    return undefined;
  }

  // ── The pipeline ─────────────────────────────────────────────────────────────────────────
  // Not cancellable: when the run is cancelled, the writer still shows how it ended.
  const writer = CancellationScope.nonCancellable(() => statusWriter());

  // Research: three calls at once, so the guard prices all three together.
  const researchWorstCase = promptWorstCase(settings.researchModel, MAX_OUTPUT_TOKENS.research, [
    keyFactsPrompt(topic), examplesPrompt(topic), statisticsPrompt(topic),
  ]);
  const startResearch = (): Promise<ResearchBundle> => {
    begin(...RESEARCH_STEPS.map((step) => stepOf(step)));
    enter('researching', 'Researching: key facts, examples and statistics in parallel');
    return executeChild(parallelResearchWorkflow, {
      workflowId: researchChildWorkflowId(workflowId),
      taskQueue: settings.researchTaskQueue,
      args: [{ topic, llmAttemptTimeoutMs: settings.llmAttemptTimeoutMs }],
    });
  };
  // When research fits the budget (the usual case) it starts alongside the thread's first posts
  // rather than after them: the posts are then off the path to the draft. Only a budget question
  // needs the thread first.
  const researching = fitsBudget(researchWorstCase) ? startResearch() : undefined;
  // Its failure is awaited (and handled) below, after the thread exists to report it in.
  researching?.catch(() => undefined);
  const firstView = statusView();
  statusDirty = false; // the status message starts out showing this view
  const threadOpened = slack.openThread({ channel, topic, requestedBy, workflowId, view: firstView }).then((opened) => {
    posted.threadTs = opened.threadTs;
    posted.statusTs = opened.statusTs;
  });

  try {
    const result = await (async (): Promise<PipelineResult> => {
      await threadOpened;
      let research: ResearchBundle;
      if (researching) {
        research = await researching;
      } else {
        const stopBeforeResearch = await guardBudget('research (3 calls)', researchWorstCase);
        if (stopBeforeResearch) return finish(stopBeforeResearch, '');
        research = await startResearch();
      }
      // The result is authoritative; progress signals may have been missed or come late.
      for (const step of RESEARCH_STEPS) if (stepOf(step).state !== 'done') record(stepOf(step), research.usage[step]);
      refreshStatus();

      const findings = { facts: research.facts, examples: research.examples, statistics: research.statistics };
      const stopBeforeWriting = await guardBudget(
        'writing the article',
        promptWorstCase(settings.writerModel, MAX_OUTPUT_TOKENS.writer, [articlePrompt(topic, findings)]),
      );
      if (stopBeforeWriting) return finish(stopBeforeWriting, '');

      const writing = stepOf('writeArticle');
      begin(writing);
      enter('writing', 'Writing the article');
      const written = await llm.writeArticle({ topic, research: findings });
      record(writing, written.usage);
      article = written.output;
      version = 1;

      if (settings.reviewers.length) allowedReviewers = await slack.resolveReviewers({ reviewers: settings.reviewers });

      // Review loop: each pass posts a version and waits for a reviewer.
      for (;;) {
        // Transient (one Slack post, then awaiting-review): not worth a status edit or a visibility update.
        stage = 'posting-draft';
        pendingReview = undefined;
        posted.draftTs = (await slack.postDraft(cardFor(article))).ts;
        runState = 'waiting';
        enter('awaiting-review', `Draft v${version} posted: awaiting review`);
        const event = await awaitReview();
        runState = 'running';
        const at = new Date().toISOString();

        if (!event) return finish({ outcome: 'expired', at, version }, article);
        if (event.kind === 'approve') return finish({ outcome: 'approved', by: event.action.userId, at, version }, article);
        if (event.kind === 'approveEdited') {
          const edit = editSize(article, event.action.article);
          article = event.action.article;
          return finish({ outcome: 'approved', by: event.action.userId, at, version, edit }, article);
        }
        if (event.kind === 'reject') {
          const reason = event.action.reason?.trim();
          return finish({ outcome: 'rejected', by: event.action.userId, at, version, ...(reason ? { reason } : {}) }, article);
        }

        // Request changes: a revision from the stored research; no research call is repeated.
        const { feedback, userId } = event.action;
        const stop = await guardBudget(
          `revision v${version + 1}`,
          promptWorstCase(settings.writerModel, MAX_OUTPUT_TOKENS.writer, [revisionPrompt(topic, findings, article, feedback)]),
        );
        if (stop) return finish(stop, article);
        revisions += 1;
        await slack.supersedeDraft({ ...cardFor(article), draftTs: posted.draftTs, nextVersion: version + 1, requestedBy: userId, feedback });
        const revising: StepRecord = { step: 'reviseArticle', label: `Revision v${version + 1}`, state: 'pending', version: version + 1 };
        steps.push(revising);
        begin(revising);
        enter('revising', `Revising after feedback from <@${userId}>`);
        const revised = await llm.reviseArticle({ topic, research: findings, article, feedback });
        record(revising, revised.usage);
        article = revised.output;
        version += 1;
      }
    })();
    statusClosing = true;
    await writer;
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      // Report in a scope the cancellation cannot interrupt, then end as Cancelled.
      await CancellationScope.nonCancellable(async () => {
        decision = { outcome: 'cancelled', ...(cancelledBy ? { by: cancelledBy } : {}), at: new Date().toISOString(), version };
        for (const entry of steps) if (entry.state === 'running' || entry.state === 'pending') entry.state = 'skipped';
        runState = 'stopped';
        enter('cancelled', cancelledBy ? `Cancelled by <@${cancelledBy}>` : 'Cancelled');
        try {
          await threadOpened.catch(() => undefined);
          if (posted.draftTs) await slack.recordDecision({ ...cardFor(article), draftTs: posted.draftTs, decision });
          if (posted.threadTs) {
            await slack.postOutcome({ channel, threadTs: posted.threadTs, workflowId, topic, decision, usage: usageSummary(), budgetUsd, versions: version });
          }
        } catch (postError) {
          log.error('Could not report the cancellation', { error: String(postError) });
        }
        statusClosing = true;
        await writer;
      });
      throw error;
    }
    const cause = rootCause(error);
    const running = steps.filter((s) => s.state === 'running');
    // A Slack step can fail while research runs beside it: blame a running LLM step only when it failed.
    const failed = running.find((s) => s.step === cause.activity) ?? (cause.activity ? undefined : running[0]);
    for (const entry of running) Object.assign(entry, { state: entry === failed ? 'failed' : 'skipped', endedAt: Date.now() });
    const where = failed?.label ?? cause.activity ?? stage;
    const explanation = explainFailure(cause.type);
    runState = 'failed';
    enter('failed', `${where} failed: ${explanation}`);
    try {
      await threadOpened.catch(() => undefined);
      // Without a thread (the channel refused the first post) there is nowhere to say it; the Web UI shows it.
      if (posted.threadTs) {
        await slack.postFailure({ channel, threadTs: posted.threadTs, workflowId, step: where, explanation, detail: cause.message, usage: usageSummary(), budgetUsd });
      }
    } catch (postError) {
      log.error('Could not post the failure reply', { error: String(postError) });
    }
    statusClosing = true;
    await writer;
    // Fail the run with the cause attached, so the Web UI shows exactly what went wrong.
    throw ApplicationFailure.create({
      type: cause.type ?? 'PipelineFailed',
      message: `${where} failed: ${explanation}`,
      nonRetryable: true,
      cause: error instanceof Error ? error : undefined,
    });
  }
}
