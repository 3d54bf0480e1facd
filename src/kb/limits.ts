/**
 * What one `npm run kb -- add` may take in: per file (bytes on disk, characters after extraction,
 * PDF pages, time and memory of its extraction) and per run (tokens sent for embedding, and the
 * point above which it asks before spending). Every default is written here once; the CLI's flags
 * and the README's table read them from here.
 *
 * A document is written by whoever dropped it in the folder: its zip headers, page counts and
 * declared sizes are never trusted, only what extraction actually produced.
 */

export interface FileLimits {
  /** Largest file read from disk, in bytes. */
  maxFileBytes: number;
  /** Most text one file may expand to after extraction (characters), zip-inflated bytes included. */
  maxChars: number;
  /** Most pages read from one PDF. */
  maxPages: number;
  /** Wall-clock time for one file's extraction before it is stopped. */
  timeoutMs: number;
  /** Heap (old generation) one file's extraction may use, in MB. */
  maxHeapMb: number;
}

export interface RunLimits {
  /** Most tokens one run may send for embedding (estimated before anything is sent). */
  maxRunTokens: number;
  /** Above this many estimated tokens the run asks before embedding (or needs --yes). */
  askAboveTokens: number;
}

export const DEFAULT_FILE_LIMITS: Readonly<FileLimits> = Object.freeze({
  maxFileBytes: 50 * 1024 * 1024,
  maxChars: 2_000_000,
  maxPages: 1_000,
  timeoutMs: 60_000,
  maxHeapMb: 512,
});

export const DEFAULT_RUN_LIMITS: Readonly<RunLimits> = Object.freeze({
  maxRunTokens: 10_000_000,
  askAboveTokens: 1_000_000,
});

/**
 * A run that would remove more indexed files than this (or more than half of a collection's) asks
 * first, as a run above `askAboveTokens` does: a limit set by mistake removes every file over it.
 */
export const ASK_ABOVE_REMOVALS = 10;

/** Which limit a file ran into: reported with the file as the reason it was skipped. */
export type FileLimitName = keyof FileLimits;
