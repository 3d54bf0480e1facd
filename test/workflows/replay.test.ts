/**
 * Determinism guard: every recorded history in test/fixtures/histories/ must replay against the
 * current workflow code. A failure here means a change would break pipelines already running: put
 * the new behaviour behind `patched()` (README → Changing workflow code safely). Histories are only
 * ever added, never rewritten or deleted; none is skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TEST_DATA_CONVERTER } from '../harness/keys.js';

const DIR = new URL('../fixtures/histories/', import.meta.url);
const listing = () => readdirSync(DIR).sort();
const files = listing().filter((file) => file.endsWith('.json'));

/** Histories that must stay, whatever is added beside them (the replay test fails if one goes). */
const KEPT = [
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
  // Added with issues 10 and 11 (the one re-recording, 2 December 2026).
  'expired-at-deadline.json',
  'refused-budget.json',
  'superseded-edit.json',
  'undeliverable.json',
  'unpublished.json',
  // Patch `estimates-as-activities` (src/workflows/estimates.ts): every path again, recorded with it.
  'approve-parallel-research.estimates-as-activities.json',
  'approve.estimates-as-activities.json',
  'budget-allow.estimates-as-activities.json',
  'budget-stop.estimates-as-activities.json',
  'cancelled.estimates-as-activities.json',
  'double-decision.estimates-as-activities.json',
  'edited.estimates-as-activities.json',
  'expired-at-deadline.estimates-as-activities.json',
  'expired.estimates-as-activities.json',
  'failed.estimates-as-activities.json',
  'refused-budget.estimates-as-activities.json',
  'reject.estimates-as-activities.json',
  'revision.estimates-as-activities.json',
  'superseded-edit.estimates-as-activities.json',
  'undeliverable.estimates-as-activities.json',
  'unpublished.estimates-as-activities.json',
  // Patches `progress-at-task-end` (src/workflows/parallel-research.ts) and `budget-checked-in-call`
  // (src/workflows/estimates.ts): every path again.
  'approve-parallel-research.budget-checked-in-call.json',
  'approve.budget-checked-in-call.json',
  'budget-allow.budget-checked-in-call.json',
  'budget-stop.budget-checked-in-call.json',
  'cancelled.budget-checked-in-call.json',
  'double-decision.budget-checked-in-call.json',
  'edited.budget-checked-in-call.json',
  'expired-at-deadline.budget-checked-in-call.json',
  'expired.budget-checked-in-call.json',
  'failed.budget-checked-in-call.json',
  'refused-budget.budget-checked-in-call.json',
  'reject.budget-checked-in-call.json',
  'revision.budget-checked-in-call.json',
  'superseded-edit.budget-checked-in-call.json',
  'undeliverable.budget-checked-in-call.json',
  'unpublished.budget-checked-in-call.json',
  'writing-budget-allow.budget-checked-in-call.json',
  // The same generation: paths no earlier generation recorded.
  'cancelled-during-research.budget-checked-in-call.json',
  'cancelled-during-research-parallel-research.budget-checked-in-call.json',
  'grounded.budget-checked-in-call.json',
  'grounded-parallel-research.budget-checked-in-call.json',
  // Patch `reviewers-by-membership` (src/workflows/authority.ts): every path again, and the path of
  // a named reviewer outside a private channel.
  'approve-parallel-research.reviewers-by-membership.json',
  'approve.reviewers-by-membership.json',
  'budget-allow.reviewers-by-membership.json',
  'budget-stop.reviewers-by-membership.json',
  'cancelled-during-research-parallel-research.reviewers-by-membership.json',
  'cancelled-during-research.reviewers-by-membership.json',
  'cancelled.reviewers-by-membership.json',
  'double-decision.reviewers-by-membership.json',
  'edited.reviewers-by-membership.json',
  'expired-at-deadline.reviewers-by-membership.json',
  'expired.reviewers-by-membership.json',
  'failed.reviewers-by-membership.json',
  'grounded-parallel-research.reviewers-by-membership.json',
  'grounded.reviewers-by-membership.json',
  'refused-budget.reviewers-by-membership.json',
  'reject.reviewers-by-membership.json',
  'reviewers-outside.reviewers-by-membership.json',
  'revision.reviewers-by-membership.json',
  'superseded-edit.reviewers-by-membership.json',
  'undeliverable.reviewers-by-membership.json',
  'unpublished.reviewers-by-membership.json',
  'writing-budget-allow.reviewers-by-membership.json',
  // Issue 20: the same generation recorded with payload encryption on (the suite's test key): ciphertext
  // everywhere but Temporal's own patch markers, opened at replay by the codec.
  'approve-parallel-research.reviewers-by-membership.encrypted.json',
  'approve.reviewers-by-membership.encrypted.json',
  'budget-allow.reviewers-by-membership.encrypted.json',
  'budget-stop.reviewers-by-membership.encrypted.json',
  'cancelled-during-research-parallel-research.reviewers-by-membership.encrypted.json',
  'cancelled-during-research.reviewers-by-membership.encrypted.json',
  'cancelled.reviewers-by-membership.encrypted.json',
  'double-decision.reviewers-by-membership.encrypted.json',
  'edited.reviewers-by-membership.encrypted.json',
  'expired-at-deadline.reviewers-by-membership.encrypted.json',
  'expired.reviewers-by-membership.encrypted.json',
  'failed.reviewers-by-membership.encrypted.json',
  'grounded-parallel-research.reviewers-by-membership.encrypted.json',
  'grounded.reviewers-by-membership.encrypted.json',
  'refused-budget.reviewers-by-membership.encrypted.json',
  'reject.reviewers-by-membership.encrypted.json',
  'reviewers-outside.reviewers-by-membership.encrypted.json',
  'revision.reviewers-by-membership.encrypted.json',
  'superseded-edit.reviewers-by-membership.encrypted.json',
  'undeliverable.reviewers-by-membership.encrypted.json',
  'unpublished.reviewers-by-membership.encrypted.json',
  'writing-budget-allow.reviewers-by-membership.encrypted.json',
  // Patch `spend-ceilings` (src/workflows/budget.ts, issue 21): every path again with a workspace on the
  // request (who pays rides in the LLM calls' inputs), the refusal paths (wait for the reset, Stop),
  // and the spend account workflow itself.
  'approve-parallel-research.spend-ceilings.encrypted.json',
  'approve.spend-ceilings.encrypted.json',
  'budget-allow.spend-ceilings.encrypted.json',
  'budget-stop.spend-ceilings.encrypted.json',
  'cancelled-during-research-parallel-research.spend-ceilings.encrypted.json',
  'cancelled-during-research.spend-ceilings.encrypted.json',
  'cancelled.spend-ceilings.encrypted.json',
  'double-decision.spend-ceilings.encrypted.json',
  'edited.spend-ceilings.encrypted.json',
  'expired-at-deadline.spend-ceilings.encrypted.json',
  'expired.spend-ceilings.encrypted.json',
  'failed.spend-ceilings.encrypted.json',
  'grounded-parallel-research.spend-ceilings.encrypted.json',
  'grounded.spend-ceilings.encrypted.json',
  'refused-budget.spend-ceilings.encrypted.json',
  'reject.spend-ceilings.encrypted.json',
  'reviewers-outside.spend-ceilings.encrypted.json',
  'revision.spend-ceilings.encrypted.json',
  'spend-account.spend-ceilings.encrypted.json',
  'spend-research-refused-parallel-research.spend-ceilings.encrypted.json',
  'spend-research-wait-parallel-research.spend-ceilings.encrypted.json',
  'spend-research-wait.spend-ceilings.encrypted.json',
  'spend-stop.spend-ceilings.encrypted.json',
  'spend-wait.spend-ceilings.encrypted.json',
  'superseded-edit.spend-ceilings.encrypted.json',
  'undeliverable.spend-ceilings.encrypted.json',
  'unpublished.spend-ceilings.encrypted.json',
  'writing-budget-allow.spend-ceilings.encrypted.json',
];

describe('replay of recorded histories', () => {
  const replayed: string[] = [];

  it('keeps every earlier history, and holds nothing but histories', () => {
    expect(files).toEqual(expect.arrayContaining(KEPT));
    expect(listing()).toEqual(files);
  });

  it.each(files)('replays %s without a determinism error', async (file) => {
    // `history` is the JSON of `temporal workflow show --output json`; the worker parses it itself.
    const { workflowId, history } = JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as { workflowId: string; history: unknown };
    await expect(
      // The codec is not workflow code: plaintext histories pass through it, encrypted ones are opened by it.
      Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') }, dataConverter: TEST_DATA_CONVERTER }, history, workflowId),
    ).resolves.toBeUndefined();
    replayed.push(file);
  });

  it.each(files.filter((file) => file.endsWith('.encrypted.json')))('%s holds no readable payload: only patch markers are plaintext', (file) => {
    const plain: string[] = [];
    const walk = (value: unknown, path: string[]): void => {
      if (Array.isArray(value)) return value.forEach((inner) => walk(inner, path));
      if (!value || typeof value !== 'object') return;
      const object = value as Record<string, unknown>;
      const metadata = object.metadata as Record<string, string> | undefined;
      if (metadata && typeof metadata === 'object' && 'data' in object) {
        const encoding = Buffer.from(metadata.encoding ?? '', 'base64').toString();
        // Patch markers and TemporalChangeVersion are written by the SDK's core, outside any codec: patch IDs only.
        const sdkOwn = path.includes('patch-data') || path.includes('TemporalChangeVersion');
        if (encoding !== 'binary/encrypted' && !sdkOwn) plain.push(`${path.slice(-3).join('.')} (${encoding})`);
      }
      for (const [key, inner] of Object.entries(object)) walk(inner, [...path, key]);
    };
    walk(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')), []);
    expect(plain).toEqual([]);
  });

  // Every file in the directory went through the replay above (none skipped, none filtered out).
  afterAll(() => {
    expect([...replayed].sort()).toEqual(listing());
  });
});
