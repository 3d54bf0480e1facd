/**
 * A knowledge base for a test, as `npm run kb -- add corpus --channel …` builds it: the fixture
 * corpus copied into a scratch folder and indexed with a stand-in embedder of its own (the vectors
 * are deterministic), bound to `channels`. Returns the folder (the index is `<dir>/.kb`).
 */
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKb, type KbPrompt } from '../../src/kb/cli.js';
import { makeEmbeddings } from '../../src/kb/embeddings.js';
import { ingest } from '../../src/kb/ingest.js';
import { LanceVectorStore } from '../../src/kb/store.js';
import { FakeOpenAI } from './fake-openai.js';

const CORPUS = join(import.meta.dirname, '../fixtures/kb/corpus');

export async function indexedCorpus(prefix: string, channels: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(CORPUS, join(dir, 'corpus'), { recursive: true });
  await indexFolder(dir, channels);
  return dir;
}

/** The same for files a test writes itself (name → content) in `<dir>/corpus`. */
export async function indexedFiles(prefix: string, files: Record<string, string>, channels: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'corpus'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, 'corpus', name), content);
  await indexFolder(dir, channels);
  return dir;
}

async function indexFolder(dir: string, channels: string[]): Promise<void> {
  const embedder = await new FakeOpenAI().start();
  try {
    const embeddings = makeEmbeddings({ embeddingModel: 'text-embedding-3-small', apiKey: 'sk-test', baseUrl: embedder.baseUrl }, { maxRetries: 0 });
    const store = await LanceVectorStore.open(embeddings, { uri: join(dir, '.kb') });
    await ingest({ store, embeddings, model: 'text-embedding-3-small', paths: ['corpus'], root: dir, binding: { everywhere: false, channels } });
    store.close();
  } finally {
    await embedder.stop();
  }
}

/** `npm run kb -- …` run from `dir` (relative paths resolve there), with what it printed and its exit code. */
export async function runKbIn(dir: string, args: string[], env: NodeJS.ProcessEnv, prompt?: KbPrompt): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await runKb(args, env, (l) => lines.push(l), ...(prompt ? [prompt] : []));
    return { code, text: lines.join('\n') };
  } finally {
    process.chdir(cwd);
  }
}
