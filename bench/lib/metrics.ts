/**
 * Temporal's own worker metrics (Prometheus text from the worker process's Runtime), summed over
 * label sets, so a phase can be described by deltas: task schedule-to-start latencies, sticky
 * cache hits and misses, workflow task execution and replay time.
 */
export type Snapshot = Map<string, number>;

export async function scrape(url: string | undefined): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  if (!url) return snapshot;
  try {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match) continue;
      const [, name, labels = '', value] = match;
      if (labels.includes('le="')) continue; // histogram buckets: _sum and _count are enough
      const key = name!;
      snapshot.set(key, (snapshot.get(key) ?? 0) + Number(value));
    }
  } catch {
    // Metrics are diagnostics; a failed scrape leaves them out of the report.
  }
  return snapshot;
}

export interface PhaseMetrics {
  workflowTasks: number;
  /** Mean ms a workflow task waited in its queue before a worker took it. */
  wftScheduleToStartMs?: number;
  /** Mean ms the worker spent on a workflow task (activation to completion). */
  wftExecutionMs?: number;
  activityTasks: number;
  activityScheduleToStartMs?: number;
  stickyCacheHits?: number;
  stickyCacheMisses?: number;
  forcedEvictions?: number;
}

function pick(before: Snapshot, after: Snapshot, names: string[]): number | undefined {
  for (const name of names) {
    if (after.has(name)) return (after.get(name) ?? 0) - (before.get(name) ?? 0);
  }
  return undefined;
}

function mean(before: Snapshot, after: Snapshot, base: string): { count: number; mean?: number } {
  const count = pick(before, after, [`${base}_count`]) ?? 0;
  const sum = pick(before, after, [`${base}_sum`]);
  return { count, ...(count > 0 && sum !== undefined ? { mean: Number((sum / count).toFixed(2)) } : {}) };
}

export function phaseMetrics(before: Snapshot, after: Snapshot): PhaseMetrics | undefined {
  if (after.size === 0) return undefined;
  const wftStart = mean(before, after, 'temporal_workflow_task_schedule_to_start_latency');
  const wftExec = mean(before, after, 'temporal_workflow_task_execution_latency');
  const actStart = mean(before, after, 'temporal_activity_schedule_to_start_latency');
  const hits = pick(before, after, ['temporal_sticky_cache_hit', 'temporal_sticky_cache_hit_total']);
  const misses = pick(before, after, ['temporal_sticky_cache_miss', 'temporal_sticky_cache_miss_total']);
  const evictions = pick(before, after, ['temporal_sticky_cache_total_forced_eviction', 'temporal_sticky_cache_total_forced_eviction_total']);
  return {
    workflowTasks: wftStart.count,
    ...(wftStart.mean !== undefined ? { wftScheduleToStartMs: wftStart.mean } : {}),
    ...(wftExec.mean !== undefined ? { wftExecutionMs: wftExec.mean } : {}),
    activityTasks: actStart.count,
    ...(actStart.mean !== undefined ? { activityScheduleToStartMs: actStart.mean } : {}),
    ...(hits !== undefined ? { stickyCacheHits: hits } : {}),
    ...(misses !== undefined ? { stickyCacheMisses: misses } : {}),
    ...(evictions !== undefined ? { forcedEvictions: evictions } : {}),
  };
}
