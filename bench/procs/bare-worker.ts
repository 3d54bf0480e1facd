/** A worker for the bare signal workflow (figure 4's baseline), in a process of its own like the pipeline worker. */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { benchEnv, onStop, ready } from './child.js';

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const env = benchEnv();
const address = env.TEMPORAL_ADDRESS;
const taskQueue = env.BENCH_BARE_TASK_QUEUE;
const codePath = process.env.BENCH_BARE_BUNDLE;
if (!address || !taskQueue || !codePath) throw new Error('TEMPORAL_ADDRESS, BENCH_BARE_TASK_QUEUE and BENCH_BARE_BUNDLE are required');

const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: { codePath } });
const running = worker.run();
ready();
onStop(async () => {
  worker.shutdown();
  await running;
  await connection.close();
});
