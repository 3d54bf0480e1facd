/**
 * Requests the bot is still working on. Bolt answers Slack at `ack()`, but a listener goes on after
 * it (a Temporal start or signal, an ephemeral answer): a bot that stopped at its ack would lose
 * the click it had just acknowledged. A global middleware counts every request until its
 * listeners return, so shutdown can stop taking requests, then wait for these to finish.
 */
import type { App } from '@slack/bolt';

export interface InFlight {
  /** Requests whose listeners have not returned yet. */
  readonly count: number;
  /** Resolves true once none is in flight, or false when `timeoutMs` passes first. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function trackInFlight(app: Pick<App, 'use'>): InFlight {
  let count = 0;
  let waiters: Array<() => void> = [];
  app.use(async ({ next }) => {
    count += 1;
    try {
      await next();
    } finally {
      count -= 1;
      if (count === 0) {
        for (const wake of waiters) wake();
        waiters = [];
      }
    }
  });
  return {
    get count() {
      return count;
    },
    drained(timeoutMs) {
      if (count === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
