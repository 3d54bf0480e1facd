/** Signed Slack requests, timed on the bench clock: slash commands and button clicks, and a small concurrency pool. */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buttonsOf, type StoredMessage } from '../../test/harness/fake-slack.js';
import { buttonClickBody, signedHeaders, slashCommandBody } from '../../test/harness/slack-signing.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';

export interface Timed {
  /** performance.now() just before the request was sent (after signing). */
  sentAt: number;
  /** Until the whole response was read. */
  ms: number;
  status: number;
}

export class SlackRequests {
  private counter = 0;
  constructor(
    private readonly signingSecret: string,
    /** Base URL of the stand-in Slack, where response_url posts land. */
    private readonly responseBase: () => string,
  ) {}

  async send(url: string, body: string): Promise<Timed> {
    const headers = signedHeaders(this.signingSecret, body);
    const sentAt = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body });
    await response.arrayBuffer();
    return { sentAt, ms: performance.now() - sentAt, status: response.status };
  }

  /** Slack gives every invocation its own trigger_id (the bot derives the workflow ID from it), so do we. */
  private uniqueTrigger(body: string, field = 'trigger_id'): string {
    const params = new URLSearchParams(body);
    params.set(field, `${Date.now()}.${++this.counter}.${randomBytes(4).toString('hex')}`);
    return params.toString();
  }

  commandBody(topic: string, channelId: string, userId = 'U0BENCH'): string {
    return this.uniqueTrigger(slashCommandBody({ text: topic, channelId, userId, responseUrl: `${this.responseBase()}/respond/cmd-${++this.counter}` }));
  }

  /** A click on the Approve button of a draft card, with the value the card itself carries. */
  approveBody(draft: StoredMessage, userId = 'U0REVIEWER'): string {
    const block = (draft.blocks ?? []).find((b) => b.type === 'actions' && buttonsOf({ ...draft, blocks: [b] }).some((x) => x.action_id === APPROVE_ACTION_ID));
    const button = block && buttonsOf({ ...draft, blocks: [block] }).find((b) => b.action_id === APPROVE_ACTION_ID);
    if (!block || !button) throw new Error(`The draft ${draft.ts} in ${draft.channel} has no ${APPROVE_ACTION_ID} button`);
    const body = buttonClickBody({
      actionId: button.action_id,
      value: button.value,
      channelId: draft.channel,
      userId,
      messageTs: draft.ts,
      responseUrl: `${this.responseBase()}/respond/act-${++this.counter}`,
    });
    // As Slack does: the click carries the block_id of the card's actions block (the bot reads the draft version from it).
    const payload = JSON.parse(new URLSearchParams(body).get('payload')!) as { actions: Array<{ block_id?: string }>; trigger_id: string };
    if (typeof block.block_id === 'string') payload.actions[0]!.block_id = block.block_id;
    payload.trigger_id = `${Date.now()}.${++this.counter}.${randomBytes(4).toString('hex')}`;
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  command(botUrl: string, topic: string, channelId: string): Promise<Timed> {
    return this.send(botUrl, this.commandBody(topic, channelId));
  }

  approve(botUrl: string, draft: StoredMessage): Promise<Timed> {
    return this.send(botUrl, this.approveBody(draft));
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Awaits every promise, but fails early, with what is missing, when none has settled for
 * `stallMs` or when `check` reports a problem (a crashed worker): a stuck run should say why.
 */
export async function settleAll<T>(
  promises: Array<Promise<T>>,
  what: string,
  options: { stallMs?: number; check?: () => string | undefined; onProgress?: (done: number) => void; progress?: () => number } = {},
): Promise<T[]> {
  const stallMs = options.stallMs ?? 90_000;
  let done = 0;
  let lastProgress = Date.now();
  let lastCount = options.progress?.() ?? 0;
  let failure: ((error: Error) => void) | undefined;
  const watchdog = setInterval(() => {
    const count = options.progress?.() ?? 0;
    if (count !== lastCount) {
      lastCount = count;
      lastProgress = Date.now();
    }
    const problem = options.check?.();
    if (problem) failure?.(new Error(`${what}: ${problem}`));
    else if (Date.now() - lastProgress > stallMs) failure?.(new Error(`${what}: no progress for ${stallMs / 1000} s, ${done}/${promises.length} done`));
  }, 1_000);
  try {
    return await new Promise<T[]>((resolve, reject) => {
      failure = reject;
      Promise.all(
        promises.map((p) =>
          p.then((value) => {
            done += 1;
            lastProgress = Date.now();
            options.onProgress?.(done);
            return value;
          }),
        ),
      ).then(resolve, reject);
    });
  } finally {
    clearInterval(watchdog);
  }
}
