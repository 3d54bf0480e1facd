/**
 * `tsx bench/kb-bombs.ts`: what hostile files cost `npm run kb -- add` with the default limits.
 * For each bomb (DOCX zip bombs of 64 MiB and 268 MB, PDF stream bombs, 5 MB of pathological
 * HTML) it writes the file alone in a fresh folder and runs the real command line in a child
 * process (`node --import tsx src/kb/cli.ts add <folder> --everywhere`), reporting wall time, the
 * child's peak RSS (VmHWM, worker thread included) and the line the run printed for the file.
 * No embedding call is made: every one of these files is refused or holds no text.
 *
 * BENCH_KB_ONLY=docx-64,html-script runs some of them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryOf } from './lib/procs.js';
import { docxBomb, PATHOLOGICAL_HTML, pdfStreamBomb } from '../test/kb/loaders-bombs.js';

const MB = 1024 * 1024;

interface Case {
  id: string;
  file: string;
  make: () => Promise<Buffer>;
}

const CASES: Case[] = [
  { id: 'docx-64', file: 'bomb-64mib.docx', make: () => docxBomb(64) },
  { id: 'docx-268', file: 'bomb-268mb.docx', make: () => docxBomb(256) },
  { id: 'pdf-text', file: 'bomb-text.pdf', make: () => pdfStreamBomb(512, 'text') },
  { id: 'pdf-blank', file: 'bomb-blank.pdf', make: () => pdfStreamBomb(1024, 'blank') },
  ...Object.entries(PATHOLOGICAL_HTML).map(([name, make], i) => ({
    id: `html-${['script', 'anchors', 'comments', 'nesting', 'headings'][i] ?? i}`,
    file: `page-${i}.html`,
    make: async () => Buffer.from(make(5 * MB)),
    name,
  })),
];

interface Result {
  id: string;
  file: string;
  bytes: number;
  ms: number;
  peakRssMb: number;
  exit: number | null;
  output: string;
}

async function kbAdd(folder: string): Promise<{ ms: number; peakRssMb: number; exit: number | null; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/kb/cli.ts', 'add', folder, '--everywhere'], {
    env: { ...process.env, KB_URI: join(folder, '.kb'), OPENAI_API_KEY: 'sk-bench-unused', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  let peak = 0;
  const sample = () => {
    const memory = memoryOf(child.pid);
    if (memory && Number.isFinite(memory.peakMb)) peak = Math.max(peak, memory.peakMb);
  };
  const sampler = setInterval(sample, 20);
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(sampler);
  return { ms: performance.now() - started, peakRssMb: peak, exit, output };
}

export type KbBombsFigure = Result[];

/** Figure 12 of `npm run bench`: each bomb through the real `kb add`, one child process each. */
export async function kbBombsFigure(only?: string[], log: (line: string) => void = console.log): Promise<KbBombsFigure> {
  const results: Result[] = [];
  for (const c of CASES.filter((c) => !only?.length || only.includes(c.id))) {
    const folder = await mkdtemp(join(tmpdir(), 'kb-bomb-'));
    try {
      const data = await c.make();
      await writeFile(join(folder, c.file), data);
      const run = await kbAdd(folder);
      const line = run.output.split('\n').find((l) => l.includes(c.file)) ?? run.output.trim().split('\n').at(-1) ?? '';
      results.push({ id: c.id, file: c.file, bytes: data.length, ...run, output: line.trim() });
      log(`${c.id.padEnd(14)} ${String(Math.round(data.length / 1024)).padStart(6)} KB  ${String(Math.round(run.ms)).padStart(6)} ms  peak RSS ${String(Math.round(run.peakRssMb)).padStart(5)} MB  exit ${run.exit}  ${line.trim()}`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  return results;
}

if (process.argv[1]?.endsWith('bench/kb-bombs.ts')) {
  const results = await kbBombsFigure(process.env.BENCH_KB_ONLY?.split(',').map((s) => s.trim()).filter(Boolean));
  if (process.env.BENCH_KB_JSON) console.log(JSON.stringify(results, null, 2));
}
