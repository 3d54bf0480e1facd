/**
 * The run's own deadline, shortly before Temporal's hard cap (PIPELINE_TIMEOUT, the workflow
 * execution timeout). Temporal ends a run at its cap without running any workflow code, so
 * whatever people should see at the end (cards closed, "expired" in the thread) must happen
 * before: every wait ends by this deadline, and LLM work still running then is cancelled.
 */
import { CancellationScope, isCancellation, sleep, workflowInfo } from '@temporalio/workflow';
import { deadlineMarginMs } from '../shared/duration.js';

/** Thrown by `within` when the deadline cut the work short; the pipeline ends `expired`. */
export class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

export class Deadline {
  /** Workflow time (ms) by which the run wraps up; undefined when the run has no cap. */
  readonly at: number | undefined;

  constructor() {
    const { executionExpirationTime, executionTimeoutMs } = workflowInfo();
    this.at = executionExpirationTime && executionTimeoutMs ? executionExpirationTime.getTime() - deadlineMarginMs(executionTimeoutMs) : undefined;
  }

  remainingMs(): number {
    return this.at === undefined ? Infinity : Math.max(0, this.at - Date.now());
  }

  passed(): boolean {
    return this.remainingMs() === 0;
  }

  /** A wait of `ms`, cut so that it ends by the deadline. */
  bound(ms: number): number {
    return Math.min(ms, this.remainingMs());
  }

  /** Runs `work` in a scope the deadline cancels; then throws DeadlineReached. Starts at once. */
  within<T>(work: () => Promise<T>): Promise<T> {
    const remaining = this.remainingMs();
    if (remaining === Infinity) return work();
    if (remaining === 0) return Promise.reject(new DeadlineReached());
    const scope = new CancellationScope();
    const timer = new CancellationScope();
    let reached = false;
    void timer.run(() => sleep(remaining)).then(
      () => {
        reached = true;
        scope.cancel();
      },
      () => undefined,
    );
    return scope.run(work).then(
      (value) => {
        timer.cancel();
        return value;
      },
      (error: unknown) => {
        timer.cancel();
        throw reached && isCancellation(error) ? new DeadlineReached() : error;
      },
    );
  }
}
