/** Small helpers for tests; the server helpers live with the stand-ins (src/stand-ins/http.ts). */
import { sleep } from '../../src/stand-ins/http.js';

export { close, listen, readBody, sendJson, sleep } from '../../src/stand-ins/http.js';

/** Polls `probe` until it returns a value (not undefined/false), or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(50);
  }
}
