import { describe, expect, it } from 'vitest';
import { workerTuning } from '../../src/worker.js';

describe('workerTuning', () => {
  it('passes WORKER_MAX_CACHED_WORKFLOWS to the workers, including 0 (no sticky cache)', () => {
    expect(workerTuning({ worker: { maxCachedWorkflows: 100 } })).toEqual({ maxCachedWorkflows: 100 });
    expect(workerTuning({ worker: { maxCachedWorkflows: 0 } })).toEqual({ maxCachedWorkflows: 0 });
  });

  it("leaves Temporal's defaults alone when it is unset", () => {
    expect(workerTuning({ worker: { maxCachedWorkflows: undefined } })).toEqual({});
  });

  it('passes WORKER_SHUTDOWN_GRACE as the shutdown grace time', () => {
    expect(workerTuning({ worker: { maxCachedWorkflows: undefined, shutdownGraceMs: 30_000 } })).toEqual({ shutdownGraceTime: 30_000 });
  });
});
