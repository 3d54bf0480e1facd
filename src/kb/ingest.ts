/**
 * Incremental ingest: each file's content hash (with the embedding model) is compared with what
 * the index holds. Unchanged files are skipped, new and changed ones (re-)embedded, files gone
 * from a folder that was added removed. A file counts as done only once its record is written
 * (after its chunks), so an interrupted run resumes with the file it was on.
 *
 * Each folder (or single file) added is a collection, bound to the conversations given with it;
 * adding the same folder again with other conversations rebinds it (no re-embedding). Files are
 * stored relative to the folder added: `<collection>/<path>` is how they are shown and cited.
 *
 * Two phases, so the price is known before anything is spent: first every new or changed file is
 * read (never one larger than its limit: its size is checked before a byte is read), extracted and
 * chunked, and the tokens estimated; then, if the run is within its limits and confirmed, the
 * index is changed (collections, removals, embeddings). A refused run changes nothing. While
 * embedding, the provider's billing is watched: past the estimate (an upper bound) by a margin, or
 * past the run's limit, the rest is not embedded and reported, each file keeping its previous version.
 *
 * Only a path that is not there (ENOENT, or ENOTDIR for a path under a file) is removed from the
 * index. A path that cannot be read (permissions, I/O, a symbolic link loop) keeps every chunk
 * under it and is reported: an unreadable folder is not an empty one.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { Document } from '@langchain/core/documents';
import { encodeBinding, type Binding } from './channels.js';
import type { CountingEmbeddings } from './embeddings.js';
import { ASK_ABOVE_REMOVALS, DEFAULT_FILE_LIMITS, DEFAULT_RUN_LIMITS, type FileLimitName, type FileLimits, type RunLimits } from './limits.js';
import { ExtractorError, isSupported, loadSections as defaultLoadSections, UnreadableFileError, type Section } from './loaders.js';
import { chunkSections } from './split.js';
import { collectionNameFor, displayPath, type ChunkMetadata, type CollectionRecord, type FileRecord, type LanceVectorStore } from './store.js';

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  chunks: number;
  tokens: number;
  /** The file being worked on (`collection/path`). */
  current?: string;
}

/**
 * Why a file or path was skipped: a limit about the file itself (bytes, characters, pages) or
 * content that could not be read as its format (its old chunks removed); a path that could not be
 * read at all, an extraction stopped by time or memory or failing for another reason, or a file
 * not embedded because the run's billing passed its bound (its chunks kept).
 */
export type SkipKind = 'limit' | 'unparseable' | 'unreadable' | 'stopped' | 'billing';

export interface IngestPlan {
  /** Files to embed (new or changed). */
  files: number;
  chunks: number;
  /** Estimated tokens to embed. */
  tokens: number;
  /** How the tokens were estimated (said with the figure). */
  estimator: string;
  /** The files with the most estimated tokens, largest first (at most five). */
  largest: Array<{ path: string; tokens: number }>;
  /** Indexed files this run removes (gone, or now over a limit or unreadable as their format). */
  removals: number;
  /** The first of them (at most 20), as `collection/path`. */
  removing: string[];
  /** Why the run asks before it changes anything (empty: it does not ask). */
  asks: Array<'tokens' | 'removals'>;
}

export interface IngestReport {
  /** Files as `collection/path`. */
  added: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /** Files (or paths given) that could not be read or added: path and why. */
  skipped: Array<{ path: string; reason: string; kind?: SkipKind }>;
  /** The collections this run added to, and whether each was new or rebound. */
  collections: Array<{ name: string; created: boolean; rebound: boolean }>;
  chunks: number;
  /** Tokens the provider billed (its `usage`). */
  tokens: number;
  /** What the run was going to embed, estimated before anything was sent. */
  plan?: IngestPlan;
  /** Set when the run was refused before it changed anything: over `maxRunTokens`, or not confirmed. */
  refused?: 'over-run-limit' | 'not-confirmed';
}

/** The file system ingest reads through (node:fs/promises unless a test injects errors). */
export interface IngestFs {
  stat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }>;
  readdir(path: string, options: { withFileTypes: true }): Promise<Array<{ name: string; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }>>;
  open(path: string, flags: 'r'): Promise<{
    stat(): Promise<{ size: number }>;
    read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    close(): Promise<void>;
  }>;
}

export const nodeFs: IngestFs = {
  stat: (path) => stat(path),
  readdir: (path, options) => readdir(path, options),
  open: (path, flags) => open(path, flags),
};

export type LoadSections = (path: string, data: Buffer, limits: FileLimits) => Promise<Section[]>;

export interface IngestOptions {
  store: LanceVectorStore;
  embeddings: CountingEmbeddings;
  model: string;
  /** Paths as given on the command line (folders or files): each is a collection. */
  paths: string[];
  /** The conversations these documents may answer in (`--channel …` or `--everywhere`). */
  binding: Binding;
  /** Base for relative paths (default: the working directory). */
  root?: string;
  onProgress?: (progress: IngestProgress) => void;
  now?: () => Date;
  fileLimits?: FileLimits;
  runLimits?: RunLimits;
  /** Told the estimate before anything is embedded or removed (when there is something to embed or remove). */
  onPlan?: (plan: IngestPlan) => void;
  /** Asked when the estimate is above `askAboveTokens` or the run removes many files (`plan.asks` says which); without it such a run is refused. */
  confirm?: (plan: IngestPlan) => Promise<boolean>;
  fs?: IngestFs;
  loadSections?: LoadSections;
}

/** A path relative to a collection's folder, with forward slashes. */
export function relativeKey(collectionRoot: string, file: string): string {
  return relative(collectionRoot, file).split(sep).join('/');
}

export { displayPath } from './store.js';

// ── Errors from the file system ───────────────────────────────────────────────────────────────

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/** Only "not there" means gone: ENOENT, or ENOTDIR for a path under something that is now a file. */
export function isGone(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const CODE_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ELOOP: 'too many symbolic links (a link loop?)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'busy',
};

/** "could not read: permission denied (EACCES) — kept what was indexed" */
export function unreadableReason(error: unknown): string {
  const code = codeOf(error);
  const words = code ? (CODE_WORDS[code] ?? (error as Error).message) : (error as Error).message;
  return `could not read: ${words}${code ? ` (${code})` : ''} — kept what was indexed`;
}

// ── Estimating tokens ─────────────────────────────────────────────────────────────────────────

const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isUpper = (c: number) => c >= 65 && c <= 90;
const isBlank = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Space, tab and newline repeated merge into one token; a run of \r, \v or \f need not. */
const MERGING_BLANKS = new Set([32, 9, 10]);

/**
 * Tokens a text can be billed for, at most, in linear time: an upper bound on what OpenAI's
 * byte-pair encodings (cl100k_base, o200k_base) count, never more than the text's UTF-8 bytes
 * (each byte is at most a token).
 *
 * - A word (letters, lower case or capitalised, up to 12) a quarter token a letter: each is one or
 *   two tokens. Other runs of letters (mixed case such as base64, capitals, longer runs) three
 *   quarters a letter (measured: random letters 0.66 a letter, base64 0.71 a character).
 * - Digits, punctuation and control characters one each (cl100k splits numbers into groups of up to
 *   three digits, so "1 2 3" is a token a character).
 * - One space before a word or punctuation is free (it is part of that token); other whitespace a
 *   token for each change of character in a run (each \r, \v and \f), plus one per eight.
 * - Other characters their UTF-8 bytes (CJK and emoji cost one to three tokens each).
 *
 * Not exact for a document of made-up lowercase words ("qzv xkw…" costs about two tokens a word,
 * counted here as one): the run's billing is watched while embedding and stopped past the estimate
 * (`BILLING_MARGIN`). Not js-tiktoken itself: its byte-pair merge is quadratic in a run without
 * spaces (measured: 0.63 s for one 1,000-character chunk of CJK), a hostile file could make the
 * estimate itself the cost.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isAsciiLetter(c)) {
      let j = i + 1;
      let inner = 0;
      for (; j < n && isAsciiLetter(text.charCodeAt(j)); j += 1) if (isUpper(text.charCodeAt(j))) inner += 1;
      const length = j - i;
      const word = length <= 12 && inner === 0;
      tokens += word ? Math.ceil(length / 4) : Math.ceil((length * 3) / 4);
      i = j;
    } else if (c === 32 && i + 1 < n && text.charCodeAt(i + 1) > 32 && text.charCodeAt(i + 1) < 127 && !isDigit(text.charCodeAt(i + 1))) {
      i += 1; // joins the word or punctuation after it
    } else if (isBlank(c)) {
      let j = i + 1;
      let changes = 1;
      for (; j < n && isBlank(text.charCodeAt(j)); j += 1) if (text.charCodeAt(j) !== text.charCodeAt(j - 1) || !MERGING_BLANKS.has(text.charCodeAt(j))) changes += 1;
      tokens += Math.min(j - i, changes + Math.floor((j - i) / 8));
      i = j;
    } else if (c < 0x80) {
      tokens += 1;
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      tokens += 4; // a surrogate pair: one code point of four bytes
      i += 2;
    } else {
      tokens += c < 0x800 ? 2 : 3;
      i += 1;
    }
  }
  return Math.max(1, tokens);
}

export const TOKEN_ESTIMATOR = 'an upper bound: a word a token per 4 letters, digits, punctuation and other scripts a token a character or byte';

/**
 * How far past its estimate a run's billing may go before the rest is not embedded: the estimate
 * is an upper bound for text, so billing past it means text it did not foresee (made-up words).
 * Checked between batches of chunks, so a run overshoots by at most one batch.
 */
export const BILLING_MARGIN = 1.25;
/** Chunks embedded between checks of the run's billing. */
export const EMBED_BATCH = 64;

/**
 * Limits about the file itself: the same file runs into them again on every run, so what was
 * indexed of it (an older version) goes. Time and memory depend on the machine and what else it
 * does; running into them, or any error not about the file's content, keeps what was indexed.
 */
const FILE_LIMITS_THAT_REMOVE: ReadonlySet<string> = new Set<FileLimitName>(['maxFileBytes', 'maxChars', 'maxPages']);

/** Why a loader refused a file, and whether that removes what was indexed of it ('limit', 'unparseable') or keeps it ('stopped'). */
export function loadFailure(error: unknown): { reason: string; kind: 'limit' | 'unparseable' | 'stopped' } {
  const message = error instanceof UnreadableFileError ? error.message.slice(error.path.length + 2) : String((error as Error | undefined)?.message ?? error);
  // OverLimitError (loaders.ts) names the limit it ran into.
  const limit = (error as { limit?: unknown } | undefined)?.limit;
  if (error instanceof UnreadableFileError && typeof limit === 'string') {
    return FILE_LIMITS_THAT_REMOVE.has(limit) ? { reason: message, kind: 'limit' } : { reason: `${message} — kept what was indexed`, kind: 'stopped' };
  }
  // Content that is not what its name says.
  if (error instanceof UnreadableFileError) return { reason: message, kind: 'unparseable' };
  // The extractor itself failed (a worker that would not start, crashed or answered with an
  // unexpected error): nothing says the file is at fault.
  if (error instanceof ExtractorError) return { reason: `${error.reason} — kept what was indexed`, kind: 'stopped' };
  return { reason: `${message.startsWith('extraction') ? message : `extraction failed (${message})`} — kept what was indexed`, kind: 'stopped' };
}

/** "not embedded: the run's billed tokens passed 12,500 (its estimate of 10,000 and a margin) — kept what was indexed" */
function notEmbedded(billed: number, allowed: number, runLimits: RunLimits, estimated: number): string {
  const bound = allowed >= runLimits.maxRunTokens ? `this run's limit of ${allowed.toLocaleString('en')} (--max-run-tokens)` : `${allowed.toLocaleString('en')}, its estimate of ${estimated.toLocaleString('en')} and a margin`;
  return `not embedded: the run's billed tokens (${billed.toLocaleString('en')}) passed ${bound} — kept what was indexed; run kb add again for the rest`;
}

// ── Walking folders ───────────────────────────────────────────────────────────────────────────

interface Walked {
  files: string[];
  /** Paths under which nothing could be listed or followed: what is indexed under them is kept. */
  kept: Array<{ path: string; reason: string }>;
}

async function walk(fs: IngestFs, folder: string, out: Walked): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (!isGone(error)) out.kept.push({ path: folder, reason: unreadableReason(error) });
    return; // gone while walking: its files are gone too
  }
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue; // .git, .kb, editor files
    const full = join(folder, entry.name);
    if (entry.isDirectory()) {
      await walk(fs, full, out);
    } else if (entry.isFile()) {
      if (isSupported(full)) out.files.push(full);
    } else if (entry.isSymbolicLink()) {
      // Not followed: a link may lead anywhere on the server. One that leads nowhere is nothing;
      // one that cannot be resolved (a loop, permissions) or that leads to a folder or a document
      // is reported, and what was indexed under its name is kept.
      let target;
      try {
        target = await fs.stat(full);
      } catch (error) {
        if (!isGone(error)) out.kept.push({ path: full, reason: unreadableReason(error) });
        continue;
      }
      if (target.isDirectory() || (target.isFile() && isSupported(full))) {
        out.kept.push({ path: full, reason: 'a symbolic link, which kb add does not follow (it may lead outside the folder): add its target itself — kept what was indexed' });
      }
    }
  }
}

function hashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** 1.5 MB, 600 KB, 12 bytes. */
function mb(bytes: number): string {
  const figure = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
  if (bytes >= 1024 * 1024) return `${figure(bytes / 1024 / 1024)} MB`;
  return bytes >= 1024 ? `${figure(bytes / 1024)} KB` : `${bytes} bytes`;
}

/** Bytes on disk over the limit: the size is checked on the open file before reading, and the read stops one byte past the limit (a file growing meanwhile). */
class TooLargeError extends Error {}

async function readBounded(fs: IngestFs, path: string, maxBytes: number): Promise<Buffer> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new TooLargeError(`${mb(size)} on disk, over the ${mb(maxBytes)} limit (raise it with --max-file-mb N)`);
    // Read to the end, whatever the size said (a file still growing, or one that does not know its size), but never past the limit.
    const parts: Buffer[] = [];
    let total = 0;
    let want = size + 1;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(Math.max(want, 64 * 1024), maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) break;
      parts.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new TooLargeError(`more than ${mb(maxBytes)} on disk, over the limit (raise it with --max-file-mb N)`);
      want = 64 * 1024;
    }
    return Buffer.concat(parts, total);
  } finally {
    await handle.close();
  }
}

/** True when `path` is `folder` or lies under it (absolute paths). */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

/** True when a key (relative, forward slashes) is `prefix` or lies under it. */
const keyWithin = (key: string, prefix: string) => prefix === '' || key === prefix || key.startsWith(`${prefix}/`);

/** The collection a path was added as, or that holds it (a file inside a folder added). */
export function collectionHolding(collections: CollectionRecord[], absolute: string): CollectionRecord | undefined {
  return collections.find((c) => c.root === absolute) ?? collections.find((c) => c.root !== '' && isWithin(absolute, c.root));
}

// ── The run ───────────────────────────────────────────────────────────────────────────────────

interface Target {
  absolute: string;
  /** The collection (existing, or to be created with this name). */
  name: string;
  existing: CollectionRecord | undefined;
  rebind: boolean;
}

interface Work {
  target: Target;
  key: string;
  previous: FileRecord | undefined;
  hash: string;
  bytes: number;
  /** Emptied when the run is over its token limit (it will be refused; only the counts are needed). */
  chunks: Array<Document<ChunkMetadata>>;
  chunkCount: number;
  tokens: number;
}

export async function ingest(options: IngestOptions): Promise<IngestReport> {
  const { store, embeddings, model, binding } = options;
  const fs = options.fs ?? nodeFs;
  const load = options.loadSections ?? defaultLoadSections;
  const fileLimits = options.fileLimits ?? DEFAULT_FILE_LIMITS;
  const runLimits = options.runLimits ?? DEFAULT_RUN_LIMITS;
  const base = options.root ?? process.cwd();
  const now = options.now ?? (() => new Date());
  const report: IngestReport = { added: [], updated: [], unchanged: [], removed: [], skipped: [], collections: [], chunks: 0, tokens: 0 };

  // ── Phase 1: read, extract, chunk and estimate; nothing in the index changes. ──
  const known = await store.collections();
  const planned: CollectionRecord[] = [];
  const targets: Target[] = [];
  /** Files whose records go: gone, or now over a limit or unreadable as their format. */
  const removals: Array<{ collection: string; path: string }> = [];
  /** Collections whose folder or file is gone. */
  const removedCollections: string[] = [];
  const found: Array<{ target: Target; key: string; file: string; previous: FileRecord | undefined }> = [];
  const seen = new Set<string>();
  for (const path of options.paths) {
    const absolute = resolve(base, path);
    if (seen.has(absolute)) continue; // the same folder given twice is one collection, embedded once
    seen.add(absolute);
    const collections = [...known, ...planned];
    let isFolder: boolean;
    try {
      const info = await fs.stat(absolute);
      isFolder = info.isDirectory();
      if (!isFolder && !info.isFile()) {
        // A pipe or a device: opening one can wait forever, reading one may never end.
        report.skipped.push({ path, reason: 'not a regular file or folder', kind: 'unparseable' });
        continue;
      }
    } catch (error) {
      const holder = collectionHolding(known, absolute);
      if (!isGone(error)) {
        report.skipped.push({ path, reason: unreadableReason(error), kind: 'unreadable' });
        continue;
      }
      // Gone: a deleted folder or file is removed from the index.
      if (!holder) {
        report.skipped.push({ path, reason: 'no such file or folder' });
        continue;
      }
      for (const record of await store.fileRecords(holder.name)) {
        if (holder.root === absolute || isWithin(resolve(holder.root, record.path), absolute)) removals.push({ collection: holder.name, path: record.path });
      }
      if (holder.root === absolute) removedCollections.push(holder.name);
      continue;
    }
    // One folder, one collection: a folder inside (or around) one already added would index the
    // same files twice, under two bindings.
    const overlapping = collections.find((c) => c.root !== '' && c.root !== absolute && (isWithin(absolute, c.root) || isWithin(c.root, absolute)));
    if (overlapping) {
      report.skipped.push({ path, reason: `overlaps collection "${overlapping.name}" (${overlapping.root}): add or bind that folder instead, or remove it first` });
      continue;
    }
    const existing = known.find((c) => c.root !== '' && c.root === absolute);
    const name = existing?.name ?? collectionNameFor(absolute, collections.map((c) => c.name));
    if (!existing) planned.push({ name, root: absolute, channels: encodeBinding(binding), createdAt: '', updatedAt: '' });
    const target: Target = { absolute, name, existing, rebind: existing !== undefined && existing.channels !== encodeBinding(binding) };
    targets.push(target);

    const walked: Walked = { files: [], kept: [] };
    if (isFolder) await walk(fs, absolute, walked);
    else walked.files.push(absolute);
    const keyOf = (file: string) => (isFolder ? relativeKey(absolute, file) : basename(file));
    const records = existing ? await store.fileRecords(name) : [];
    const keptKeys = walked.kept.map((k) => keyOf(k.path));
    for (const k of walked.kept) report.skipped.push({ path: displayPath(name, keyOf(k.path)), reason: k.reason, kind: 'unreadable' });
    const present = new Set(walked.files.map(keyOf));
    for (const record of records) {
      if (!present.has(record.path) && !keptKeys.some((k) => keyWithin(record.path, k))) removals.push({ collection: name, path: record.path });
    }
    const byPath = new Map(records.map((r) => [r.path, r] as const));
    for (const file of walked.files) found.push({ target, key: keyOf(file), file, previous: byPath.get(keyOf(file)) });
  }

  const progress: IngestProgress = { filesDone: 0, filesTotal: found.length, chunks: 0, tokens: 0 };
  const work: Work[] = [];
  let estimated = 0;
  for (const { target, key, file, previous } of found) {
    const shown = displayPath(target.name, key);
    progress.current = shown;
    options.onProgress?.({ ...progress });
    const skip = (reason: string, kind: SkipKind) => {
      report.skipped.push({ path: shown, reason, kind });
      // The old text no longer describes the file: leave nothing stale behind.
      if (previous) removals.push({ collection: target.name, path: key });
    };
    let data: Buffer;
    try {
      data = await readBounded(fs, file, fileLimits.maxFileBytes);
    } catch (error) {
      progress.filesDone += 1;
      if (error instanceof TooLargeError) skip(error.message, 'limit');
      else if (isGone(error)) { if (previous) removals.push({ collection: target.name, path: key }); } // gone since the folder was listed
      else report.skipped.push({ path: shown, reason: unreadableReason(error), kind: 'unreadable' });
      continue;
    }
    const hash = hashOf(data);
    if (previous && previous.hash === hash && previous.model === model) {
      report.unchanged.push(shown);
      progress.filesDone += 1;
      continue;
    }
    let sections: Section[];
    try {
      sections = await load(file, data, fileLimits);
    } catch (error) {
      progress.filesDone += 1;
      const { reason, kind } = loadFailure(error);
      if (kind === 'stopped') report.skipped.push({ path: shown, reason, kind });
      else skip(reason, kind);
      continue;
    }
    const chunks = await chunkSections(key, sections, target.name);
    const tokens = chunks.reduce((sum, c) => sum + estimateTokens(c.pageContent), 0);
    estimated += tokens;
    // Over the run's limit the run is refused: the chunks are not kept, only their count.
    work.push({ target, key, previous, hash, bytes: data.length, chunks: estimated > runLimits.maxRunTokens ? [] : chunks, chunkCount: chunks.length, tokens });
    if (estimated > runLimits.maxRunTokens) for (const w of work) w.chunks.length = 0;
  }

  // A limit set by mistake (--max-file-mb 0.001) or a folder emptied by a tool would remove many
  // files at once: above ASK_ABOVE_REMOVALS, or more than half of a collection, the run asks first.
  const removing = new Map<string, Set<string>>();
  for (const { collection, path } of removals) removing.set(collection, (removing.get(collection) ?? new Set()).add(path));
  const removalCount = [...removing.values()].reduce((sum, paths) => sum + paths.size, 0);
  let manyRemovals = removalCount > ASK_ABOVE_REMOVALS;
  if (!manyRemovals && removalCount) {
    const indexed = new Map<string, number>();
    for (const record of await store.fileRecords()) indexed.set(record.collection, (indexed.get(record.collection) ?? 0) + 1);
    manyRemovals = [...removing].some(([collection, paths]) => paths.size * 2 > (indexed.get(collection) ?? 0));
  }
  const plan: IngestPlan = {
    files: work.length,
    chunks: work.reduce((sum, w) => sum + w.chunkCount, 0),
    tokens: estimated,
    estimator: TOKEN_ESTIMATOR,
    largest: [...work].sort((a, b) => b.tokens - a.tokens).slice(0, 5).map((w) => ({ path: displayPath(w.target.name, w.key), tokens: w.tokens })),
    removals: removalCount,
    removing: [...removing].flatMap(([collection, paths]) => [...paths].map((path) => displayPath(collection, path))).slice(0, 20),
    asks: [...(estimated > runLimits.askAboveTokens ? ['tokens' as const] : []), ...(manyRemovals ? ['removals' as const] : [])],
  };
  report.plan = plan;
  if (work.length || removalCount) options.onPlan?.(plan);
  if (estimated > runLimits.maxRunTokens) {
    report.refused = 'over-run-limit';
    return report;
  }
  if (plan.asks.length && !(await options.confirm?.(plan))) {
    report.refused = 'not-confirmed';
    return report;
  }

  // ── Phase 2: change the index. ──
  // Leftovers of an interrupted run: chunks of no recorded version (never searched, now deleted).
  for (const orphan of await store.orphanSources()) await store.removeGeneration(orphan.collection, orphan.source, orphan.generation);
  for (const target of targets) {
    if (!target.existing) {
      const { record } = await store.ensureCollection(target.absolute, binding, now());
      target.name = record.name; // as planned, unless another process took the name meanwhile
    } else if (target.rebind) {
      await store.bindCollection(target.name, binding, now());
    }
    report.collections.push({ name: target.name, created: !target.existing, rebound: target.rebind });
  }
  for (const { collection, path } of removals) {
    await store.removeFile(collection, path);
    report.removed.push(displayPath(collection, path));
  }
  for (const name of removedCollections) await store.removeCollection(name);

  // What the run may be billed: its estimate (an upper bound) with a margin, never past its limit.
  const allowed = Math.min(runLimits.maxRunTokens, Math.ceil(estimated * BILLING_MARGIN) + 1_000);
  const billedAtStart = embeddings.tokens;
  let stopped = false;
  for (const w of work) {
    const shown = displayPath(w.target.name, w.key);
    const overBilled = () => embeddings.tokens - billedAtStart > allowed;
    if (stopped || overBilled()) {
      stopped = true;
      report.skipped.push({ path: shown, reason: notEmbedded(embeddings.tokens - billedAtStart, allowed, runLimits, estimated), kind: 'billing' });
      continue;
    }
    progress.current = shown;
    options.onProgress?.({ ...progress });
    for (const chunk of w.chunks) chunk.metadata.collection = w.target.name;
    const generation = (w.previous?.generation ?? 0) + 1;
    const before = embeddings.tokens;
    // The new version beside the old one (in batches, the run's billing checked between them), then
    // the record that makes it current, then the old one goes.
    for (let from = 0; from < w.chunks.length && !stopped; from += EMBED_BATCH) {
      if (from > 0 && overBilled()) stopped = true;
      else await store.addDocuments(w.chunks.slice(from, from + EMBED_BATCH), { generation });
    }
    const tokens = embeddings.tokens - before;
    report.tokens += tokens;
    progress.tokens += tokens;
    if (stopped) {
      // Half a version is never recorded: its chunks go, the previous version stays searchable.
      await store.removeGeneration(w.target.name, w.key, generation);
      report.skipped.push({ path: shown, reason: notEmbedded(embeddings.tokens - billedAtStart, allowed, runLimits, estimated), kind: 'billing' });
      continue;
    }
    await store.recordFile({ collection: w.target.name, path: w.key, hash: w.hash, model, chunks: w.chunks.length, tokens, bytes: w.bytes, ingestedAt: now().toISOString(), generation });
    await store.removeChunksOf(w.target.name, w.key, generation);
    (w.previous ? report.updated : report.added).push(shown);
    report.chunks += w.chunks.length;
    progress.chunks += w.chunks.length;
    progress.filesDone += 1;
    options.onProgress?.({ ...progress, current: shown });
  }
  if (report.added.length || report.updated.length || report.removed.length || report.collections.some((c) => c.rebound)) await store.optimize();
  delete progress.current;
  options.onProgress?.({ ...progress });
  return report;
}
