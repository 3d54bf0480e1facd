/**
 * Lets the requests already waiting in this process be acked before this one's follow-up work.
 *
 * Bolt's receivers answer Slack the moment a listener calls `ack()`. The work after it (a Temporal
 * start or signal: gRPC and protobuf, three to four times Bolt's own CPU per request) would
 * otherwise run ahead of the acks of a burst's later requests, which then wait behind it. So
 * follow-ups take turns: one is released per turn of the event loop (`setImmediate`), after the
 * I/O that turn has queued, which is where the burst's other requests are read and acked; and
 * while requests keep arriving (a burst), none is released at all, for at most MAX_DEFER_MS: the
 * released work's gRPC callbacks would otherwise run between the burst's reads in later turns.
 */

/** How long a follow-up may be held back while requests keep arriving (Slack's ack deadline is 3 s; this is not part of it). */
export const MAX_DEFER_MS = 200;

const waiting: Array<{ release: () => void; since: number }> = [];
let arrived = false;

/** Called for every incoming request, as early as the receiver sees it. */
export function noteArrival(): void {
  arrived = true;
}

function releaseNext(): void {
  const oldest = waiting[0];
  if (!oldest) return;
  if (arrived && Date.now() - oldest.since < MAX_DEFER_MS) {
    // A request came in during the last turn: more of a burst may be on its way. Look again next turn.
    arrived = false;
    setImmediate(releaseNext);
    return;
  }
  arrived = false;
  waiting.shift()!.release();
  if (waiting.length > 0) setImmediate(releaseNext);
}

export function afterPendingAcks(): Promise<void> {
  return new Promise((release) => {
    waiting.push({ release, since: Date.now() });
    if (waiting.length === 1) setImmediate(releaseNext);
  });
}
