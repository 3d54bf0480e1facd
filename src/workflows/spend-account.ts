/**
 * The spend account: one long-lived workflow per workspace (ID `spend-account-<teamId>`) holding the
 * day's and month's spend and the open reservations. LLM activities reach it through Workflow
 * Updates sent with update-with-start (src/temporal/spend.ts); workflow code cannot send Updates.
 *
 * Every handler is synchronous: it is validated, decided and answered in the activation that
 * delivers it, never waiting. That matters because a workflow execution accepts at most 10 in-flight
 * Updates and 2,000 Updates in its history ("Workflow Execution Update limits",
 * https://docs.temporal.io/self-hosted-guide/defaults): a handler that waited would hold a slot, and a
 * run that lived forever would hit the total. So the account continues as new after `maxUpdatesPerRun`
 * handled Updates (default 1,000, half the limit) or when the server suggests it, once
 * `allHandlersFinished()`, carrying its book. Update IDs deduplicate only within a run, so the book
 * itself remembers recent reservations (spend-book.ts) and answers a retry after continue-as-new the same.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { isValidTimeZone } from '../shared/spend-periods.js';
import { emptySpendBook, nextExpiry, releaseExpired, reserve, reserveProblem, rollTo, settle, settleProblem, usageOf, type SpendBookState } from './spend-book.js';
import { reserveUpdate, settleUpdate, usageQuery, type SpendAccountInput } from './spend-messages.js';

export const DEFAULT_MAX_UPDATES_PER_RUN = 1_000;

export async function spendAccount(input: SpendAccountInput): Promise<never> {
  const book: SpendBookState = input.state ?? emptySpendBook();
  const maxUpdates = input.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;
  let handled = 0;
  // When the main loop's timer fires; a reserve that needs it sooner wakes the loop to re-arm.
  let armedFor: number | undefined;
  let wake = false;

  // Defined before setHandler: registering a handler runs the Updates already buffered (update-with-start's first one).
  // The earliest expiry, or the next local midnight, so the day (and month) roll over on time even when
  // nobody reserves: usage read by App Home is then the new day's, not yesterday's.
  const nextWakeAt = () => {
    const expiry = nextExpiry(book);
    const dayEnds = book.periods?.dayResetsAt;
    if (expiry === undefined) return dayEnds;
    return dayEnds === undefined ? expiry : Math.min(expiry, dayEnds);
  };
  const shouldContinue = () => handled >= maxUpdates || workflowInfo().continueAsNewSuggested;

  setHandler(
    reserveUpdate,
    (request) => {
      handled += 1;
      const result = reserve(book, request, Date.now());
      const next = nextWakeAt();
      if (next !== undefined && (armedFor === undefined || next < armedFor)) wake = true;
      return result;
    },
    {
      validator: (request) => {
        const problem = reserveProblem(request, book, isValidTimeZone);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(
    settleUpdate,
    (request) => {
      handled += 1;
      return settle(book, request, Date.now());
    },
    {
      validator: (request) => {
        const problem = settleProblem(request);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(usageQuery, () => usageOf(book, input.teamId, Date.now()));

  for (;;) {
    const wakeAt = nextWakeAt();
    armedFor = wakeAt;
    wake = false;
    // Sleeps until the earliest reservation expires or the day ends, a sooner one arrives, or it is time to
    // continue as new. Workflow time only: Date.now() in workflow code is the time of the current workflow task.
    const timeout = wakeAt === undefined ? undefined : Math.max(1, wakeAt - Date.now());
    if (timeout === undefined) await condition(() => wake || shouldContinue());
    else await condition(() => wake || shouldContinue(), timeout);
    const now = Date.now();
    releaseExpired(book, now);
    rollTo(book, now);
    if (shouldContinue()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof spendAccount>({ ...input, state: book });
    }
  }
}
