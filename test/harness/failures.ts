import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { expect } from 'vitest';

/** Asserts an ApplicationFailure's type and retry behaviour in one place. */
export function expectFailure(
  failure: ApplicationFailure,
  expected: { type: string; nonRetryable: boolean; nextRetryDelay?: number },
): void {
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(expected.type);
  expect(failure.nonRetryable).toBe(expected.nonRetryable);
  expect(failure.nextRetryDelay).toBe(expected.nextRetryDelay);
}

/** The typed cause a failed run ends with, as the Web UI shows it. */
export async function runFailureOf(client: Client, workflowId: string): Promise<ApplicationFailure> {
  const error = await client.workflow.getHandle(workflowId).result().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** Activity types whose completion a workflow's history records ("completed" as Temporal knows it). */
export async function completedActivities(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const completed: string[] = [];
  for (const event of history.events ?? []) {
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) scheduled.set(String(event.eventId), type);
    const done = event.activityTaskCompletedEventAttributes;
    if (done) completed.push(scheduled.get(String(done.scheduledEventId)) ?? '?');
  }
  return completed;
}
