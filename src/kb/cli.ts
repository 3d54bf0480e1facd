/**
 * `npm run kb -- add <folders or files…> | list | remove <path> | stats`
 * The knowledge base the writer grounds articles in (README → Grounding in your documents).
 */
import 'dotenv/config';
import { ConfigError, loadKbConfig, type KbConfig } from '../config.js';
import { costOf, DEFAULT_PRICES, formatUsd } from '../shared/pricing.js';
import { makeEmbeddings } from './embeddings.js';
import { ingest, keyOf, type IngestProgress } from './ingest.js';
import { SUPPORTED_EXTENSIONS } from './loaders.js';
import { kbStats } from './stats.js';
import { LanceVectorStore } from './store.js';

const USAGE = [
  'Usage: npm run kb -- <command>',
  '  add <folders or files…>   index Markdown, text, HTML, PDF and DOCX (unchanged files are skipped)',
  '  list                      the files in the index',
  '  remove <path>             a file (or everything under a folder) out of the index',
  '  stats                     files, chunks, tokens, last ingest, index location',
  `Supported: ${SUPPORTED_EXTENSIONS.join(' ')}. Settings: KB_URI, EMBEDDING_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL.`,
].join('\n');

function dollars(tokens: number, model: string): string {
  const cost = costOf({ model, inputTokens: tokens, outputTokens: 0, cachedInputTokens: 0, totalTokens: tokens }, DEFAULT_PRICES);
  return cost === undefined ? 'cost unknown' : formatUsd(cost);
}

function progressLine(p: IngestProgress, model: string): string {
  return `files ${p.filesDone}/${p.filesTotal} · chunks ${p.chunks} · tokens ${p.tokens.toLocaleString('en')} · ${dollars(p.tokens, model)}${p.current ? ` · ${p.current}` : ''}`;
}

export async function runKb(args: string[], env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === 'help' || command === '--help') {
    out(USAGE);
    return command ? 0 : 1;
  }
  let config: KbConfig;
  try {
    config = loadKbConfig(env, command === 'add');
  } catch (error) {
    if (error instanceof ConfigError) {
      out(error.message);
      return 1;
    }
    throw error;
  }

  if (command === 'stats') {
    const stats = await kbStats(config.uri);
    if (!stats.exists) {
      out(`No index at ${config.uri} yet: npm run kb -- add <folders or files…>`);
      return 0;
    }
    out(`Index:       ${config.uri}`);
    out(`Files:       ${stats.files}`);
    out(`Chunks:      ${stats.chunks}`);
    out(`Tokens:      ${stats.tokens.toLocaleString('en')} embedded (${stats.models.join(', ') || 'no model yet'})`);
    out(`Last ingest: ${stats.lastIngest ?? 'never'}`);
    return 0;
  }

  const embeddings = makeEmbeddings(config, { maxRetries: 2, timeoutMs: 60_000 });
  const store = await LanceVectorStore.open(embeddings, { uri: config.uri });
  try {
    if (command === 'list') {
      const files = (await store.fileRecords()).sort((a, b) => a.path.localeCompare(b.path));
      if (!files.length) out(`No files in ${config.uri}.`);
      for (const f of files) out(`${f.path}  (${f.chunks} chunks, ${f.tokens} tokens, ${f.ingestedAt})`);
      return 0;
    }
    if (command === 'remove') {
      if (rest.length !== 1) {
        out('Usage: npm run kb -- remove <path>');
        return 1;
      }
      const key = keyOf(rest[0]!, process.cwd());
      const matching = (await store.fileRecords()).filter((f) => f.path === key || f.path.startsWith(`${key}/`));
      for (const f of matching) await store.removeFile(f.path);
      out(matching.length ? `Removed ${matching.length} file(s): ${matching.map((f) => f.path).join(', ')}` : `${key} is not in the index (npm run kb -- list).`);
      return matching.length ? 0 : 1;
    }
    if (command === 'add') {
      if (!rest.length) {
        out('Usage: npm run kb -- add <folders or files…>');
        return 1;
      }
      const tty = process.stderr.isTTY;
      const report = await ingest({
        store, embeddings, model: config.embeddingModel, paths: rest,
        onProgress: (p) => {
          if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p, config.embeddingModel)}`);
          else if (p.current === undefined || p.filesDone === p.filesTotal) out(progressLine(p, config.embeddingModel));
        },
      });
      if (tty) process.stderr.write('\n');
      out(`Added ${report.added.length}, updated ${report.updated.length}, unchanged ${report.unchanged.length}, removed ${report.removed.length}, skipped ${report.skipped.length}.`);
      out(`Embedded ${report.chunks} chunks, ${report.tokens.toLocaleString('en')} tokens, ${dollars(report.tokens, config.embeddingModel)} (${config.embeddingModel}) into ${config.uri}.`);
      for (const s of report.skipped) out(`  ✗ skipped ${s.path}: ${s.reason}`);
      return report.skipped.length ? 2 : 0;
    }
    out(`Unknown command "${command}".\n${USAGE}`);
    return 1;
  } catch (error) {
    out(`kb ${command} failed: ${(error as Error).message}\nRun the same command again: finished files are kept, the rest is redone.`);
    return 1;
  } finally {
    store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('src/kb/cli.ts')) {
  process.exitCode = await runKb(process.argv.slice(2));
}
