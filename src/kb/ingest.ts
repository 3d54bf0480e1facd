/**
 * Incremental ingest: each file's content hash (with the embedding model) is compared with what
 * the index holds. Unchanged files are skipped, new and changed ones (re-)embedded, files gone
 * from a folder that was added removed. A file counts as done only once its record is written
 * (after its chunks), so an interrupted run resumes with the file it was on.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { CountingEmbeddings } from './embeddings.js';
import { isSupported, loadSections, UnreadableFileError } from './loaders.js';
import { chunkSections } from './split.js';
import type { FileRecord, LanceVectorStore } from './store.js';

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  chunks: number;
  tokens: number;
  /** The file being worked on. */
  current?: string;
}

export interface IngestReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
  /** Files that could not be read: path and why. */
  skipped: Array<{ path: string; reason: string }>;
  chunks: number;
  tokens: number;
}

export interface IngestOptions {
  store: LanceVectorStore;
  embeddings: CountingEmbeddings;
  model: string;
  /** Paths as given on the command line (files or folders). */
  paths: string[];
  /** Base for the stored paths (default: the working directory). */
  root?: string;
  onProgress?: (progress: IngestProgress) => void;
  now?: () => Date;
}

/** The key a file is stored under: relative to the root, with forward slashes. */
export function keyOf(path: string, root: string): string {
  const rel = relative(root, resolve(root, path));
  const key = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(root, path);
  return key.split(sep).join('/');
}

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

/** True when `key` is the folder `folder` itself or lies under it. */
function under(key: string, folder: string): boolean {
  return key === folder || folder === '' || folder === '.' || key.startsWith(`${folder}/`);
}

export async function ingest(options: IngestOptions): Promise<IngestReport> {
  const { store, embeddings, model } = options;
  const root = options.root ?? process.cwd();
  const now = options.now ?? (() => new Date());
  const report: IngestReport = { added: [], updated: [], unchanged: [], removed: [], skipped: [], chunks: 0, tokens: 0 };

  const known = new Map((await store.fileRecords()).map((r) => [r.path, r] as const));
  // Leftovers of an interrupted run: chunks of a file whose record was never written.
  for (const orphan of await store.orphanSources()) await store.removeChunksOf(orphan);

  const files: string[] = [];
  for (const path of options.paths) {
    const absolute = resolve(root, path);
    let found: string[];
    try {
      found = await walk(absolute);
    } catch {
      // Gone: a deleted file or folder is removed from the index.
      const key = keyOf(absolute, root);
      for (const record of known.values()) {
        if (under(record.path, key)) {
          await store.removeFile(record.path);
          report.removed.push(record.path);
          known.delete(record.path);
        }
      }
      continue;
    }
    files.push(...found);
    if ((await stat(absolute)).isDirectory()) {
      const folder = keyOf(absolute, root);
      const present = new Set(found.map((f) => keyOf(f, root)));
      for (const record of known.values()) {
        if (under(record.path, folder) && !present.has(record.path)) {
          await store.removeFile(record.path);
          report.removed.push(record.path);
          known.delete(record.path);
        }
      }
    }
  }

  const unique = [...new Set(files)];
  const progress: IngestProgress = { filesDone: 0, filesTotal: unique.length, chunks: 0, tokens: 0 };
  for (const file of unique) {
    const key = keyOf(file, root);
    progress.current = key;
    options.onProgress?.({ ...progress });
    const data = await readFile(file);
    const hash = hashOf(data);
    const previous = known.get(key);
    if (previous && previous.hash === hash && previous.model === model) {
      report.unchanged.push(key);
    } else {
      let chunks;
      try {
        chunks = await chunkSections(key, await loadSections(file, data));
      } catch (error) {
        const reason = error instanceof UnreadableFileError ? error.message.slice(key.length + 2) : (error as Error).message;
        report.skipped.push({ path: key, reason });
        if (previous) {
          // The old text no longer describes the file: leave nothing stale behind.
          await store.removeFile(key);
          report.removed.push(key);
        }
        progress.filesDone += 1;
        continue;
      }
      const before = embeddings.tokens;
      await store.removeChunksOf(key);
      await store.addDocuments(chunks);
      const tokens = embeddings.tokens - before;
      const record: FileRecord = { path: key, hash, model, chunks: chunks.length, tokens, bytes: data.length, ingestedAt: now().toISOString() };
      await store.recordFile(record);
      (previous ? report.updated : report.added).push(key);
      report.chunks += chunks.length;
      report.tokens += tokens;
      progress.chunks += chunks.length;
      progress.tokens += tokens;
    }
    progress.filesDone += 1;
    options.onProgress?.({ ...progress, current: key });
  }
  if (report.added.length || report.updated.length || report.removed.length) await store.optimize();
  delete progress.current;
  options.onProgress?.({ ...progress });
  return report;
}
