/**
 * Turns a file into sections of plain text, each with where it sits (heading path or page), so a
 * citation can name it. The extraction itself (extract.ts) runs in a worker thread per file, with a
 * heap limit and a wall-clock limit: a file written to exhaust memory or time (a zip bomb, a PDF
 * stream bomb, pathological markup) stops its worker, never the `kb add` process, and is reported
 * as an OverLimitError naming the limit.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { megabytes, OverLimitError, UnreadableFileError, type Section } from './extract.js';
import type { ExtractReply, ExtractRequest } from './extract-worker.js';
import { DEFAULT_FILE_LIMITS, type FileLimits } from './limits.js';

export { htmlToText, LIMIT_FLAGS, markdownSections, OverLimitError, UnreadableFileError, type Section } from './extract.js';

/**
 * The text extractor itself failed: its worker would not start (a missing build, a failed tsx
 * bootstrap), crashed, stopped without an answer or answered with an error no check foresaw.
 * Nothing in that says anything about the file, so it is deliberately not an UnreadableFileError:
 * ingest keeps what was indexed of the file and reports it.
 */
export class ExtractorError extends Error {
  /** What failed, without the file's path: "the text extractor failed (…)". */
  readonly reason: string;

  constructor(readonly path: string, cause: string) {
    super(`the text extractor failed (${cause}); nothing about this file was changed`);
    this.reason = `the text extractor failed (${cause})`;
    this.name = 'ExtractorError';
  }
}

export const SUPPORTED_EXTENSIONS = ['.md', '.markdown', '.txt', '.html', '.htm', '.pdf', '.docx'] as const;

export function isSupported(path: string): boolean {
  return (SUPPORTED_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/**
 * From source (tsx, vitest) the worker is TypeScript, loaded through a bootstrap that registers
 * tsx in the worker thread (tsx's own loader does not follow workers); built, it is plain JS.
 */
const DEFAULT_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./extract-worker-tsx.mjs', import.meta.url)
  : new URL('./extract-worker.js', import.meta.url);

function overFileBytes(path: string, bytes: number, limits: FileLimits): OverLimitError {
  return new OverLimitError(path, 'maxFileBytes', `${megabytes(bytes)} on disk, over the ${megabytes(limits.maxFileBytes)} limit`);
}

/**
 * Memory the worker may add to this process besides its heap limit: its own code (pdf.js is
 * large), its young generation, and buffers. ArrayBuffers live outside the V8 heap, so a PDF
 * stream bomb inflating into them is not stopped by `resourceLimits`: the watch on the process's
 * resident memory below is what stops it.
 */
export const WORKER_OVERHEAD_MB = 128;
const WATCH_INTERVAL_MS = 25;

let workerUrl: URL = DEFAULT_WORKER_URL;

/** The extraction worker, kept between files (starting one costs a few hundred ms) while idle. */
let idle: { worker: Worker; heapMb: number } | undefined;
/** Numbers requests, so that a reply is matched to the file it is about. */
let lastRequestId = 0;
/** One extraction at a time, one worker: files are taken in turn. */
let queue: Promise<unknown> = Promise.resolve();

function startWorker(heapMb: number): Worker {
  const worker = new Worker(workerUrl, {
    execArgv: [],
    resourceLimits: {
      maxOldGenerationSizeMb: heapMb,
      maxYoungGenerationSizeMb: Math.min(48, Math.max(4, Math.floor(heapMb / 8))),
      stackSizeMb: 4,
    },
  });
  worker.once('exit', () => {
    if (idle?.worker === worker) idle = undefined;
  });
  // Always listened to: an 'error' while the worker is idle between files (a late crash, a failed
  // start noticed after its answer) would otherwise be an unhandled 'error' event, ending kb add.
  // During an extraction extractOnce's own listener reports it as well.
  worker.on('error', () => {
    if (idle?.worker === worker) idle = undefined;
    void worker.terminate();
  });
  return worker;
}

/** Runs one file's extraction in the worker, within the heap, memory and time limits. */
function extractOnce(path: string, data: Buffer, limits: FileLimits): Promise<Section[]> {
  const heapMb = limits.maxHeapMb;
  let worker: Worker;
  if (idle && idle.heapMb === heapMb) worker = idle.worker;
  else {
    if (idle) void idle.worker.terminate();
    worker = startWorker(heapMb);
  }
  idle = undefined;
  worker.ref();
  // A copy of just this file's bytes, moved (not copied again) into the worker.
  const bytes = new Uint8Array(data);
  const id = ++lastRequestId;
  const request: ExtractRequest = { id, path, data: bytes, limits: { ...limits } };
  const baseline = process.memoryUsage.rss();
  const memoryCap = (heapMb + WORKER_OVERHEAD_MB) * 1024 * 1024;

  return new Promise<Section[]>((resolve, reject) => {
    const finish = (outcome: () => void, reusable: boolean) => {
      clearTimeout(timer);
      clearInterval(watch);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reusable) {
        worker.unref();
        idle = { worker, heapMb };
      } else {
        void worker.terminate();
      }
      outcome();
    };
    const onMessage = (reply: ExtractReply) => {
      // An answer to an earlier request (sent after its time ran out) is not this file's.
      if (reply?.id !== id) return;
      finish(() => {
        if (reply.ok) resolve(reply.sections);
        else if (reply.kind === 'over-limit') reject(new OverLimitError(path, reply.limit, reply.reached));
        else if (reply.kind === 'unreadable') reject(new UnreadableFileError(path, reply.message));
        else reject(new ExtractorError(path, `an unexpected error: ${reply.message}`));
      }, reply.ok || reply.kind !== 'error');
    };
    const onError = (error: Error & { code?: string }) =>
      finish(() => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new OverLimitError(path, 'maxHeapMb', `extraction needed more than ${heapMb} MB of memory, over the limit`));
        else reject(new ExtractorError(path, `its worker failed: ${error.code ? `${error.code} ` : ''}${error.message}`));
      }, false);
    const onExit = (code: number) => finish(() => reject(new ExtractorError(path, `its worker stopped without an answer, exit code ${code}`)), false);
    const timer = setTimeout(
      () => finish(() => reject(new OverLimitError(path, 'timeoutMs', `extraction still running after ${limits.timeoutMs / 1000} s, over the limit`)), false),
      limits.timeoutMs,
    );
    const watch = setInterval(() => {
      if (process.memoryUsage.rss() - baseline > memoryCap) {
        finish(() => reject(new OverLimitError(path, 'maxHeapMb', `extraction needed more than ${heapMb} MB of memory, over the limit`)), false);
      }
    }, WATCH_INTERVAL_MS);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request, [bytes.buffer]);
  });
}

function extractInWorker(path: string, data: Buffer, limits: FileLimits): Promise<Section[]> {
  const turn = queue.then(() => extractOnce(path, data, limits));
  queue = turn.catch(() => undefined);
  return turn;
}

/**
 * Tests only: runs extractions in the worker at `url` (a broken one, to see how its failures are
 * reported), or the real one again with no argument. The idle worker is stopped either way.
 */
export function useExtractionWorkerForTests(url?: URL): void {
  if (idle) void idle.worker.terminate();
  idle = undefined;
  workerUrl = url ?? DEFAULT_WORKER_URL;
}

/** Tests only: whether a worker is kept for the next file. */
export function hasIdleExtractionWorkerForTests(): boolean {
  return idle !== undefined;
}

/**
 * Reads a file into sections within `limits`; throws UnreadableFileError when its content is not
 * what its name says, OverLimitError (a subclass) when it is past one of the limits, and
 * ExtractorError (not a subclass) when the extractor itself failed, which says nothing about the file.
 */
export async function loadSections(path: string, data?: Buffer, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<Section[]> {
  if (!data) {
    // Never read a file into memory to find out it is too big.
    const { size } = await stat(path);
    if (size > limits.maxFileBytes) throw overFileBytes(path, size, limits);
    data = await readFile(path);
  }
  if (data.length > limits.maxFileBytes) throw overFileBytes(path, data.length, limits);
  return extractInWorker(path, data, limits);
}
