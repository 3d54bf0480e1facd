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
import { TEST_DATA_CONVERTER, TEST_PAYLOAD_KEYS } from '../harness/keys.js';

const SERVICE = '/temporal.api.workflowservice.v1.WorkflowService';
const START = `${SERVICE}/StartWorkflowExecution`;
const DESCRIBE = `${SERVICE}/DescribeWorkflowExecution`;
const SYSTEM_INFO = `${SERVICE}/GetSystemInfo`;

/** Lets the server carry out the next call to `method`, then reports DEADLINE_EXCEEDED instead of its answer. */
class LostAnswers {
  readonly calls: string[] = [];
  private pending = new Map<string, { count: number; details: string }>();

  /** `details` as grpc-js words them: with `remote_addr=` when the call went out on a live connection. */
  loseNext(method: string, { count = 1, details = 'Deadline exceeded after 1.501s' } = {}): void {
    this.pending.set(method, { count, details });
  }

  readonly interceptor: grpc.Interceptor = (options, nextCall) => {
    const method = options.method_definition.path;
    this.calls.push(method);
    const lose = this.pending.get(method);
    if (!lose || lose.count === 0) return new grpc.InterceptingCall(nextCall(options));
    lose.count -= 1;
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          // The answer arrives; the status that closes the call says it came too late.
          onReceiveStatus: (status, forward) => forward({ ...status, code: grpc.status.DEADLINE_EXCEEDED, details: lose.details }),
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
        PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      },
      'bot',
    );
    connection = await Connection.connect({ address, interceptors: [lost.interceptor] });
    client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
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

  it('a deadline on a live connection (remote_addr) is enough to ask again, even when the health check is slow too', async () => {
    lost.loseNext(START, { details: 'Deadline exceeded after 2.104s,remote_addr=127.0.0.1:7233' });
    lost.loseNext(SYSTEM_INFO);
    const request = { topic: 'busy server', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' };
    const [starts, checks] = [lost.count(START), lost.count(SYSTEM_INFO)];
    const { workflowId } = await pipelines.start(request, { idempotencyKey: 'delivery-3' });
    expect(lost.count(START) - starts).toBe(2);
    expect(lost.count(SYSTEM_INFO) - checks).toBe(0); // no need to ask: the error named the server
    await client.workflow.getHandle(workflowId).terminate('test over');
    lost.loseNext(SYSTEM_INFO, { count: 0 });
  });

  it('a deadline with no sign of the server, and no answer to the health check, fails at once: the person is told to try again', async () => {
    lost.loseNext(START, { details: 'Deadline exceeded after 1.501s,waiting for metadata filters' });
    lost.loseNext(SYSTEM_INFO);
    const request = { topic: 'unreachable', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' };
    const starts = lost.count(START);
    await expect(pipelines.start(request, { idempotencyKey: 'delivery-4' })).rejects.toThrow();
    expect(lost.count(START) - starts).toBe(1);
  });

  it('a describe whose answer is lost is asked again', async () => {
    const request = { topic: 'described twice', requestedBy: 'U0REQUESTER', channel: 'C0CHANNEL' };
    const { workflowId } = await pipelines.start(request, { idempotencyKey: 'delivery-2' });
    lost.loseNext(DESCRIBE);
    const before = lost.count(DESCRIBE);
    const facts = await pipelines.describe(workflowId);
    expect(lost.count(DESCRIBE) - before).toBe(2);
    expect(facts).toMatchObject({ running: true, channel: 'C0CHANNEL', requestedBy: 'U0REQUESTER', topic: 'described twice' });
    await client.workflow.getHandle(workflowId).terminate('test over');
  });
});
