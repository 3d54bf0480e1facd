/**
 * Grounding end to end: an index built from the fixture corpus (every format) → a signed
 * `/research` → the writing prompt carries the passages → the draft card names the sources and
 * "N of M statements supported by your documents" → approved → the published article keeps its
 * Sources. And `--docs-only` on a topic the documents do not cover says so in the thread.
 *
 * The documents are bound to one channel (`npm run kb -- add corpus --channel CHANNEL`): asked
 * for in another channel, nothing of them is searched, cited or named (`--docs-only` there says
 * nothing relevant; `/research kb` there says nothing is shared with it).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { researchChildWorkflowId } from '../../src/shared/ids.js';
import { APPROVE_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import type { PipelineResult, ResearchBundle } from '../../src/workflows/messages.js';
import { waitFor } from '../harness/http.js';
import { blockText } from '../harness/fake-slack.js';
import { CHANNEL, startStack, type Stack } from '../harness/stack.js';
import { indexedCorpus } from '../harness/kb.js';

/** A public channel the documents are not bound to. */
const ELSEWHERE = 'C0ELSEWHERE';

describe('grounding in the team documents', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    // `npm run kb -- add corpus --channel CHANNEL`, against a stand-in of its own.
    dir = await indexedCorpus('kb-e2e-', [CHANNEL]);
    stack = await startStack({ env: { KB_URI: join(dir, '.kb') } });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a topic only the documents know: cited in the draft, sources and evidence on the card, Sources published', async () => {
    await stack.research('Zephyr rollout protocol');
    const { workflowId, threadTs } = await stack.waitForPipeline('Zephyr rollout protocol');
    const draft = await stack.waitForDraft(threadTs);

    const writing = stack.openai.completions.find((c) => c.step === 'writeArticle' && JSON.stringify(c.request).includes('Zephyr rollout protocol'))!;
    const prompt = String(writing.request.messages[1]!.content);
    expect(prompt).toMatch(/<team_document n="1" source="corpus\/zephyr-[a-z]+\.(md|txt|html|pdf|docx)"/);
    expect(prompt).toContain('Zephyr');
    expect(prompt).not.toContain('gardening.md');

    const card = blockText(draft);
    expect(card).toContain('*Sources* from _corpus_'); // the collection that answered
    expect(card).toMatch(/\d+ of \d+ statements supported by your documents/);
    expect(card).toMatch(/\*\[1\]\* corpus\/zephyr-/);
    expect(card).not.toContain('gardening');
    expect(stack.openai.count('checkEvidence')).toBe(1);

    await stack.click(APPROVE_ACTION_ID, workflowId, draft.ts);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as PipelineResult;
    expect(result.article).toMatch(/\[1\]/);
    expect(result.article).toMatch(/\*\*Sources\*\*\n\[1\] corpus\//);
    // The query's embedding tokens and the evidence check are counted like every other step.
    const steps = result.usage.steps.map((s) => s.step);
    expect(steps).toEqual(['researchTopic', 'findExamples', 'getStatistics', 'retrieveContext', 'writeArticle', 'checkEvidence']);
    expect(result.usage.steps.find((s) => s.step === 'retrieveContext')).toMatchObject({ model: 'text-embedding-3-small', outputTokens: 0 });
    expect(result.usage.steps.find((s) => s.step === 'retrieveContext')!.inputTokens).toBeGreaterThan(0);
    const published = stack.slack.channelMessages(CHANNEL).find((m) => m.metadata?.event_payload.kind === 'publish_1' && m.metadata.event_payload.workflow_id === workflowId);
    expect(blockText(published)).toContain('**Sources**');
  });

  it('/research kb shows what is indexed; /research help explains grounding', async () => {
    const before = stack.slack.callsOf('response_url').length;
    await stack.research('kb');
    const reply = await waitFor('the kb reply', () => stack.slack.callsOf('response_url').slice(before)[0]);
    expect(String(reply.args.text)).toMatch(/Files: 6 · chunks: \d+ · tokens embedded: [\d,]+/);
    expect(String(reply.args.text)).toContain('Collections: corpus');
    expect(String(reply.args.text)).not.toContain(dir); // the index's location stays on the server
    await stack.research('help');
    const help = await waitFor('the help reply', () => stack.slack.callsOf('response_url').slice(before)[1]);
    expect(String(help.args.text)).toContain('Grounding in your documents');
    expect(String(help.args.text)).toContain('--docs-only');
  });

  it('--docs-only on a topic the documents do not cover: no research, no article, the thread says why', async () => {
    const researchCalls = () => stack.openai.completions.filter((c) => JSON.stringify(c.request).includes('quantum chromodynamics')).length;
    await stack.research('quantum chromodynamics --docs-only');
    const { threadTs } = await stack.waitForPipeline('quantum chromodynamics');
    const reply = blockText(await stack.waitForReply(threadTs, 'failure'));
    expect(reply).toContain('Your documents hold nothing relevant to this topic');
    expect(reply).toContain('npm run kb -- add');
    expect(researchCalls()).toBe(0);
  });

  it('in a channel the documents are not bound to: /research kb shares nothing, --docs-only finds nothing, no source leaks', async () => {
    const before = stack.slack.callsOf('response_url').length;
    await stack.research('kb', { channelId: ELSEWHERE });
    const reply = String((await waitFor('the kb reply', () => stack.slack.callsOf('response_url').slice(before)[0])).args.text);
    expect(reply).toMatch(/^No documents are shared with this conversation/);
    expect(reply).toContain(`npm run kb -- add <folder> --channel ${ELSEWHERE}`);
    expect(reply).not.toMatch(/corpus|zephyr|Files:/i);

    const embeddingsBefore = stack.openai.embeddings.length;
    await stack.research('Zephyr rollout protocol --docs-only', { channelId: ELSEWHERE });
    // (The stack's helpers look in CHANNEL; this run's thread is in ELSEWHERE.)
    const root = await waitFor('the thread in the other channel', () => stack.slack.channelMessages(ELSEWHERE).find((m) => m.text?.includes('Zephyr rollout protocol')));
    const workflowId = String(root.metadata?.event_payload.workflow_id);
    const failure = blockText(await waitFor('the failure reply', () => stack.slack.threadReplies(ELSEWHERE, root.ts).find((m) => m.metadata?.event_payload.kind === 'failure')));
    expect(failure).toContain('Your documents hold nothing relevant to this topic');
    // Nothing was searched (no query embedding), so nothing could be cited, and nothing was written.
    expect(stack.openai.embeddings.length).toBe(embeddingsBefore);
    expect(stack.openai.completions.filter((c) => c.step === 'writeArticle' && JSON.stringify(c.request).includes(workflowId)).length).toBe(0);
    const child = (await stack.client.workflow.getHandle(researchChildWorkflowId(workflowId)).result()) as ResearchBundle;
    expect(child.grounding).toEqual({ status: 'not-shared', passages: [], docsOnly: true });
    const posted = JSON.stringify([...stack.slack.channelMessages(ELSEWHERE), ...stack.slack.threadReplies(ELSEWHERE, root.ts)]);
    expect(posted).toContain('Your documents hold nothing relevant'); // (what is searched below is really there)
    expect(posted).not.toMatch(/corpus|\.md\b|\.pdf\b|\.docx\b|\.html\b|\.txt\b|<team_document|Sources/);
  });
});
