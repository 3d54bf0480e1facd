/**
 * The deploy files, checked without a container engine: compose.yaml parses and runs the stack the
 * README describes (Temporal on PostgreSQL, its UI, two workers, the bot in HTTP mode, the
 * knowledge-base volume), and the Dockerfile is multi-stage, Node 22, production dependencies
 * only, non-root, and starts files the build produces. Both files also pass a maintained linter:
 * compose.yaml dclint (the Compose specification's JSON schema plus best-practice rules, configured
 * in .dclintrc), the Dockerfile dockerfile-utils (the validator behind the Docker language server,
 * which reports what the Docker builder would refuse). Their build steps run for real in
 * test/deploy/image-build.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/search-attributes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** dist/<x>.js is compiled from src/<x>.ts (tsconfig.build.json: rootDir src, outDir dist). */
const sourceOf = (distFile: string) => path.join(ROOT, distFile.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));

interface Service { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; volumes?: string[]; ports?: string[]; depends_on?: Record<string, unknown> | string[]; secrets?: string[] }

interface DclintReport { messages: Array<{ rule: string; type: string; message: string; line: number }> }

/** Runs dclint's CLI on `file` (JSON report; exits non-zero on errors, which the report then lists). */
async function dclint(file: string): Promise<DclintReport['messages']> {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'dclint');
  const { stdout } = await promisify(execFile)(bin, [file, '--formatter', 'json', '--color', 'false'], { cwd: ROOT }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return (JSON.parse(stdout) as DclintReport[]).flatMap((report) => report.messages);
}

describe('compose.yaml', () => {
  it('passes dclint: valid against the Compose specification, no warnings', async () => {
    expect(await dclint('compose.yaml')).toEqual([]);
  });

  it('dclint does catch a broken file (the check is not vacuous)', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'dclint-')), 'compose.yaml');
    await writeFile(file, read('compose.yaml').replace('    command: ["dist/bot.js"]', '    comand: ["dist/bot.js"]'));
    const messages = await dclint(file);
    expect(messages.map((m) => m.rule)).toContain('invalid-schema');
  });

  // Compose applies YAML merge keys (<<), as the file uses them for the app services.
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const { services } = compose;

  it('runs Temporal on PostgreSQL, the Temporal UI, two workers and the bot in HTTP mode', () => {
    expect(services.postgresql?.image).toMatch(/^postgres:/);
    expect(services.temporal?.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
    const workers = Object.entries(services).filter(([, s]) => s.command?.[0] === 'dist/worker.js');
    expect(workers.length).toBe(2);
    expect(services.bot?.command).toEqual(['dist/bot.js']);
    expect(services.bot?.environment).toMatchObject({ PORT: '3000', TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(services.bot?.environment?.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('gives every app process the knowledge-base volume, the Temporal address and JSON logs; commands exist', () => {
    for (const name of ['worker-1', 'worker-2', 'bot']) {
      const service = services[name]!;
      expect(service.build, name).toBe('.');
      expect(service.volumes, name).toContain('kb:/app/.kb');
      expect(service.environment, name).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', LOG_FORMAT: 'json', METRICS_PORT: '9464' });
      // The ops endpoint binds loopback by default (METRICS_HOST); a container's is reached on its network interface.
      expect(service.environment?.METRICS_HOST, name).toBe('0.0.0.0');
      expect(service.ports ?? [], name).not.toContainEqual(expect.stringContaining('9464'));
      expect(existsSync(sourceOf(service.command![0]!)), `${name}: ${service.command![0]}`).toBe(true);
    }
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['kb', 'postgres']));
  });

  it('runs a codec server with the workers\' keys, published on loopback only, and points the Web UI at it', () => {
    const codec = services['codec-server']!;
    expect(codec.build).toBe('.');
    expect(existsSync(sourceOf(codec.command![0]!)), codec.command![0]).toBe(true);
    expect(codec.ports).toEqual(['127.0.0.1:8234:8234']);
    expect(codec.environment).toMatchObject({ CODEC_SERVER_HOST: '0.0.0.0', CODEC_SERVER_PORT: '8234', TEMPORAL_UI_URL: 'http://localhost:8080' });
    // The UI's page calls it from the operator's browser: the address the browser reaches, the UI's origin its CORS origin.
    expect(services['temporal-ui']?.environment?.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8234');
    expect(services['temporal-ui']?.depends_on).toContain('codec-server');
    // One key list, a compose secret (not .env), for every process that encrypts or decodes.
    const secrets = (compose as unknown as { secrets: Record<string, { file: string }> }).secrets;
    expect(secrets['payload-keys']?.file).toBe('./secrets/payload-keys');
    expect(read('.gitignore').split('\n')).toContain('secrets/');
    for (const name of ['worker-1', 'worker-2', 'bot', 'codec-server']) {
      expect(services[name]?.secrets, name).toEqual(['payload-keys']);
      expect(services[name]?.environment?.PAYLOAD_KEYS_FILE, name).toBe('/run/secrets/payload-keys');
    }
    // A PAYLOAD_KEYS in .env (env_file) would contradict the secret: the app services blank it.
    for (const name of ['worker-1', 'worker-2', 'bot']) expect(services[name]?.environment?.PAYLOAD_KEYS, name).toBe('');
    // No container reaches the codec server (it would decrypt for anyone who can send Host: localhost):
    // it is alone on its network, reached only through the port published on the host's loopback.
    const networksOf = (name: string) => (services[name] as { networks?: string[] } | undefined)?.networks;
    expect(networksOf('codec-server')).toEqual(['codec']);
    for (const name of Object.keys(services).filter((other) => other !== 'codec-server')) expect(networksOf(name) ?? ['default'], name).not.toContain('codec');
  });

  it('registers the search attributes the app queries', () => {
    const script = (services['temporal-setup']?.command ?? []).join(' ');
    for (const attribute of SEARCH_ATTRIBUTE_FLAGS) expect(script).toContain(attribute);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('passes dockerfile-utils validation with no problem reported', () => {
    expect(lintDockerfile(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    // …which does report what the builder would refuse.
    expect(lintDockerfile('FROM node:22\nCOPY package.json\n').map((d) => d.message)).toEqual(['COPY requires at least two arguments']);
  });
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  it('builds in one stage and runs from another, on Node 22, with production dependencies only', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms).toHaveLength(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:22[-\w.]*( AS \w+)?$/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  });

  it('runs as a non-root user and starts the compiled worker by default', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/\nUSER node\n/);
    const cmd = /CMD \["([^"]+)"\]/.exec(runtime)?.[1];
    expect(cmd).toBe('dist/worker.js');
    expect(existsSync(sourceOf(cmd!))).toBe(true);
    // The build writes the workflow bundle the compiled worker loads (src/temporal/bundle.ts).
    expect(read('package.json')).toMatch(/"build": "tsc -p tsconfig.build.json && tsx scripts\/copy-static.ts && tsx scripts\/bundle-workflows.ts"/);
  });
});
