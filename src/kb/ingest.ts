/**
 * Incremental ingest: each file's content hash (with the embedding model) is compared with what
 * the index holds. Unchanged files are skipped, new and changed ones (re-)embedded, files gone
 * from a folder that was added removed. A file counts as done only once its record is written
 * (after its chunks), so an interrupted run resumes with the file it was on.
 *
 * Each folder (or single file) added is a collection, bound to the conversations given with it;
 * adding the same folder again with other conversations rebinds it (no re-embedding). Files are
 * stored relative to the folder added: `<collection>/<path>` is how they are shown and cited.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { encodeBinding, type Binding } from './channels.js';
import type { CountingEmbeddings } from './embeddings.js';
import { isSupported, loadSections, UnreadableFileError } from './loaders.js';
import { chunkSections } from './split.js';
import { displayPath, type CollectionRecord, type FileRecord, type LanceVectorStore } from './store.js';

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  chunks: number;
  tokens: number;
  /** The file being worked on (`collection/path`). */
  current?: string;
}

export interface IngestReport {
  /** Files as `collection/path`. */
  added: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /** Files (or paths given) that could not be read or added: path and why. */
  skipped: Array<{ path: string; reason: string }>;
  /** The collections this run added to, and whether each was new or rebound. */
  collections: Array<{ name: string; created: boolean; rebound: boolean }>;
  chunks: number;
  tokens: number;
}

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
}

/** A path relative to a collection's folder, with forward slashes. */
export function relativeKey(collectionRoot: string, file: string): string {
  return relative(collectionRoot, file).split(sep).join('/');
}

export { displayPath } from './store.js';

async function walk(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue; // .git, .kb, editor files
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && isSupported(full)) out.push(full);
  }
  return out;
}

function hashOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** True when `path` is `folder` or lies under it (absolute paths). */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`);
}

/** The collection a path was added as, or that holds it (a file inside a folder added). */
export function collectionHolding(collections: CollectionRecord[], absolute: string): CollectionRecord | undefined {
  return collections.find((c) => c.root === absolute) ?? collections.find((c) => c.root !== '' && isWithin(absolute, c.root));
}

export async function ingest(options: IngestOptions): Promise<IngestReport> {
  const { store, embeddings, model, binding } = options;
  const base = options.root ?? process.cwd();
  const now = options.now ?? (() => new Date());
  const report: IngestReport = { added: [], updated: [], unchanged: [], removed: [], skipped: [], collections: [], chunks: 0, tokens: 0 };

  // Leftovers of an interrupted run: chunks of a file whose record was never written.
  for (const orphan of await store.orphanSources()) await store.removeChunksOf(orphan.collection, orphan.source);

  const work: Array<{ collection: string; key: string; file: string; previous: FileRecord | undefined }> = [];
  const seen = new Set<string>();
  for (const path of options.paths) {
    const absolute = resolve(base, path);
    if (seen.has(absolute)) continue; // the same folder given twice is one collection, embedded once
    seen.add(absolute);
    const collections = await store.collections();
    let isFolder: boolean;
    try {
      isFolder = (await stat(absolute)).isDirectory();
    } catch {
      // Gone: a deleted folder or file is removed from the index.
      const holder = collectionHolding(collections, absolute);
      if (!holder) {
        report.skipped.push({ path, reason: 'no such file or folder' });
        continue;
      }
      for (const record of await store.fileRecords(holder.name)) {
        if (holder.root === absolute || isWithin(resolve(holder.root, record.path), absolute)) {
          await store.removeFile(holder.name, record.path);
          report.removed.push(displayPath(holder.name, record.path));
        }
      }
      if (holder.root === absolute) await store.removeCollection(holder.name);
      continue;
    }
    // One folder, one collection: a folder inside (or around) one already added would index the
    // same files twice, under two bindings.
    const overlapping = collections.find((c) => c.root !== '' && c.root !== absolute && (isWithin(absolute, c.root) || isWithin(c.root, absolute)));
    if (overlapping) {
      report.skipped.push({ path, reason: `overlaps collection "${overlapping.name}" (${overlapping.root}): add or bind that folder instead, or remove it first` });
      continue;
    }
    const { record: collection, created } = await store.ensureCollection(absolute, binding, now());
    const rebound = !created && collection.channels !== encodeBinding(binding);
    if (rebound) await store.bindCollection(collection.name, binding, now());
    report.collections.push({ name: collection.name, created, rebound });

    const found = await walk(absolute);
    const keyOf = (file: string) => (isFolder ? relativeKey(absolute, file) : basename(file));
    const known = new Map((await store.fileRecords(collection.name)).map((r) => [r.path, r] as const));
    const present = new Set(found.map(keyOf));
    for (const record of known.values()) {
      if (!present.has(record.path)) {
        await store.removeFile(collection.name, record.path);
        report.removed.push(displayPath(collection.name, record.path));
      }
    }
    for (const file of found) work.push({ collection: collection.name, key: keyOf(file), file, previous: known.get(keyOf(file)) });
  }

  const progress: IngestProgress = { filesDone: 0, filesTotal: work.length, chunks: 0, tokens: 0 };
  for (const { collection, key, file, previous } of work) {
    const shown = displayPath(collection, key);
    progress.current = shown;
    options.onProgress?.({ ...progress });
    const data = await readFile(file);
    const hash = hashOf(data);
    if (previous && previous.hash === hash && previous.model === model) {
      report.unchanged.push(shown);
    } else {
      let chunks;
      try {
        chunks = await chunkSections(key, await loadSections(file, data), collection);
      } catch (error) {
        const reason = error instanceof UnreadableFileError ? error.message.slice(error.path.length + 2) : (error as Error).message;
        report.skipped.push({ path: shown, reason });
        if (previous) {
          // The old text no longer describes the file: leave nothing stale behind.
          await store.removeFile(collection, key);
          report.removed.push(shown);
        }
        progress.filesDone += 1;
        continue;
      }
      const before = embeddings.tokens;
      await store.removeChunksOf(collection, key);
      await store.addDocuments(chunks);
      const tokens = embeddings.tokens - before;
      const record: FileRecord = { collection, path: key, hash, model, chunks: chunks.length, tokens, bytes: data.length, ingestedAt: now().toISOString() };
      await store.recordFile(record);
      (previous ? report.updated : report.added).push(shown);
      report.chunks += chunks.length;
      report.tokens += tokens;
      progress.chunks += chunks.length;
      progress.tokens += tokens;
    }
    progress.filesDone += 1;
    options.onProgress?.({ ...progress, current: shown });
  }
  if (report.added.length || report.updated.length || report.removed.length || report.collections.some((c) => c.rebound)) await store.optimize();
  delete progress.current;
  options.onProgress?.({ ...progress });
  return report;
}
