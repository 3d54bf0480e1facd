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
import { ExtractionFailedError, megabytes, OverLimitError, UnreadableFileError, type Section } from './extract.js';
import type { ExtractReply, ExtractRequest } from './extract-worker.js';
import { DEFAULT_FILE_LIMITS, type FileLimits } from './limits.js';

export { ExtractionFailedError, htmlToText, LIMIT_FLAGS, markdownSections, OverLimitError, UnreadableFileError, type Section } from './extract.js';

export const SUPPORTED_EXTENSIONS = ['.md', '.markdown', '.txt', '.html', '.htm', '.pdf', '.docx'] as const;

export function isSupported(path: string): boolean {
  return (SUPPORTED_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/**
 * From source (tsx, vitest) the worker is TypeScript, loaded through a bootstrap that registers
 * tsx in the worker thread (tsx's own loader does not follow workers); built, it is plain JS.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
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

/** The extraction worker, kept between files (starting one costs a few hundred ms) while idle. */
let idle: { worker: Worker; heapMb: number } | undefined;
/** One extraction at a time, one worker: files are taken in turn. */
let queue: Promise<unknown> = Promise.resolve();

function startWorker(heapMb: number): Worker {
  const worker = new Worker(WORKER_URL, {
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
  const request: ExtractRequest = { path, data: bytes, limits: { ...limits } };
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
    const onMessage = (reply: ExtractReply) =>
      finish(() => {
        if (reply.ok) resolve(reply.sections);
        else if (reply.kind === 'over-limit') reject(new OverLimitError(path, reply.limit, reply.reached));
        else if (reply.kind === 'unreadable') reject(new UnreadableFileError(path, reply.message));
        else reject(new ExtractionFailedError(path, `extraction failed (${reply.message})`));
      }, true);
    const onError = (error: Error & { code?: string }) =>
      finish(() => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new OverLimitError(path, 'maxHeapMb', `extraction needed more than ${heapMb} MB of memory, over the limit`));
        else reject(new ExtractionFailedError(path, `extraction failed (${error.message})`));
      }, false);
    const onExit = (code: number) => finish(() => reject(new ExtractionFailedError(path, `extraction stopped without an answer (exit code ${code})`)), false);
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
 * Reads a file into sections within `limits`; throws UnreadableFileError when its content is not
 * what its name says, OverLimitError (a subclass) when it is past one of the limits.
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
