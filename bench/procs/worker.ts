/**
 * The pipeline worker as its own process, built exactly as `npm run worker` builds it (real
 * ChatOpenAI and WebClient, both task queues) but with the workflow bundle the bench made once,
 * Temporal's runtime logger at WARN and, when asked, Prometheus metrics for the bench to scrape.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../src/config.js';
import { startWorkers, type WorkerTuning } from '../../src/worker.js';
import { benchEnv, onStop, ready } from './child.js';

const metricsPort = process.env.BENCH_METRICS_PORT;
Runtime.install({
  logger: new DefaultLogger('WARN'),
  shutdownSignals: [],
  ...(metricsPort ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } } } : {}),
});

const config = loadConfig(benchEnv(), 'worker');
const address = config.temporal.connection.address;
if (!address) throw new Error('TEMPORAL_ADDRESS is required');
const codePath = process.env.BENCH_WORKFLOW_BUNDLE;
if (!codePath) throw new Error('BENCH_WORKFLOW_BUNDLE is required');

const worker = await startWorkers(config, address, {
  workflowBundle: { codePath },
  // Experiments beyond the configuration (WORKER_MAX_CACHED_WORKFLOWS), from BENCH_WORKER_TUNING.
  tuning: JSON.parse(process.env.BENCH_WORKER_TUNING ?? '{}') as WorkerTuning,
});

const { options } = worker.set.workers[0]!;
ready({
  settings: {
    maxCachedWorkflows: options.maxCachedWorkflows,
    workflowThreadPoolSize: options.workflowThreadPoolSize,
    reuseV8Context: options.reuseV8Context,
    tuner: options.tuner,
    workflowTaskPollerBehavior: options.workflowTaskPollerBehavior,
    activityTaskPollerBehavior: options.activityTaskPollerBehavior,
    nonStickyToStickyPollRatio: options.nonStickyToStickyPollRatio,
    stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout,
    workers: worker.set.workers.length,
  },
});
onStop(() => worker.stop());
