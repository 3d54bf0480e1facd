/**
 * `node --import tsx test/kb/extract-child.ts <file> <limits JSON>`: one file through loadSections
 * in a process of its own, printing one JSON line: the process's resident memory before the
 * extraction (after a warm-up file, so the extraction worker and tsx are already loaded) and its
 * peak during it (VmHWM, reset just before; worker threads included), and how it ended.
 * Used by loaders-bombs.test.ts, which runs each bomb here against a fresh baseline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadSections, OverLimitError } from '../../src/kb/loaders.js';
import type { FileLimits } from '../../src/kb/limits.js';

const [file, limitsJson] = process.argv.slice(2);
const limits = JSON.parse(limitsJson!) as FileLimits;

const MB = 1024 * 1024;
const statusKb = (field: string) => Number(/\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`)) ?? '')?.[0] ?? NaN);

await loadSections('warm-up.md', Buffer.from('# Warm-up\n\ntext'), limits);
// Writing 5 to clear_refs resets the peak (VmHWM) to the current resident size (Linux ≥ 4.0).
let exactPeak = true;
try {
  writeFileSync('/proc/self/clear_refs', '5');
} catch {
  exactPeak = false;
}
const baseline = process.memoryUsage.rss();
// A sampled peak as well, where the kernel's cannot be reset.
let sampled = baseline;
const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 5);
const data = readFileSync(file!);
const started = performance.now();
let outcome: Record<string, unknown>;
try {
  outcome = { sections: (await loadSections(file!, data, limits)).length };
} catch (error) {
  outcome = { error: (error as Error).name, limit: error instanceof OverLimitError ? error.limit : undefined, message: (error as Error).message };
}
clearInterval(sampler);
const peak = exactPeak ? Math.max(statusKb('VmHWM') * 1024, sampled) : sampled;
console.log(JSON.stringify({ ...outcome, ms: Math.round(performance.now() - started), baselineMb: Math.round(baseline / MB), peakMb: Math.round(peak / MB), exactPeak }));
process.exit(0);
