/**
 * Provides a Temporal CLI (which bundles the dev server and Web UI) without Docker or downloads:
 * 1. TEMPORAL_CLI, if set; 2. `temporal` on PATH; 3. a copy built once with `go install` into a
 * cache outside the repo (reused by later runs and fresh clones).
 */
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Newer tags carry a `replace` directive in go.mod, which `go install pkg@version` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BUILD_LOCK_STALE_MS = 20 * 60_000;

export interface CliEnv {
  TEMPORAL_CLI?: string;
  PATH?: string;
  HOME?: string;
  XDG_CACHE_HOME?: string;
  [name: string]: string | undefined;
}

export interface EnsureCliOptions {
  env: CliEnv;
  /** Progress lines for people; defaults to stderr. */
  log?: (line: string) => void;
}

export class TemporalCliUnavailableError extends Error {
  override name = 'TemporalCliUnavailableError';
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(command: string, pathVar: string | undefined): Promise<string | undefined> {
  for (const dir of (pathVar ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function cacheDirectory(env: CliEnv): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'content-pipeline-bot', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One builder at a time: `mkdir` is atomic, so concurrent runs wait for the first one's binary. */
async function withBuildLock<T>(lockDir: string, binary: string, log: (line: string) => void, build: () => Promise<T>): Promise<T | undefined> {
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch {
      if (await isExecutable(binary)) return undefined;
      const stat = await fs.stat(lockDir).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > BUILD_LOCK_STALE_MS) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      log('Another process is building the Temporal CLI; waiting for it…');
      await sleep(5_000);
    }
  }
  try {
    return await build();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

async function buildWithGo(go: string, env: CliEnv, log: (line: string) => void): Promise<string> {
  const dir = cacheDirectory(env);
  const binary = path.join(dir, 'temporal');
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await withBuildLock(`${dir}.lock`, binary, log, async () => {
    if (await isExecutable(binary)) return;
    const staging = await fs.mkdtemp(path.join(path.dirname(dir), 'build-'));
    log(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${dir} (first run only; a few minutes)…`);
    const started = Date.now();
    const ticker = setInterval(() => log(`  …still building (${Math.round((Date.now() - started) / 1000)}s)`), 20_000);
    try {
      const result = await run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        // Outside any Go module or workspace, so our repo's files cannot influence the build.
        cwd: os.tmpdir(),
        env: { ...env, GOBIN: staging, GOFLAGS: '', GOWORK: 'off' } as NodeJS.ProcessEnv,
      });
      if (result.code !== 0) {
        throw new TemporalCliUnavailableError(`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} failed:\n${result.output.trim()}`);
      }
      await fs.mkdir(dir, { recursive: true });
      await fs.rename(path.join(staging, 'temporal'), binary);
      log(`Built Temporal CLI in ${Math.round((Date.now() - started) / 1000)}s: ${binary}`);
    } finally {
      clearInterval(ticker);
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
  return binary;
}

/** Returns the path of a usable Temporal CLI, building one if needed. */
export async function ensureTemporalCli({ env, log = (line) => process.stderr.write(`${line}\n`) }: EnsureCliOptions): Promise<string> {
  const override = env.TEMPORAL_CLI?.trim();
  if (override) {
    if (await isExecutable(override)) return override;
    throw new TemporalCliUnavailableError(`TEMPORAL_CLI is set to "${override}", which is not an executable file.`);
  }
  const onPath = await findOnPath('temporal', env.PATH);
  if (onPath) return onPath;

  const cached = path.join(cacheDirectory(env), 'temporal');
  if (await isExecutable(cached)) return cached;

  const go = (await findOnPath('go', env.PATH)) ?? ((await isExecutable('/usr/local/go/bin/go')) ? '/usr/local/go/bin/go' : undefined);
  if (go) return buildWithGo(go, env, log);

  throw new TemporalCliUnavailableError(
    [
      'No Temporal CLI found, and Go is not installed to build one.',
      'Fix it either way:',
      '  • install the Temporal CLI (https://docs.temporal.io/cli#install) and put `temporal` on PATH, or set TEMPORAL_CLI=/path/to/temporal;',
      `  • install Go (https://go.dev/dl/); the first run then builds ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into ${cacheDirectory(env)}.`,
    ].join('\n'),
  );
}
