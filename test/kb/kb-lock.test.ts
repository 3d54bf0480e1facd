/**
 * One run at a time changes a local index (lock.ts): a second `kb add`, `remove` or `bind` while
 * one runs is refused naming the holder, exit 1, and changes nothing; a lock left by a run that
 * is gone is taken over; a remote KB_URI takes no lock and says runs must not overlap.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runKb } from '../../src/kb/cli.js';
import { LOCK_FILE, lockKb } from '../../src/kb/lock.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/kb');

describe('kb runs that change the index take a lock', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const env = () => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: join(dir, '.kb') });
  const lockPath = () => join(dir, '.kb', LOCK_FILE);

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-lock-'));
    openai.embeddings.length = 0;
    await cp(join(FIXTURES, 'corpus'), join(dir, 'docs'), { recursive: true });
    return () => rm(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], environment: Record<string, string> = env()) {
    const lines: string[] = [];
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const code = await runKb(args, environment, (l) => lines.push(l));
      return { code, text: lines.join('\n') };
    } finally {
      process.chdir(cwd);
    }
  }

  const exists = (path: string) => stat(path).then(() => true, () => false);

  it('a second add, remove or bind while one holds the lock is refused naming the holder, and changes nothing', async () => {
    expect((await cli(['add', 'docs', '--channel', 'C0KB'])).code).toBe(0);
    expect(await exists(lockPath())).toBe(false); // released when the run ends
    const requests = openai.embeddings.length;
    const held = await lockKb(join(dir, '.kb'), 'kb add', new Date('2026-12-03T18:00:00Z'));
    expect(held.kind).toBe('held');
    try {
      await writeFile(join(dir, 'docs', 'zephyr-runbook.txt'), 'Zephyr runbook v2.');
      for (const args of [['add', 'docs', '--channel', 'C0KB'], ['remove', 'docs'], ['bind', 'docs', '--everywhere']]) {
        const { code, text } = await cli(args);
        expect(code).toBe(1);
        expect(text).toBe(`Another run is changing this index: kb add (pid ${process.pid} on ${hostname()}, since 2026-12-03T18:00:00.000Z). Nothing was done. Wait for it to finish and run this again; if that process is gone, delete ${lockPath()}.`);
      }
      expect(openai.embeddings).toHaveLength(requests);
      // Reading is not changing: list and stats run.
      expect((await cli(['list'])).text).toContain('docs/zephyr-runbook.txt');
      expect((await cli(['stats'])).code).toBe(0);
    } finally {
      if (held.kind === 'held') await held.release();
    }
    expect(await exists(lockPath())).toBe(false);
    const after = await cli(['add', 'docs', '--channel', 'C0KB']);
    expect(after.text).toMatch(/Added 0, updated 1, unchanged 5/);
  });

  it('two adds started together: exactly one runs, the other is refused, and no file is lost', async () => {
    const [a, b] = await Promise.all([cli(['add', 'docs', '--channel', 'C0KB']), cli(['add', 'docs', '--channel', 'C0KB'])]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect([a.text, b.text].find((t) => t.startsWith('Another run is changing this index: kb add'))).toBeDefined();
    const list = await cli(['list']);
    expect(list.text).toContain('(6 files, from');
  });

  it('a lock left by a run that is gone (its pid no longer exists on this host) is taken over', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    await mkdir(join(dir, '.kb'), { recursive: true });
    await writeFile(lockPath(), JSON.stringify({ pid: gone, host: hostname(), startedAt: '2026-12-03T17:00:00.000Z', command: 'kb add' }));
    const { code, text } = await cli(['add', 'docs', '--channel', 'C0KB']);
    expect(code).toBe(0);
    expect(text).toMatch(/Added 6/);
    expect(await exists(lockPath())).toBe(false);

    // Another host's lock is never guessed stale.
    await writeFile(lockPath(), JSON.stringify({ pid: gone, host: `${hostname()}-elsewhere`, startedAt: '2026-12-03T17:00:00.000Z', command: 'kb add' }));
    const refused = await cli(['remove', 'docs']);
    expect(refused.code).toBe(1);
    expect(refused.text).toContain(`kb add (pid ${gone} on ${hostname()}-elsewhere, since 2026-12-03T17:00:00.000Z)`);
    expect(JSON.parse(await readFile(lockPath(), 'utf8'))).toMatchObject({ host: `${hostname()}-elsewhere` });
  });

  it('a remote KB_URI takes no lock and says runs must not overlap', async () => {
    expect(await lockKb('s3://bucket/kb', 'kb add')).toEqual({ kind: 'remote' });
  });
});
