import { describe, expect, it, vi } from 'vitest';
import { afterPendingAcks, MAX_DEFER_MS, noteArrival } from '../../src/slack/listeners/after-ack.js';

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

describe('afterPendingAcks during a burst', () => {
  it('holds follow-ups while requests keep arriving, then releases them in order', async () => {
    const order: string[] = [];
    const followUps = [1, 2].map((n) => afterPendingAcks().then(() => order.push(`follow-up ${n}`)));
    // Requests arriving turn after turn, five turns in a row.
    for (let turn = 1; turn <= 5; turn++) {
      noteArrival();
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`request in turn ${turn}`);
    }
    await Promise.all(followUps);
    expect(order.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((turn) => `request in turn ${turn}`));
    expect(order.slice(5)).toEqual(['follow-up 1', 'follow-up 2']);
  });

  it('holds a follow-up no longer than MAX_DEFER_MS under a steady stream of requests', async () => {
    // The clock is ours (only Date is faked; turns of the event loop are real): 50 ms per turn.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let released = false;
      const followUp = afterPendingAcks().then(() => (released = true));
      let turns = 0;
      while (!released && turns < 100) {
        noteArrival();
        await new Promise((resolve) => setImmediate(resolve));
        turns += 1;
        if (!released) vi.setSystemTime(Date.now() + 50);
      }
      await followUp;
      // Held while the oldest follow-up had waited less than MAX_DEFER_MS, released at once after.
      expect(turns).toBe(MAX_DEFER_MS / 50 + 1);
    } finally {
      vi.useRealTimers();
    }
  });
});
