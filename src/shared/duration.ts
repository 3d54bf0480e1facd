/**
 * Human-friendly durations ("30s", "30m", "4h", "3d", "250ms") for config values.
 * Pure: safe to import from workflow code.
 */
const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

type Unit = keyof typeof UNIT_MS;

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i;

/** Parses a duration such as `30s`, `4h` or `3d` into milliseconds; returns undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase() as Unit;
  const ms = Math.round(amount * UNIT_MS[unit]);
  return ms > 0 ? ms : undefined;
}

/** Formats milliseconds compactly for people: `850ms`, `12s`, `3m 05s`, `4h 10m`, `3d 2h`. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  if (rounded < 1_000) return `${rounded}ms`;
  const totalSeconds = Math.round(ms / 1_000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/**
 * How long before its hard cap (PIPELINE_TIMEOUT) a run wraps up: 5 % of the cap, within 5 s … 5 min.
 * The run closes its open cards and says so in the thread in that time; the config checks it fits.
 */
export function deadlineMarginMs(capMs: number): number {
  return Math.min(5 * 60_000, Math.max(5_000, Math.round(capMs * 0.05)));
}
