/**
 * ContentPipeline: open the thread (its root first: no LLM call for a thread that cannot exist) → research (child workflow) → write → editorial review in
 * Slack → publish. This file is the story; each concern lives in a module that owns its state:
 *   run.ts       the request, its settings and thread     ledger.ts   usage and cost per step
 *   status.ts    stage, live status message, memo          budget.ts   Allow / Stop before spending
 *   review.ts    versions, decisions, reminder, expiry     outcome.ts  decided card, publish, outcome
 *   failures.ts  cancellation and failure reports          activities.ts  the activity proxies
 *   deadline.ts  every wait ends before PIPELINE_TIMEOUT    estimates.ts   budget estimates (an activity)
 * Deterministic: all I/O lives in activities; time and IDs come from the workflow context.
 */
import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, executeChild, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { NOTHING_RELEVANT } from '../shared/explain.js';
import { researchChildWorkflowId } from '../shared/ids.js';
import { llmActivities, slack } from './activities.js';
import { Authority } from './authority.js';
import { BudgetGuard } from './budget.js';
import { BUDGET_CHECKED_IN_CALL, estimateCost } from './estimates.js';
import { EvidenceCheck } from './evidence.js';
import { cancelledResult, reportCancellation, reportFailure, watchCancellation } from './failures.js';
import { CostLedger } from './ledger.js';
import { researchStepSignal, statusQuery, type PipelineInput, type PipelineResult, type PipelineStatus, type ResearchBundle } from './messages.js';
import { finish, finishAtDeadline, type RunParts } from './outcome.js';
import { parallelResearchWorkflow } from './parallel-research.js';
import { ReviewLoop } from './review.js';
import { newRun, threadOf } from './run.js';
import { endUndeliverable, openThread } from './opening.js';
import { StatusReporter } from './status.js';

export async function contentPipeline(input: PipelineInput): Promise<PipelineResult> {
  const parts = assemble(input);
  const { run, ledger, status, budget, review, work } = parts;
  const { settings, topic, workflowId } = run;
  status.start();
  // Settles once the thread's first posts are done (or have failed); failure reports wait for it.
  let threadOpened: Promise<void> = Promise.resolve();

  try {
    const result = await work.run(async (): Promise<PipelineResult> => {
      // The root first (one fast Slack call): no LLM call for a thread that cannot exist. The
      // research estimate (an activity: prompts and prices live outside the workflow) runs beside it.
      const [{ slackError }, researchCost] = await Promise.all([
        openThread(parts),
        estimateCost(run, ledger, { step: 'research', model: settings.researchModel }),
      ]);
      if (slackError !== undefined) return endUndeliverable(parts, slackError);
      const startResearch = (): Promise<ResearchBundle> => {
        ledger.begin(...ledger.researchSteps());
        status.enter('researching', 'Researching: key facts, examples and statistics in parallel');
        return executeChild(parallelResearchWorkflow, {
          workflowId: researchChildWorkflowId(workflowId),
          taskQueue: settings.researchTaskQueue,
          args: [{
            topic, channel: run.channel, llmAttemptTimeoutMs: settings.llmAttemptTimeoutMs,
            ...(run.docsOnly ? { docsOnly: true } : {}), ...(run.payer ? { spend: run.payer } : {}),
          }],
        });
      };
      // Research usually fits the budget: it then starts beside the status message, which is off
      // the path to the draft. Only a budget question needs the status message first.
      const researching = budget.fits(researchCost) ? run.deadline.within(startResearch) : undefined;
      researching?.catch(() => undefined); // awaited (and reported) below
      threadOpened = slack.postStatusMessage({ ...threadOf(run), view: status.firstView() }).then(({ ts }) => {
        run.posted.statusTs = ts;
      });
      await threadOpened;
      if (!researching) {
        const stop = await budget.guard('research (3 calls)', researchCost);
        if (stop) return finish(parts, stop);
      }
      // A spend ceiling's refusal (the run was admitted by none, or its hold ran out) is the usual
      // question; after the reset the research starts again.
      let started = researching;
      const researched = await budget.underCeilings('research (3 calls)', () => {
        const attempt = started ?? run.deadline.within(startResearch);
        started = undefined;
        return attempt;
      }, () => ledger.researchSteps().forEach((entry) => (entry.state = 'pending')));
      if ('stop' in researched) return finish(parts, researched.stop);
      const research = researched.value;
      // Shown with the next stage (writing, or the budget question): one status edit, not two.
      ledger.recordResearch(research);

      const findings = {
        facts: research.facts, examples: research.examples, statistics: research.statistics,
        ...(research.grounding ? { grounding: research.grounding } : {}),
      };
      if (run.docsOnly && !research.grounding?.passages.length) {
        throw ApplicationFailure.create({ type: NOTHING_RELEVANT, message: `No passage of the team's documents is relevant to "${topic}"`, nonRetryable: true });
      }
      review.evidence = new EvidenceCheck(run, ledger, budget, research.grounding);
      const writing = ledger.stepOf('writeArticle');
      const write = (remainingUsd?: number) => {
        ledger.begin(writing);
        status.enter('writing', 'Writing the article');
        const checked = remainingUsd === undefined ? {} : { budget: { remainingUsd, model: settings.writerModel, prices: ledger.priceTable() } };
        const payer = run.payer ? { spend: run.payer } : {};
        return run.deadline.within(() => llmActivities(settings.llmAttemptTimeoutMs).writeArticle({ topic, research: findings, ...checked, ...payer }));
      };
      let written: Awaited<ReturnType<typeof write>>;
      if (patched(BUDGET_CHECKED_IN_CALL)) {
        // The writing activity checks what is left of the budget itself: no estimate on the path.
        const spent = await budget.spend('writing the article', write, () => (writing.state = 'pending'));
        if ('stop' in spent) return finish(parts, spent.stop);
        written = spent.value;
      } else {
        const writeCost = await estimateCost(run, ledger, { step: 'writing', model: settings.writerModel, research: findings });
        const stop = await budget.guard('writing the article', writeCost);
        if (stop) return finish(parts, stop);
        written = await write();
      }
      ledger.record(writing, written.usage);

      return finish(parts, await review.decide(written.output, findings, written.links));
    }).catch(finishAtDeadline(parts));
    await status.close();
    await condition(allHandlersFinished); // refused clicks still being answered
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      await reportCancellation(parts, threadOpened);
      // Cancelled from Slack (a permitted cancel signal): the run completes, outcome `cancelled`.
      // Cancelled through Temporal itself (Web UI, CLI): it ends Cancelled.
      if (!CancellationScope.current().consideredCancelled) {
        await condition(allHandlersFinished);
        return cancelledResult(parts);
      }
      throw error;
    }
    throw await reportFailure(parts, error, threadOpened);
  }
}

/** The run's parts, wired together, with the queries and signals that read or feed them. */
function assemble(input: PipelineInput): RunParts {
  const run = newRun(input);
  const ledger = new CostLedger();
  const status = new StatusReporter(run, ledger);
  const authority = new Authority(run);
  const budget = new BudgetGuard(run, ledger, status, authority);
  const review = new ReviewLoop(run, ledger, status, budget, authority);
  status.watch({ version: () => review.version, budgetUsd: () => budget.budgetUsd });

  setHandler(statusQuery, (): PipelineStatus => ({
    stage: status.stage, topic: run.topic, requestedBy: run.requestedBy, channel: run.channel,
    threadTs: run.posted.threadTs, draftTs: review.draftTs, decision: run.decision, usage: ledger.summary(),
    budgetUsd: budget.budgetUsd, version: review.version, maxRevisions: run.settings.maxRevisions,
    ...(run.cancelledBy ? { cancelledBy: run.cancelledBy } : {}),
  }));
  setHandler(researchStepSignal, ({ step, usage }) => {
    if (ledger.recordReport(step, usage)) status.refresh();
  });
  const work = watchCancellation(run, authority);
  return { run, ledger, status, budget, review, authority, work };
}
