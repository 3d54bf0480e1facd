/**
 * Issue 15's peer in the same run: the seed design (bench/peer) on the same Temporal server, the
 * same stand-in LLM and the same worker settings, measured the way the product is measured, so
 * BENCHMARKS.md can put both columns side by side.
 *
 * Where "the draft exists" for the peer: when its writing activity returns (the worker process
 * tells the bench over IPC, the moment our product would post its card). For the product it is the
 * draft card arriving at the stand-in Slack.
 */
import { performance } from 'node:perf_hooks';
import { historyByKind, historySplit } from './history.js';
import type { Child } from './procs.js';
import { cpuDuring, RssSampler } from './procs.js';
import { pool, settleAll, sleep } from './requests.js';
import type { BenchStack } from './stack.js';
import { round, roundSummary, summarize } from './stats.js';

/** The workflow as the client starts it (a type-free reference keeps bench/peer out of this process's imports). */
const PEER_WORKFLOW = 'peerContentPipeline';
const PEER_SIGNAL = 'approve';

export interface PeerSettings {
  llmLatencyMs: number;
  pathRuns: number;
  pathRunsL0: number;
  throughput: number;
  createConcurrency: number;
  waiting: number;
  waitingInFlight: number;
  workerEnv: Record<string, string>;
  workerNodeArgs: string[];
  processEnv: Record<string, string>;
  log: (line: string) => void;
}

export class PeerBench {
  private worker: Child<{ pid: number }> | undefined;
  private counter = 0;
  private readonly written = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();

  constructor(private readonly stack: BenchStack, private readonly settings: PeerSettings) {}

  private get pids() {
    return () => ({ worker: this.worker?.pid, server: this.stack.devServer.process.pid });
  }

  async startWorker(): Promise<void> {
    await this.stopWorker();
    this.worker = await this.stack.startPeerWorker(this.settings.workerEnv, this.settings.workerNodeArgs, this.settings.processEnv);
    this.worker.process.on('message', (message: unknown) => {
      const m = message as { type?: string; workflowId?: string; at?: number };
      if (m?.type !== 'written' || !m.workflowId) return;
      // The wall clock of the worker process; converted to this process's performance clock.
      const at = performance.now() - (Date.now() - (m.at ?? Date.now()));
      this.written.set(m.workflowId, at);
      this.waiters.get(m.workflowId)?.(at);
    });
  }

  async stopWorker(): Promise<void> {
    await this.worker?.stop();
    this.worker = undefined;
  }

  /** Starts one peer pipeline; resolves with when it was started and when its draft existed. */
  private async toDraft(label: string): Promise<{ workflowId: string; sentAt: number; draftAt: number }> {
    const workflowId = `peer-${this.stack.runTag}-${label}-${++this.counter}`;
    const drafted = new Promise<number>((resolve) => this.waiters.set(workflowId, resolve));
    const sentAt = performance.now();
    await this.stack.client.workflow.start(PEER_WORKFLOW, {
      workflowId,
      taskQueue: this.stack.peerTaskQueue,
      args: [{ topic: `peer ${label} ${this.counter}`, researchTaskQueue: this.stack.peerResearchTaskQueue }],
    });
    const draftAt = await drafted;
    this.waiters.delete(workflowId);
    return { workflowId, sentAt, draftAt };
  }

  private async approve(workflowId: string): Promise<void> {
    const handle = this.stack.client.workflow.getHandle(workflowId);
    await handle.signal(PEER_SIGNAL);
    await handle.result();
  }

  /** Start → draft, one at a time, at LLM latency L: the peer's orchestration overhead. */
  private async path(latencyMs: number, runs: number) {
    this.stack.openai.latencyMs = latencyMs;
    const totals: number[] = [];
    let last = '';
    for (let i = 0; i < runs; i++) {
      const run = await this.toDraft(`path${latencyMs}`);
      totals.push(run.draftAt - run.sentAt);
      await this.approve(run.workflowId);
      last = run.workflowId;
    }
    const total = summarize(totals);
    return { llmLatencyMs: latencyMs, startToDraftMs: roundSummary(total), overheadMs: roundSummary(summarize(totals.map((t) => t - 2 * latencyMs))), sample: last };
  }

  /** N started together, each approved as soon as its draft exists: throughput and CPU per pipeline. */
  private async throughput() {
    const n = this.settings.throughput;
    this.stack.openai.latencyMs = 0;
    const phase = await cpuDuring(this.pids, async () => {
      const started = performance.now();
      const ends = await pool(Array.from({ length: n }, (_, i) => i), this.settings.createConcurrency, async () => {
        const run = await this.toDraft('tput');
        await this.approve(run.workflowId);
        return performance.now();
      });
      return Math.max(...ends) - started;
    });
    return {
      pipelines: n,
      spanMs: round(phase.result),
      pipelinesPerSecond: round((n / phase.result) * 1_000, 2),
      cpuSecondsPerPipeline: Object.fromEntries(Object.entries(phase.cpuSeconds).map(([k, v]) => [k, round(v / n, 3)])),
    };
  }

  /** N pipelines waiting for their approval at once, on a fresh worker: its RSS. */
  private async waiting() {
    const n = this.settings.waiting;
    this.stack.openai.latencyMs = 0;
    await this.startWorker();
    await sleep(2_000);
    const idle = new RssSampler(this.pids).sample();
    // One promise for the whole pool: progress is what the watchdog counts, draft by draft.
    let drafted = 0;
    const drafting = pool(Array.from({ length: n }, (_, i) => i), this.settings.waitingInFlight, async () => {
      const run = await this.toDraft('wait');
      drafted += 1;
      return run;
    });
    const runs = await settleAll([drafting], `${n} peer pipelines: drafts`, { progress: () => drafted });
    await sleep(2_500);
    const allWaiting = new RssSampler(this.pids).sample();
    this.settings.log(`    peer: all ${n} waiting: worker ${round(allWaiting.worker ?? Number.NaN)} MB RSS`);
    await pool(runs[0]!, 50, (run) => this.approve(run.workflowId));
    return { pipelines: n, rssMb: { idle: round(idle.worker ?? Number.NaN), allWaiting: round(allWaiting.worker ?? Number.NaN) } };
  }

  async run() {
    const { log, llmLatencyMs } = this.settings;
    log(`\n[7] the peer (seed design): start → draft at L = ${llmLatencyMs} ms and 0, throughput, ${this.settings.waiting} waiting`);
    await this.startWorker();
    this.stack.openai.latencyMs = 0;
    // Warm-up, as for the product: JIT, connections, the bundle in the workers' contexts.
    await pool([0, 1, 2, 3, 4], 5, async () => this.approve((await this.toDraft('warm')).workflowId));
    const atL = await this.path(llmLatencyMs, this.settings.pathRuns);
    const at0 = await this.path(0, this.settings.pathRunsL0);
    const history = {
      parent: await historySplit(this.stack.client, at0.sample, PEER_SIGNAL),
      child: await historySplit(this.stack.client, `${at0.sample}-research`, PEER_SIGNAL),
      byKind: await historyByKind(this.stack.client, [at0.sample, `${at0.sample}-research`]),
    };
    const throughput = await this.throughput();
    const waiting = await this.waiting();
    await this.stopWorker();
    return { overhead: { atL, at0 }, history, throughput, waiting };
  }
}
