/**
 * Lets the requests already waiting in this process be acked before this one's follow-up work.
 *
 * Bolt's receivers answer Slack the moment a listener calls `ack()`. The work after it (a Temporal
 * start or signal: gRPC and protobuf, three to four times Bolt's own CPU per request) would
 * otherwise run ahead of the acks of a burst's later requests, which then wait behind it. So
 * follow-ups take turns: one is released per turn of the event loop (`setImmediate`), after the
 * I/O that turn has queued, which is where the burst's other requests are read and acked.
 */
const waiting: Array<() => void> = [];

function releaseNext(): void {
  waiting.shift()?.();
  if (waiting.length > 0) setImmediate(releaseNext);
}

export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(releaseNext);
  });
}
