import { MockActivityEnvironment } from '@temporalio/testing';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActivity = (...args: any[]) => Promise<any>;

/** MockActivityEnvironment.run with the activity's own parameter and result types kept. */
export function runActivity<F extends AnyActivity>(fn: F, ...args: Parameters<F>): ReturnType<F> {
  return new MockActivityEnvironment().run(fn, ...args) as ReturnType<F>;
}

/** Same, in a given environment (for cancelling it mid-call). */
export function runActivityIn<F extends AnyActivity>(env: MockActivityEnvironment, fn: F, ...args: Parameters<F>): ReturnType<F> {
  return env.run(fn, ...args) as ReturnType<F>;
}
