import { describe, expect, it } from 'vitest';
import { pipelineCheck } from '../../src/slack/listeners/actions/forward.js';
import { OTHER_CHANNEL_REPLY, unreadableRunReply } from '../../src/slack/blocks/replies.js';
import type { PipelineFacts } from '../../src/temporal/pipelines.js';

const unreadable: PipelineFacts = {
  running: true, status: 'RUNNING', channel: 'C0CHANNEL', requestedBy: 'U0REQUESTER', visibility: 'public', startTime: new Date('2026-12-03T10:00:00Z'), unreadable: { keyId: 'k0' },
};
const click = { workflowId: 'research-0123456789ab-20261203-abc123', userId: 'U0REVIEWER', channel: 'C0CHANNEL', version: 1 };

describe('pipelineCheck on a run whose encryption key is gone', () => {
  it('refuses the click and says which key it needs and what to do, instead of forwarding a signal no worker can act on', async () => {
    let ruled = false;
    const check = pipelineCheck(async () => unreadable, async () => {
      ruled = true;
      return undefined;
    });
    const refusal = await check(click);
    expect(refusal).toBe(unreadableRunReply('k0'));
    expect(refusal).toContain('("k0")');
    expect(refusal).toContain('npm run keys -- check');
    expect(ruled).toBe(false);
  });

  it('still refuses a click from another channel first, saying nothing about the key', async () => {
    expect(await pipelineCheck(async () => unreadable)({ ...click, channel: 'C0ELSEWHERE' })).toBe(OTHER_CHANNEL_REPLY);
  });
});
