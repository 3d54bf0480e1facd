/**
 * The stand-in Slack of the tests, with an arrival time on everything the bot and the workers
 * send it. FakeSlack records each call (and stores each posted message) synchronously as the
 * request is handled; we hook those two `push`es, so the stamp is the moment the stand-in has read
 * the request, on the bench's own clock (the same clock that timed the command or click).
 */
import { performance } from 'node:perf_hooks';
import { FakeSlack, type RecordedCall, type StoredMessage } from '../../test/harness/fake-slack.js';

export interface Posted {
  at: number;
  channel: string;
  ts: string;
  kind: string | undefined;
  workflowId: string | undefined;
  /** The stored message (blocks, buttons). */
  message: StoredMessage;
}

export interface Updated {
  at: number;
  channel: string;
  ts: string;
}

type Listener = (event: { type: 'post'; post: Posted } | { type: 'update'; update: Updated }) => void;

function hookPush<T>(array: T[], onPush: (item: T) => void): void {
  const push = Array.prototype.push;
  Object.defineProperty(array, 'push', {
    value: (...items: T[]) => {
      const length = push.apply(array, items);
      for (const item of items) onPush(item);
      return length;
    },
  });
}

export class ObservedSlack {
  readonly fake = new FakeSlack();
  private readonly listeners = new Set<Listener>();
  /** By channel: messages posted (thread root, status, draft, outcome…) and updates. */
  private readonly posts = new Map<string, Posted[]>();
  private readonly updates = new Map<string, Updated[]>();
  updateCount = 0;
  postCount = 0;
  /** Posts to a response_url: ephemeral answers from the bot (errors such as "could not record your click"). */
  responseUrlCount = 0;

  constructor() {
    // The benchmarks measure the bot, Temporal and the workers under bursts far above what Slack
    // lets one app post in one channel (test/e2e/rate-limits.test.ts covers that path).
    this.fake.rateLimits.disable();
    hookPush<StoredMessage>(this.fake.messages, (message) => {
      const payload = message.metadata?.event_payload;
      const post: Posted = {
        at: performance.now(),
        channel: message.channel,
        ts: message.ts,
        kind: typeof payload?.kind === 'string' ? payload.kind : undefined,
        workflowId: typeof payload?.workflow_id === 'string' ? payload.workflow_id : undefined,
        message,
      };
      this.postCount += 1;
      this.index(this.posts, post.channel, post);
      for (const listener of this.listeners) listener({ type: 'post', post });
    });
    hookPush<RecordedCall>(this.fake.calls, (call) => {
      if (call.method === 'response_url') this.responseUrlCount += 1;
      if (call.method !== 'chat.update') return;
      const update: Updated = { at: performance.now(), channel: String(call.args.channel), ts: String(call.args.ts) };
      this.updateCount += 1;
      this.index(this.updates, update.channel, update);
      for (const listener of this.listeners) listener({ type: 'update', update });
    });
  }

  private index<T>(map: Map<string, T[]>, channel: string, item: T): void {
    const list = map.get(channel);
    if (list) list.push(item);
    else map.set(channel, [item]);
  }

  start(port = 0): Promise<FakeSlack> {
    return this.fake.start(port);
  }

  stop(): Promise<void> {
    return this.fake.stop();
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  post(channel: string, kind: string): Posted | undefined {
    return this.posts.get(channel)?.find((p) => p.kind === kind);
  }

  update(channel: string, ts: string): Updated | undefined {
    return this.updates.get(channel)?.find((u) => u.ts === ts);
  }

  /** Resolves with the first message of `kind` in `channel` (already there, or when it arrives). */
  waitForPost(channel: string, kind: string, timeoutMs = 120_000): Promise<Posted> {
    return this.waitFor(`a "${kind}" post in ${channel}`, () => this.post(channel, kind), (event) =>
      event.type === 'post' && event.post.channel === channel && event.post.kind === kind ? event.post : undefined, timeoutMs);
  }

  /** Resolves with the first chat.update of message `ts` in `channel`. */
  waitForUpdate(channel: string, ts: string, timeoutMs = 120_000): Promise<Updated> {
    return this.waitFor(`an update of ${ts} in ${channel}`, () => this.update(channel, ts), (event) =>
      event.type === 'update' && event.update.channel === channel && event.update.ts === ts ? event.update : undefined, timeoutMs);
  }

  private waitFor<T>(what: string, existing: () => T | undefined, match: (event: Parameters<Listener>[0]) => T | undefined, timeoutMs: number): Promise<T> {
    const found = existing();
    if (found) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const off = this.on((event) => {
        const value = match(event);
        if (value === undefined) return;
        clearTimeout(timer);
        off();
        resolve(value);
      });
    });
  }
}
