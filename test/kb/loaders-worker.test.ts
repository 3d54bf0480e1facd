/**
 * When the extraction worker itself fails, nothing is known about the file: loadSections throws
 * ExtractorError (not an UnreadableFileError, so ingest keeps what was indexed of the file), and a
 * worker that errs while idle between files does not take the process down with it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExtractorError,
  hasIdleExtractionWorkerForTests,
  loadSections,
  UnreadableFileError,
  useExtractionWorkerForTests,
} from '../../src/kb/loaders.js';

const CORPUS = join(import.meta.dirname, '../fixtures/kb/corpus');

/** A worker made of this module source (an ES module in a data: URL). */
const workerOf = (source: string) => new URL(`data:text/javascript,${encodeURIComponent(source)}`);
const ANSWER = `import { parentPort } from 'node:worker_threads';`;

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

afterEach(() => useExtractionWorkerForTests());

describe('a failing extractor says nothing about the file', () => {
  const cases: Array<[string, URL, RegExp]> = [
    ['its worker file is missing (a build without dist/kb/extract-worker.js)', new URL('file:///nonexistent/kb/extract-worker.js'), /its worker failed: .*(ERR_MODULE_NOT_FOUND|Cannot find module)/],
    ['its bootstrap throws (tsx not registering)', workerOf(`throw new Error('tsx bootstrap failed');`), /its worker failed: tsx bootstrap failed/],
    ['its worker exits without answering', workerOf(`${ANSWER} parentPort.on('message', () => process.exit(3));`), /its worker stopped without an answer, exit code 3/],
    ['its worker answers with an unexpected error', workerOf(`${ANSWER} parentPort.on('message', (r) => parentPort.postMessage({ id: r.id, ok: false, kind: 'error', message: 'a bug' }));`), /an unexpected error: a bug/],
    ['its worker crashes while working', workerOf(`${ANSWER} parentPort.on('message', () => { setTimeout(() => { throw new Error('crash'); }, 1); });`), /its worker failed: crash/],
  ];
  for (const [name, url, reason] of cases) {
    it(`throws ExtractorError, not UnreadableFileError, when ${name}`, async () => {
      useExtractionWorkerForTests(url);
      const error = await failure(loadSections('notes.md', Buffer.from('# Notes\n\nbody')));
      expect(error).toBeInstanceOf(ExtractorError);
      expect(error).not.toBeInstanceOf(UnreadableFileError);
      expect((error as ExtractorError).path).toBe('notes.md');
      expect(error.message).toMatch(/^the text extractor failed \(.*\); nothing about this file was changed$/);
      expect(error.message).toMatch(reason);
    });
  }

  it('an unhandled rejection in the real worker is answered as the extractor failing, and the next file is read', async () => {
    // The real worker module, with a stray rejected promise started by the request; a PDF, whose
    // extraction waits (for pdf.js to load) long enough for the rejection to be noticed first.
    const real = new URL('../../src/kb/extract-worker-tsx.mjs', import.meta.url);
    useExtractionWorkerForTests(
      workerOf(`${ANSWER} await import(${JSON.stringify(real.href)}); parentPort.once('message', () => { void Promise.reject(new Error('stray')); });`),
    );
    const error = await failure(loadSections(join(CORPUS, 'zephyr-metrics.pdf')));
    expect(error).toBeInstanceOf(ExtractorError);
    expect(error.message).toContain('unhandled rejection: stray');
    useExtractionWorkerForTests();
    expect(await loadSections(join(CORPUS, 'gardening.md'))).toHaveLength(2);
  });

  it('a worker that errs while idle between files is let go, and the process carries on', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      // Answers, then fails while kept idle for the next file.
      useExtractionWorkerForTests(
        workerOf(`${ANSWER} parentPort.on('message', (r) => { parentPort.postMessage({ id: r.id, ok: true, sections: [] }); setTimeout(() => { throw new Error('late'); }, 20); });`),
      );
      expect(await loadSections('empty.md', Buffer.from(''))).toEqual([]);
      await vi.waitFor(() => expect(hasIdleExtractionWorkerForTests()).toBe(false), { timeout: 10_000 });
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    useExtractionWorkerForTests();
    expect(await loadSections(join(CORPUS, 'gardening.md'))).toHaveLength(2);
  });
});
