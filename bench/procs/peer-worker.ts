/**
 * The peer's worker (bench/peer: the seed design) in a process of its own, with the same worker
 * settings as the product's (cache size, Node flags and malloc arenas come from the bench), polling
 * its pipeline queue and its research queue as the product's worker does.
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createPeerActivities } from '../peer/activities.js';
import { benchEnv, onStop, ready } from './child.js';

const metricsPort = process.env.BENCH_METRICS_PORT;
Runtime.install({
  logger: new DefaultLogger('WARN'),
  shutdownSignals: [],
  ...(metricsPort ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } } } : {}),
});
const env = benchEnv();
const { TEMPORAL_ADDRESS: address, BENCH_PEER_TASK_QUEUE: taskQueue, BENCH_PEER_RESEARCH_TASK_QUEUE: researchQueue } = env;
const codePath = process.env.BENCH_PEER_BUNDLE;
if (!address || !taskQueue || !researchQueue || !codePath) throw new Error('TEMPORAL_ADDRESS, BENCH_PEER_*_TASK_QUEUE and BENCH_PEER_BUNDLE are required');
const cache = env.WORKER_MAX_CACHED_WORKFLOWS ? Number(env.WORKER_MAX_CACHED_WORKFLOWS) : undefined;

const connection = await NativeConnection.connect({ address });
const peer = createPeerActivities({ apiKey: env.OPENAI_API_KEY ?? '', baseUrl: env.OPENAI_BASE_URL ?? '' });
// Bench instrumentation only, not the peer's design: tell the bench the moment a draft exists (where
// our product would post its card), so it can approve as soon as it would see ours.
const activities = {
  ...peer,
  async peerWriteArticle(topic: string, context: string) {
    const article = await peer.peerWriteArticle(topic, context);
    process.send?.({ type: 'written', workflowId: Context.current().info.workflowExecution?.workflowId, at: Date.now() });
    return article;
  },
};
const workers = await Promise.all(
  [taskQueue, researchQueue].map((queue) =>
    Worker.create({
      connection,
      namespace: 'default',
      taskQueue: queue,
      workflowBundle: { codePath },
      activities,
      ...(cache !== undefined ? { maxCachedWorkflows: cache } : {}),
    }),
  ),
);
const running = Promise.all(workers.map((worker) => worker.run()));
ready();
onStop(async () => {
  for (const worker of workers) worker.shutdown();
  await running;
  await connection.close();
});
