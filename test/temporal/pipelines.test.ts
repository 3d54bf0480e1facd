/**
 * Pipelines (the bot's door into Temporal) against the real dev server, with a gRPC interceptor
 * that loses the answer to a call the server has carried out: what a burst on a busy server looks
 * like from the bot (the deadline passes, yet the start or signal went through).
 */
import * as grpc from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pipelinesFor } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import type { Pipelines } from '../../src/temporal/pipelines.js';
import { BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET } from '../harness/stack.js';

const START = '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution';

/** Lets the server carry out the next call to `method`, then reports DEADLINE_EXCEEDED instead of its answer. */
class LostAnswers {
  readonly calls: string[] = [];
  private pending = new Map<string, number>();

  loseNext(method: string, count = 1): void {
    this.pending.set(method, count);
  }

  readonly interceptor: grpc.Interceptor = (options, nextCall) => {
    const method = options.method_definition.path;
    this.calls.push(method);
    const left = this.pending.get(method) ?? 0;
    if (left === 0) return new grpc.InterceptingCall(nextCall(options));
    this.pending.set(method, left - 1);
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          // The answer arrives; the status that closes the call says it came too late.
          onReceiveStatus: (status, forward) =>
            forward({ ...status, code: grpc.status.DEADLINE_EXCEEDED, details: 'Deadline exceeded (answer lost by the test)' }),
        });
      },
    });
  };

  count(method: string): number {
    return this.calls.filter((c) => c === method).length;
  }
}

describe('Pipelines on a slow server', () => {
  const lost = new LostAnswers();
  let connection: Connection;
  let client: Client;
  let pipelines: Pipelines;

  beforeAll(async () => {
    const address = inject('temporalAddress');
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        OPENAI_API_KEY: OPENAI_KEY,
        TEMPORAL_ADDRESS: address,
        // No worker polls this queue: the test is about the start call, not the run.
        TEMPORAL_TASK_QUEUE: 'pipelines-test-no-worker',
      },
      'bot',
    );
    connection = await Connection.connect({ address, interceptors: [lost.interceptor] });
    client = new Client({ connection });
    pipelines = pipelinesFor(client, config);
  });
  afterAll(() => connection?.close());

  it('a start whose answer is lost is asked again, reaches the pipeline it started, and starts no second one', async () => {
    lost.loseNext(START);
    const request = { topic: 'lost answers', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' };
    const { workflowId } = await pipelines.start(request, { idempotencyKey: 'delivery-1' });

    // Asked twice, answered once: the second start found the first one's run (same ID, USE_EXISTING).
    expect(lost.count(START)).toBe(2);
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    const { events } = await handle.fetchHistory();
    expect(events?.filter((e) => e.workflowExecutionStartedEventAttributes)).toHaveLength(1);
    await handle.terminate('test over');
  });

  it('a describe whose answer is lost is asked again', async () => {
    const request = { topic: 'described twice', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' };
    const { workflowId } = await pipelines.start(request, { idempotencyKey: 'delivery-2' });
    const DESCRIBE = '/temporal.api.workflowservice.v1.WorkflowService/DescribeWorkflowExecution';
    lost.loseNext(DESCRIBE);
    const before = lost.count(DESCRIBE);
    const facts = await pipelines.describe(workflowId);
    expect(lost.count(DESCRIBE) - before).toBe(2);
    expect(facts).toMatchObject({ running: true, channel: 'C0CHANNEL', requestedBy: 'U0REQUESTER', topic: 'described twice' });
    await client.workflow.getHandle(workflowId).terminate('test over');
  });
});
