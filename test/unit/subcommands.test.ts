import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  fullHelp,
  notActionableHere,
  parseSubcommand,
  runSubcommand,
  type Subcommand,
  type SubcommandContext,
} from '../../src/slack/listeners/commands/subcommands.js';
import type { ListenerDeps } from '../../src/slack/listeners/deps.js';
import type { PipelineFacts, PipelineListing, RepublishResult, ReviewDelivery } from '../../src/temporal/pipelines.js';

const WORKFLOW_ID = 'research-durable-execution-20240305-k3x9q0';
const UI = 'http://localhost:8233/';
const NOW = new Date('2025-03-05T12:00:00.000Z');

describe('parseSubcommand', () => {
  it('reads help and status as the single word', () => {
    expect(parseSubcommand('help')).toEqual({ kind: 'help' });
    expect(parseSubcommand('status')).toEqual({ kind: 'status' });
    expect(parseSubcommand('  status \n')).toEqual({ kind: 'status' });
  });

  it('is case-insensitive', () => {
    expect(parseSubcommand('HELP')).toEqual({ kind: 'help' });
    expect(parseSubcommand('Status')).toEqual({ kind: 'status' });
    expect(parseSubcommand(`CaNcEl ${WORKFLOW_ID}`)).toEqual({ kind: 'cancel', workflowId: WORKFLOW_ID });
  });

  it('reads publish with the workflow ID; "publish or perish" stays a topic', () => {
    expect(parseSubcommand(`publish ${WORKFLOW_ID}`)).toEqual({ kind: 'publish', workflowId: WORKFLOW_ID });
    expect(parseSubcommand('publish')).toEqual({ kind: 'publish', workflowId: '' });
    expect(parseSubcommand('publish or perish')).toBeUndefined();
  });

  it('reads cancel with the workflow ID', () => {
    expect(parseSubcommand(`cancel ${WORKFLOW_ID}`)).toEqual({ kind: 'cancel', workflowId: WORKFLOW_ID });
    expect(parseSubcommand(`  cancel   ${WORKFLOW_ID}  `)).toEqual({ kind: 'cancel', workflowId: WORKFLOW_ID });
  });

  it('treats "cancel" followed by several words as a topic', () => {
    expect(parseSubcommand('cancel culture in tech')).toBeUndefined();
  });

  it('reads a bare cancel as a cancel without an ID (answered with how to use it)', () => {
    expect(parseSubcommand('cancel')).toEqual({ kind: 'cancel', workflowId: '' });
  });

  it('answers command-like single words as unknown subcommands, keeping the word as typed', () => {
    for (const word of ['stop', 'list', 'ls', 'abort', 'kill', 'delete', 'retry', 'usage', 'config', '?', '-h', '--help']) {
      expect(parseSubcommand(word)).toEqual({ kind: 'unknown', word });
    }
    expect(parseSubcommand('Stop')).toEqual({ kind: 'unknown', word: 'Stop' });
    expect(parseSubcommand('LIST')).toEqual({ kind: 'unknown', word: 'LIST' });
  });

  it('treats any single word starting with a dash as an unknown option', () => {
    expect(parseSubcommand('-v')).toEqual({ kind: 'unknown', word: '-v' });
    expect(parseSubcommand('--verbose')).toEqual({ kind: 'unknown', word: '--verbose' });
  });

  it('leaves multi-word topics alone, even when they start with a command word', () => {
    for (const topic of ['status of kubernetes', 'help desk automation', 'stop words in NLP', 'list comprehensions in Python', 'help me']) {
      expect(parseSubcommand(topic)).toBeUndefined();
    }
  });

  it('leaves ordinary single-word topics alone', () => {
    expect(parseSubcommand('kubernetes')).toBeUndefined();
    expect(parseSubcommand('Temporal')).toBeUndefined();
  });

  it('leaves quoted command words alone, so they can be researched', () => {
    expect(parseSubcommand('"status"')).toBeUndefined();
    expect(parseSubcommand('“help”')).toBeUndefined();
    expect(parseSubcommand("'stop'")).toBeUndefined();
  });

  it('reads nothing from empty text', () => {
    expect(parseSubcommand(undefined)).toBeUndefined();
    expect(parseSubcommand('')).toBeUndefined();
    expect(parseSubcommand('   ')).toBeUndefined();
  });
});

describe('fullHelp', () => {
  const help = fullHelp('/research');

  it('explains how to start a pipeline', () => {
    expect(help).toContain('/research <topic>');
  });

  it('mentions every subcommand', () => {
    expect(help).toContain('`/research status`');
    expect(help).toContain('`/research cancel <workflow-id>`');
    expect(help).toContain('`/research help`');
  });

  it('mentions every button on the draft card', () => {
    for (const button of ['*Approve*', '*Edit*', '*Request changes*', '*Reject*', '*Cancel pipeline*']) expect(help).toContain(button);
  });

  it('says how to research a word like "status"', () => {
    expect(help).toMatch(/put it in quotes/);
  });

  it('uses the command name it is given', () => {
    const custom = fullHelp('/rs');
    expect(custom).toContain('`/rs status`');
    expect(custom).toContain('`/rs cancel <workflow-id>`');
    expect(custom).not.toContain('/research');
  });
});

describe('runSubcommand', () => {
  const unexpected = (name: string) =>
    vi.fn(async (): Promise<never> => {
      throw new Error(`unexpected call to pipelines.${name}`);
    });

  let listRunning: ReturnType<typeof vi.fn<(userId: string, channel: string) => Promise<PipelineListing[]>>>;
  let describeFn: ReturnType<typeof vi.fn<(workflowId: string) => Promise<PipelineFacts | undefined>>>;
  let cancel: ReturnType<typeof vi.fn<(workflowId: string, userId: string, channel: string | undefined) => Promise<ReviewDelivery>>>;
  let membersOf: ReturnType<typeof vi.fn<(groupId: string) => Promise<string[]>>>;
  let reply: ReturnType<typeof vi.fn<(text: string) => Promise<unknown>>>;

  const makeDeps = (reviewers: string[] = []): ListenerDeps => ({
    pipelines: {
      start: unexpected('start'),
      review: unexpected('review'),
      answerBudget: unexpected('answerBudget'),
      requestChanges: unexpected('requestChanges'),
      approveEdited: unexpected('approveEdited'),
      reject: unexpected('reject'),
      draft: unexpected('draft'),
      listRunning,
      describe: describeFn,
      cancel,
      republish: unexpected('republish'),
    },
    reviewers,
    directory: { membersOf },
    membership: { conversationsOf: unexpected('conversationsOf'), isMember: unexpected('isMember'), forgetUser: () => {}, forgetAll: () => {} },
    channelVisibility: unexpected('channelVisibility'),
    temporalUiUrl: UI,
    namespace: 'default',
  });

  const context = (userId = 'U0REQUESTER', channelId = 'C0CHANNEL'): SubcommandContext => ({ command: '/research', userId, channelId, reply });

  const run = (sub: Subcommand, deps: ListenerDeps = makeDeps(), ctx: SubcommandContext = context()) => runSubcommand(sub, ctx, deps);

  const onlyReply = (): string => {
    expect(reply).toHaveBeenCalledTimes(1);
    return reply.mock.calls[0]![0];
  };

  const facts = (overrides: Partial<PipelineFacts> = {}): PipelineFacts => ({
    running: true,
    status: 'RUNNING',
    channel: 'C0CHANNEL',
    requestedBy: 'U0REQUESTER',
    topic: 'Durable execution',
    visibility: 'public',
    startTime: new Date(NOW.getTime() - 60_000),
    ...overrides,
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    listRunning = vi.fn(async () => []);
    describeFn = vi.fn(async () => facts());
    cancel = vi.fn(async (): Promise<ReviewDelivery> => ({ delivered: true }));
    membersOf = vi.fn(async () => []);
    reply = vi.fn(async () => undefined);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('help and unknown words', () => {
    it('replies with the full help', async () => {
      await run({ kind: 'help' });
      expect(onlyReply()).toBe(fullHelp('/research'));
    });

    it('says an unknown word is not a subcommand, starts nothing, and shows the help', async () => {
      await run({ kind: 'unknown', word: 'stop' });
      const text = onlyReply();
      expect(text).toContain("I don't have a `stop` subcommand, so nothing was started.");
      expect(text).toContain(fullHelp('/research'));
      expect(listRunning).not.toHaveBeenCalled();
      expect(cancel).not.toHaveBeenCalled();
    });

    it('escapes the unknown word', async () => {
      await run(parseSubcommand('--<!channel>')!);
      expect(onlyReply()).toContain('`--&lt;!channel&gt;`');
    });
  });

  describe('status', () => {
    it('says when there are no running pipelines, and how to start one', async () => {
      await run({ kind: 'status' }, makeDeps(), context('U0ME', 'C0HERE'));
      expect(listRunning).toHaveBeenCalledWith('U0ME', 'C0HERE');
      expect(onlyReply()).toBe('You have no running pipelines in this channel. Start one with `/research <topic>`.');
    });

    it('lists a pipeline whose memo cannot be decoded with a placeholder in place of its topic', async () => {
      listRunning.mockResolvedValue([
        { workflowId: WORKFLOW_ID, topic: 'a run this bot cannot read: its encryption key is gone', stage: 'unknown', startTime: new Date(NOW.getTime() - 5 * 60_000), unreadable: true },
      ]);
      await run({ kind: 'status' });
      expect(onlyReply().split('\n')[1]).toBe(
        `• _a run this bot cannot read: its encryption key is gone_: unknown, started 5m 00s ago · \`${WORKFLOW_ID}\` · <http://localhost:8233/namespaces/default/workflows/${WORKFLOW_ID}|Temporal UI>`,
      );
    });

    it('lists each running pipeline with its stage, age, ID and a link to the Temporal UI', async () => {
      const other = 'research-temporal-nexus-20250305-abc123';
      listRunning.mockResolvedValue([
        { workflowId: WORKFLOW_ID, topic: 'Durable execution', stage: 'awaiting-review', startTime: new Date(NOW.getTime() - 5 * 60_000) },
        { workflowId: other, topic: 'Temporal Nexus', stage: 'researching', startTime: new Date(NOW.getTime() - 2 * 3_600_000) },
      ]);
      await run({ kind: 'status' });
      const lines = onlyReply().split('\n');
      expect(lines).toEqual([
        'Your running pipelines in this channel (2):',
        `• *Durable execution*: awaiting-review, started 5m 00s ago · \`${WORKFLOW_ID}\` · <http://localhost:8233/namespaces/default/workflows/${WORKFLOW_ID}|Temporal UI>`,
        `• *Temporal Nexus*: researching, started 2h 0m ago · \`${other}\` · <http://localhost:8233/namespaces/default/workflows/${other}|Temporal UI>`,
      ]);
    });

    it('escapes topics', async () => {
      listRunning.mockResolvedValue([{ workflowId: WORKFLOW_ID, topic: '<!channel> & <@U999>', stage: 'writing', startTime: NOW }]);
      await run({ kind: 'status' });
      const text = onlyReply();
      expect(text).toContain('*&lt;!channel&gt; &amp; &lt;@U999&gt;*');
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U999>');
    });

    it('lets a failure reach the caller (which answers "temporarily unavailable")', async () => {
      listRunning.mockRejectedValue(new Error('deadline exceeded'));
      await expect(run({ kind: 'status' })).rejects.toThrow('deadline exceeded');
      expect(reply).not.toHaveBeenCalled();
    });
  });

  describe('cancel', () => {
    it('asks for a workflow ID when there is none or it is not one of ours', async () => {
      for (const workflowId of ['', 'not-an-id', 'research-x', `${WORKFLOW_ID} extra`, 'other-topic-20240305-abc']) {
        reply.mockClear();
        await run({ kind: 'cancel', workflowId });
        expect(onlyReply()).toContain('Please give the workflow ID to cancel');
        expect(onlyReply()).toContain('`/research status`');
      }
      expect(describeFn).not.toHaveBeenCalled();
      expect(cancel).not.toHaveBeenCalled();
    });

    const refusal = (reviewers: string[] = []) => notActionableHere('/research', 'cancel', WORKFLOW_ID, { reviewers });

    it('says it cannot cancel a pipeline that does not exist', async () => {
      describeFn.mockResolvedValue(undefined);
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(describeFn).toHaveBeenCalledWith(WORKFLOW_ID);
      expect(onlyReply()).toBe(refusal());
      expect(onlyReply()).toBe(`I can't cancel \`${WORKFLOW_ID}\` from here, so nothing was cancelled. Use this command in the channel where the pipeline was started (\`/research status\` lists yours); only the person who started this pipeline can cancel it.`);
      expect(cancel).not.toHaveBeenCalled();
    });

    it('will not cancel a pipeline from another channel, even its requester, and says the same as for an unknown ID', async () => {
      describeFn.mockResolvedValue(facts({ channel: 'C0ELSEWHERE' }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(onlyReply()).toBe(refusal());
      expect(cancel).not.toHaveBeenCalled();
    });

    it('tells another channel nothing of a finished run either (not "already finished")', async () => {
      describeFn.mockResolvedValue(facts({ channel: 'C0ELSEWHERE', running: false, status: 'COMPLETED', outcome: 'approved' }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(onlyReply()).toBe(refusal());
    });

    it('says a finished pipeline has nothing to cancel, with its outcome or status', async () => {
      describeFn.mockResolvedValue(facts({ running: false, status: 'COMPLETED', outcome: 'approved' }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(onlyReply()).toBe(`\`${WORKFLOW_ID}\` has already finished (approved), so there is nothing to cancel.`);

      reply.mockClear();
      describeFn.mockResolvedValue(facts({ running: false, status: 'TIMED_OUT' }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(onlyReply()).toBe(`\`${WORKFLOW_ID}\` has already finished (timed_out), so there is nothing to cancel.`);
      expect(cancel).not.toHaveBeenCalled();
    });

    it('a run whose encryption key is gone: the requester is told why nothing can be done, and no signal is sent', async () => {
      describeFn.mockResolvedValue(facts({ topic: undefined, unreadable: { keyId: 'k0' } }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(onlyReply()).toBe(
        'This pipeline was started under an encryption key ("k0") the bot no longer has, so it cannot go on and nothing changed. ' +
          'Ask whoever runs the bot to put that key back in PAYLOAD_KEYS (`npm run keys -- check` lists the runs that need it), then try again.',
      );
      expect(cancel).not.toHaveBeenCalled();
      // Someone else still gets the one refusal, which says nothing about the run.
      reply.mockClear();
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(), context('U0STRANGER'));
      expect(onlyReply()).toBe(refusal());
    });

    it('refuses someone who is neither the requester nor a reviewer', async () => {
      membersOf.mockResolvedValue(['U0EDITOR']);
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(['U0REVIEWER', 'S0EDITORS']), context('U0STRANGER'));
      expect(onlyReply()).toBe(refusal(['U0REVIEWER', 'S0EDITORS']));
      expect(onlyReply()).toContain('only the person who started this pipeline or a reviewer can cancel it.');
      expect(cancel).not.toHaveBeenCalled();

      // A finished run: the same words, before anything about its state.
      reply.mockClear();
      describeFn.mockResolvedValue(facts({ running: false, status: 'COMPLETED', outcome: 'rejected' }));
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(['U0REVIEWER']), context('U0STRANGER'));
      expect(onlyReply()).toBe(refusal(['U0REVIEWER']));
    });

    it('lets the requester cancel, once, in their name', async () => {
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(['U0REVIEWER']), context('U0REQUESTER'));
      expect(cancel).toHaveBeenCalledTimes(1);
      expect(cancel).toHaveBeenCalledWith(WORKFLOW_ID, 'U0REQUESTER', 'C0CHANNEL');
      expect(onlyReply()).toBe(`Cancelling \`${WORKFLOW_ID}\`; the thread will say when it has stopped.`);
      // The requester needs no reviewer check.
      expect(membersOf).not.toHaveBeenCalled();
    });

    it('lets a listed reviewer cancel someone else’s pipeline', async () => {
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(['U0REVIEWER']), context('U0REVIEWER'));
      expect(cancel).toHaveBeenCalledExactlyOnceWith(WORKFLOW_ID, 'U0REVIEWER', 'C0CHANNEL');
    });

    it('lets a member of a reviewer group cancel', async () => {
      membersOf.mockResolvedValue(['U0EDITOR']);
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps(['S0EDITORS']), context('U0EDITOR'));
      expect(membersOf).toHaveBeenCalledWith('S0EDITORS');
      expect(cancel).toHaveBeenCalledExactlyOnceWith(WORKFLOW_ID, 'U0EDITOR', 'C0CHANNEL');
    });

    it('refuses a listed reviewer who is not in the run’s private channel, with the one answer', async () => {
      describeFn.mockResolvedValue(facts({ visibility: 'private' }));
      const deps = makeDeps(['U0REVIEWER']);
      const isMember = vi.fn(async () => false);
      deps.membership = { ...deps.membership!, isMember };
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, deps, context('U0REVIEWER'));
      expect(isMember).toHaveBeenCalledWith('U0REVIEWER', 'C0CHANNEL');
      expect(onlyReply()).toBe(refusal(['U0REVIEWER']));
      expect(cancel).not.toHaveBeenCalled();
    });

    it('lets a listed reviewer who is in the run’s private channel cancel', async () => {
      describeFn.mockResolvedValue(facts({ visibility: 'private' }));
      const deps = makeDeps(['U0REVIEWER']);
      deps.membership = { ...deps.membership!, isMember: vi.fn(async () => true) };
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, deps, context('U0REVIEWER'));
      expect(cancel).toHaveBeenCalledExactlyOnceWith(WORKFLOW_ID, 'U0REVIEWER', 'C0CHANNEL');
    });

    it('lets only the requester cancel when no reviewers are configured', async () => {
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID }, makeDeps([]), context('U0ANYONE'));
      expect(onlyReply()).toBe(refusal());
      expect(cancel).not.toHaveBeenCalled();
    });

    it('says the pipeline already finished when the cancel arrives too late', async () => {
      cancel.mockResolvedValue({ delivered: false, reason: 'finished' });
      await run({ kind: 'cancel', workflowId: WORKFLOW_ID });
      expect(cancel).toHaveBeenCalledTimes(1);
      expect(onlyReply()).toBe('That pipeline has already finished.');
    });

    it('goes from parsed text to a cancel', async () => {
      await run(parseSubcommand(`cancel ${WORKFLOW_ID}`)!);
      expect(cancel).toHaveBeenCalledExactlyOnceWith(WORKFLOW_ID, 'U0REQUESTER', 'C0CHANNEL');
    });
  });

  describe('publish', () => {
    let republish: ReturnType<typeof vi.fn<(workflowId: string, userId: string, askedFrom: string) => Promise<RepublishResult>>>;
    const REVIEWERS = ['U0REVIEWER'];
    const refusal = notActionableHere('/research', 'publish', WORKFLOW_ID, { reviewers: REVIEWERS });
    const finished = () => facts({ running: false, status: 'COMPLETED', outcome: 'approved' });
    const publish = (ctx: SubcommandContext = context()) => {
      const deps = makeDeps(REVIEWERS);
      deps.pipelines.republish = republish;
      return run({ kind: 'publish', workflowId: WORKFLOW_ID }, deps, ctx);
    };

    beforeEach(() => {
      republish = vi.fn(async (): Promise<RepublishResult> => ({ kind: 'published', channel: 'C0EDITORS', ts: '1.2', parts: 1 }));
      describeFn.mockResolvedValue(finished());
    });

    it('a finished run whose encryption key is gone: says so instead of failing on its result', async () => {
      describeFn.mockResolvedValue(facts({ running: false, status: 'COMPLETED', topic: undefined, unreadable: {} }));
      await publish();
      expect(onlyReply()).toMatch(/^This pipeline was started under an encryption key the bot no longer has/);
      expect(republish).not.toHaveBeenCalled();
    });

    it('gives an unknown ID, another channel’s run and someone else’s run the same answer, and starts nothing', async () => {
      const answers: string[] = [];
      for (const [found, ctx] of [
        [undefined, context()],
        [finished(), context('U0REQUESTER', 'C0ELSEWHERE')],
        [finished(), context('U0STRANGER')],
        [facts(), context('U0STRANGER')], // still running: not said either
        [facts({ channel: 'C0ELSEWHERE' }), context()],
      ] as const) {
        reply.mockClear();
        describeFn.mockResolvedValue(found);
        await publish(ctx);
        answers.push(onlyReply());
      }
      expect(new Set(answers)).toEqual(new Set([refusal]));
      expect(refusal).toBe(`I can't publish \`${WORKFLOW_ID}\` from here, so nothing was published. Use this command in the channel where the pipeline was started (the thread's "Not published" note names it); only the person who started this pipeline or a reviewer can publish it.`);
      expect(republish).not.toHaveBeenCalled();
    });

    it('publishes for the requester or a reviewer in the run’s channel, saying which channel it asks from', async () => {
      await publish(context('U0REVIEWER'));
      expect(republish).toHaveBeenCalledExactlyOnceWith(WORKFLOW_ID, 'U0REVIEWER', 'C0CHANNEL');
      expect(onlyReply()).toBe('Published in <#C0EDITORS>. The thread says so too.');
    });

    it('answers a refusal by the workflow itself with the same words', async () => {
      republish.mockResolvedValue({ kind: 'refused' });
      await publish();
      expect(onlyReply()).toBe(refusal);
    });

    it('shows a failure without hosts, addresses or tokens, and says where the details are', async () => {
      republish.mockResolvedValue({ kind: 'failed', channel: 'C0EDITORS', message: 'Slack chat.postMessage failed: connect ECONNREFUSED 10.9.8.7:443 (https://slack.example.com/api, xoxb-1-2-secret)' });
      await publish();
      const text = onlyReply();
      expect(text).toBe("Publishing failed again: Slack chat.postMessage failed: connect ECONNREFUSED [address] ([url], [token]) (details are in the Temporal UI and the bot's logs). Try again later.");
    });
  });
});
