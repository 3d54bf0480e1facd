/**
 * `npm run kb -- add <folders or files…> --channel C… | --everywhere`, `bind`, `list`, `remove`, `stats`.
 * The knowledge base the writer grounds articles in (README → Grounding in your documents).
 * Each folder (or file) added is a collection that answers only in the conversations it is bound to.
 */
import 'dotenv/config';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, loadKbConfig, type KbConfig } from '../config.js';
import { costOf, DEFAULT_PRICES, formatUsd } from '../shared/pricing.js';
import { describeBinding, isConversationId, legacyBindHint, type Binding } from './channels.js';
import { makeEmbeddings } from './embeddings.js';
import { collectionHolding, displayPath, ingest, relativeKey, type IngestPlan, type IngestProgress } from './ingest.js';
import { ASK_ABOVE_REMOVALS, DEFAULT_FILE_LIMITS, DEFAULT_RUN_LIMITS, type FileLimits, type RunLimits } from './limits.js';
import { SUPPORTED_EXTENSIONS } from './loaders.js';
import { kbStats } from './stats.js';
import { describeHolder, lockKb, type KbLock } from './lock.js';
import { LanceVectorStore } from './store.js';

const n = (value: number) => value.toLocaleString('en');

/**
 * The flags of `add` that change a limit: what each sets, how a value is read, its default
 * (limits.ts), and the values it takes, checked after conversion (so --max-file-mb 0.0000001, 0
 * bytes once rounded, is refused rather than removing every indexed file as over the limit).
 */
const LIMIT_FLAGS = [
  { flag: '--max-file-mb', whole: false, what: 'largest file read, in MB', default: DEFAULT_FILE_LIMITS.maxFileBytes / 1024 / 1024, min: 0.001, max: 4096,
    convert: (v: number) => Math.floor(v * 1024 * 1024), set: (v: number, l: Limits) => { l.file.maxFileBytes = v; } },
  { flag: '--max-chars', whole: true, what: 'most characters of text one file may expand to', default: DEFAULT_FILE_LIMITS.maxChars, min: 1, max: 500_000_000,
    convert: (v: number) => v, set: (v: number, l: Limits) => { l.file.maxChars = v; } },
  { flag: '--max-pages', whole: true, what: 'most pages read from one PDF', default: DEFAULT_FILE_LIMITS.maxPages, min: 1, max: 1_000_000,
    convert: (v: number) => v, set: (v: number, l: Limits) => { l.file.maxPages = v; } },
  // setTimeout takes at most 2^31 − 1 ms: a longer one fires at once.
  { flag: '--extract-timeout-s', whole: false, what: "time one file's text extraction may take, in seconds", default: DEFAULT_FILE_LIMITS.timeoutMs / 1000, min: 0.1, max: 2_147_483,
    convert: (v: number) => Math.ceil(v * 1000), set: (v: number, l: Limits) => { l.file.timeoutMs = v; } },
  { flag: '--max-heap-mb', whole: true, what: "memory one file's text extraction may use, in MB", default: DEFAULT_FILE_LIMITS.maxHeapMb, min: 16, max: 16_384,
    convert: (v: number) => v, set: (v: number, l: Limits) => { l.file.maxHeapMb = v; } },
  { flag: '--max-run-tokens', whole: true, what: 'most tokens one run may embed (estimated first; above it nothing is done)', default: DEFAULT_RUN_LIMITS.maxRunTokens, min: 1, max: 1_000_000_000_000,
    convert: (v: number) => v, set: (v: number, l: Limits) => { l.run.maxRunTokens = v; } },
  { flag: '--ask-above-tokens', whole: true, what: 'above this estimate, ask before embedding', default: DEFAULT_RUN_LIMITS.askAboveTokens, min: 1, max: 1_000_000_000_000,
    convert: (v: number) => v, set: (v: number, l: Limits) => { l.run.askAboveTokens = v; } },
] as const;

interface Limits {
  file: FileLimits;
  run: RunLimits;
}

const USAGE = [
  'Usage: npm run kb -- <command>',
  '  add <folders or files…> --channel C0123ABCD [--channel …] | --everywhere',
  '                            index Markdown, text, HTML, PDF and DOCX (unchanged files are skipped). Each folder',
  '                            is a collection that answers only in the conversations named (--channel, repeatable)',
  '                            or, said explicitly, in every conversation (--everywhere). Adding a folder again',
  '                            with other conversations rebinds it. Before embedding it prints the tokens and',
  '                            dollars it is about to spend, and asks above a threshold. Limits (defaults in brackets):',
  ...LIMIT_FLAGS.map((f) => `    ${`${f.flag} N`.padEnd(24)}${f.what} [${n(f.default)}; ${n(f.min)} to ${n(f.max)}]`),
  `    ${'--yes'.padEnd(24)}do not ask (scripts); without a terminal and without --yes, a run that would ask is refused`,
  `                            It also asks before removing more than ${ASK_ABOVE_REMOVALS} indexed files, or more than half of a collection.`,
  '                            A file over a size, character or page limit is skipped with the reason (and what was',
  '                            indexed of it removed); one stopped by time or memory keeps what was indexed.',
  '  bind <collection or folder> --channel … | --everywhere',
  '                            change which conversations a collection answers in (nothing is embedded again)',
  '  list                      the collections, their conversations and their files',
  '  remove <collection, folder or file>',
  '                            a collection, or one file of it, out of the index',
  '  stats                     files, chunks, tokens, last ingest, index location, per collection',
  'A conversation ID (C…, G… or D…) is under the channel\'s name → About in Slack, or in its link.',
  `Supported: ${SUPPORTED_EXTENSIONS.join(' ')}. Settings: KB_URI, EMBEDDING_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL.`,
  'Exit codes: 0 done; 1 nothing done (usage, settings, a refused or failed run); 2 finished, but some files or paths were skipped (listed with the reason).',
].join('\n');

const NO_BINDING = 'Say which conversations may use these documents: --channel C0123ABCD (repeat it for more) or, explicitly, --everywhere.';

export type KbCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'stats' }
  | { kind: 'remove'; target: string }
  | { kind: 'add'; paths: string[]; binding: Binding; fileLimits: FileLimits; runLimits: RunLimits; yes: boolean }
  | { kind: 'bind'; target: string; binding: Binding };

/** `--channel C1 --channel=C2 --channel C3,C4` / `--everywhere`, and the other words. */
function splitBinding(args: string[]): { words: string[]; binding?: Binding; error?: string } {
  const words: string[] = [];
  const channels: string[] = [];
  let everywhere = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--everywhere') {
      everywhere = true;
    } else if (arg === '--channel' || arg.startsWith('--channel=')) {
      const value = arg === '--channel' ? args[++i] : arg.slice('--channel='.length);
      if (!value || value.startsWith('--')) return { words, error: `--channel needs a conversation ID, e.g. --channel C0123ABCD.` };
      for (const id of value.split(',').map((v) => v.trim()).filter(Boolean)) {
        if (!isConversationId(id)) {
          return { words, error: `"${id}" is not a Slack conversation ID. Use the ID (C…, G… or D…, e.g. C0123ABCD), not the channel's name: it is under the channel's name → About in Slack.` };
        }
        channels.push(id);
      }
    } else if (arg.startsWith('--')) {
      return { words, error: `Unknown option ${arg}.` };
    } else {
      words.push(arg);
    }
  }
  if (everywhere && channels.length) return { words, error: 'Give either --channel … or --everywhere, not both.' };
  if (everywhere) return { words, binding: { everywhere: true } };
  if (channels.length) return { words, binding: { everywhere: false, channels: [...new Set(channels)] } };
  return { words };
}

/** `--max-chars 500000`, `--max-file-mb=10`, `--yes`…: the limits of an `add`, and the other words. */
function splitLimits(args: string[]): { rest: string[]; limits: Limits; yes: boolean; given: string[]; error?: string } {
  const limits: Limits = { file: { ...DEFAULT_FILE_LIMITS }, run: { ...DEFAULT_RUN_LIMITS } };
  const rest: string[] = [];
  const given: string[] = [];
  let yes = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--yes' || arg === '-y') {
      yes = true;
      given.push('--yes');
      continue;
    }
    const spec = LIMIT_FLAGS.find((f) => arg === f.flag || arg.startsWith(`${f.flag}=`));
    if (!spec) {
      rest.push(arg);
      continue;
    }
    given.push(spec.flag);
    const raw = arg === spec.flag ? args[++i] : arg.slice(spec.flag.length + 1);
    const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (spec.whole && !Number.isInteger(value))) {
      const kind = spec.whole ? 'a positive whole number' : 'a positive number';
      return { rest, limits, yes, given, error: `${spec.flag} needs ${kind}${raw === undefined ? '' : ` (not "${raw}")`}, e.g. ${spec.flag} ${spec.default}.` };
    }
    const converted = spec.convert(value);
    if (converted < spec.convert(spec.min) || converted > spec.convert(spec.max)) {
      return { rest, limits, yes, given, error: `${spec.flag} takes ${n(spec.min)} to ${n(spec.max)} (not "${raw}"), e.g. ${spec.flag} ${spec.default}.` };
    }
    spec.set(converted, limits);
  }
  return { rest, limits, yes, given };
}

export function parseKbArgs(args: string[]): KbCommand | { error: string } {
  const [command, ...all] = args;
  if (!command || command === 'help' || command === '--help') return { kind: 'help' };
  const { rest, limits, yes, given, error: limitError } = splitLimits(all);
  if (limitError) return { error: limitError };
  if (given.length && command !== 'add') return { error: `${given[0]} is an option of add only.` };
  const { words, binding, error } = splitBinding(rest);
  if (error) return { error };
  switch (command) {
    case 'list':
    case 'stats':
      if (words.length || binding) return { error: `Usage: npm run kb -- ${command}` };
      return { kind: command };
    case 'remove':
      if (words.length !== 1 || binding) return { error: 'Usage: npm run kb -- remove <collection, folder or file>' };
      return { kind: 'remove', target: words[0]! };
    case 'add':
      if (!words.length) return { error: 'Usage: npm run kb -- add <folders or files…> --channel C0123ABCD [--channel …] | --everywhere' };
      if (!binding) return { error: `Nothing was added. ${NO_BINDING}` };
      return { kind: 'add', paths: words, binding, fileLimits: limits.file, runLimits: limits.run, yes };
    case 'bind':
      if (words.length !== 1) return { error: 'Usage: npm run kb -- bind <collection or folder> --channel C0123ABCD [--channel …] | --everywhere' };
      if (!binding) return { error: `Nothing was changed. ${NO_BINDING}` };
      return { kind: 'bind', target: words[0]!, binding };
    default:
      return { error: `Unknown command "${command}".\n${USAGE}` };
  }
}

function dollars(tokens: number, model: string): string {
  const cost = costOf({ model, inputTokens: tokens, outputTokens: 0, cachedInputTokens: 0, totalTokens: tokens }, DEFAULT_PRICES);
  return cost === undefined ? 'cost unknown' : formatUsd(cost);
}

function progressLine(p: IngestProgress, model: string): string {
  return `files ${p.filesDone}/${p.filesTotal} · chunks ${p.chunks} · tokens ${p.tokens.toLocaleString('en')} · ${dollars(p.tokens, model)}${p.current ? ` · ${p.current}` : ''}`;
}

/** How `add` asks before a run above `--ask-above-tokens`: only on a terminal, and never waiting on input that cannot come. */
export interface KbPrompt {
  /** stdin is a terminal someone can answer on. */
  interactive: boolean;
  /** Asks and resolves with the answer ('' when input ends first). */
  ask(question: string): Promise<string>;
}

/** Asks on `input` (interactive only when it is a terminal), writing the question to `output`. */
export function streamPrompt(input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream): KbPrompt {
  return {
    interactive: input.isTTY === true,
    ask: (question) => askOn(input, output, question),
  };
}

function askOn(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, question: string): Promise<string> {
  return new Promise((done) => {
    const rl = createInterface({ input, output });
    let answered = false;
    // Input that ends before an answer (Ctrl-D, a closed pipe) is a no, never a wait.
    rl.on('close', () => {
      if (!answered) done('');
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      done(answer);
    });
  });
}

const terminalPrompt = streamPrompt(process.stdin, process.stderr);

/** "That is above 10 tokens (--ask-above-tokens) and removes 12 indexed file(s)", "That removes 3 indexed file(s)" */
function askReasons(plan: IngestPlan, runLimits: RunLimits): string {
  const removes = `removes ${n(plan.removals)} indexed file(s)`;
  if (!plan.asks.includes('tokens')) return `That ${removes}`;
  return `That is above ${n(runLimits.askAboveTokens)} tokens (--ask-above-tokens)${plan.asks.includes('removals') ? ` and ${removes}` : ''}`;
}

function largestFiles(plan: IngestPlan): string {
  return plan.largest.map((f) => `${f.path} (~${n(f.tokens)} tokens)`).join(', ');
}

export async function runKb(args: string[], env: NodeJS.ProcessEnv = process.env, out: (line: string) => void = console.log, prompt: KbPrompt = terminalPrompt): Promise<number> {
  const parsed = parseKbArgs(args);
  if ('error' in parsed) {
    out(parsed.error);
    return 1;
  }
  if (parsed.kind === 'help') {
    out(USAGE);
    return args.length ? 0 : 1;
  }
  let config: KbConfig;
  try {
    config = loadKbConfig(env, parsed.kind === 'add');
  } catch (error) {
    if (error instanceof ConfigError) {
      out(error.message);
      return 1;
    }
    throw error;
  }

  if (parsed.kind === 'stats') {
    const stats = await kbStats(config.uri);
    if (!stats.exists) {
      out(`No index at ${config.uri} yet: npm run kb -- add <folders or files…> --channel C0123ABCD`);
      return 0;
    }
    out(`Index:       ${config.uri}`);
    out(`Files:       ${stats.files}`);
    out(`Chunks:      ${stats.chunks}`);
    out(`Tokens:      ${stats.tokens.toLocaleString('en')} embedded (${stats.models.join(', ') || 'no model yet'})`);
    out(`Last ingest: ${stats.lastIngest ?? 'never'}`);
    for (const c of stats.collections) out(`Collection:  ${c.name} · ${c.files} files, ${c.chunks} chunks · answers in ${describeBinding(c.binding)}`);
    if (stats.legacyUnbound) out(legacyBindHint());
    return 0;
  }

  // add, remove and bind change the index: one at a time (lock.ts).
  let lock: KbLock | undefined;
  if (parsed.kind !== 'list') {
    lock = await lockKb(config.uri, `kb ${parsed.kind}`);
    if (lock.kind === 'busy') {
      out(`Another run is changing this index: ${describeHolder(lock.holder)}. Nothing was done. Wait for it to finish and run this again; if that process is gone, delete ${lock.path}.`);
      return 1;
    }
    if (lock.kind === 'remote') out(`${config.uri} is not a local folder, so no lock is taken: make sure no other kb add, remove or bind runs against it at the same time.`);
  }
  const embeddings = makeEmbeddings(config, { maxRetries: 2, timeoutMs: 60_000 });
  let store: LanceVectorStore;
  try {
    store = await LanceVectorStore.open(embeddings, { uri: config.uri });
  } catch (error) {
    if (lock?.kind === 'held') await lock.release();
    throw error;
  }
  const cwd = process.cwd();
  try {
    const collections = await store.collections();
    /** A collection by name, or the one a folder or file was added as. */
    const find = (target: string) => collections.find((c) => c.name === target) ?? collections.find((c) => c.root !== '' && c.root === resolve(cwd, target));
    const names = () => (collections.length ? `Collections: ${collections.map((c) => c.name).join(', ')}.` : 'The index has no collections yet.');

    if (parsed.kind === 'list') {
      if (!collections.length) out(`No files in ${config.uri}.`);
      const files = await store.fileRecords();
      for (const c of [...collections].sort((a, b) => a.name.localeCompare(b.name))) {
        const own = files.filter((f) => f.collection === c.name).sort((a, b) => a.path.localeCompare(b.path));
        out(`${c.name}  → ${describeBinding(LanceVectorStore.bindingOf(c))}  (${own.length} files${c.root ? `, from ${c.root}` : ', indexed before collections'})`);
        for (const f of own) out(`  ${displayPath(c.name, f.path)}  (${f.chunks} chunks, ${f.tokens} tokens, ${f.ingestedAt})`);
      }
      if (collections.some((c) => c.root === '' && !c.channels)) out(legacyBindHint());
      return 0;
    }
    if (parsed.kind === 'bind') {
      const collection = find(parsed.target);
      if (!collection) {
        out(`No collection "${parsed.target}": nothing was changed. ${names()}`);
        return 1;
      }
      await store.bindCollection(collection.name, parsed.binding, new Date());
      out(`Collection ${collection.name} now answers in ${describeBinding(parsed.binding)} (nothing was embedded again).`);
      return 0;
    }
    if (parsed.kind === 'remove') {
      const collection = find(parsed.target);
      if (collection) {
        const count = (await store.fileRecords(collection.name)).length;
        await store.removeCollection(collection.name);
        out(`Removed collection ${collection.name} (${count} file(s)).`);
        return 0;
      }
      const absolute = resolve(cwd, parsed.target);
      const holder = collectionHolding(collections, absolute);
      const inside = holder ? relativeKey(holder.root, absolute) : '';
      const matching = holder ? (await store.fileRecords(holder.name)).filter((f) => f.path === inside || f.path.startsWith(`${inside}/`)) : [];
      for (const f of matching) await store.removeFile(holder!.name, f.path);
      out(matching.length ? `Removed ${matching.length} file(s): ${matching.map((f) => displayPath(holder!.name, f.path)).join(', ')}` : `${parsed.target} is not in the index (npm run kb -- list).`);
      return matching.length ? 0 : 1;
    }
    const tty = process.stderr.isTTY;
    const model = config.embeddingModel;
    const { fileLimits, runLimits } = parsed;
    let noTerminal = false;
    const report = await ingest({
      store, embeddings, model, paths: parsed.paths, binding: parsed.binding, fileLimits, runLimits,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p, model)}`);
        else if (p.current === undefined || p.filesDone === p.filesTotal) out(progressLine(p, model));
      },
      onPlan: (plan) => {
        if (tty) process.stderr.write('\n');
        const removing = plan.removals ? `, and remove ${n(plan.removals)} file(s) from the index` : '';
        if (plan.files) out(`About to embed ${n(plan.chunks)} chunks, ~${n(plan.tokens)} tokens, ~${dollars(plan.tokens, model)} (${model}) from ${n(plan.files)} file(s)${removing} (tokens ${plan.estimator}).`);
        else out(`About to remove ${n(plan.removals)} file(s) from the index (nothing to embed).`);
      },
      confirm: async (plan) => {
        if (parsed.yes) return true;
        if (!prompt.interactive) {
          noTerminal = true;
          return false;
        }
        const answer = await prompt.ask(`${askReasons(plan, runLimits)}. Continue? [y/N] `);
        return /^\s*y(es)?\s*$/i.test(answer);
      },
    });
    if (tty) process.stderr.write('\n');
    if (report.refused) {
      const plan = report.plan!;
      if (report.refused === 'over-run-limit') {
        out(`Refused: ~${n(plan.tokens)} tokens is over this run's limit of ${n(runLimits.maxRunTokens)}. Largest: ${largestFiles(plan)}.`);
        out(`Add fewer files at a time, or raise the limit with --max-run-tokens N (e.g. --max-run-tokens ${plan.tokens}). Nothing was embedded or removed.`);
      } else if (noTerminal) {
        const tokens = plan.asks.includes('tokens') ? `~${n(plan.tokens)} tokens is above ${n(runLimits.askAboveTokens)} (--ask-above-tokens)` : '';
        const removing = plan.asks.includes('removals') ? `it would remove ${n(plan.removals)} indexed file(s) (more than ${ASK_ABOVE_REMOVALS}, or more than half of a collection)` : '';
        out(`Refused: ${[tokens, removing].filter(Boolean).join(' and ')} and there is no terminal to ask on. Run it again with --yes to ${tokens ? 'embed' : 'remove them'}. Nothing was embedded or removed.`);
      } else {
        out('Not confirmed: nothing was embedded or removed.');
      }
      for (const s of report.skipped) out(`  ✗ would skip ${s.path}: ${s.reason}`);
      for (const path of plan.removing) out(`  − would remove ${path}`);
      if (plan.removals > plan.removing.length) out(`  − and ${n(plan.removals - plan.removing.length)} more`);
      return 1;
    }
    for (const c of report.collections) {
      out(`Collection ${c.name}${c.created ? ' (new)' : c.rebound ? ' (rebound)' : ''} answers in ${describeBinding(parsed.binding)}.`);
    }
    out(`Added ${report.added.length}, updated ${report.updated.length}, unchanged ${report.unchanged.length}, removed ${report.removed.length}, skipped ${report.skipped.length}.`);
    out(`Embedded ${report.chunks} chunks, ${n(report.tokens)} tokens billed (estimated ~${n(report.plan?.tokens ?? 0)}), ${dollars(report.tokens, model)} (${model}) into ${config.uri}.`);
    const removed = new Set(report.removed);
    for (const s of report.skipped) out(`  ✗ skipped ${s.path}: ${s.reason}${removed.has(s.path) ? ' — what was indexed of it is removed' : ''}`);
    return report.skipped.length ? 2 : 0;
  } catch (error) {
    out(`kb ${parsed.kind} failed: ${(error as Error).message}\nRun the same command again: finished files are kept, the rest is redone.`);
    return 1;
  } finally {
    store.close();
    if (lock?.kind === 'held') await lock.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('src/kb/cli.ts')) {
  process.exitCode = await runKb(process.argv.slice(2));
}
