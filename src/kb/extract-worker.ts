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
  path: string;
  data: Uint8Array;
  limits: FileLimits;
}

export type ExtractReply =
  | { ok: true; sections: Awaited<ReturnType<typeof extractSections>> }
  | { ok: false; kind: 'over-limit'; limit: OverLimitError['limit']; reached: string }
  | { ok: false; kind: 'unreadable' | 'error'; message: string };

async function run(request: ExtractRequest): Promise<ExtractReply> {
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
port.on('message', (request: ExtractRequest) => {
  void run(request).then((reply) => port.postMessage(reply));
});
