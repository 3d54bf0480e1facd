/**
 * Determinism guard: every recorded history (test/fixtures/histories/) must replay against the
 * current workflow code. A failure here means a change would break pipelines already running;
 * use patching (`patched()`), or re-record with `npm run record-histories` if no run can be affected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = new URL('../fixtures/histories/', import.meta.url);
const files = readdirSync(DIR).filter((file) => file.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  it('has a history for every workflow path', () => {
    expect(files).toEqual([
      'approve-parallel-research.json',
      'approve.json',
      'budget-allow.json',
      'budget-stop.json',
      'cancelled.json',
      'double-decision.json',
      'edited.json',
      'expired.json',
      'failed.json',
      'reject.json',
      'revision.json',
      'undeliverable.json',
      'unpublished.json',
    ]);
  });

  it.each(files)('replays %s without a determinism error', async (file) => {
    // `history` is the JSON of `temporal workflow show --output json`; the worker parses it itself.
    const { workflowId, history } = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as { workflowId: string; history: unknown };
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history, workflowId),
    ).resolves.toBeUndefined();
  });
});
