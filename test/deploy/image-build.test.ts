/**
 * The container image, built natively: there is no container engine here, so this test reads the
 * Dockerfile (dockerfile-ast) and carries out its two stages in temporary directories, as the
 * builder would. Build stage: the COPYed sources of this checkout (tracked and untracked files,
 * .gitignore respected, node_modules never), `npm ci`, `npm run build`. Runtime stage: only
 * package.json and the lock, `npm ci --omit=dev`, then `dist/` from the build stage. The two
 * stages run side by side, as BuildKit runs independent stages. `npm ci` reads the local npm cache
 * first (`--prefer-offline`) and `npm cache clean` is skipped (it would empty this machine's cache).
 *
 * The build stage's full `npm ci` would install exactly the tree this checkout's own `npm ci` made
 * from the same lock, so by default the stage links the checkout's node_modules instead: that
 * keeps the test near 2 minutes (115 s measured) instead of near 4 (measured: full `npm ci` 106 s,
 * `--omit=dev` 89 s, `npm run build` 50 s under the load of a parallel test run). The lock's
 * agreement with package.json is still checked by the runtime stage's real `npm ci --omit=dev`.
 * IMAGE_BUILD_FULL=1 runs the build stage's `npm ci` for real too.
 *
 * Then the image's own commands (ENTRYPOINT + CMD for the worker, `dist/bot.js` for the bot, with
 * the image's ENV) start from the runtime directory against the test's Temporal server and the
 * stand-ins, become ready (/readyz 200), run a pipeline to its draft (the prebuilt workflow bundle
 * is what the worker runs), and exit 0 on SIGTERM. The compiled playground serves its page.
 *
 * A RUN instruction this test does not know fails it: teach it the new step rather than skip it.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeOpenAI } from '../harness/fake-openai.js';
import { FakeSlack } from '../harness/fake-slack.js';
import { waitFor } from '../harness/http.js';
import { PROCESS_SECRETS, ProductProcess, productEnv } from '../harness/processes.js';
import { signedHeaders, slashCommandBody } from '../harness/slack-signing.js';
import { newPayloadKeyEntry } from '../../src/temporal/codec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

interface Stage {
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, in order, each with its instructions (FROM excluded). */
function stages(dockerfile: string): Stage[] {
  const result: Stage[] = [];
  for (const instruction of DockerfileParser.parse(dockerfile).getInstructions()) {
    const args = instruction.getArguments().map((a) => a.getValue());
    if (instruction.getKeyword() === 'FROM') result.push({ name: args[2] ?? String(result.length), instructions: [] });
    else result.at(-1)!.instructions.push(instruction);
  }
  return result;
}

/** Files of this checkout, as a build context: tracked and untracked, without what .gitignore excludes. */
async function contextFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\0').filter((file) => file && existsSync(path.join(ROOT, file)));
}

/** A RUN step, natively. Only steps this test knows; `npm ci` reads the local cache first. */
async function runStep(command: string, cwd: string, log: string[]): Promise<void> {
  const steps = command.split('&&').map((step) => step.trim());
  for (const step of steps) {
    const started = Date.now();
    if (/^npm ci( |$)/.test(step) && !step.includes('--omit=dev') && process.env.IMAGE_BUILD_FULL !== '1') {
      // All dependencies, from the same lock: the checkout's own install (see the header).
      await symlink(path.join(ROOT, 'node_modules'), path.join(cwd, 'node_modules'), 'dir');
      log.push(`${step}: the checkout's node_modules linked`);
      continue;
    } else if (/^npm ci( |$)/.test(step)) {
      await run('sh', ['-c', `${step} --prefer-offline`], { cwd, maxBuffer: 64 * 1024 * 1024 });
    } else if (step === 'npm run build') {
      await run('npm', ['run', 'build'], { cwd, maxBuffer: 64 * 1024 * 1024 });
    } else if (/^npm cache clean/.test(step) || /^(mkdir -p|chown) .*\/app\/\.kb$/.test(step)) {
      // Image hygiene and the volume's mount point: nothing to build natively.
      log.push(`skipped: ${step}`);
      continue;
    } else {
      throw new Error(`image-build.test.ts does not know how to run the Dockerfile step "${step}": teach it`);
    }
    log.push(`${step}: ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

/** Carries out one stage in `dir` (its WORKDIR); COPY --from=<stage> reads that stage's directory. */
async function buildStage(stage: Stage, dir: string, context: string[], stageDirs: Map<string, Promise<string>>, log: string[]) {
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const instruction of stage.instructions) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArguments().map((a) => a.getValue());
    if (keyword === 'COPY') {
      const from = (instruction as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> })
        .getFlags().find((flag) => flag.getName() === 'from')?.getValue();
      const sources = args.slice(0, -1);
      const target = path.join(dir, args.at(-1)!);
      if (from) {
        const fromDir = await stageDirs.get(from)!;
        for (const source of sources) await cp(path.join(fromDir, path.relative('/app', source)), target, { recursive: true });
        continue;
      }
      for (const source of sources) {
        const files = context.filter((file) => file === source || file.startsWith(`${source}/`));
        expect(files.length, `COPY ${source}: nothing in the build context`).toBeGreaterThan(0);
        const base = sources.length > 1 || target.endsWith('/') ? path.join(target, path.basename(source)) : target;
        for (const file of files) {
          const to = path.join(base, path.relative(source, file));
          await mkdir(path.dirname(to), { recursive: true });
          await cp(path.join(ROOT, file), to);
        }
      }
    } else if (keyword === 'RUN') {
      await runStep(instruction.getArgumentsContent()!, dir, log);
    } else if (keyword === 'ENV') {
      for (const property of (instruction as unknown as { getProperties(): Array<{ getName(): string; getValue(): string | null }> }).getProperties()) {
        env[property.getName()] = property.getValue() ?? '';
      }
    } else if (keyword === 'ENTRYPOINT') {
      entrypoint = JSON.parse(instruction.getArgumentsContent()!) as string[];
    } else if (keyword === 'CMD') {
      cmd = JSON.parse(instruction.getArgumentsContent()!) as string[];
    }
  }
  return { env, entrypoint, cmd };
}

describe('the Dockerfile, built and run natively', () => {
  const slack = new FakeSlack();
  const openai = new FakeOpenAI();
  const processes: ProductProcess[] = [];
  let workdir: string;
  let runtimeDir: string;
  let image: { env: Record<string, string>; entrypoint: string[]; cmd: string[] };
  const log: string[] = [];

  beforeAll(async () => {
    await Promise.all([slack.start(), openai.start()]);
    workdir = await mkdtemp(path.join(tmpdir(), 'image-build-'));
    const context = await contextFiles();
    const all = stages(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    expect(all.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    const stageDirs = new Map<string, Promise<string>>();
    const results = new Map<string, ReturnType<typeof buildStage>>();
    for (const stage of all) {
      const dir = path.join(workdir, stage.name);
      await mkdir(dir);
      const result = buildStage(stage, dir, context, stageDirs, log);
      results.set(stage.name, result);
      stageDirs.set(stage.name, result.then(() => dir));
    }
    const started = Date.now();
    await Promise.all(results.values());
    console.log(`[image-build] both stages in ${Math.round((Date.now() - started) / 1000)} s: ${log.join('; ')}`);
    image = await results.get('runtime')!;
    runtimeDir = path.join(workdir, 'runtime');
  }, 600_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await Promise.all([slack.stop(), openai.stop()]);
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  /** Starts a command of the image from the runtime directory, with the image's ENV under the test's. */
  function startFromImage(role: 'worker' | 'bot', args: string[], env: Record<string, string>): ProductProcess {
    const [command, ...rest] = [...image.entrypoint, ...args];
    expect(command).toBe('node');
    const child = spawn(process.execPath, rest, {
      cwd: runtimeDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...image.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const product = new ProductProcess(role, child);
    processes.push(product);
    return product;
  }

  async function ready(product: ProductProcess): Promise<string> {
    const base = await product.opsUrl();
    await waitFor(`${product.role} ready`, async () => (await fetch(`${base}/readyz`)).status === 200, 60_000);
    return base;
  }

  it('the runtime stage holds production dependencies only, the compiled code and the prebuilt workflow bundle', () => {
    expect(existsSync(path.join(runtimeDir, 'dist', 'worker.js'))).toBe(true);
    expect(existsSync(path.join(runtimeDir, 'dist', 'bot.js'))).toBe(true);
    expect(existsSync(path.join(runtimeDir, 'dist', 'codec-server.js'))).toBe(true);
    expect(existsSync(path.join(runtimeDir, 'dist', 'workflow-bundle.js'))).toBe(true);
    expect(existsSync(path.join(runtimeDir, 'dist', 'playground', 'static', 'index.html'))).toBe(true);
    expect(existsSync(path.join(runtimeDir, 'node_modules', '@temporalio', 'worker'))).toBe(true);
    // Dev dependencies stayed in the build stage.
    for (const dev of ['typescript', 'vitest', 'puppeteer-core', 'eslint']) expect(existsSync(path.join(runtimeDir, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(path.join(runtimeDir, 'src'))).toBe(false);
    expect(image.env).toMatchObject({ NODE_ENV: 'production', LOG_FORMAT: 'json' });
  });

  it('the compiled worker and bot start against Temporal, become ready, run a pipeline to its draft, and exit 0 on SIGTERM', async () => {
    const suffix = randomUUID().slice(0, 8);
    const env = productEnv({
      slack,
      openai,
      temporalAddress: inject('temporalAddress'),
      taskQueue: `image-${suffix}`,
      researchTaskQueue: `image-research-${suffix}`,
      extra: { PORT: '0' },
    });
    const worker = startFromImage('worker', image.cmd, env);
    const bot = startFromImage('bot', ['dist/bot.js'], env);
    const [, url] = await bot.waitForOutput(/listening for Slack requests on (http:\/\/\S+\/slack\/events)/);
    await Promise.all([ready(worker), ready(bot)]);
    // The worker runs the bundle the build wrote, not one made at startup.
    expect(worker.log).not.toMatch(/webpack/i);

    const body = slashCommandBody({ text: 'container images', responseUrl: slack.responseUrl('image-1') });
    const ack = await fetch(url!.replace('localhost', '127.0.0.1'), { method: 'POST', headers: signedHeaders(PROCESS_SECRETS.SLACK_SIGNING_SECRET, body), body });
    expect(ack.status).toBe(200);
    const root = await waitFor('the thread', () => slack.channelMessages('C0CHANNEL').find((m) => m.text?.includes('container images')), 60_000);
    await waitFor('the draft card', () => slack.postedOfKind('C0CHANNEL', 'draft', root.ts)[0], 60_000);

    for (const product of [bot, worker]) product.child.kill('SIGTERM');
    expect(await bot.exited).toEqual({ code: 0, signal: null });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // JSON lines, as the image's LOG_FORMAT says.
    for (const line of worker.log.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  }, 180_000);

  it('the compiled codec server (compose.yaml\'s codec-server) starts with only a key list, decodes, and exits 0 on SIGTERM', async () => {
    const codec = startFromImage('bot', ['dist/codec-server.js'], {
      PAYLOAD_KEYS: newPayloadKeyEntry('image'),
      CODEC_SERVER_PORT: '0',
      TEMPORAL_CONFIG_FILE: path.join(runtimeDir, 'no-temporal.toml'),
    });
    const [, url] = await codec.waitForOutput(/Codec server (http:\/\/127\.0\.0\.1:\d+) decodes namespace \\?"default\\?" with keys image/);
    const payloads = [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"from before encryption"').toString('base64') }];
    const encoded = await fetch(`${url}/encode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payloads }) });
    expect(encoded.status).toBe(200);
    const decoded = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: await encoded.text() });
    expect(await decoded.json()).toEqual({ payloads });
    codec.child.kill('SIGTERM');
    expect(await codec.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('the compiled playground serves its page', async () => {
    const suffix = randomUUID().slice(0, 8);
    // The playground runs its own Temporal server (with the suite's CLI) and its sample writer:
    // it refuses TEMPORAL_ADDRESS (test/e2e/playground-start.test.ts).
    const playground = startFromImage('bot', ['dist/playground/main.js'], {
      TEMPORAL_CLI: inject('temporalCliPath'),
      TEMPORAL_TASK_QUEUE: `image-playground-${suffix}`,
      TEMPORAL_RESEARCH_TASK_QUEUE: `image-playground-research-${suffix}`,
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const [, url] = await playground.waitForOutput(/playground at (http:\/\/\S+)/, 90_000);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    for (const asset of ['app.js', 'blocks.js', 'app.css']) expect((await fetch(new URL(asset, url)).then((r) => r.status)), asset).toBe(200);
    playground.child.kill('SIGTERM');
    expect((await playground.exited).code).toBe(0);
  }, 120_000);
});

