/**
 * The extraction worker: a file's bytes in, its sections or the reason it was refused out, one
 * message each, one file at a time. Started by loadSections (loaders.ts) with resourceLimits, a
 * wall-clock limit and a watch on memory, and kept for the next file until one of those stops it;
 * built to dist/kb/extract-worker.js, run from source through extract-worker-tsx.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { extractSections, OverLimitError, UnreadableFileError } from './extract.js';
import type { FileLimits } from './limits.js';

export interface ExtractRequest {
  /** Echoed in the reply: the parent takes only the answer to the request it is waiting for. */
  id: number;
  path: string;
  data: Uint8Array;
  limits: FileLimits;
}

type Outcome =
  | { ok: true; sections: Awaited<ReturnType<typeof extractSections>> }
  | { ok: false; kind: 'over-limit'; limit: OverLimitError['limit']; reached: string }
  | { ok: false; kind: 'unreadable' | 'error'; message: string };

export type ExtractReply = { id: number } & Outcome;

async function run(request: ExtractRequest): Promise<Outcome> {
  const { path, data, limits } = request;
  try {
    return { ok: true, sections: await extractSections(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength), limits) };
  } catch (error) {
    // The message without the path (the parent adds its own).
    const reason = (e: UnreadableFileError) => e.message.slice(e.path.length + 2);
    if (error instanceof OverLimitError) return { ok: false, kind: 'over-limit', limit: error.limit, reached: error.reached };
    if (error instanceof UnreadableFileError) return { ok: false, kind: 'unreadable', message: reason(error) };
    return { ok: false, kind: 'error', message: (error as Error).message };
  }
}

const port = parentPort!;
/** The request being worked on, if any. */
let current: number | undefined;

port.on('message', (request: ExtractRequest) => {
  current = request.id;
  void run(request).then((outcome) => {
    current = undefined;
    port.postMessage({ id: request.id, ...outcome });
  });
});

// A promise rejected with no one waiting (a parser's stray async work) would otherwise end this
// thread with an uncaught error. Logged, and answered as the extractor's error if a file waits.
process.on('unhandledRejection', (reason) => {
  const message = reason instanceof Error ? reason.message : String(reason);
  console.error(`kb extraction worker: unhandled rejection: ${message}`);
  if (current !== undefined) {
    port.postMessage({ id: current, ok: false, kind: 'error', message: `unhandled rejection: ${message}` } satisfies ExtractReply);
    current = undefined;
  }
});
