/**
 * Documents belong to channels, against the stand-in embeddings: a channel with one relevant
 * document among many of other channels' still gets it (the filter is inside the vector search,
 * not a post-filter of the top k); sources are stored relative to the folder added, even from
 * outside the working directory; adding a folder again with other channels, or `bind`, rebinds it
 * without embedding anything; an index built before collections is migrated in place (columns
 * added, vectors untouched), answers nowhere until bound, and says how to bind it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@lancedb/lancedb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKbActivities } from '../../src/activities/kb.js';
import { announceUnboundDocuments } from '../../src/bot.js';
import type { Binding } from '../../src/kb/channels.js';
import { runKb } from '../../src/kb/cli.js';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { KB_SCHEMA_VERSION, migrate, schemaVersion } from '../../src/kb/schema.js';
import { kbStats } from '../../src/kb/stats.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { runActivity } from '../harness/activity-env.js';
import { FakeOpenAI } from '../harness/fake-openai.js';

const TOPIC = 'Zephyr rollout protocol';
const MINE = 'C0MINE';
const OTHER = 'C0OTHER';
const MODEL = 'text-embedding-3-small';

describe('documents belong to channels', () => {
  const openai = new FakeOpenAI();
  let dir: string;
  const embedConfig = () => ({ embeddingModel: MODEL, apiKey: 'sk-test', baseUrl: openai.baseUrl });
  const embeddings = () => makeEmbeddings(embedConfig(), { maxRetries: 0 });
  const uri = () => join(dir, '.kb');

  async function add(paths: string[], binding: Binding, root = dir) {
    const e = embeddings();
    const store = await LanceVectorStore.open(e, { uri: uri() });
    try {
      return await ingest({ store, embeddings: e, model: MODEL, paths, root, binding });
    } finally {
      store.close();
    }
  }
  const retrieve = (channel: string, topK = 2) =>
    runActivity(createKbActivities({ kb: { uri: uri(), embeddingModel: MODEL, topK, minScore: 0.05, embeddings, runChannel: async () => channel } }).retrieveContext, { topic: TOPIC });

  beforeAll(() => openai.start());
  afterAll(() => openai.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kb-channels-'));
    openai.embeddings.length = 0;
    return () => rm(dir, { recursive: true, force: true });
  });

  it('a channel with one relevant document among many of other channels still gets it; the others never see it', async () => {
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'payments.md'), '# Payments\n\nThe Zephyr rollout for the payments team starts with a canary in one region, then ten percent of traffic, then everyone; rollback is rehearsed every week.');
    await mkdir(join(dir, 'others'));
    for (let i = 0; i < 30; i++) await writeFile(join(dir, 'others', `team-${i}.md`), `Zephyr rollout protocol ${i}. Zephyr rollout protocol.`);
    await add(['mine'], { everywhere: false, channels: [MINE] });
    await add(['others'], { everywhere: false, channels: [OTHER] });

    // Over the whole index, the 8 nearest (what MMR looks at for k = 2) are all the other channels':
    // a filter applied after the search would leave this channel with nothing.
    const store = await LanceVectorStore.open(embeddings(), { uri: uri() });
    const nearest = await store.similaritySearch(TOPIC, 8);
    store.close();
    expect(nearest.map((d) => d.metadata.collection)).toEqual(Array(8).fill('others'));

    const mine = await retrieve(MINE);
    expect(mine.output.status).toBe('grounded');
    expect(mine.output.passages.map((p) => p.source)).toEqual(['mine/payments.md']);
    expect(mine.output.collections).toEqual(['mine']);

    const other = await retrieve(OTHER);
    expect(other.output.passages.length).toBe(2);
    expect(other.output.passages.every((p) => p.collection === 'others' && p.source.startsWith('others/team-'))).toBe(true);

    // A conversation nothing is bound to: nothing is searched (no query embedded), nothing is said about the others.
    const before = openai.embeddings.length;
    const elsewhere = await retrieve('C0ELSEWHERE');
    expect(elsewhere.output).toEqual({ status: 'not-shared', passages: [] });
    expect(openai.embeddings.length).toBe(before);
    // No conversation known (no memo, no channel in the input): the same.
    const unknown = await runActivity(createKbActivities({ kb: { uri: uri(), embeddingModel: MODEL, topK: 2, minScore: 0, embeddings } }).retrieveContext, { topic: TOPIC });
    expect(unknown.output).toEqual({ status: 'not-shared', passages: [] });

    // /research kb counts only what the channel may use.
    expect(await kbStats(uri(), { channel: MINE })).toMatchObject({ files: 1, collections: [{ name: 'mine', files: 1 }] });
    expect(await kbStats(uri(), { channel: 'C0ELSEWHERE' })).toMatchObject({ exists: true, files: 0, chunks: 0, collections: [] });
  });

  it('stores sources relative to the folder added, even outside the working directory; --everywhere answers in any channel', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'kb-outside-'));
    try {
      await mkdir(join(outside, 'handbook', 'guides'), { recursive: true });
      await writeFile(join(outside, 'handbook', 'guides', 'zephyr.md'), '# Zephyr\n\nThe Zephyr rollout protocol has three stages.');
      const report = await add([join(outside, 'handbook')], { everywhere: true });
      expect(report.added).toEqual(['handbook/guides/zephyr.md']);
      // A single file added is a collection of its own, cited by its name.
      await writeFile(join(outside, 'zephyr-faq.md'), '# FAQ\n\nZephyr rollout protocol questions, answered.');
      expect((await add([join(outside, 'zephyr-faq.md')], { everywhere: true })).added).toEqual(['zephyr-faq.md']);
      const { output } = await retrieve('C0ANYWHERE');
      expect(output.passages.map((p) => p.source).sort()).toEqual(['handbook/guides/zephyr.md', 'zephyr-faq.md']);
      // No server path in the rows a search returns or in the file records.
      const db = await connect(uri());
      const chunks = await (await db.openTable('chunks')).query().select(['source', 'collection', 'channels']).toArray();
      const files = await (await db.openTable('files')).query().toArray();
      db.close();
      expect(JSON.stringify([chunks, files])).not.toContain(outside);
      expect(chunks[0]).toMatchObject({ source: 'guides/zephyr.md', collection: 'handbook', channels: '*' });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('adding a folder again with other channels, or bind, rebinds it without embedding anything; overlapping folders are refused', async () => {
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'zephyr.md'), '# Zephyr\n\nThe Zephyr rollout protocol has three stages.');
    const first = await add(['docs', './docs'], { everywhere: false, channels: [MINE] });
    expect(first.added).toEqual(['docs/zephyr.md']); // the same folder twice: one collection, embedded once
    expect(first.collections).toEqual([{ name: 'docs', created: true, rebound: false }]);
    const embedded = openai.embeddings.length;

    const again = await add(['docs'], { everywhere: false, channels: [OTHER] });
    expect(again.collections).toEqual([{ name: 'docs', created: false, rebound: true }]);
    expect(again.unchanged).toEqual(['docs/zephyr.md']);
    expect(openai.embeddings.length).toBe(embedded);
    expect((await retrieve(MINE)).output.status).toBe('not-shared');
    expect((await retrieve(OTHER)).output.passages.map((p) => p.source)).toEqual(['docs/zephyr.md']);

    const lines: string[] = [];
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: uri() };
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const before = openai.embeddings.length;
      expect(await runKb(['bind', './docs', '--channel', MINE, '--channel', OTHER], env, (l) => lines.push(l))).toBe(0);
      expect(lines).toEqual([`Collection docs now answers in ${MINE}, ${OTHER} (nothing was embedded again).`]);
      expect(openai.embeddings.length).toBe(before);
      lines.length = 0;
      expect(await runKb(['bind', 'nope', '--everywhere'], env, (l) => lines.push(l))).toBe(1);
      expect(lines.join('\n')).toMatch(/No collection "nope": nothing was changed\. Collections: docs\./);
      lines.length = 0;
      expect(await runKb(['list'], env, (l) => lines.push(l))).toBe(0);
      expect(lines[0]).toMatch(new RegExp(`^docs  → ${MINE}, ${OTHER}  \\(1 files, from `));
      expect(lines[1]).toMatch(/^ {2}docs\/zephyr\.md {2}\(1 chunks/);
      lines.length = 0;
      await mkdir(join(dir, 'docs', 'sub'));
      expect(await runKb(['add', 'docs/sub', '--everywhere'], env, (l) => lines.push(l))).toBe(2);
      expect(lines.join('\n')).toMatch(/skipped docs\/sub: overlaps collection "docs"/);
    } finally {
      process.chdir(cwd);
    }
    expect((await retrieve(MINE)).output.status).toBe('grounded');
    expect((await retrieve(OTHER)).output.status).toBe('grounded');
  });

  it('migrates an index built before collections in place: columns added, vectors untouched, bound nowhere until `bind legacy`', async () => {
    // The index as the code before collections wrote it: paths relative to where it ran, or absolute.
    const texts = ['Zephyr rollout protocol: canary, then ten percent, then everyone.', 'Gardening tips for tomatoes.'];
    const vectors = await embeddings().embedDocuments(texts);
    const old = await connect(uri());
    await old.createTable('chunks', texts.map((text, i) => ({ vector: vectors[i]!, text, source: i === 0 ? '/srv/confidential/zephyr.md' : 'docs/gardening.md', section: '', page: 0, chunk: 0 })));
    await old.createTable('files', [
      { path: '/srv/confidential/zephyr.md', hash: 'a', model: MODEL, chunks: 1, tokens: 12, bytes: 60, ingestedAt: '2026-12-01T10:00:00.000Z' },
      { path: 'docs/gardening.md', hash: 'b', model: MODEL, chunks: 1, tokens: 6, bytes: 30, ingestedAt: '2026-12-01T10:00:00.000Z' },
    ]);
    expect(await schemaVersion(old)).toBe(1);
    old.close();
    const embeddedBefore = openai.embeddings.length;

    // The bot at startup: migrates on open and says once how to bind them.
    const warnings: string[] = [];
    expect(await announceUnboundDocuments(uri(), (m) => warnings.push(m))).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('npm run kb -- bind legacy --channel <channel ID>')]);
    const db = await connect(uri());
    expect(await schemaVersion(db)).toBe(KB_SCHEMA_VERSION);
    expect(await migrate(db)).toEqual({ from: KB_SCHEMA_VERSION, to: KB_SCHEMA_VERSION, applied: [] }); // once
    const rows = (await (await db.openTable('chunks')).query().toArray()) as Array<{ vector: Float32Array; source: string; collection: string; channels: string }>;
    db.close();
    expect(rows.map((r) => [r.collection, r.channels])).toEqual([['legacy', ''], ['legacy', '']]);
    expect(rows.map((r) => Array.from(r.vector))).toEqual(vectors.map((v) => Array.from(new Float32Array(v))));
    expect(openai.embeddings.length).toBe(embeddedBefore); // nothing re-embedded

    // Secure by default: it answers nowhere until bound.
    expect((await retrieve(MINE)).output).toEqual({ status: 'not-shared', passages: [] });
    expect(await kbStats(uri(), { channel: MINE })).toMatchObject({ files: 0, legacyUnbound: true });

    const lines: string[] = [];
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseUrl, KB_URI: uri() };
    expect(await runKb(['stats'], env, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/Collection: {2}legacy · 2 files, 2 chunks · answers in no conversation \(answers nowhere\)/);
    expect(lines.join('\n')).toContain('npm run kb -- bind legacy --channel');
    expect(await runKb(['bind', 'legacy', '--channel', MINE], env, (l) => lines.push(l))).toBe(0);
    const { output } = await retrieve(MINE, 1);
    expect(output.status).toBe('grounded');
    // A server path indexed the old way is cited by its file name only.
    expect(output.passages[0]).toMatchObject({ source: 'legacy/zephyr.md', collection: 'legacy' });
    expect((await retrieve(OTHER)).output.status).toBe('not-shared');
    expect(await kbStats(uri())).toMatchObject({ legacyUnbound: false, files: 2 });
  });
});
