/** What a Temporal server knows about who polls a task queue: to prove a process never attached to it. */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

// A CommonJS package: its namespaces come through the default export under ESM.
const { temporal } = proto;

/** Every poller the server has seen on a task queue, for workflow and activity tasks (it keeps them for minutes after a poll). */
export async function pollersOf(connection: Connection, taskQueue: string, namespace = 'default'): Promise<unknown[]> {
  const types = [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
  const answers = await Promise.all(types.map((taskQueueType) =>
    connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType })));
  return answers.flatMap((answer) => answer.pollers ?? []);
}
