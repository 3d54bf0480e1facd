import { describe, expect, it } from 'vitest';
import { afterPendingAcks } from '../../src/slack/listeners/after-ack.js';

describe('afterPendingAcks', () => {
  it('releases follow-ups one per event-loop turn, in order, letting what else the loop has queued run between them', async () => {
    const order: string[] = [];
    const followUps = [1, 2, 3].map((n) => afterPendingAcks().then(() => order.push(`follow-up ${n}`)));
    // Stands for a request read in the next turn's I/O phase: it must not wait for all three.
    setImmediate(() => order.push('turn 1 check phase ends'));
    await Promise.all(followUps);
    expect(order.filter((o) => o.startsWith('follow-up'))).toEqual(['follow-up 1', 'follow-up 2', 'follow-up 3']);
    expect(order.indexOf('turn 1 check phase ends')).toBeLessThan(order.indexOf('follow-up 3'));
  });

  it('starts a new round after the queue has drained', async () => {
    await afterPendingAcks();
    await expect(afterPendingAcks()).resolves.toBeUndefined();
  });
});
