/**
 * One run at a time changes a local index: `kb add`, `remove` and `bind` hold a lock file in the
 * KB folder for their whole run. Two `kb add` at once could otherwise lose a file for good: run B's
 * start-up clean-up of orphans deletes the new version run A is writing, A then records it, and
 * later runs skip the file as unchanged.
 *
 * The lock is created with O_EXCL (`wx`), so exactly one process creates it, and holds the
 * holder's pid, host and start time. A lock whose pid is gone on this host (a run killed with
 * Ctrl-C or a crash) is stale and taken over. A lock from another host is never guessed stale.
 *
 * A remote KB_URI (s3://, gs://, db://) has no lock: object stores give this code no exclusive
 * create, and the alternative (leave orphans younger than some minutes) needs a time on every
 * chunk. Runs against one must not overlap; `kb` says so when it starts one.
 */
import { hostname } from 'node:os';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isLocalKbUri } from './uri.js';

export const LOCK_FILE = 'kb.lock';
/** A lock file with no readable holder (its writer died between creating and writing it) is stale after this long. */
const UNREADABLE_STALE_MS = 60_000;

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export type KbLock =
  | { kind: 'held'; path: string; release(): Promise<void> }
  | { kind: 'busy'; path: string; holder: LockHolder | undefined }
  | { kind: 'remote' };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt ?? ''), command: String(parsed.command ?? 'kb') };
  } catch {
    // unreadable or half-written: judged by its age below
  }
  return undefined;
}

async function isStale(path: string, holder: LockHolder | undefined, now: Date): Promise<boolean> {
  if (holder) return holder.host === hostname() && !alive(holder.pid);
  try {
    return now.getTime() - (await stat(path)).mtimeMs > UNREADABLE_STALE_MS;
  } catch {
    return true; // gone meanwhile
  }
}

/** Takes the lock of the index at `uri` for `command` ("kb add"), or says who holds it. */
export async function lockKb(uri: string, command: string, now: Date = new Date()): Promise<KbLock> {
  if (!isLocalKbUri(uri)) return { kind: 'remote' };
  const folder = resolve(uri);
  await mkdir(folder, { recursive: true });
  const path = join(folder, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: now.toISOString(), command };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(mine));
      } finally {
        await handle.close();
      }
      return {
        kind: 'held',
        path,
        release: async () => {
          // Only our own lock: never one another run took over meanwhile.
          const holder = await holderOf(path);
          if (holder?.pid === mine.pid && holder.host === mine.host && holder.startedAt === mine.startedAt) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await holderOf(path);
      if (attempt > 0 || !(await isStale(path, holder, now))) return { kind: 'busy', path, holder };
      await unlink(path).catch(() => undefined); // stale: its run is gone
    }
  }
  return { kind: 'busy', path, holder: await holderOf(path) };
}

/** "kb add (pid 1234 on build-1, since 2026-12-03T18:00:00.000Z)" */
export function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : 'a run whose lock file cannot be read';
}
