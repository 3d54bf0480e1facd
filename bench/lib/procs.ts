/**
 * Child processes of the benchmark (worker, bot, bare Bolt app, bare worker): each runs an entry
 * of bench/procs, compiled to JavaScript as in production (or under tsx, as in development),
 * reports `ready` over IPC, and is stopped with a `stop` message (then SIGKILL if it does not
 * exit). RSS is read from /proc, so worker and bot are measured apart.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export interface Child<Info = Record<string, unknown>> {
  name: string;
  pid: number;
  info: Info;
  process: ChildProcess;
  /** Set when the process exited without being asked to (crash, out of memory). */
  died?: string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** The JSON environment handed to loadConfig in the child. */
  benchEnv: Record<string, string>;
  /** Plain environment variables for the child (bundle paths, metrics port). */
  extraEnv?: Record<string, string>;
  /** Extra node flags, e.g. --max-old-space-size=256. */
  nodeArgs?: string[];
  /** Write a V8 CPU profile of the child here when it exits. */
  cpuProfDir?: string;
  readyTimeoutMs?: number;
  /** Where compileProcs() put the JavaScript; undefined = run the TypeScript under tsx. */
  compiledDir?: string;
}

const execFileAsync = promisify(execFile);

/**
 * Compiles bench/procs and the product code they import (tsc, bench/tsconfig.build.json) into
 * bench/.build, inside the repository so that its package.json (ESM) and node_modules apply.
 * Returns the directory the entries are in.
 */
export async function compileProcs(): Promise<string> {
  const tsc = path.join(benchDir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  await execFileAsync(process.execPath, [tsc, '-p', path.join(benchDir, 'tsconfig.build.json')]);
  // tsc emits no .cjs: the failure converter Temporal requires by path (src/temporal/codec.ts), as `npm run build` copies it.
  await copyFile(path.join(benchDir, '..', 'src', 'temporal', 'failure-converter.cjs'), path.join(benchDir, '.build', 'src', 'temporal', 'failure-converter.cjs'));
  return path.join(benchDir, '.build', 'bench', 'procs');
}

export async function spawnChild<Info = Record<string, unknown>>(name: string, entry: string, options: SpawnOptions): Promise<Child<Info>> {
  const args = [...(options.nodeArgs ?? [])];
  if (!options.compiledDir) args.push('--import', 'tsx');
  // Node names each profile CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: one per thread (main, tsx loader, workflow threads).
  if (options.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfDir, name)}`);
  args.push(options.compiledDir ? path.join(options.compiledDir, entry.replace(/\.ts$/, '.js')) : path.join(benchDir, 'procs', entry));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...options.extraEnv, BENCH_ENV: JSON.stringify(options.benchEnv) },
  });
  const prefix = (line: string) => (line.trim() ? process.stderr.write(`  [${name}] ${line}\n`) : undefined);
  let recent = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    recent = (recent + text).slice(-4_000);
    for (const line of text.split('\n')) prefix(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready after ${options.readyTimeoutMs ?? 60_000} ms:\n${recent}`)), options.readyTimeoutMs ?? 60_000);
    child.on('message', (message: unknown) => {
      const m = message as { type?: string } | undefined;
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(m as Info);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready:\n${recent}`));
    });
  });

  let stopping = false;
  const result: Child<Info> = { name, pid: child.pid!, info, process: child, stop: async () => undefined };
  child.once('exit', (code, signal) => {
    if (stopping) return;
    result.died = `${name} exited unexpectedly (code ${code}, signal ${signal}):\n${recent.slice(-1_500)}`;
    process.stderr.write(`  [${name}] ${result.died}\n`);
  });
  result.stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return result;
}

/** process.memoryUsage() of a child's main thread, in MB. */
export async function heapOf(child: Child<unknown> | undefined): Promise<Record<string, number> | undefined> {
  if (!child?.process.connected) return undefined;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      resolve(undefined);
    }, 2_000);
    const onMessage = (message: unknown) => {
      const m = message as { type?: string } & Record<string, number>;
      if (m?.type !== 'memory') return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve(Object.fromEntries(['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'].map((k) => [k, Math.round((m[k] ?? 0) / 2 ** 20)])));
    };
    child.process.on('message', onMessage);
    child.process.send({ type: 'memory' });
  });
}

export interface Memory {
  /** Resident set size now, MB. */
  rssMb: number;
  /** Peak resident set size of the process so far (VmHWM), MB. */
  peakMb: number;
}

/** VmRSS and VmHWM of a process from /proc (Linux); undefined elsewhere or once it has exited. */
export function memoryOf(pid: number | undefined): Memory | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples RSS of some processes every `intervalMs` and keeps the peak of each, for one phase. */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: () => Record<string, number | undefined>, private readonly intervalMs = 250) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): Record<string, number> {
    const now: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const memory = memoryOf(pid);
      if (!memory) continue;
      now[name] = memory.rssMb;
      this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, memory.rssMb));
    }
    return now;
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    return Object.fromEntries(this.peaks);
  }
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at index 2 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return ticks / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux we know of (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds each process used during `work`, the bench process's own, and `elsewhere`: what the
 * rest of the machine used meanwhile (other people's jobs on a shared box skew every figure).
 */
export async function cpuDuring<T>(pids: () => Record<string, number | undefined>, work: () => Promise<T>): Promise<{ result: T; cpuSeconds: Record<string, number>; wallSeconds: number }> {
  const before = Object.entries(pids()).map(([name, pid]) => [name, pid, cpuSecondsOf(pid)] as const);
  const ownBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const started = Date.now();
  const result = await work();
  const wallSeconds = (Date.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const machineAfter = machineBusySeconds();
  const cpuSeconds: Record<string, number> = {};
  for (const [name, pid, start] of before) {
    const end = cpuSecondsOf(pid);
    if (start !== undefined && end !== undefined) cpuSeconds[name] = Number((end - start).toFixed(2));
  }
  cpuSeconds.bench = Number(((own.user + own.system) / 1e6).toFixed(2));
  if (machineBefore !== undefined && machineAfter !== undefined) {
    const ours = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
    cpuSeconds.elsewhere = Number(Math.max(0, machineAfter - machineBefore - ours).toFixed(2));
  }
  return { result, cpuSeconds, wallSeconds: Number(wallSeconds.toFixed(2)) };
}
