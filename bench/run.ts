/**
 * `npm run bench`: the benchmark suite of BENCHMARKS.md, against a real Temporal dev server, the
 * real Bolt HTTP receiver and real workers, with stand-in Slack and OpenAI servers (the LLM answers
 * after a fixed, configurable latency). Prints a table and writes bench/results.json.
 *
 * Sizes come from BENCH_* variables (BENCHMARKS.md → Running); BENCH_ONLY=1,4 runs some figures.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WorkerTuning } from '../src/worker.js';
import { clickMilestones, historyByKind, historyShape, historySplit, pipelineMilestones, researchWindow } from './lib/history.js';
import { PeerBench } from './lib/peer.js';
import { phaseMetrics, scrape, type PhaseMetrics } from './lib/metrics.js';
import type { Posted } from './lib/observed-slack.js';
import { cpuDuring, heapOf, RssSampler, type Child } from './lib/procs.js';
import { pool, settleAll, SlackRequests, sleep, type Timed } from './lib/requests.js';
import { BenchStack, SIGNING_SECRET, type PortInfo, type WorkerInfo } from './lib/stack.js';
import { median, round, roundSummary, summarize, type Summary } from './lib/stats.js';
import { bareSignalWorkflow, releaseSignal } from './workflows/bare-signal.js';
import { homeMembershipFigure, type HomeMembershipFigure } from './home-membership.js';
import { kbBombsFigure, type KbBombsFigure } from './kb-bombs.js';
import { spendAccountFigure, type SpendAccountFigure } from './spend-account.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function envJson<T>(name: string, fallback: T): T {
  const raw = process.env[name]?.trim();
  return raw ? (JSON.parse(raw) as T) : fallback;
}

/**
 * Worker settings of every run unless BENCH_WORKER_* say otherwise: the product's configuration
 * (WORKER_MAX_CACHED_WORKFLOWS) and the Node flags of `npm run worker:prod`.
 * Why these: BENCHMARKS.md → "Worker settings".
 */
const DEFAULT_WORKER_MAX_CACHED_WORKFLOWS = '100';
const DEFAULT_WORKER_NODE_ARGS = '--max-semi-space-size=1';
const DEFAULT_WORKER_MALLOC_ARENA_MAX = '2';

const settings = {
  /** L of figures 2 and 3 (ms). */
  llmLatencyMs: envInt('BENCH_LLM_LATENCY_MS', 1_000),
  /** The product processes encrypt payloads as deployed; 'off' measures what the codec costs (issue 20). */
  payloadEncryption: (process.env.BENCH_PAYLOAD_ENCRYPTION === 'off' ? 'off' : 'on') as 'on' | 'off',
  spend: (process.env.BENCH_SPEND === 'on' ? 'on' : 'off') as 'on' | 'off',
  ackWarmup: envInt('BENCH_ACK_WARMUP', 30),
  ackSequential: envInt('BENCH_ACK_SEQUENTIAL', 1000),
  ackConcurrency: envInt('BENCH_ACK_CONCURRENCY', 100),
  ackRounds: envInt('BENCH_ACK_ROUNDS', 10),
  /**
   * Pause after each one-at-a-time command (both apps alike), so the bot's work after its ack (the
   * Temporal start, and the server's share of it) is over before the next command: one command at
   * a time, as people send them. The back-to-back series (no pause) is reported beside it.
   */
  ackGapMs: envInt('BENCH_ACK_GAP_MS', 25),
  pathRuns: envInt('BENCH_PATH_RUNS', 7),
  pathRunsL0: envInt('BENCH_PATH_RUNS_L0', 10),
  clicks: envInt('BENCH_CLICKS', 40),
  throughput: envInt('BENCH_THROUGHPUT', 100),
  waiting: envInt('BENCH_WAITING', 200),
  /** Slash commands in flight at once while starting figure 6's pipelines. */
  createConcurrency: envInt('BENCH_CREATE_CONCURRENCY', 20),
  /** Figure 5: at most this many pipelines between command and draft while creating the waiting ones. */
  waitingInFlight: envInt('BENCH_WAITING_IN_FLIGHT', 20),
  /** Figure 8: what a person waits for, at realistic LLM latencies (issue 15: research 6 s, writing 15 s). */
  realisticResearchMs: envInt('BENCH_REALISTIC_RESEARCH_MS', 6_000),
  realisticWriteMs: envInt('BENCH_REALISTIC_WRITE_MS', 15_000),
  realisticRuns: envInt('BENCH_REALISTIC_RUNS', 2),
  /** Figure 9: chunks in the knowledge base, and retrievals timed against it. */
  kbChunks: envInt('BENCH_KB_CHUNKS', 10_000),
  kbQueries: envInt('BENCH_KB_QUERIES', 200),
  only: new Set((process.env.BENCH_ONLY ?? '1,2,3,4,5,6,7,8,9,10,11,12').split(',').map((s) => Number(s.trim())).filter(Boolean)),
  cpuProfile: process.env.BENCH_CPU_PROF === '1',
  /** WORKER_MAX_CACHED_WORKFLOWS of the worker; empty = Temporal's default. */
  workerMaxCachedWorkflows: process.env.BENCH_WORKER_MAX_CACHED_WORKFLOWS ?? DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
  /** Experiments beyond the product's configuration: a JSON WorkerOptions subset. */
  workerTuning: envJson<WorkerTuning>('BENCH_WORKER_TUNING', {}),
  /** 'compiled' (as deployed: tsc output, `npm run worker:prod`) or 'tsx' (as `npm run worker` in development). */
  runtime: process.env.BENCH_RUNTIME === 'tsx' ? ('tsx' as const) : ('compiled' as const),
  workerNodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? DEFAULT_WORKER_NODE_ARGS).split(' ').filter(Boolean),
  /** glibc's MALLOC_ARENA_MAX for the worker process (README → Production); empty = glibc's default. */
  workerMallocArenaMax: process.env.BENCH_WORKER_MALLOC_ARENA_MAX ?? DEFAULT_WORKER_MALLOC_ARENA_MAX,
  resultsFile: process.env.BENCH_RESULTS ?? path.join(benchDir, 'results.json'),
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const epoch = (perfTime: number) => performance.timeOrigin + perfTime;
const mb = (sample: Record<string, number>) => Object.fromEntries(Object.entries(sample).map(([k, v]) => [k, round(v)]));

const stack = new BenchStack({
  log,
  runtime: settings.runtime,
  encryption: settings.payloadEncryption,
  spend: settings.spend,
  ...(settings.cpuProfile ? { cpuProfDir: path.join(benchDir, 'profiles') } : {}),
});
const requests = new SlackRequests(SIGNING_SECRET, () => stack.slack.fake.url);
let worker: Child<WorkerInfo> | undefined;
let bot: Child<PortInfo> | undefined;
let channelCounter = 0;

const productPids = () => ({ worker: worker?.pid, bot: bot?.pid, server: stack.devServer.process.pid });
const productProblem = () => worker?.died ?? bot?.died ?? (stack.devServer.process.exitCode !== null ? 'the Temporal dev server exited' : undefined);

/** One channel per pipeline: every message of a run is then found by its channel. */
const newChannel = (phase: string) => `CB${stack.runTag.toUpperCase()}${phase}${String(++channelCounter).padStart(5, '0')}`;

interface Run {
  channel: string;
  command: Timed;
  draft: Posted;
  workflowId: string;
}

async function startPipeline(botUrl: string, phase: string, topic: string): Promise<{ channel: string; command: Timed }> {
  const channel = newChannel(phase);
  const command = await requests.command(botUrl, topic, channel);
  if (command.status !== 200) throw new Error(`/research answered HTTP ${command.status}`);
  return { channel, command };
}

async function runToDraft(botUrl: string, phase: string, topic: string): Promise<Run> {
  const { channel, command } = await startPipeline(botUrl, phase, topic);
  const draft = await stack.slack.waitForPost(channel, 'draft');
  return { channel, command, draft, workflowId: draft.workflowId! };
}

async function approveAndFinish(botUrl: string, run: Run): Promise<{ click: Timed; cardAt: number; outcome: Posted }> {
  const click = await requests.approve(botUrl, run.draft.message);
  if (click.status !== 200) throw new Error(`approve answered HTTP ${click.status}`);
  const card = await stack.slack.waitForUpdate(run.channel, run.draft.ts);
  const outcome = await stack.slack.waitForPost(run.channel, 'outcome');
  return { click, cardAt: card.at, outcome };
}

/** Waits until no Slack write has arrived for `quietMs` (status edits trailing a phase). */
async function settle(quietMs = 1_000, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = stack.slack.postCount + stack.slack.updateCount;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(50);
    const now = stack.slack.postCount + stack.slack.updateCount;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

interface Measured<T> {
  result: T;
  metrics: PhaseMetrics | undefined;
  cpuSeconds: Record<string, number>;
  wallSeconds: number;
}

/** Runs a phase and says what it cost: Temporal worker metrics and CPU seconds by process. */
async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const url = worker ? stack.metricsUrl : undefined;
  const before = await scrape(url);
  const { result, cpuSeconds, wallSeconds } = await cpuDuring(productPids, work);
  return { result, metrics: phaseMetrics(before, await scrape(url)), cpuSeconds, wallSeconds };
}

async function startProduct(queues: Record<string, string> = {}): Promise<void> {
  const workerEnv = { ...queues, ...(settings.workerMaxCachedWorkflows ? { WORKER_MAX_CACHED_WORKFLOWS: settings.workerMaxCachedWorkflows } : {}) };
  const processEnv: Record<string, string> = settings.workerMallocArenaMax ? { MALLOC_ARENA_MAX: settings.workerMallocArenaMax } : {};
  [worker, bot] = await Promise.all([
    stack.startWorker(workerEnv, settings.workerTuning, settings.workerNodeArgs, processEnv),
    stack.startBot(queues),
  ]);
}

async function stopProduct(): Promise<void> {
  await Promise.all([bot?.stop(), worker?.stop()]);
  worker = undefined;
  bot = undefined;
}

// ── Figure 1: ack latency of /research, real bot vs a bare Bolt app ───────────────────────────
async function ackLatency() {
  const unpolledQueue = `bench-unpolled-${stack.runTag}`;
  log(`\n[1] /research ack latency: ${settings.ackSequential} one at a time, ${settings.ackRounds} bursts of ${settings.ackConcurrency}, each against the bot and a bare Bolt app`);
  // The pipelines these commands start go to a queue no worker polls: the figure is the bot's, not
  // the machine's contention with workers running hundreds of pipelines (figures 5 and 6 have that).
  const [realBot, bare] = await Promise.all([stack.startBot({ TEMPORAL_TASK_QUEUE: unpolledQueue }), stack.startBareBolt()]);
  const targets = { bot: BenchStack.url(realBot), bare: BenchStack.url(bare) } as const;
  const samples = {
    sequential: { bot: [] as number[], bare: [] as number[] },
    backToBack: { bot: [] as number[], bare: [] as number[] },
    concurrent: { bot: [] as number[], bare: [] as number[] },
  };
  let non200 = 0;
  const repliesBefore = stack.slack.responseUrlCount;
  const send = async (target: keyof typeof targets) => {
    const timed = await requests.command(targets[target], 'bench ack latency', 'CBENCHACK');
    if (timed.status !== 200) non200 += 1;
    return timed.ms;
  };
  let cpuSeconds: Record<string, number> = {};
  try {
    ({ cpuSeconds } = await cpuDuring(() => ({ bot: realBot.pid, bare: bare.pid, server: stack.devServer.process.pid }), async () => {
      for (let i = 0; i < settings.ackWarmup; i++) await Promise.all([send('bot'), send('bare')]);
      for (const [series, gapMs] of [['sequential', settings.ackGapMs], ['backToBack', 0]] as const) {
        for (let i = 0; i < settings.ackSequential; i++) {
          // Alternate who goes first, so drift (GC, the server's background work) hits both alike.
          for (const target of i % 2 === 0 ? (['bot', 'bare'] as const) : (['bare', 'bot'] as const)) {
            samples[series][target].push(await send(target));
            if (gapMs) await sleep(gapMs);
          }
        }
      }
      for (let round = 0; round < settings.ackRounds; round++) {
        for (const target of round % 2 === 0 ? (['bot', 'bare'] as const) : (['bare', 'bot'] as const)) {
          samples.concurrent[target].push(...(await Promise.all(Array.from({ length: settings.ackConcurrency }, () => send(target)))));
          await sleep(300); // the bot's Temporal starts of the burst finish before the next burst
        }
      }
      await sleep(1_000);
    }));
  } finally {
    await Promise.all([realBot.stop(), bare.stop()]);
  }
  const failedStarts = stack.slack.responseUrlCount - repliesBefore;

  // Clean up the started (never run) pipelines.
  let terminated = 0;
  for (let pass = 0; pass < 5; pass++) {
    const ids: string[] = [];
    for await (const execution of stack.client.workflow.list({ query: `TaskQueue="${unpolledQueue}" AND ExecutionStatus="Running"` })) ids.push(execution.workflowId);
    if (ids.length === 0 && pass > 0) break;
    await pool(ids, 16, (id) => stack.client.workflow.getHandle(id).terminate('benchmark cleanup').then(() => void (terminated += 1), () => undefined));
    await sleep(500);
  }
  const at = (kind: keyof typeof samples) => {
    const botSummary = summarize(samples[kind].bot);
    const bareSummary = summarize(samples[kind].bare);
    return {
      bot: roundSummary(botSummary),
      bare: roundSummary(bareSummary),
      p50Ratio: round(botSummary.p50 / bareSummary.p50, 2),
      p99Ratio: round(botSummary.p99 / bareSummary.p99, 2),
    };
  };
  return {
    concurrency1: at('sequential'),
    gapMs: settings.ackGapMs,
    backToBack: at('backToBack'),
    concurrencyN: at('concurrent'),
    concurrency: settings.ackConcurrency,
    non200,
    /** "Temporarily unavailable" replies: starts that missed the bot's 1.5 s Temporal deadline. */
    failedStarts,
    pipelinesStartedAndTerminated: terminated,
    cpuSeconds,
    /** CPU milliseconds per request in each app process (Bolt alone, vs Bolt + our listener + the Temporal start). */
    cpuMsPerRequest: Object.fromEntries(
      (['bot', 'bare'] as const).map((app) => [app, round(((cpuSeconds[app] ?? Number.NaN) * 1_000) / (settings.ackWarmup + 2 * settings.ackSequential + settings.ackRounds * settings.ackConcurrency), 2)]),
    ),
  };
}

// ── Figures 2 and 3: research fan-out and orchestration overhead ─────────────────────────────
interface PathRun {
  workflowId: string;
  totalMs: number;
  overheadMs: number;
  researchWallMs: number;
  milestones: Array<{ label: string; atMs: number }>;
}

async function pathRuns(latencyMs: number, runs: number): Promise<PathRun[]> {
  stack.openai.latencyMs = latencyMs;
  const url = BenchStack.url(bot!);
  const results: PathRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runToDraft(url, 'P', `bench path ${latencyMs} ${i}`);
    const totalMs = run.draft.at - run.command.sentAt;
    const window = await researchWindow(stack.client, run.workflowId);
    const start = epoch(run.command.sentAt);
    const milestones = (await pipelineMilestones(stack.client, run.workflowId)).map((m) => ({ label: m.label, atMs: round(m.at - start) }));
    milestones.unshift({ label: 'command sent', atMs: 0 });
    milestones.push({ label: 'draft at Slack', atMs: round(totalMs) });
    results.push({ workflowId: run.workflowId, totalMs, overheadMs: totalMs - 2 * latencyMs, researchWallMs: window.wallMs, milestones });
    await approveAndFinish(url, run);
    await settle(300);
  }
  return results;
}

function medianRun(runs: PathRun[]): PathRun {
  const sorted = [...runs].sort((a, b) => a.totalMs - b.totalMs);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

async function pathFigures() {
  const L = settings.llmLatencyMs;
  log(`\n[2,3] command → draft: ${settings.pathRuns} runs at L = ${L} ms, ${settings.pathRunsL0} at L = 0, one at a time`);
  const atL = await measured(() => pathRuns(L, settings.pathRuns));
  const at0 = await measured(() => pathRuns(0, settings.pathRunsL0));
  const ratios = atL.result.map((r) => r.researchWallMs / L);
  const totalL = summarize(atL.result.map((r) => r.totalMs));
  const overheadL = summarize(atL.result.map((r) => r.overheadMs));
  const total0 = summarize(at0.result.map((r) => r.totalMs));
  // The work one approved pipeline puts on the server and the workers: parent and research child.
  const sample = at0.result.at(-1)?.workflowId;
  const shape = sample ? { parent: await historyShape(stack.client, sample), child: await historyShape(stack.client, `${sample}-parallel-research`) } : undefined;
  // Draft path and decision path (split at the approval signal), for the side-by-side with the peer.
  const split = sample
    ? { parent: await historySplit(stack.client, sample, 'approve'), child: await historySplit(stack.client, `${sample}-parallel-research`, 'approve') }
    : undefined;
  const byKind = sample ? await historyByKind(stack.client, [sample, `${sample}-parallel-research`]) : undefined;
  return {
    historyPerPipeline: shape,
    historySplit: split,
    historyByKind: byKind,
    research: {
      llmLatencyMs: L,
      runs: atL.result.length,
      wallMs: roundSummary(summarize(atL.result.map((r) => r.researchWallMs))),
      ratio: round(median(ratios), 3),
      ratioMax: round(Math.max(...ratios), 3),
    },
    overhead: {
      atL: {
        llmLatencyMs: L,
        llmCriticalPathMs: 2 * L,
        commandToDraftMs: roundSummary(totalL),
        overheadMs: roundSummary(overheadL),
        /** Median overhead ÷ median command → draft. */
        overheadShareOfPath: round(overheadL.p50 / totalL.p50, 4),
        overheadShareOfLlmPath: round(overheadL.p50 / (2 * L), 4),
        medianRunMilestones: medianRun(atL.result).milestones,
        workerMetrics: atL.metrics,
      },
      at0: {
        commandToDraftMs: roundSummary(total0),
        medianRunMilestones: medianRun(at0.result).milestones,
        workerMetrics: at0.metrics,
        /** CPU seconds per pipeline (to the draft and on to completion), one at a time, by process. */
        cpuSecondsPerPipeline: Object.fromEntries(Object.entries(at0.cpuSeconds).map(([k, v]) => [k, round(v / at0.result.length, 3)])),
      },
    },
  };
}

// ── Figure 4: click → signal → resumed → card updated, vs a bare signal round trip ─────────────
async function clickFigure() {
  const n = settings.clicks;
  const warm = 3;
  log(`\n[4] click → card updated: ${n} clicks, against ${n} bare signal round trips`);
  stack.openai.latencyMs = 0;
  const url = BenchStack.url(bot!);
  const bareWorker = await stack.startBareWorker();
  try {
    const runs = await pool(Array.from({ length: n + warm }, (_, i) => i), 4, (i) => runToDraft(url, 'C', `bench click ${i}`));
    await settle(500);
    const bareIds = Array.from({ length: n + warm }, (_, i) => `bench-bare-${stack.runTag}-${i}`);
    await pool(bareIds, 8, (id) => stack.client.workflow.start(bareSignalWorkflow, { workflowId: id, taskQueue: stack.bareTaskQueue }));
    await sleep(1_000); // every bare workflow has run its first task and is waiting

    const full: number[] = [];
    const bare: number[] = [];
    const clickAcks: number[] = [];
    const timelines: Array<{ totalMs: number; milestones: Array<{ label: string; atMs: number }> }> = [];
    const measureFull = async (run: Run) => {
      await sleep(20);
      const { click, cardAt } = await approveAndFinish(url, run);
      clickAcks.push(click.ms);
      const start = epoch(click.sentAt);
      const milestones = (await clickMilestones(stack.client, run.workflowId)).map((m) => ({ label: m.label, atMs: round(m.at - start) }));
      timelines.push({
        totalMs: cardAt - click.sentAt,
        milestones: [{ label: 'click sent', atMs: 0 }, { label: 'click acked', atMs: round(click.ms) }, ...milestones, { label: 'card updated at Slack', atMs: round(cardAt - click.sentAt) }],
      });
      return cardAt - click.sentAt;
    };
    const measureBare = async (id: string) => {
      const handle = stack.client.workflow.getHandle(id);
      const done = handle.result();
      await sleep(20); // the result long-poll is in place, as the stand-in is already listening for the card
      const sentAt = performance.now();
      await handle.signal(releaseSignal);
      await done;
      return performance.now() - sentAt;
    };
    const { metrics } = await measured(async () => {
      for (let i = 0; i < n + warm; i++) {
        const order = i % 2 === 0 ? (['full', 'bare'] as const) : (['bare', 'full'] as const);
        for (const kind of order) {
          const value = kind === 'full' ? await measureFull(runs[i]!) : await measureBare(bareIds[i]!);
          if (i >= warm) (kind === 'full' ? full : bare).push(value);
        }
        await settle(150);
      }
    });
    const fullSummary = summarize(full);
    const bareSummary = summarize(bare);
    return {
      clickToCardMs: roundSummary(fullSummary),
      bareSignalRoundTripMs: roundSummary(bareSummary),
      clickAckMs: roundSummary(summarize(clickAcks.slice(warm))),
      medianClickMilestones: [...timelines.slice(warm)].sort((a, b) => a.totalMs - b.totalMs)[Math.ceil((timelines.length - warm) / 2) - 1]?.milestones,
      p50Ratio: round(fullSummary.p50 / bareSummary.p50, 2),
      p99Ratio: round(fullSummary.p99 / bareSummary.p99, 2),
      workerMetrics: metrics,
    };
  } finally {
    await bareWorker.stop();
  }
}

// ── Figure 6: end-to-end throughput at L = 0 ──────────────────────────────────────────────
async function throughputFigure() {
  const n = settings.throughput;
  log(`\n[6] throughput at L = 0: ${n} pipelines started together, each approved as soon as its draft appears`);
  stack.openai.latencyMs = 0;
  const url = BenchStack.url(bot!);
  const channels = new Set<string>();
  const drafts: number[] = [];
  const outcomes = new Map<string, (at: number) => void>();
  const clicks: Array<Promise<Timed>> = [];
  const finished: Array<Promise<number>> = [];
  for (let i = 0; i < n; i++) {
    const channel = newChannel('T');
    channels.add(channel);
    finished.push(new Promise<number>((resolve) => outcomes.set(channel, resolve)));
  }
  const off = stack.slack.on((event) => {
    if (event.type !== 'post' || !channels.has(event.post.channel)) return;
    if (event.post.kind === 'draft') {
      drafts.push(event.post.at);
      clicks.push(requests.approve(url, event.post.message));
    } else if (event.post.kind === 'outcome') {
      outcomes.get(event.post.channel)?.(event.post.at);
    }
  });
  const sampler = new RssSampler(productPids).start();
  const repliesBefore = stack.slack.responseUrlCount;
  let firstSent = Number.POSITIVE_INFINITY;
  const phase = await measured(async () => {
    await pool([...channels], settings.createConcurrency, async (channel, i) => {
      const command = await requests.command(url, `bench throughput ${i}`, channel);
      if (command.status !== 200) throw new Error(`/research answered HTTP ${command.status}`);
      firstSent = Math.min(firstSent, command.sentAt);
    });
    return settleAll(finished, `throughput: pipelines completing`, { check: productProblem });
  });
  off();
  const peaks = sampler.stop();
  const clickResults = await Promise.all(clicks);
  const spanMs = Math.max(...phase.result) - firstSent;
  const draftSpanMs = Math.max(...drafts) - firstSent;
  return {
    pipelines: n,
    llmLatencyMs: 0,
    commandConcurrency: settings.createConcurrency,
    spanMs: round(spanMs),
    pipelinesPerSecond: round((n / spanMs) * 1_000, 2),
    draftsPerSecond: round((n / draftSpanMs) * 1_000, 2),
    clicksNon200: clickResults.filter((c) => c.status !== 200).length,
    ephemeralErrorReplies: stack.slack.responseUrlCount - repliesBefore,
    peakRssMb: mb(peaks),
    /** CPU seconds per pipeline by process ("elsewhere": the rest of the machine meanwhile). */
    cpuSecondsPerPipeline: Object.fromEntries(Object.entries(phase.cpuSeconds).map(([k, v]) => [k, round(v / n, 3)])),
    cpuSeconds: phase.cpuSeconds,
    /** Busy cores on average over the phase, all processes together (2 = the whole machine). */
    busyCores: round(Object.values(phase.cpuSeconds).reduce((a, b) => a + b, 0) / phase.wallSeconds, 2),
    /** Cores ÷ CPU seconds per pipeline of our processes: the rate if the machine did nothing else. */
    cpuCeilingPerSecond: round(
      os.cpus().length / (['worker', 'bot', 'server', 'bench'].reduce((total, k) => total + (phase.cpuSeconds[k] ?? 0), 0) / n),
      2,
    ),
    workerMetrics: phase.metrics,
  };
}

// ── Figure 5: N pipelines awaiting review, then N approvals at once ──────────────────────────
async function waitingFigure() {
  const n = settings.waiting;
  log(`\n[5] ${n} pipelines awaiting review at once, then ${n} approvals in one burst (fresh worker and bot processes)`);
  stack.openai.latencyMs = 0;
  await stopProduct();
  const queues = { TEMPORAL_TASK_QUEUE: `bench-waiting-${stack.runTag}`, TEMPORAL_RESEARCH_TASK_QUEUE: `bench-waiting-research-${stack.runTag}` };
  await startProduct(queues);
  await sleep(2_000);
  const idle = new RssSampler(productPids).sample();
  const idleHeap = { worker: await heapOf(worker), bot: await heapOf(bot) };
  const url = BenchStack.url(bot!);

  const creatingRss = new RssSampler(productPids).start();
  const createStart = performance.now();
  let lastLog = Date.now();
  const repliesBeforeCreate = stack.slack.responseUrlCount;
  let posted = 0;
  // Closed loop: at most `waitingInFlight` pipelines between command and draft at any time. The
  // figure is about the state "N awaiting review", reached at the pace the machine sustains;
  // figure 6 is the open-loop burst.
  const creation = await measured(() =>
    settleAll(
      [
        pool(Array.from({ length: n }, (_, i) => i), settings.waitingInFlight, async (i): Promise<Run> => {
          const run = await runToDraft(url, 'W', `bench waiting ${i}`);
          posted += 1;
          return run;
        }),
      ],
      `${n} pipelines: drafts`,
      {
        check: () => {
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now();
            log(`    ${posted}/${n} drafts posted`);
          }
          return productProblem();
        },
        progress: () => posted,
      },
    ).then(([runs]) => runs!),
  );
  const createErrorReplies = stack.slack.responseUrlCount - repliesBeforeCreate;
  const runs = creation.result;
  const createMs = performance.now() - createStart;
  await settle(1_500);
  const creatingPeak = creatingRss.stop();
  await sleep(1_000);
  const waiting = new RssSampler(productPids).sample();
  const waitingHeap = { worker: await heapOf(worker), bot: await heapOf(bot) };
  log(`    all ${n} waiting: worker ${round(waiting.worker ?? Number.NaN)} MB, bot ${round(waiting.bot ?? Number.NaN)} MB RSS`);

  const drainingRss = new RssSampler(productPids).start();
  const repliesBefore = stack.slack.responseUrlCount;
  const burstStart = performance.now();
  let clicksAnsweredMs = 0;
  const outcomeAt = new Map<string, number>();
  for (const run of runs) void stack.slack.waitForPost(run.channel, 'outcome', 60 * 60_000).then((o) => outcomeAt.set(run.channel, o.at), () => undefined);
  const waves: Array<{ clicks: number; non200: number; errorReplies: number; completedAfter: number }> = [];
  const drain = await measured(async () => {
    let first: Timed[] = [];
    // A click the bot could not forward is answered "try again" (ephemerally); a person clicks
    // again, so do we, for the pipelines still waiting: up to three waves, counted separately.
    for (let wave = 0; wave < 3 && outcomeAt.size < n; wave++) {
      const pending = runs.filter((run) => !outcomeAt.has(run.channel));
      const replies = stack.slack.responseUrlCount;
      const waveStart = performance.now();
      const clicks = await Promise.all(pending.map((run) => requests.approve(url, run.draft.message)));
      if (wave === 0) {
        first = clicks;
        clicksAnsweredMs = performance.now() - waveStart;
      }
      // Until every pending pipeline has posted its outcome, or none has for 30 s.
      let last = outcomeAt.size;
      let quietSince = Date.now();
      while (outcomeAt.size < n && Date.now() - quietSince < 30_000) {
        const problem = productProblem();
        if (problem) throw new Error(`${n} approvals: ${problem}`);
        await sleep(100);
        if (outcomeAt.size !== last) {
          last = outcomeAt.size;
          quietSince = Date.now();
        }
      }
      waves.push({ clicks: clicks.length, non200: clicks.filter((c) => c.status !== 200).length, errorReplies: stack.slack.responseUrlCount - replies, completedAfter: outcomeAt.size });
    }
    return first;
  });
  const clicks = drain.result;
  const drainMs = Math.max(...outcomeAt.values()) - burstStart;
  await settle(1_000);
  const drainPeak = drainingRss.stop();

  // Every pipeline completed, by Temporal's own account (visibility is eventually consistent: poll).
  let completed = 0;
  for (let i = 0; i < 40; i++) {
    completed = (await stack.client.workflow.count(`TaskQueue="${queues.TEMPORAL_TASK_QUEUE}" AND WorkflowType="contentPipeline" AND ExecutionStatus="Completed"`)).count;
    if (completed >= n) break;
    await sleep(500);
  }
  const afterDrain = new RssSampler(productPids).sample();
  return {
    pipelines: n,
    createMs: round(createMs),
    createRatePerSecond: round((n / createMs) * 1_000, 2),
    rssMb: {
      idle: mb(idle),
      allWaiting: mb(waiting),
      peakWhileCreating: mb(creatingPeak),
      peakWhileDraining: mb(drainPeak),
      afterDrain: mb(afterDrain),
    },
    /** Main-thread V8 heap (MB) of worker and bot; the workflow threads' heaps are not in it. */
    mainThreadHeapMb: { idle: idleHeap, allWaiting: waitingHeap },
    creation: { inFlight: settings.waitingInFlight, ephemeralErrorReplies: createErrorReplies, cpuSeconds: creation.cpuSeconds, workerMetrics: creation.metrics },
    burst: {
      clicksNon200: clicks.filter((c) => c.status !== 200).length,
      ephemeralErrorReplies: stack.slack.responseUrlCount - repliesBefore,
      clickAckMs: roundSummary(summarize(clicks.map((c) => c.ms))),
      allClicksAnsweredMs: round(clicksAnsweredMs),
      drainMs: round(drainMs),
      approvalsPerSecond: round((n / drainMs) * 1_000, 2),
      outcomesPosted: outcomeAt.size,
      completedInTemporal: completed,
      allComplete: completed === n && outcomeAt.size === n,
      completedOnFirstClick: waves[0]?.completedAfter,
      waves,
      cpuSeconds: drain.cpuSeconds,
      workerMetrics: drain.metrics,
    },
  };
}

// ── Figure 8: what a person waits for, at realistic latencies ─────────────────────────────────
async function realisticFigure() {
  const { realisticResearchMs: research, realisticWriteMs: write, realisticRuns: runs } = settings;
  log(`\n[8] what a person waits for: research calls ${research} ms, writing ${write} ms; ${runs} runs`);
  stack.openai.latencyMs = 0;
  const url = BenchStack.url(bot!);
  const samples = { firstReply: [] as number[], draft: [] as number[], card: [] as number[], published: [] as number[] };
  for (let i = 0; i < runs; i++) {
    stack.openai.script('researchTopic', { delayMs: research });
    stack.openai.script('findExamples', { delayMs: research });
    stack.openai.script('getStatistics', { delayMs: research });
    stack.openai.script('writeArticle', { delayMs: write });
    const { channel, command } = await startPipeline(url, 'R', `bench realistic ${i}`);
    const status = await stack.slack.waitForPost(channel, 'status');
    const draft = await stack.slack.waitForPost(channel, 'draft');
    const click = await requests.approve(url, draft.message);
    const [card, published] = await Promise.all([stack.slack.waitForUpdate(channel, draft.ts), stack.slack.waitForPost(channel, 'publish_1')]);
    samples.firstReply.push(status.at - command.sentAt);
    samples.draft.push(draft.at - command.sentAt);
    samples.card.push(card.at - click.sentAt);
    samples.published.push(published.at - click.sentAt);
    await settle(300);
  }
  const p50 = (values: number[]) => round(median(values));
  return {
    researchLatencyMs: research,
    writeLatencyMs: write,
    runs,
    commandToFirstReplyMs: p50(samples.firstReply),
    commandToDraftCardMs: p50(samples.draft),
    clickToCardUpdatedMs: p50(samples.card),
    clickToPublishedMs: p50(samples.published),
  };
}

/**
 * Figure 9: the knowledge base. Ingest throughput (chunks/s, stand-in embeddings answering at
 * once) and retrieveContext latency at BENCH_KB_CHUNKS chunks, with the RSS of the process that
 * retrieves (run in a process of its own, bench/procs/kb.ts, as a worker would run the activity).
 */
async function kbFigure() {
  log(`\n[9] knowledge base: ${settings.kbChunks} chunks, ${settings.kbQueries} retrievals`);
  stack.openai.latencyMs = 0;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, 'procs', 'kb.ts')], {
    env: { ...process.env, OPENAI_BASE_URL: stack.openai.baseUrl, BENCH_KB_CHUNKS: String(settings.kbChunks), BENCH_KB_QUERIES: String(settings.kbQueries) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`bench/procs/kb.ts exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { chunks: number; files: number; tokens: number; ingestMs: number; latencies: number[]; rssBeforeMb: number; peakRssMb: number };
  return {
    chunks: result.chunks,
    files: result.files,
    embeddingTokens: result.tokens,
    ingestSeconds: round(result.ingestMs / 1000, 2),
    chunksPerSecond: round(result.chunks / (result.ingestMs / 1000)),
    retrievalMs: roundSummary(summarize(result.latencies)),
    rssMb: { beforeRetrieval: round(result.rssBeforeMb), peak: round(result.peakRssMb) },
  };
}

/** One chat.postMessage round trip to the stand-in Slack: the allowance issue 15 gives our overhead over the peer's. */
async function slackPostRoundTripMs(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const response = await fetch(`${stack.slack.fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${stack.env().SLACK_BOT_TOKEN}` },
      body: JSON.stringify({ channel: 'CBENCHRTT', text: 'round trip' }),
    });
    await response.json();
    samples.push(performance.now() - started);
  }
  return round(median(samples.slice(5)), 2);
}

// ── Report ──────────────────────────────────────────────────────────────────────────────
interface Row {
  figure: string;
  measure: string;
  value: string;
  target: string;
  met?: boolean;
}

function table(rows: Row[]): string {
  const header: Row = { figure: 'Figure', measure: 'Measure', value: 'Value', target: 'Target' };
  const cells = (r: Row) => [r.figure, r.measure, r.value, r.target, r === header ? 'Met' : r.met === undefined ? '' : r.met ? 'yes' : 'NO'];
  const all = [header, ...rows].map(cells);
  const widths = all[0]!.map((_, col) => Math.max(...all.map((r) => r[col]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(all[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}

interface Figures {
  peer?: Awaited<ReturnType<PeerBench['run']>> & { slackPostRoundTripMs: number };
  realistic?: Awaited<ReturnType<typeof realisticFigure>>;
  ackLatency?: Awaited<ReturnType<typeof ackLatency>>;
  paths?: Awaited<ReturnType<typeof pathFigures>>;
  click?: Awaited<ReturnType<typeof clickFigure>>;
  throughput?: Awaited<ReturnType<typeof throughputFigure>>;
  waiting?: Awaited<ReturnType<typeof waitingFigure>>;
  kb?: Awaited<ReturnType<typeof kbFigure>>;
  home?: HomeMembershipFigure;
  spend?: SpendAccountFigure;
  kbBombs?: KbBombsFigure;
}

function rowsOf(f: Figures): Row[] {
  const rows: Row[] = [];
  for (const bomb of f.kbBombs ?? []) {
    rows.push({ figure: '12 kb bombs', measure: `kb add, ${bomb.id} (${Math.round(bomb.bytes / 1024)} KB): time, peak RSS`, value: `${(bomb.ms / 1000).toFixed(1)} s, ${Math.round(bomb.peakRssMb)} MB, exit ${bomb.exit}`, target: '' });
  }
  if (f.spend) {
    const sp = f.spend;
    rows.push({ figure: '11 spend', measure: `added per LLM call p50/p99: reserve + settle, one caller (${sp.latency.calls} calls)`, value: `${sp.latency.pairMs.p50}/${sp.latency.pairMs.p99} ms (reserve ${sp.latency.reserveMs.p50}/${sp.latency.reserveMs.p99} ms)`, target: '' });
    for (const point of sp.throughput) {
      rows.push({ figure: '11 spend', measure: `reservations/s, one account, ${point.callers} callers (reserve + settle each)`, value: `${point.reservationsPerSecond}/s (pair p50 ${point.pairMs.p50} ms${point.errors ? `, ${point.errors} errors` : ''})`, target: '' });
    }
    rows.push({ figure: '11 spend', measure: "account history events per reservation (the pipeline's gain none)", value: String(sp.eventsPerReservation), target: '' });
  }
  if (f.home) {
    const h = f.home;
    const measure = `App Home p50/p90, ${h.runs} runs, viewer in ${h.conversations} conversations`;
    rows.push({ figure: '10 home', measure: `${measure}, membership cold (${h.usersConversationsPages} users.conversations pages)`, value: `${h.coldMs.p50}/${h.coldMs.p90} ms`, target: '' });
    rows.push({ figure: '10 home', measure: `${measure}, membership cached`, value: `${h.cachedMs.p50}/${h.cachedMs.p90} ms`, target: '' });
    rows.push({ figure: '10 home', measure: 'users.conversations alone, every page (stand-in Slack)', value: `${h.usersConversationsMs.p50}/${h.usersConversationsMs.p90} ms`, target: '' });
  }
  if (f.kb) {
    const k = f.kb;
    rows.push({ figure: '9 kb', measure: `ingest, ${k.chunks} chunks in ${k.files} files (stand-in embeddings)`, value: `${k.chunksPerSecond} chunks/s (${k.ingestSeconds} s)`, target: '' });
    rows.push({ figure: '9 kb', measure: `retrieveContext p50/p99 at ${k.chunks} chunks (${k.retrievalMs.n} queries)`, value: `${k.retrievalMs.p50}/${k.retrievalMs.p99} ms`, target: '' });
    rows.push({ figure: '9 kb', measure: 'RSS of the retrieving process, before / peak', value: `${k.rssMb.beforeRetrieval} / ${k.rssMb.peak} MB`, target: '' });
  }
  if (f.ackLatency) {
    const { concurrency1: c1, backToBack: b2b, gapMs, concurrencyN: cN, concurrency } = f.ackLatency;
    const pair = (s: { bot: Summary; bare: Summary }) => `bot ${s.bot.p50}/${s.bot.p99} ms, bare ${s.bare.p50}/${s.bare.p99} ms`;
    rows.push({ figure: '1 ack', measure: `p50/p99, 1 at a time (${gapMs} ms apart)`, value: pair(c1), target: '' });
    rows.push({ figure: '1 ack', measure: 'p99 ratio bot/bare, 1 at a time', value: `${c1.p99Ratio} (p50 ${c1.p50Ratio})`, target: '≤ 1.2', met: c1.p99Ratio <= 1.2 });
    rows.push({ figure: '1 ack', measure: 'p99 ratio bot/bare, back to back (no pause)', value: `${b2b.p99Ratio} (p50 ${b2b.p50Ratio}; bot ${b2b.bot.p99}, bare ${b2b.bare.p99} ms)`, target: '' });
    rows.push({ figure: '1 ack', measure: `p50/p99, ${concurrency} at once`, value: pair(cN), target: '' });
    rows.push({ figure: '1 ack', measure: `p99 ratio bot/bare, ${concurrency} at once`, value: `${cN.p99Ratio} (p50 ${cN.p50Ratio})`, target: '≤ 1.2', met: cN.p99Ratio <= 1.2 });
  }
  if (f.paths) {
    const r = f.paths.research;
    rows.push({ figure: '2 fan-out', measure: `research wall ÷ L (L = ${r.llmLatencyMs} ms)`, value: `${r.ratio} (wall p50 ${r.wallMs.p50} ms; worst ${r.ratioMax})`, target: '≤ 1.10', met: r.ratio <= 1.1 });
    const o = f.paths.overhead.atL;
    rows.push({ figure: '3 overhead', measure: `command → draft, L = ${o.llmLatencyMs} ms`, value: `p50 ${o.commandToDraftMs.p50} ms (LLM path ${o.llmCriticalPathMs} ms)`, target: '' });
    rows.push({
      figure: '3 overhead',
      measure: `overhead, L = ${o.llmLatencyMs} ms`,
      value: `${o.overheadMs.p50} ms = ${round(o.overheadShareOfPath * 100)} % of the path`,
      target: '≤ 5 %',
      met: o.overheadShareOfPath <= 0.05,
    });
    const z = f.paths.overhead.at0.commandToDraftMs;
    rows.push({ figure: '3 overhead', measure: 'command → draft, L = 0 (all overhead)', value: `p50 ${z.p50} ms, p99 ${z.p99} ms`, target: '' });
  }
  if (f.click) {
    const c = f.click;
    rows.push({ figure: '4 click', measure: 'click → card updated p50/p99', value: `${c.clickToCardMs.p50}/${c.clickToCardMs.p99} ms`, target: '' });
    rows.push({ figure: '4 click', measure: 'bare signal round trip p50/p99', value: `${c.bareSignalRoundTripMs.p50}/${c.bareSignalRoundTripMs.p99} ms`, target: '' });
    rows.push({ figure: '4 click', measure: 'ratio at p50 / p99', value: `${c.p50Ratio} / ${c.p99Ratio}`, target: '≤ 2×', met: c.p50Ratio <= 2 && c.p99Ratio <= 2 });
  }
  if (f.waiting) {
    const w = f.waiting;
    rows.push({ figure: '5 waiting', measure: `worker RSS, ${w.pipelines} awaiting review`, value: `${w.rssMb.allWaiting.worker} MB (idle ${w.rssMb.idle.worker} MB)`, target: '≤ 300 MB', met: (w.rssMb.allWaiting.worker ?? Infinity) <= 300 });
    rows.push({ figure: '5 waiting', measure: `bot RSS, ${w.pipelines} awaiting review`, value: `${w.rssMb.allWaiting.bot} MB (idle ${w.rssMb.idle.bot} MB)`, target: '' });
    rows.push({ figure: '5 waiting', measure: 'worker peak RSS, creating / draining', value: `${w.rssMb.peakWhileCreating.worker} / ${w.rssMb.peakWhileDraining.worker} MB`, target: '' });
    rows.push({
      figure: '5 waiting',
      measure: `${w.pipelines} approvals in one burst`,
      value:
        `${w.burst.completedInTemporal}/${w.pipelines} completed in ${round(w.burst.drainMs / 1000)} s (${w.burst.approvalsPerSecond}/s)` +
        (w.burst.waves.length > 1 ? `; ${w.pipelines - (w.burst.completedOnFirstClick ?? 0)} needed a 2nd click` : ''),
      target: 'all complete',
      met: w.burst.allComplete,
    });
  }
  if (f.realistic) {
    const r = f.realistic;
    const s = (ms: number) => `${round(ms / 1000, 2)} s`;
    rows.push({ figure: '8 person', measure: `command → first reply in thread (research ${s(r.researchLatencyMs)}, writing ${s(r.writeLatencyMs)})`, value: s(r.commandToFirstReplyMs), target: '' });
    rows.push({ figure: '8 person', measure: 'command → draft card', value: `${s(r.commandToDraftCardMs)} (LLM path ${s(r.researchLatencyMs + r.writeLatencyMs)})`, target: '' });
    rows.push({ figure: '8 person', measure: 'click → card updated / article published', value: `${s(r.clickToCardUpdatedMs)} / ${s(r.clickToPublishedMs)}`, target: '' });
  }
  if (f.throughput) {
    const t = f.throughput;
    rows.push({ figure: '6 throughput', measure: `pipelines/s end to end, L = 0 (${t.pipelines} runs)`, value: `${t.pipelinesPerSecond}/s (drafts ${t.draftsPerSecond}/s; CPU ceiling ${t.cpuCeilingPerSecond}/s)`, target: '≥ 20/s', met: t.pipelinesPerSecond >= 20 });
  }
  if (f.peer) rows.push(...peerRows(f));
  return rows;
}

/** Issue 15: ours against the seed design, measured in the same run. */
function peerRows(f: Figures): Row[] {
  const p = f.peer!;
  const rows: Row[] = [];
  const ratio = (ours: number | undefined, peer: number | undefined) => (ours === undefined || peer === undefined ? Number.NaN : round(ours / peer, 2));
  const ours = f.paths?.historySplit;
  if (ours) {
    const oursDraft = ours.parent.draftPath + ours.child.draftPath;
    const oursDecision = ours.parent.decisionPath + ours.child.decisionPath;
    const peerDraft = p.history.parent.draftPath + p.history.child.draftPath;
    const peerDecision = p.history.parent.decisionPath + p.history.child.decisionPath;
    const total = ratio(oursDraft + oursDecision, peerDraft + peerDecision);
    rows.push({ figure: '7 vs peer', measure: 'history events, draft path (parent + child)', value: `ours ${oursDraft}, peer ${peerDraft} (${ratio(oursDraft, peerDraft)}×)`, target: '' });
    rows.push({ figure: '7 vs peer', measure: 'history events, decision path', value: `ours ${oursDecision}, peer ${peerDecision} (${ratio(oursDecision, peerDecision)}×)`, target: '' });
    rows.push({ figure: '7 vs peer', measure: 'history events per pipeline', value: `ours ${oursDraft + oursDecision}, peer ${peerDraft + peerDecision} (${total}×)`, target: '≤ 1.5×', met: total <= 1.5 });
  }
  if (f.throughput) {
    const o = f.throughput.cpuSecondsPerPipeline;
    const q = p.throughput.cpuSecondsPerPipeline;
    rows.push({ figure: '7 vs peer', measure: 'server CPU s per pipeline (L = 0)', value: `ours ${o.server}, peer ${q.server} (${ratio(o.server, q.server)}×)`, target: '' });
    rows.push({ figure: '7 vs peer', measure: 'worker CPU s per pipeline (L = 0)', value: `ours ${o.worker}, peer ${q.worker} (${ratio(o.worker, q.worker)}×)`, target: '' });
    rows.push({ figure: '7 vs peer', measure: 'throughput, L = 0', value: `ours ${f.throughput.pipelinesPerSecond}/s, peer ${p.throughput.pipelinesPerSecond}/s (${ratio(f.throughput.pipelinesPerSecond, p.throughput.pipelinesPerSecond)}×)`, target: '' });
  }
  if (f.paths) {
    const oursL = f.paths.overhead.atL.overheadMs.p50;
    const peerL = p.overhead.atL.overheadMs.p50;
    const allowance = peerL + p.slackPostRoundTripMs;
    rows.push({
      figure: '7 vs peer',
      measure: `overhead at L = ${p.overhead.atL.llmLatencyMs} ms (p50)`,
      value: `ours ${oursL} ms, peer ${peerL} ms; peer + one Slack post ${round(allowance)} ms`,
      target: '≤ peer + 1 post',
      met: oursL <= allowance,
    });
    rows.push({ figure: '7 vs peer', measure: 'start → draft at L = 0 (p50)', value: `ours ${f.paths.overhead.at0.commandToDraftMs.p50} ms, peer ${p.overhead.at0.startToDraftMs.p50} ms`, target: '' });
  }
  if (f.waiting) {
    const o = f.waiting.rssMb.allWaiting.worker;
    const q = p.waiting.rssMb.allWaiting;
    rows.push({ figure: '7 vs peer', measure: `worker RSS, ${p.waiting.pipelines} waiting`, value: `ours ${o} MB, peer ${q} MB (${ratio(o, q)}×)`, target: '≤ peer + 20 %', met: (o ?? Infinity) <= q * 1.2 });
  }
  return rows;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadBefore = os.loadavg();
  await stack.start();
  const figures: Figures = {};
  let workerSettings: Record<string, unknown> | undefined;
  try {
    if (settings.only.has(1)) figures.ackLatency = await ackLatency();
    if ([2, 3, 4, 6].some((f) => settings.only.has(f))) {
      await startProduct();
      workerSettings = worker?.info.settings;
      // Warm-up: JIT, connections, the workflow bundle loaded in the workers' V8 contexts.
      stack.openai.latencyMs = 0;
      const url = BenchStack.url(bot!);
      const warm = await pool([0, 1, 2, 3, 4], 5, (i) => runToDraft(url, 'X', `bench warm up ${i}`));
      await Promise.all(warm.map((run) => approveAndFinish(url, run)));
      await settle(500);
      if (settings.only.has(2) || settings.only.has(3)) figures.paths = await pathFigures();
      if (settings.only.has(4)) figures.click = await clickFigure();
      if (settings.only.has(6)) figures.throughput = await throughputFigure();
    }
    if (settings.only.has(8)) {
      if (!bot) await startProduct();
      figures.realistic = await realisticFigure();
    }
    if (settings.only.has(5)) {
      figures.waiting = await waitingFigure();
      workerSettings ??= worker?.info.settings;
    }
    if (settings.only.has(9)) figures.kb = await kbFigure();
    // Its own Temporal server and stand-in Slack (src/temporal/home.ts against 400 listed runs).
    if (settings.only.has(10)) figures.home = await homeMembershipFigure();
    // Its own Temporal server and worker: the spend account alone (what every LLM call adds when ceilings are set).
    if (settings.only.has(11)) figures.spend = await spendAccountFigure({ sequential: 100, callerCounts: [1, 4, 10, 20], perCallerSeconds: 4, ungated: false });
    // No server: the real `kb add` on hostile files, one child process each (default limits).
    if (settings.only.has(12)) figures.kbBombs = await kbBombsFigure(undefined, log);
    if (settings.only.has(7)) {
      // The product's processes are stopped: the peer's figures are the peer's alone.
      await stopProduct();
      const peer = new PeerBench(stack, {
        llmLatencyMs: settings.llmLatencyMs,
        pathRuns: settings.pathRuns,
        pathRunsL0: settings.pathRunsL0,
        throughput: settings.throughput,
        createConcurrency: settings.createConcurrency,
        waiting: settings.waiting,
        waitingInFlight: settings.waitingInFlight,
        workerEnv: settings.workerMaxCachedWorkflows ? { WORKER_MAX_CACHED_WORKFLOWS: settings.workerMaxCachedWorkflows } : {},
        workerNodeArgs: settings.workerNodeArgs,
        processEnv: settings.workerMallocArenaMax ? { MALLOC_ARENA_MAX: settings.workerMallocArenaMax } : {},
        log,
      });
      figures.peer = { ...(await peer.run()), slackPostRoundTripMs: await slackPostRoundTripMs() };
    }
  } finally {
    await stopProduct().catch(() => undefined);
    await stack.stop();
  }

  const rows = rowsOf(figures);
  const cpu = os.cpus();
  const results = {
    generatedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim(),
      memoryGb: round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      temporalCli: stack.cliVersion,
      /** 1-minute load average before the run and after it: other work on the machine skews the figures. */
      loadAverage: { before: round(loadBefore[0]!, 2), after: round(os.loadavg()[0]!, 2) },
    },
    settings: { ...settings, only: [...settings.only], resultsFile: undefined },
    worker: {
      runtime: settings.runtime,
      maxCachedWorkflows: settings.workerMaxCachedWorkflows || "Temporal's default",
      tuning: settings.workerTuning,
      nodeArgs: settings.workerNodeArgs,
      mallocArenaMax: settings.workerMallocArenaMax || "glibc's default",
      effective: workerSettings,
    },
    figures,
    table: rows,
  };
  const complete = [1, 2, 3, 4, 5, 6, 7, 8, 9].every((f) => settings.only.has(f));
  if (complete || process.env.BENCH_RESULTS) {
    await fs.writeFile(settings.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    log(`\nWrote ${path.relative(process.cwd(), settings.resultsFile)}`);
  } else {
    log('\nPartial run (BENCH_ONLY): bench/results.json left as it was (set BENCH_RESULTS=<file> to write one).');
  }
  console.log(
    `\nContent pipeline benchmark — ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${process.version}, ${settings.runtime} processes, payload encryption ${settings.payloadEncryption}, spend ceilings ${settings.spend}, ${results.durationSeconds} s\n`,
  );
  console.log(table(rows));
  const ourKinds = figures.paths?.historyByKind;
  const peerKinds = figures.peer?.history.byKind;
  if (ourKinds && peerKinds) {
    // Where figure 7's extra events come from: one approved pipeline, parent and child histories.
    const kinds = [...new Set([...Object.keys(ourKinds), ...Object.keys(peerKinds)])] as Array<keyof typeof ourKinds>;
    const byKind = kinds
      .map((kind) => ({ figure: '7 events', measure: kind, value: `ours ${ourKinds[kind] ?? 0}, peer ${peerKinds[kind] ?? 0}`, target: '', extra: (ourKinds[kind] ?? 0) - (peerKinds[kind] ?? 0) }))
      .sort((a, b) => b.extra - a.extra)
      .map(({ extra, ...row }) => ({ ...row, value: `${row.value} (${extra >= 0 ? '+' : ''}${extra})` }));
    console.log(`\nHistory events of one approved pipeline by kind (parent + child), largest difference first:\n\n${table(byKind)}`);
  }
  const phases: Array<[string, Record<string, number> | undefined]> = [
    ['figure 1', figures.ackLatency?.cpuSeconds],
    ['figure 6', figures.throughput?.cpuSeconds],
    ['figure 5, creating', figures.waiting?.creation.cpuSeconds],
    ['figure 5, draining', figures.waiting?.burst.cpuSeconds],
  ];
  const elsewhere = phases
    .filter((entry): entry is [string, Record<string, number>] => entry[1]?.elsewhere !== undefined)
    .map(([phase, cpu]) => `${phase} ${cpu.elsewhere} s`);
  if (elsewhere.length) console.log(`\nCPU seconds used by other processes on the machine meanwhile: ${elsewhere.join(', ')} (load average ${results.machine.loadAverage.before} → ${results.machine.loadAverage.after}).`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
