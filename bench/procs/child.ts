/**
 * What every benchmark child process shares: its configuration arrives as one explicit JSON
 * environment (BENCH_ENV, never the developer's .env), it reports `ready` over IPC, and it stops
 * cleanly on a `stop` message (so `--cpu-prof` profiles get written) or when the parent goes away.
 */
import type { Env } from '../../src/config.js';

export interface ReadyMessage {
  type: 'ready';
  [key: string]: unknown;
}

export function benchEnv(): Env {
  const raw = process.env.BENCH_ENV;
  if (!raw) throw new Error('BENCH_ENV is not set: this process is started by bench/run.ts');
  return JSON.parse(raw) as Env;
}

export function ready(info: Record<string, unknown> = {}): void {
  process.send?.({ type: 'ready', pid: process.pid, ...info } satisfies ReadyMessage);
}

export function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const run = (code: number) => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error('stop failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: unknown) => {
    const type = (message as { type?: string } | undefined)?.type;
    if (type === 'stop') run(0);
    // The main thread's V8 heap, to tell heap growth from native memory (workflow threads are not in
    // it); after a full GC when the process runs with --expose-gc, so it is what is really retained.
    if (type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ type: 'memory', ...process.memoryUsage() });
    }
  });
  // The bench process died or closed the channel: do not linger as an orphan.
  process.on('disconnect', () => run(0));
}
