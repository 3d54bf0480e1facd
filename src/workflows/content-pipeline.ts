/**
 * ContentPipeline: research (child workflow) → write → post the draft → wait for a human → record it.
 * Along the way it keeps one status message in the thread current, prices every LLM step from the
 * usage it returns, and never starts a call that could cross the budget without a person's yes.
 * Deterministic: all I/O lives in activities; time and IDs come from the workflow context.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { LlmActivities, SlackActivities } from '../activities/index.js';
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
import { articlePrompt, examplesPrompt, keyFactsPrompt, statisticsPrompt, type PromptMessages } from '../shared/prompts.js';
import {
  approveSignal,
  budgetSignal,
  rejectSignal,
  researchStepSignal,
  statusQuery,
  type BudgetAction,
  type Decision,
  type LlmStep,
  type LlmUsage,
  type Outcome,
  type PipelineInput,
  type PipelineResult,
  type PipelineSettings,
  type PipelineStatus,
  type ResearchBundle,
  type ReviewAction,
  type Stage,
  type UsageSummary,
} from './messages.js';
import { parallelResearchWorkflow } from './parallel-research.js';
import { DEFAULT_SETTINGS, llmActivityOptions, SLACK_ACTIVITY_OPTIONS, STATUS_ACTIVITY_OPTIONS } from './policies.js';

const LLM_STEPS: LlmStep[] = ['researchTopic', 'findExamples', 'getStatistics', 'writeArticle'];
const RESEARCH_STEPS = ['researchTopic', 'findExamples', 'getStatistics'] as const;

interface StepRecord {
  state: StepState;
  startedAt?: number;
  endedAt?: number;
  usage?: LlmUsage;
  costUsd?: number;
}

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

  // ── State: everything the status query and the status message report ─────────────────────
  let stage: Stage = 'starting';
  // Message timestamps, known once the first Slack posts are done.
  const posted: { threadTs?: string; statusTs?: string } = {};
  let draftTs: string | undefined;
  let decision: Decision | undefined;
  let budgetUsd = settings.maxCostUsd;
  let budgetAnswer: BudgetAction | undefined;
  let headline = 'Starting…';
  const steps = new Map<LlmStep, StepRecord>(LLM_STEPS.map((step) => [step, { state: 'pending' }]));

  const usageSummary = (): UsageSummary => {
    const done = LLM_STEPS.flatMap((step) => {
      const record = steps.get(step)!;
      return record.usage ? [{ step, ...record.usage, ...(record.costUsd !== undefined ? { costUsd: record.costUsd } : {}) }] : [];
    });
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

  const statusView = (state: RunState): StatusView => {
    const usage = usageSummary();
    const now = Date.now();
    const stepViews: StepView[] = LLM_STEPS.map((key) => {
      const record = steps.get(key)!;
      return {
        key,
        label: STEP_LABELS[key],
        state: record.state,
        ...(record.usage ? { tokens: record.usage.totalTokens, unpriced: record.costUsd === undefined } : {}),
        ...(record.costUsd !== undefined ? { costUsd: record.costUsd } : {}),
        ...(record.startedAt !== undefined ? { durationMs: (record.endedAt ?? now) - record.startedAt } : {}),
      };
    });
    const reviewState: StepState =
      decision ? (decision.outcome === 'approved' || decision.outcome === 'rejected' ? 'done' : 'skipped')
      : stage === 'awaiting-review' || stage === 'posting-draft' ? 'running'
      : stage === 'failed' || stage === 'stopped' ? 'skipped'
      : 'pending';
    const reviewNote =
      decision?.outcome === 'approved' ? `approved by <@${decision.by}>`
      : decision?.outcome === 'rejected' ? `rejected by <@${decision.by}>`
      : decision?.outcome === 'expired' ? 'expired without a decision'
      : reviewState === 'running' ? 'waiting for Approve or Reject'
      : undefined;
    stepViews.push({ key: 'review', label: STEP_LABELS.review, state: reviewState, ...(reviewNote ? { note: reviewNote } : {}) });
    return {
      topic,
      state,
      steps: stepViews,
      totalTokens: usage.totalTokens,
      totalCostUsd: usage.costUsd,
      unpricedSteps: usage.unpricedSteps.map((step) => STEP_LABELS[step]),
      budgetUsd,
      elapsedMs: now - startedAt,
      headline,
    };
  };

  setHandler(statusQuery, (): PipelineStatus => ({
    stage, topic, requestedBy, channel, threadTs: posted.threadTs, draftTs, decision, usage: usageSummary(), budgetUsd,
  }));

  // ── The live status message: one writer, so edits never arrive out of order ──────────────
  let statusDirty = false;
  let statusClosing = false;
  let runState: RunState = 'running';

  const refreshStatus = (line?: string) => {
    if (line) headline = line;
    statusDirty = true;
    const usage = usageSummary();
    upsertMemo({ stage, totalTokens: usage.totalTokens, costUsd: Number(usage.costUsd.toFixed(6)), budgetUsd });
    setCurrentDetails(`**${stage}** · ${usage.totalTokens} tokens · ${formatUsd(usage.costUsd)} of ${formatBudget(budgetUsd)}`);
  };
  const enter = (next: Stage, line: string) => {
    stage = next;
    refreshStatus(line);
  };

  async function statusWriter(): Promise<void> {
    for (;;) {
      await condition(() => statusDirty || statusClosing);
      if (!statusDirty) return;
      statusDirty = false;
      try {
        await status.updateStatus({ channel, ts: posted.statusTs!, view: statusView(runState) });
      } catch (error) {
        // A stale progress line is not worth failing a pipeline over.
        log.warn('Could not update the status message', { error: String(error) });
      }
    }
  }

  // ── Cost: every step priced from the usage its activity returned ────────────────────────
  const record = (step: LlmStep, usage: LlmUsage) => {
    const entry = steps.get(step)!;
    entry.usage = usage;
    entry.costUsd = costOf(usage, settings.prices);
    entry.state = 'done';
    entry.endedAt ??= Date.now();
  };
  const begin = (...names: LlmStep[]) => {
    for (const name of names) Object.assign(steps.get(name)!, { state: 'running', startedAt: Date.now() });
  };

  // ── Signals ──────────────────────────────────────────────────────────────────────────────
  setHandler(researchStepSignal, ({ step, usage }) => {
    if (steps.get(step)?.state !== 'running') return; // late or duplicate report
    record(step, usage);
    refreshStatus();
  });

  // The first decision is final: Temporal does not dedupe signals, and two people may click at once.
  // A click can arrive while postDraft's completion is still on its way back to us, hence 'posting-draft'.
  const decide = (outcome: Outcome) => (action: ReviewAction) => {
    if ((stage !== 'posting-draft' && stage !== 'awaiting-review') || decision) {
      log.info('Ignoring review signal', { outcome, userId: action.userId, stage, decided: decision?.outcome });
      return;
    }
    decision = { outcome, by: action.userId, at: new Date().toISOString() };
  };
  setHandler(approveSignal, decide('approved'));
  setHandler(rejectSignal, decide('rejected'));

  let budgetQuestionOpen = false;
  setHandler(budgetSignal, (action) => {
    if (!budgetQuestionOpen || budgetAnswer) {
      log.info('Ignoring budget signal', { answer: action.answer, userId: action.userId });
      return;
    }
    budgetAnswer = action;
  });

  /**
   * Before a call (or a group of parallel calls) that could cross the budget, ask a person.
   * Returns the person's stop, or undefined to go ahead.
   */
  async function guardBudget(label: string, worstCaseUsd: number | undefined): Promise<Decision | undefined> {
    if (worstCaseUsd === undefined) return undefined; // unpriced model: nothing to compare, the status says "cost unknown"
    while (usageSummary().costUsd + worstCaseUsd > budgetUsd) {
      const spent = usageSummary().costUsd;
      const increase = Math.ceil(Math.max(settings.maxCostUsd, spent + worstCaseUsd - budgetUsd) * 100) / 100;
      const previousStage = stage;
      enter('awaiting-budget', `Waiting for a budget decision before ${label}`);
      runState = 'waiting';
      budgetAnswer = undefined;
      budgetQuestionOpen = true;
      const question = await slack.askBudget({
        channel, threadTs, workflowId, step: label, budgetUsd, spentUsd: spent, estimateUsd: worstCaseUsd, increaseUsd: increase,
      });
      const answered = await condition(() => budgetAnswer !== undefined, settings.reviewTimeoutMs);
      budgetQuestionOpen = false;
      const answer = budgetAnswer ?? { answer: 'stop' as const, userId: '' };
      await slack.recordBudgetAnswer({
        channel, ts: question.ts, step: label, budgetUsd, estimateUsd: worstCaseUsd, increaseUsd: increase,
        answer: answer.answer, ...(answered ? { by: answer.userId } : {}),
      });
      runState = 'running';
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

  // ── The pipeline ─────────────────────────────────────────────────────────────────────────
  async function finish(outcome: Decision, article: string, draftCard?: { draftTs: string; base: Parameters<SlackActivities['postDraft']>[0] }): Promise<PipelineResult> {
    decision = outcome;
    for (const entry of steps.values()) if (entry.state === 'pending') entry.state = 'skipped';
    if (draftCard) {
      enter('recording-decision', 'Recording the decision');
      await slack.recordDecision({ ...draftCard.base, draftTs: draftCard.draftTs, decision: outcome });
    }
    const usage = usageSummary();
    await slack.postOutcome({ channel, threadTs, workflowId, topic, decision: outcome, usage, budgetUsd });
    runState = outcome.outcome === 'stopped' ? 'stopped' : 'completed';
    const endStage: Stage = outcome.outcome === 'stopped' ? 'stopped' : 'completed';
    const endLine =
      outcome.outcome === 'approved' ? `Approved by <@${outcome.by}>`
      : outcome.outcome === 'rejected' ? `Rejected by <@${outcome.by}>`
      : outcome.outcome === 'expired' ? 'Review expired without a decision'
      : outcome.by ? `Stopped by <@${outcome.by}> at the budget limit` : 'Stopped: the budget question went unanswered';
    enter(endStage, endLine);
    return { workflowId, topic, article, decision: outcome, usage };
  }

  const threadTs = (await slack.announcePipeline({ channel, topic, requestedBy, workflowId })).ts;
  posted.threadTs = threadTs;
  posted.statusTs = (await slack.postStatus({ channel, threadTs, workflowId, view: statusView('running') })).ts;
  const writer = statusWriter();

  try {
    const result = await (async (): Promise<PipelineResult> => {
      // Research: three calls at once, so the guard prices all three together.
      const researchWorstCase = promptWorstCase(settings.researchModel, MAX_OUTPUT_TOKENS.research, [
        keyFactsPrompt(topic), examplesPrompt(topic), statisticsPrompt(topic),
      ]);
      const stopBeforeResearch = await guardBudget('research (3 calls)', researchWorstCase);
      if (stopBeforeResearch) return finish(stopBeforeResearch, '');

      begin(...RESEARCH_STEPS);
      enter('researching', 'Researching: key facts, examples and statistics in parallel');
      const research: ResearchBundle = await executeChild(parallelResearchWorkflow, {
        workflowId: researchChildWorkflowId(workflowId),
        taskQueue: settings.researchTaskQueue,
        args: [{ topic, llmAttemptTimeoutMs: settings.llmAttemptTimeoutMs }],
      });
      // The result is authoritative; progress signals may have been missed or come late.
      for (const step of RESEARCH_STEPS) if (steps.get(step)!.state !== 'done') record(step, research.usage[step]);
      refreshStatus();

      const findings = { facts: research.facts, examples: research.examples, statistics: research.statistics };
      const stopBeforeWriting = await guardBudget(
        'writing the article',
        promptWorstCase(settings.writerModel, MAX_OUTPUT_TOKENS.writer, [articlePrompt(topic, findings)]),
      );
      if (stopBeforeWriting) return finish(stopBeforeWriting, '');

      begin('writeArticle');
      enter('writing', 'Writing the article');
      const written = await llm.writeArticle({ topic, research: findings });
      record('writeArticle', written.usage);

      enter('posting-draft', 'Posting the draft');
      const card = {
        channel, threadTs, workflowId, topic, article: written.output,
        totalTokens: usageSummary().totalTokens, costUsd: usageSummary().costUsd, costComplete: usageSummary().unpricedSteps.length === 0,
      };
      draftTs = (await slack.postDraft(card)).ts;

      enter('awaiting-review', 'Draft posted: awaiting review');
      runState = 'waiting';
      const decided = await condition(() => decision !== undefined, settings.reviewTimeoutMs);
      runState = 'running';
      const final: Decision = decided && decision ? decision : { outcome: 'expired', at: new Date().toISOString() };
      return finish(final, written.output, { draftTs, base: card });
    })();
    statusClosing = true;
    await writer;
    return result;
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = rootCause(error);
    const failedStep = LLM_STEPS.find((step) => step === cause.activity) ?? LLM_STEPS.find((step) => steps.get(step)!.state === 'running');
    for (const step of LLM_STEPS) {
      const entry = steps.get(step)!;
      if (entry.state === 'running') Object.assign(entry, { state: step === failedStep ? 'failed' : 'skipped', endedAt: Date.now() });
    }
    if (failedStep) steps.get(failedStep)!.state = 'failed';
    const where = failedStep ? STEP_LABELS[failedStep] : (cause.activity ?? stage);
    const explanation = explainFailure(cause.type);
    runState = 'failed';
    enter('failed', `${where} failed: ${explanation}`);
    try {
      await slack.postFailure({ channel, threadTs, workflowId, step: where, explanation, detail: cause.message, usage: usageSummary(), budgetUsd });
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
