/**
 * Property-based tests at the edges (fast-check): random and adversarial strings (Slack's escapes
 * and markup, mentions, emoji and surrogate pairs, lone surrogates, ZWJ sequences, RTL marks and
 * overrides, control characters, our prompt tags, 3,000-character runs) through every pure
 * function that meets user or model text: topic parsing, Slack escaping and cutting, the prompt
 * defusing rule and the prompt builders, and every block builder that shows such text.
 *
 * Asserted: nothing throws; every payload is accepted by the strict stand-in Slack's own rules
 * (src/stand-ins/slack/rules.ts); no live mention in any rendered text; no tag opener of ours
 * outside its field in any prompt. Fixed seed (FC_SEED overrides it); a failure prints fast-check's
 * report: the seed, the path and the shrunk counterexample.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { defuse, DEFUSED_LESS_THAN, delimit, hasTagOpener, PROMPT_TAGS, tagOpeners } from '../../src/shared/delimit.js';
import { articlePrompt, evidencePrompt, examplesPrompt, keyFactsPrompt, repairPrompt, revisionPrompt, statisticsPrompt, type PromptMessages } from '../../src/shared/prompts.js';
import { readResearchCommand, sanitizeTopic } from '../../src/shared/topic.js';
import { undeliverableNotice } from '../../src/slack/blocks/channel-access.js';
import { homeView, type HomeRun } from '../../src/slack/blocks/home.js';
import { editedArticle, editModal, editParts, noticeModal, rejectModal, requestChangesModal } from '../../src/slack/blocks/modals.js';
import { refusalNotice } from '../../src/slack/blocks/notices.js';
import { failureMessage, outcomeMessage } from '../../src/slack/blocks/outcome.js';
import { decidedCardMessage, draftCardMessage, slackDate, supersededCardMessage, threadRootMessage, type DraftCardInput } from '../../src/slack/blocks/pipeline.js';
import { publishMessages } from '../../src/slack/blocks/publish.js';
import { reminderMessage, reviewerMention } from '../../src/slack/blocks/reminder.js';
import { startedReply } from '../../src/slack/blocks/replies.js';
import { admittingReply, spendCheckUnavailableReply } from '../../src/slack/blocks/spend.js';
import { statusMessage } from '../../src/slack/blocks/status.js';
import { cut, escapeMrkdwn, markdownText, slackLength, userMention, userText } from '../../src/slack/blocks/text.js';
import type { Decision, GroundingCard, Passage, ResearchBundle, UsageSummary } from '../../src/workflows/messages.js';
import { readOpeners } from '../harness/prompt-reading.js';
import { FUZZ_SEED, fuzz, fuzzCases, hostileText, liveMentions, messageProblems, renderedTexts, strayOpeners, viewProblems } from '../harness/fuzz.js';

afterAll(() => {
  // The closing note of issue 22 quotes this number.
  console.log(`edge-fuzz: ${fuzzCases()} fast-check cases (seed ${FUZZ_SEED}; FC_SEED overrides)`);
});

/** Characters as the stand-in Slack counts them (code points). */
const chars = (text: string) => [...text].length;
const text = hostileText();
const shortText = hostileText({ maxParts: 6, long: false });
const max = fc.integer({ min: 1, max: 3_000 });

describe('Slack text helpers (src/slack/blocks/text.ts)', () => {
  it('slackLength counts characters as the strict stand-in does', () => {
    fuzz(fc.property(text, (s) => slackLength(s) === chars(s)), 1_000);
  });

  it('escapeMrkdwn leaves no raw < or > and no & outside its three escapes, and is reversible', () => {
    fuzz(
      fc.property(text, (s) => {
        const escaped = escapeMrkdwn(s);
        expect(escaped).not.toMatch(/[<>]/);
        expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(escaped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).toBe(s);
      }),
      1_000,
    );
  });

  it('cut fits the limit as the stand-in counts, ends in … only when it cut, and keeps a prefix', () => {
    fuzz(
      fc.property(text, max, (s, limit) => {
        const out = cut(s, limit);
        expect(chars(out)).toBeLessThanOrEqual(limit);
        if (chars(s) <= limit) expect(out).toBe(s);
        else {
          expect(out.endsWith('…')).toBe(true);
          expect(s.startsWith(out.slice(0, -1))).toBe(true);
        }
      }),
      1_000,
    );
  });

  it('userText: fits, escaped, no live mention, no escape sequence cut in two', () => {
    fuzz(
      fc.property(text, max, (s, limit) => {
        const out = userText(s, limit);
        expect(chars(out)).toBeLessThanOrEqual(limit);
        expect(out).not.toMatch(/[<>]/);
        expect(out).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(liveMentions(out)).toEqual([]);
      }),
      1_000,
    );
  });

  it('markdownText: fits, no live mention (bracketed or bare)', () => {
    fuzz(
      fc.property(text, max, (s, limit) => {
        const out = markdownText(s, limit);
        expect(chars(out)).toBeLessThanOrEqual(limit);
        expect(liveMentions(out)).toEqual([]);
      }),
      1_000,
    );
  });
});

describe('topics (src/shared/topic.ts)', () => {
  it('readResearchCommand never throws and gives a plain topic: no markup, no control or bidi characters, no broadcast word, within the limit', () => {
    fuzz(
      fc.property(text, fc.integer({ min: 1, max: 400 }), (s, limit) => {
        const command = readResearchCommand(s, limit);
        if (command.kind !== 'start') return;
        const { topic } = command;
        expect(chars(topic)).toBeLessThanOrEqual(limit);
        expect(topic).toBe(topic.trim());
        // No markup Slack would act on (an unclosed `<!` is just characters).
        expect(topic).not.toMatch(/<[@!#][^<>]*>/);
        // eslint-disable-next-line no-control-regex -- the characters sanitizeTopic removes
        expect(topic).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFEFF\u202A-\u202E\u2066-\u2069]/);
        expect(topic).not.toMatch(/@(?:here|channel|everyone)\b/i);
      }),
      1_000,
    );
  });

  it('sanitizeTopic leaves no Slack markup Slack would act on', () => {
    fuzz(fc.property(text, (s) => !/<[@!#][^<>]*>/.test(sanitizeTopic(s))), 1_000);
  });
});

describe('the defusing rule (src/shared/delimit.ts)', () => {
  const tagName = fc.constantFrom(...Object.values(PROMPT_TAGS), 'system', 'passage');
  /** Pieces of our tag syntax in every spelling, to rebuild tags from. */
  const tagPiece = fc.oneof(
    tagName,
    tagName.map((t) => t.slice(0, 2)),
    tagName.map((t) => t.slice(2)),
    tagName.map((t) => t.toUpperCase()),
    fc.constantFrom('<', '</', '< /', '</ ', '>', '/', ' ', '\n', '&lt;', '&LT', '&#60;', '&#060;', '&#x3c;', '&#X003C;', '&amp;lt;', '&gt;', '\uFF1C', '\uFE64', '\u200B', '\u00AD', '\uFEFF', DEFUSED_LESS_THAN, '="x"', 'div', '<div>'),
    // Encoded slashes and letters, look-alike slashes and less-thans, fullwidth and mathematical letters, Cyrillic and Greek letters, combining marks.
    fc.constantFrom('&#47;', '&#x2F;', '&sol;', '&#116;', '&#x74;', '&#112;', '&amp;#47;', '&l', 't;', '\uFF0F', '\u2044', '\u2215', '\u27E8', '\u0301', '\u0338', '\u043E', '\u0440', '\u0430', '\u0435', '\u03BF', '\u03C1', '\uFF54', '\uFF4F', '\uFF50', '\u{1D42D}', '\u{1D428}', '\u{1D41D}'),
    tagName.map((t) => [...t].map((c) => String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41)).join('')),
    tagName.map((t) => t.replace(/o/g, '\u043E').replace(/a/g, '\u0430').replace(/p/g, '\u0440')),
    tagName.map((t) => `${t.slice(0, 1)}&#${t.codePointAt(1)};${t.slice(2)}`),
  );
  const tagSoup = fc.array(tagPiece, { maxLength: 30 }).map((p) => p.join(''));
  const anyText = fc.oneof(tagSoup, text);

  it('leaves no opener of ours, and defuse(defuse(x)) === defuse(x)', () => {
    fuzz(
      fc.property(anyText, (s) => {
        const once = defuse(s);
        expect(hasTagOpener(once)).toBe(false);
        // Judged by the independent reading too (test/harness/prompt-reading.ts), not by defuse's own rule alone.
        expect(readOpeners(once)).toEqual([]);
        expect(defuse(once)).toBe(once);
      }),
      2_000,
    );
  });

  it('escapes, never deletes: with < as the only spelling, it only turns some < into ‹', () => {
    const plain = fc.array(fc.oneof(tagName, tagName.map((t) => t.slice(0, 3)), fc.constantFrom('<', '/', ' ', '>', 'x', '\n', '\u200B', 'div')), { maxLength: 30 }).map((p) => p.join(''));
    fuzz(
      fc.property(plain, (s) => {
        const out = defuse(s);
        expect(out).toHaveLength(s.length);
        expect(out.replaceAll(DEFUSED_LESS_THAN, '<')).toBe(s);
      }),
      1_000,
    );
  });

  it('changes nothing in text that holds no opener of ours (a <div> stays a <div>)', () => {
    fuzz(fc.property(anyText, (s) => hasTagOpener(s) || defuse(s) === s), 1_000);
  });

  it('a delimited field has exactly its own two tags, whatever it holds', () => {
    fuzz(
      fc.property(tagName.filter((t): t is (typeof PROMPT_TAGS)[keyof typeof PROMPT_TAGS] => t !== 'system' && t !== 'passage'), anyText, (tag, s) => {
        expect(tagOpeners(delimit(tag, s))).toEqual([`<${tag}`, `</${tag}`]);
      }),
      1_000,
    );
  });
});

describe('prompts: no tag opener of ours outside its field', () => {
  const field = fc.oneof(text, shortText);
  const passageArb = fc.record({ n: fc.integer({ min: 1, max: 9 }), source: field, section: field, page: fc.integer({ min: 0, max: 3 }), text: field, score: fc.double({ min: 0, max: 1, noNaN: true }) }) as fc.Arbitrary<Passage>;
  const researchArb = fc.record({
    facts: field,
    examples: fc.array(fc.record({ title: field, description: field }), { maxLength: 3 }),
    statistics: field,
    grounding: fc.option(fc.record({ status: fc.constant('grounded' as const), passages: fc.array(passageArb, { minLength: 1, maxLength: 3 }), docsOnly: fc.boolean() }), { nil: undefined }),
  }) as fc.Arbitrary<Omit<ResearchBundle, 'usage'>>;
  const plainResearch = (r: Omit<ResearchBundle, 'usage'>): Omit<ResearchBundle, 'usage'> => ({
    facts: 'f',
    examples: r.examples.map(() => ({ title: 't', description: 'd' })),
    statistics: 's',
    ...(r.grounding ? { grounding: { ...r.grounding, passages: r.grounding.passages.map((p) => ({ ...p, source: 's', section: 'x', text: 't' })) } } : {}),
  });
  const all = (p: PromptMessages | string) => (typeof p === 'string' ? p : `${p.system}\n${p.user}`);

  it('topic prompts, from the topic as the bot reads it', () => {
    fuzz(
      fc.property(text, (raw) => {
        const command = readResearchCommand(raw, 3_000);
        const topic = command.kind === 'start' ? command.topic : raw;
        for (const build of [keyFactsPrompt, examplesPrompt, statisticsPrompt]) {
          expect(strayOpeners(all(build(topic)), readOpeners(all(build('x'))))).toEqual([]);
          expect(build(topic).user).toContain(`<topic>${defuse(topic)}</topic>`);
        }
      }),
      500,
    );
  });

  it('article, revision, evidence and repair prompts with every field hostile at once', () => {
    fuzz(
      fc.property(field, researchArb, field, field, (topic, research, draft, feedback) => {
        const plain = plainResearch(research);
        expect(strayOpeners(all(articlePrompt(topic, research)), readOpeners(all(articlePrompt('x', plain))))).toEqual([]);
        const revision = revisionPrompt(topic, research, draft, feedback);
        expect(strayOpeners(all(revision), readOpeners(all(revisionPrompt('x', plain, 'd', 'f'))))).toEqual([]);
        expect(revision.user).toContain(`<draft>\n${defuse(draft)}\n</draft>`);
        expect(revision.user).toContain(`<feedback>\n${defuse(feedback)}\n</feedback>`);
        const passages = research.grounding?.passages ?? [];
        expect(strayOpeners(all(evidencePrompt(draft, passages)), readOpeners(all(evidencePrompt('d', plain.grounding?.passages ?? []))))).toEqual([]);
        expect(strayOpeners(repairPrompt(feedback), readOpeners(repairPrompt('p')))).toEqual([]);
      }),
      400,
    );
  });
});

describe('block builders: accepted by the strict stand-in Slack, no live mention', () => {
  const REQUESTER = 'UREQUESTER1';
  const REVIEWER = 'UREVIEWER1';
  const AT = '2026-12-03T10:00:00.000Z';
  const WORKFLOW = 'research-x-20261203-abc123';
  const URL = 'http://localhost:8233/namespaces/default/workflows/research-x';
  /** The markup the builders themselves write. */
  const OURS = [userMention(REQUESTER), userMention(REVIEWER), reviewerMention('S0GROUP'), slackDate(AT)];
  const usage: UsageSummary = { steps: [], inputTokens: 10, outputTokens: 20, totalTokens: 30, costUsd: 0.001, unpricedSteps: [] };

  function accepted(payload: Record<string, unknown>, kind: 'message' | 'view' = 'message'): void {
    expect(kind === 'message' ? messageProblems(payload) : viewProblems(payload)).toEqual([]);
    for (const rendered of renderedTexts(payload)) expect(liveMentions(rendered, OURS), rendered.slice(0, 200)).toEqual([]);
  }

  const passageArb = fc.record({ n: fc.integer({ min: 1, max: 12 }), source: shortText, section: shortText, page: fc.integer({ min: 0, max: 400 }), text, score: fc.constant(0.5) }) as fc.Arbitrary<Passage>;
  const sourcesArb: fc.Arbitrary<GroundingCard | undefined> = fc.option(
    fc.record({
      grounding: fc.record({
        status: fc.constantFrom('grounded' as const, 'nothing-relevant' as const, 'no-index' as const),
        passages: fc.array(passageArb, { maxLength: 6 }),
        docsOnly: fc.boolean(),
        collections: fc.array(shortText, { maxLength: 3 }),
      }),
      evidence: fc.option(
        fc.array(fc.record({ statement: text, verdict: fc.constantFrom('supported' as const, 'general' as const, 'unsupported' as const), passage: fc.integer({ min: 0, max: 12 }) }), { maxLength: 8 }).map((statements) => ({
          statements,
          supported: statements.filter((s) => s.verdict === 'supported').length,
          total: statements.length,
        })),
        { nil: undefined },
      ),
      evidenceNote: fc.option(shortText, { nil: undefined }),
    }),
    { nil: undefined },
  );
  const cardArb: fc.Arbitrary<DraftCardInput> = fc.record({
    workflowId: fc.constant(WORKFLOW),
    topic: text,
    article: hostileText({ maxParts: 20 }),
    version: fc.integer({ min: 1, max: 9 }),
    revisionsLeft: fc.integer({ min: 0, max: 3 }),
    totalTokens: fc.nat(),
    costUsd: fc.double({ min: 0, max: 100, noNaN: true }),
    sources: sourcesArb,
  });

  it('thread root, draft card (with sources and evidence), superseded and decided cards', () => {
    fuzz(
      fc.property(cardArb, text, text, fc.boolean(), (card, feedback, reason, edited) => {
        accepted({ ...threadRootMessage({ topic: card.topic, requestedBy: REQUESTER, workflowId: WORKFLOW, workflowUrl: URL }) });
        accepted({ ...draftCardMessage(card) });
        accepted({ ...supersededCardMessage({ ...card, nextVersion: (card.version ?? 1) + 1, requestedBy: REVIEWER, feedback }) });
        const decision: Decision = edited
          ? { outcome: 'approved', by: REVIEWER, at: AT, edit: { charactersChanged: 3, originalLength: 10, editedLength: 12 } }
          : { outcome: 'rejected', by: REVIEWER, at: AT, reason };
        accepted({ ...decidedCardMessage({ ...card, decision }) });
      }),
      200,
    );
  });

  it('outcome, failure, publication, reminder and status messages', () => {
    fuzz(
      // The failure's step and explanation are our words (failures.ts: a step label, explainFailure); its detail is an error's message.
      fc.property(text, text, hostileText({ maxParts: 30 }), text, (topic, reason, article, detail) => {
        accepted({ ...outcomeMessage({ topic, decision: { outcome: 'rejected', by: REVIEWER, at: AT, reason }, usage, budgetUsd: 1, workflowUrl: URL, versions: 2 }) });
        accepted({ ...failureMessage({ step: 'Writing the article', explanation: 'The model provider refused the request.', detail, usage, budgetUsd: 1, workflowUrl: URL }) });
        for (const message of publishMessages({ topic, article, requestedBy: REQUESTER, approvedBy: REVIEWER, versions: 1, edited: true, costUsd: 0.01, costComplete: true, workflowUrl: URL })) {
          accepted({ ...message });
        }
        accepted({ ...reminderMessage({ topic, version: 2, reviewers: [REVIEWER, 'S0GROUP'], waitedMs: 60_000 }) });
        accepted({
          ...statusMessage({ workflowId: WORKFLOW, topic, state: 'running', steps: [], totalTokens: 1, totalCostUsd: 0, unpricedSteps: [], budgetUsd: 1, elapsedMs: 5, headline: `Revising after feedback from ${userMention(REVIEWER)}` }),
        });
      }),
      200,
    );
  });

  it('ephemeral replies and notices that give a person their text back', () => {
    fuzz(
      fc.property(text, hostileText({ maxParts: 30 }), (topic, returned) => {
        for (const reply of [startedReply(topic), admittingReply(topic), spendCheckUnavailableReply(topic)]) accepted({ text: reply });
        accepted({ text: undeliverableNotice({ command: '/research', topic, channel: 'C1', slackError: 'not_in_channel', workflowId: WORKFLOW }) });
        accepted({ ...refusalNotice({ reason: `This draft was already decided by ${userMention(REVIEWER)}.`, returned: { label: 'Your feedback', text: returned } }) });
      }),
      200,
    );
  });

  it('modals: edit (the draft, split over inputs), request changes, reject, notice', () => {
    const context = { workflowId: WORKFLOW, version: 2, channel: 'C1' };
    fuzz(
      fc.property(hostileText({ maxParts: 30 }), (article) => {
        const view = editModal(context, article);
        if (view) {
          accepted({ ...view }, 'view');
          // Submitted unchanged, the parts give back the draft exactly (its outer edges aside): nothing escaped, no whitespace lost at a cut.
          const values = Object.fromEntries(
            (view.blocks as Array<{ type: string; block_id?: string; element?: { initial_value?: string } }>)
              .filter((b) => b.type === 'input')
              .map((b) => [b.block_id!, { text: { value: b.element?.initial_value ?? '' } }]),
          );
          expect(editedArticle(values)).toBe(article.trim());
          expect(editParts(article)).toHaveLength(Object.keys(values).length);
        }
        accepted({ ...requestChangesModal(context, 2) }, 'view');
        accepted({ ...rejectModal(context) }, 'view');
        accepted({ ...noticeModal('Nothing to do', `This draft was already decided by ${userMention(REVIEWER)}.`) }, 'view');
      }),
      200,
    );
  });

  it('App Home: run topics, the Temporal error and the membership note', () => {
    const runArb: fc.Arbitrary<HomeRun> = fc.record({
      workflowId: fc.constant(WORKFLOW),
      topic: text,
      stage: fc.constantFrom('researching', 'awaiting-review', 'completed'),
      version: fc.integer({ min: 0, max: 9 }),
      costUsd: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
      channel: fc.constant('C1'),
      threadTs: fc.constant('1700000000.000100'),
      startTime: fc.constant(new Date(AT)),
      running: fc.boolean(),
      // An unreadable run's topic is our placeholder, not the person's words (home.ts).
      unreadable: fc.constant(false),
    });
    fuzz(
      // The membership note is our words (membershipProblem); the error is Temporal's message.
      fc.property(fc.array(runArb, { maxLength: 12 }), fc.array(runArb, { maxLength: 12 }), fc.option(text, { nil: undefined }), fc.boolean(), (recent, awaitingReview, error, noted) => {
        const membershipNote = noted ? 'Slack did not answer; open the Home tab again in a minute' : undefined;
        const view = homeView(
          { userId: REQUESTER, recent, moreRecent: true, page: 1, awaitingReview, spend: { todayUsd: 1, monthUsd: 2, todayRuns: 1, monthRuns: 2, partial: false }, ...(error ? { error } : {}), ...(membershipNote ? { membershipNote } : {}) },
          { temporalUiUrl: 'http://localhost:8233', namespace: 'default', now: new Date(AT), workspaceUrl: 'https://acme.slack.com' },
        );
        accepted({ ...view }, 'view');
      }),
      200,
    );
  });
});

/** What the properties above found, kept as plain examples. */
describe('found by fuzzing', () => {
  it('a lone surrogate counts as one character, as the stand-in counts it (slackLength said 0, so cut let 3,000 through)', () => {
    expect(slackLength('\uDC00')).toBe(1);
    expect(slackLength('\uD83D\uDE80\uDE80')).toBe(2);
    expect(chars(userText('\uDC00'.repeat(3_500), 3_000))).toBeLessThanOrEqual(3_000);
  });

  it('sanitizeTopic does not rebuild markup from nested or control-split pieces', () => {
    expect(sanitizeTopic('&lt;!&lt;!here&gt;&gt;')).toBe('here');
    expect(sanitizeTopic('&lt;\u0000!here&gt;')).toBe('here');
    expect(sanitizeTopic('&lt;\u202E@U123&gt;')).toBe('@U123');
    expect(sanitizeTopic('@channele\u0301')).toBe('channelé');
  });

  it('a cut after "@channel" leaves no bare broadcast', () => {
    expect(liveMentions(userText('@channele\u0301'.repeat(300), 100))).toEqual([]);
    expect(liveMentions(markdownText('@channele\u0301'.repeat(300), 100))).toEqual([]);
  });

  it('the edit modal keeps every character of a paragraph with nowhere to cut (it dropped one per cut)', () => {
    const article = `Intro.\n\n${'x'.repeat(3_000)}${'y'.repeat(3_000)}z\n\nOutro.`;
    const view = editModal({ workflowId: 'w', version: 1, channel: 'C1' }, article)!;
    const values = Object.fromEntries(
      (view.blocks as Array<{ type: string; block_id?: string; element?: { initial_value?: string } }>)
        .filter((b) => b.type === 'input')
        .map((b) => [b.block_id!, { text: { value: b.element?.initial_value ?? '' } }]),
    );
    expect(Object.keys(values)).toEqual(['article_0', 'article_1_ws_ax2', 'article_2_cut', 'article_3_cut', 'article_4_ws_ax2']);
    expect(editedArticle(values)).toBe(article);
  });
});
