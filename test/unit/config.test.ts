import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  loadConfig,
  type ConfigProblem,
  type Env,
  type Role,
} from '../../src/config.js';
import { DEFAULT_PRICES, formatBudget, UNLIMITED_BUDGET_USD } from '../../src/shared/pricing.js';
import { testKeyEntry } from '../harness/keys.js';

/**
 * Every env below is an explicit object. The Temporal envconfig loader falls back to a TOML file
 * under $XDG_CONFIG_HOME / $HOME from the env it is given, so pointing TEMPORAL_CONFIG_FILE at a
 * path that does not exist keeps these tests independent of the machine they run on.
 */
const scratch = mkdtempSync(join(tmpdir(), 'config-test-'));
const NO_TOML = join(scratch, 'does-not-exist.toml');

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const VALID: Env = {
  SLACK_BOT_TOKEN: 'xoxb-123-456-abc',
  SLACK_SIGNING_SECRET: 'signing-secret',
  OPENAI_API_KEY: 'sk-test',
  TEMPORAL_CONFIG_FILE: NO_TOML,
  // Any Temporal but the embedded one needs payload keys (describe 'payload encryption' below).
  PAYLOAD_KEYS: testKeyEntry('unit1'),
};

function env(overrides: Env = {}, base: Env = VALID): Env {
  return { ...base, ...overrides };
}

/** The ConfigError loadConfig throws; fails the test if it does not throw one. */
function configError(e: Env, role?: Role): ConfigError {
  try {
    loadConfig(e, role);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

function problems(e: Env, role?: Role): ConfigProblem[] {
  return configError(e, role).problems;
}

function variables(e: Env, role?: Role): string[] {
  return problems(e, role).map((p) => p.variable);
}

function problemFor(e: Env, variable: string, role?: Role): ConfigProblem {
  const found = problems(e, role).find((p) => p.variable === variable);
  expect(found, `a problem for ${variable}`).toBeDefined();
  return found!;
}

describe('loadConfig: missing variables', () => {
  it('reports every missing variable at once for an empty env', () => {
    const error = configError({});
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.problems.map((p) => p.variable)).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'OPENAI_API_KEY',
    ]);
    for (const problem of error.problems) expect(problem.problem).toBe('is missing.');
  });

  it('says where to get each missing variable', () => {
    const [bot, signing, openai] = problems({});
    expect(bot!.help).toContain('https://api.slack.com/apps');
    expect(bot!.help).toContain('OAuth & Permissions');
    expect(bot!.help).toContain('xoxb-');
    expect(signing!.help).toContain('https://api.slack.com/apps');
    expect(signing!.help).toContain('Signing Secret');
    expect(openai!.help).toContain('https://platform.openai.com/api-keys');
  });

  it('puts every problem and its help in the error message, with a count', () => {
    const error = configError({});
    expect(error.message).toContain('Configuration is incomplete (3 problems)');
    for (const problem of error.problems) {
      expect(error.message).toContain(`${problem.variable} ${problem.problem}`);
      expect(error.message).toContain(problem.help);
    }
    expect(error.message).toContain('.env.example');
  });

  it('uses the singular for one problem', () => {
    const error = configError(env({ OPENAI_API_KEY: undefined }));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain('(1 problem)');
  });

  it('treats blank and whitespace-only values as missing', () => {
    expect(variables(env({ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: '   ', OPENAI_API_KEY: '\t\n' }))).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'OPENAI_API_KEY',
    ]);
  });

  it('trims surrounding whitespace from values', () => {
    const config = loadConfig(env({ SLACK_BOT_TOKEN: '  xoxb-1  ', OPENAI_API_KEY: ' sk-x\n' }));
    expect(config.slack.botToken).toBe('xoxb-1');
    expect(config.openai.apiKey).toBe('sk-x');
  });

  it('defaults to role "all", which needs both the bot and the worker variables', () => {
    expect(variables({ TEMPORAL_CONFIG_FILE: NO_TOML }, 'all')).toEqual(variables({ TEMPORAL_CONFIG_FILE: NO_TOML }));
  });
});

describe('loadConfig: roles', () => {
  it('role "bot" does not need OPENAI_API_KEY', () => {
    const config = loadConfig(env({ OPENAI_API_KEY: undefined }), 'bot');
    expect(config.openai.apiKey).toBe('');
    expect(config.slack.signingSecret).toBe('signing-secret');
    expect(variables({}, 'bot')).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
  });

  it('role "worker" does not need SLACK_SIGNING_SECRET', () => {
    const config = loadConfig(env({ SLACK_SIGNING_SECRET: undefined }), 'worker');
    expect(config.slack.signingSecret).toBeUndefined();
    expect(config.openai.apiKey).toBe('sk-test');
    expect(variables({}, 'worker')).toEqual(['SLACK_BOT_TOKEN', 'OPENAI_API_KEY']);
  });

  it('role "worker" still needs the bot token (activities post to Slack)', () => {
    expect(variables(env({ SLACK_BOT_TOKEN: undefined }), 'worker')).toEqual(['SLACK_BOT_TOKEN']);
  });

  it('role "all" needs the signing secret and the OpenAI key', () => {
    expect(variables(env({ SLACK_SIGNING_SECRET: undefined }), 'all')).toEqual(['SLACK_SIGNING_SECRET']);
    expect(variables(env({ OPENAI_API_KEY: undefined }), 'all')).toEqual(['OPENAI_API_KEY']);
  });
});

describe('loadConfig: Socket Mode', () => {
  it('with SLACK_APP_TOKEN the signing secret is not required and the app token is kept', () => {
    const config = loadConfig(env({ SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-A1-abc' }));
    expect(config.slack.appToken).toBe('xapp-1-A1-abc');
    expect(config.slack.signingSecret).toBeUndefined();
  });

  it('with SLACK_APP_TOKEN, role "bot" needs only the bot token', () => {
    expect(variables({ SLACK_APP_TOKEN: 'xapp-1', TEMPORAL_CONFIG_FILE: NO_TOML }, 'bot')).toEqual(['SLACK_BOT_TOKEN']);
  });

  it('without SLACK_APP_TOKEN the app token is undefined (HTTP mode)', () => {
    const config = loadConfig(VALID);
    expect(config.slack.appToken).toBeUndefined();
    expect(config.slack.signingSecret).toBe('signing-secret');
  });

  it('a blank SLACK_APP_TOKEN means HTTP mode, so the signing secret is required again', () => {
    expect(variables(env({ SLACK_APP_TOKEN: '  ', SLACK_SIGNING_SECRET: undefined }))).toEqual(['SLACK_SIGNING_SECRET']);
  });
});

describe('loadConfig: token prefixes', () => {
  it('rejects a bot token that is not xoxb-', () => {
    const problem = problemFor(env({ SLACK_BOT_TOKEN: 'xoxp-user-token' }), 'SLACK_BOT_TOKEN');
    expect(problem.problem).toBe('should start with "xoxb-".');
    expect(problem.help).toContain('OAuth & Permissions');
  });

  it('rejects an app token that is not xapp-', () => {
    const problem = problemFor(env({ SLACK_APP_TOKEN: 'xoxb-oops' }), 'SLACK_APP_TOKEN');
    expect(problem.problem).toBe('should start with "xapp-".');
    expect(problem.help).toContain('connections:write');
  });

  it('catches swapped tokens together', () => {
    const found = problems(env({ SLACK_BOT_TOKEN: 'xapp-1', SLACK_APP_TOKEN: 'xoxb-1' }));
    expect(found.map((p) => [p.variable, p.problem])).toEqual([
      ['SLACK_BOT_TOKEN', 'should start with "xoxb-".'],
      ['SLACK_APP_TOKEN', 'should start with "xapp-".'],
    ]);
  });

  it('does not add a prefix complaint on top of "is missing."', () => {
    const found = problems(env({ SLACK_BOT_TOKEN: undefined }));
    expect(found).toEqual([expect.objectContaining({ variable: 'SLACK_BOT_TOKEN', problem: 'is missing.' })]);
  });
});

describe('loadConfig: malformed values', () => {
  it.each([
    ['SLACK_API_URL', 'not a url'],
    ['SLACK_API_URL', 'ftp://files.example.com/api/'],
    ['OPENAI_BASE_URL', 'localhost:11434/v1'],
    ['OPENAI_BASE_URL', 'file:///etc/passwd'],
    ['TEMPORAL_UI_URL', 'javascript:alert(1)'],
  ])('reports %s=%j as not an http(s) URL', (variable, value) => {
    const problem = problemFor(env({ [variable]: value }), variable);
    expect(problem.problem).toBe(`is not an http(s) URL: "${value}".`);
    expect(problem.help.length).toBeGreaterThan(0);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '65536'],
    ['PORT', '3000.5'],
    ['PORT', '-1'],
    ['TEMPORAL_DEV_SERVER_PORT', 'seven'],
    ['TEMPORAL_DEV_SERVER_UI_PORT', '99999'],
  ])('reports %s=%j as not a port number', (variable, value) => {
    const problem = problemFor(env({ [variable]: value }), variable);
    expect(problem.problem).toBe(`is not a port number: "${value}".`);
    expect(problem.help).toContain('port');
  });

  it.each([
    ['REVIEW_TIMEOUT', '3 days'],
    ['REVIEW_TIMEOUT', '72'],
    ['LLM_ATTEMPT_TIMEOUT', '0s'],
    ['PIPELINE_TIMEOUT', '-4d'],
  ])('reports %s=%j as not a duration', (variable, value) => {
    const problem = problemFor(env({ [variable]: value }), variable);
    expect(problem.problem).toBe(`is not a duration: "${value}".`);
    expect(problem.help).toContain('30s, 30m, 4h or 3d');
  });

  it('reports an unknown LOG_LEVEL', () => {
    const problem = problemFor(env({ LOG_LEVEL: 'verbose' }), 'LOG_LEVEL');
    expect(problem.problem).toBe('is not a log level: "verbose".');
    expect(problem.help).toBe('One of debug, info, warn, error.');
  });

  it('reports every malformed value together, alongside missing ones', () => {
    const found = variables({
      TEMPORAL_CONFIG_FILE: NO_TOML,
      SLACK_BOT_TOKEN: 'bad-token',
      SLACK_API_URL: 'nope',
      OPENAI_BASE_URL: 'nope',
      PORT: 'http',
      REVIEW_TIMEOUT: 'forever',
      LOG_LEVEL: 'loud',
    });
    expect(found.sort()).toEqual(
      [
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'OPENAI_API_KEY',
        'LOG_LEVEL',
        'PORT',
        'SLACK_API_URL',
        'OPENAI_BASE_URL',
        'REVIEW_TIMEOUT',
      ].sort(),
    );
  });

  it('reports a Temporal profile that cannot be loaded as a TEMPORAL_* problem', () => {
    const toml = join(scratch, 'profiles.toml');
    writeFileSync(toml, '[profile.default]\naddress = "localhost:7233"\n');
    const problem = problemFor(env({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'missing' }), 'TEMPORAL_*');
    expect(problem.problem).toContain("Profile 'missing' not found");
    expect(problem.help).toContain('https://docs.temporal.io/develop/environment-configuration');
  });
});

describe('loadConfig: defaults', () => {
  const config = loadConfig(VALID);

  it('uses gpt-4o-mini for both models', () => {
    expect(config.openai.researchModel).toBe('gpt-4o-mini');
    expect(config.openai.writerModel).toBe('gpt-4o-mini');
    expect(config.openai.baseUrl).toBeUndefined();
  });

  it('listens on port 3000 and uses Slack’s own API URL', () => {
    expect(config.slack.port).toBe(3000);
    expect(config.slack.apiUrl).toBeUndefined();
  });

  it('points at the local Temporal UI on 8233', () => {
    expect(config.temporal.uiUrl).toBe('http://localhost:8233');
    expect(config.temporal.devServerPort).toBe(7233);
    expect(config.temporal.devServerUiPort).toBe(8233);
  });

  it('uses the documented timeouts, in milliseconds', () => {
    expect(config.pipeline.reviewTimeoutMs).toBe(72 * 60 * 60 * 1000);
    expect(config.pipeline.llmAttemptTimeoutMs).toBe(90 * 1000);
    expect(config.pipeline.executionTimeoutMs).toBe(4 * 24 * 60 * 60 * 1000);
  });

  it('runs an embedded Temporal in the default namespace when TEMPORAL_ADDRESS is unset', () => {
    expect(config.temporal.connection.address).toBeUndefined();
    expect(config.temporal.namespace).toBe('default');
    expect(config.temporal.connection.address).toBeUndefined();
  });

  it('uses the standard task queues and dev-server files', () => {
    expect(config.temporal.taskQueue).toBe('content-pipeline');
    expect(config.temporal.researchTaskQueue).toBe('research');
    expect(config.temporal.devServerDbFile).toBe('.temporal/dev-server.sqlite');
  });

  it('logs at info', () => {
    expect(config.logLevel).toBe('info');
  });
});

describe('loadConfig: overrides', () => {
  it('connects to an external Temporal when TEMPORAL_ADDRESS is set', () => {
    const config = loadConfig(env({ TEMPORAL_ADDRESS: 'temporal.example.com:7233' }));
        expect(config.temporal.connection.address).toBe('temporal.example.com:7233');
  });

  it('takes the namespace from TEMPORAL_NAMESPACE', () => {
    const config = loadConfig(env({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_NAMESPACE: 'prod' }));
    expect(config.temporal.namespace).toBe('prod');
  });

  it('treats blank TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (as copied from .env.example) as unset', () => {
    const config = loadConfig(env({ TEMPORAL_ADDRESS: '   ', TEMPORAL_NAMESPACE: '' }));
    expect(config.temporal.connection.address).toBeUndefined();
    expect(config.temporal.namespace).toBe('default');
  });

  it('reads a Temporal profile from the TOML file named by TEMPORAL_CONFIG_FILE', () => {
    const toml = join(scratch, 'temporal.toml');
    writeFileSync(toml, '[profile.default]\naddress = "toml-host:7233"\nnamespace = "from-toml"\n');
    const config = loadConfig(env({ TEMPORAL_CONFIG_FILE: toml }));
        expect(config.temporal.connection.address).toBe('toml-host:7233');
    expect(config.temporal.namespace).toBe('from-toml');
  });

  describe('with a leaky process.env', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('reads only the env it is given, not process.env', () => {
      vi.stubEnv('TEMPORAL_ADDRESS', 'leaked.example.com:7233');
      vi.stubEnv('TEMPORAL_NAMESPACE', 'leaked');
      vi.stubEnv('PORT', '9999');
      const config = loadConfig(VALID);
      expect(config.temporal.connection.address).toBeUndefined();
      expect(config.temporal.namespace).toBe('default');
      expect(config.slack.port).toBe(3000);
    });
  });

  it('appends a trailing slash to SLACK_API_URL', () => {
    expect(loadConfig(env({ SLACK_API_URL: 'http://localhost:9999/api' })).slack.apiUrl).toBe(
      'http://localhost:9999/api/',
    );
  });

  it('leaves a SLACK_API_URL that already ends in a slash alone', () => {
    expect(loadConfig(env({ SLACK_API_URL: 'https://slack.com/api/' })).slack.apiUrl).toBe('https://slack.com/api/');
  });

  it('keeps OPENAI_BASE_URL as given', () => {
    expect(loadConfig(env({ OPENAI_BASE_URL: 'http://localhost:11434/v1' })).openai.baseUrl).toBe(
      'http://localhost:11434/v1',
    );
  });

  it('takes models, port, timeouts and queues from the env', () => {
    const config = loadConfig(
      env({
        RESEARCH_MODEL: 'gpt-4.1-mini',
        WRITER_MODEL: 'gpt-4.1',
        PORT: '8080',
        REVIEW_TIMEOUT: '30m',
        LLM_ATTEMPT_TIMEOUT: '2m',
        PIPELINE_TIMEOUT: '1d',
        TEMPORAL_TASK_QUEUE: 'tq-a',
        TEMPORAL_RESEARCH_TASK_QUEUE: 'tq-b',
        TEMPORAL_DEV_SERVER_DB: '/tmp/dev.sqlite',
      }),
    );
    expect(config.openai.researchModel).toBe('gpt-4.1-mini');
    expect(config.openai.writerModel).toBe('gpt-4.1');
    expect(config.slack.port).toBe(8080);
    expect(config.pipeline.reviewTimeoutMs).toBe(30 * 60 * 1000);
    expect(config.pipeline.llmAttemptTimeoutMs).toBe(2 * 60 * 1000);
    expect(config.pipeline.executionTimeoutMs).toBe(24 * 60 * 60 * 1000);
    expect(config.temporal.taskQueue).toBe('tq-a');
    expect(config.temporal.researchTaskQueue).toBe('tq-b');
    expect(config.temporal.devServerDbFile).toBe('/tmp/dev.sqlite');
  });

  it('derives the default UI port and URL from TEMPORAL_DEV_SERVER_PORT', () => {
    const config = loadConfig(env({ TEMPORAL_DEV_SERVER_PORT: '7300' }));
    expect(config.temporal.devServerPort).toBe(7300);
    expect(config.temporal.devServerUiPort).toBe(8300);
    expect(config.temporal.uiUrl).toBe('http://localhost:8300');
  });

  it('prefers explicit TEMPORAL_DEV_SERVER_UI_PORT and TEMPORAL_UI_URL', () => {
    const config = loadConfig(
      env({ TEMPORAL_DEV_SERVER_UI_PORT: '9000', TEMPORAL_UI_URL: 'https://cloud.temporal.io' }),
    );
    expect(config.temporal.devServerUiPort).toBe(9000);
    expect(config.temporal.uiUrl).toBe('https://cloud.temporal.io');
  });

  it('leaves the worker cache to Temporal unless WORKER_MAX_CACHED_WORKFLOWS is set', () => {
    expect(loadConfig(env()).worker.maxCachedWorkflows).toBeUndefined();
    expect(loadConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: '100' })).worker.maxCachedWorkflows).toBe(100);
    expect(loadConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: '0' })).worker.maxCachedWorkflows).toBe(0);
  });

  it.each(['-1', 'lots', '1.5', '2000000'])('reports WORKER_MAX_CACHED_WORKFLOWS=%j, with what to write', (value) => {
    const problem = problemFor(env({ WORKER_MAX_CACHED_WORKFLOWS: value }), 'WORKER_MAX_CACHED_WORKFLOWS');
    expect(problem.problem).toContain(value);
    expect(problem.help).toMatch(/whole number/);
  });

  it.each(['debug', 'info', 'warn', 'error', 'DEBUG', ' Warn '])('accepts LOG_LEVEL=%j, lower-cased', (level) => {
    expect(loadConfig(env({ LOG_LEVEL: level })).logLevel).toBe(level.trim().toLowerCase());
  });
});

describe('observability settings', () => {
  it('defaults: metrics on 9464, log format chosen by the terminal', () => {
    const config = loadConfig(env());
    expect(config.metricsPort).toBe(9464);
    expect(config.logFormat).toBeUndefined();
  });

  it('reads LOG_FORMAT and METRICS_PORT', () => {
    const config = loadConfig(env({ LOG_FORMAT: 'JSON', METRICS_PORT: '0' }));
    expect(config).toMatchObject({ logFormat: 'json', metricsPort: 0 });
    expect(loadConfig(env({ LOG_FORMAT: 'pretty' })).logFormat).toBe('pretty');
  });

  it('METRICS_HOST: loopback unless set; an address or host name, nothing else', () => {
    expect(loadConfig(env()).metricsHost).toBe('127.0.0.1');
    expect(loadConfig(env({ METRICS_HOST: '0.0.0.0' })).metricsHost).toBe('0.0.0.0');
    expect(loadConfig(env({ METRICS_HOST: '::1' })).metricsHost).toBe('::1');
    const problem = configError(env({ METRICS_HOST: 'http://0.0.0.0:9464' })).problems[0]!;
    expect(problem.variable).toBe('METRICS_HOST');
    expect(problem.help).toMatch(/127\.0\.0\.1.*0\.0\.0\.0/);
  });

  it('names a bad LOG_FORMAT or METRICS_PORT', () => {
    const error = configError(env({ LOG_FORMAT: 'xml', METRICS_PORT: 'nine' }));
    expect(error.problems.map((p) => p.variable)).toEqual(['LOG_FORMAT', 'METRICS_PORT']);
    expect(error.problems[0]!.help).toMatch(/json.*pretty/);
    expect(error.problems[1]!.help).toMatch(/metrics/);
  });
});

describe('loadConfig: every model has a price, or the budget guard is off', () => {
  it('refuses a model without a price, naming the variable, the model and MODEL_PRICES', () => {
    const problem = problemFor(env({ WRITER_MODEL: 'house-model-7b' }), 'WRITER_MODEL');
    expect(problem.problem).toContain('"house-model-7b"');
    expect(problem.help).toContain('MODEL_PRICES={"house-model-7b":');
    expect(problem.help).toContain('MAX_COST_USD=off');
    expect(variables(env({ RESEARCH_MODEL: 'a-model', WRITER_MODEL: 'b-model' }))).toEqual(['RESEARCH_MODEL', 'WRITER_MODEL']);
  });

  it('accepts the model once MODEL_PRICES prices it (dated variants included)', () => {
    const config = loadConfig(env({ WRITER_MODEL: 'house-model-7b', MODEL_PRICES: '{"house-model-7b":{"input":1,"output":2}}' }));
    expect(config.pipeline.prices['house-model-7b']).toEqual({ input: 1, output: 2, cachedInput: 1 });
    expect(loadConfig(env({ RESEARCH_MODEL: 'gpt-4.1-mini-2025-04-14' })).openai.researchModel).toBe('gpt-4.1-mini-2025-04-14');
  });

  it('accepts an unpriced model when MAX_COST_USD=off, with the guard off and an unlimited budget', () => {
    const config = loadConfig(env({ WRITER_MODEL: 'house-model-7b', MAX_COST_USD: 'off' }));
    expect(config.pipeline.budgetGuard).toBe(false);
    expect(config.pipeline.maxCostUsd).toBe(UNLIMITED_BUDGET_USD);
    expect(formatBudget(config.pipeline.maxCostUsd)).toBe('unlimited');
    expect(loadConfig(env()).pipeline.budgetGuard).toBe(true);
  });

  it('says what MAX_COST_USD accepts', () => {
    expect(problemFor(env({ MAX_COST_USD: 'none' }), 'MAX_COST_USD').problem).toMatch(/positive number of US dollars or "off"/);
  });

  it('the built-in table prices OpenAI chat and embedding models', () => {
    for (const model of ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.4-mini', 'gpt-5.5', 'text-embedding-3-small', 'text-embedding-3-large']) {
      expect(DEFAULT_PRICES[model], model).toBeDefined();
    }
  });
});

describe('any Temporal cluster (through @temporalio/envconfig)', () => {
  const cloud = { TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'my-ns.a1b2c' };

  it('Temporal Cloud with an API key: TLS on, the key passed to the connection', () => {
    const config = loadConfig(env({ ...cloud, TEMPORAL_API_KEY: 'cloud-api-key-123' }));
    expect(config.temporal.connection).toMatchObject({ address: cloud.TEMPORAL_ADDRESS, apiKey: 'cloud-api-key-123', tls: true });
    expect(config.temporal.namespace).toBe('my-ns.a1b2c');
  });

  it('Temporal Cloud or a self-hosted cluster with mTLS: the certificate and key are read from their files', () => {
    const cert = join(scratch, 'client.pem');
    const key = join(scratch, 'client.key');
    writeFileSync(cert, 'CERTIFICATE');
    writeFileSync(key, 'PRIVATE KEY');
    const config = loadConfig(env({ ...cloud, TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key }));
    const tls = config.temporal.connection.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe('CERTIFICATE');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe('PRIVATE KEY');
  });

  it('a self-hosted cluster without TLS: just the address and namespace', () => {
    const config = loadConfig(env({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'content' }));
    expect(config.temporal.connection).toEqual({ address: 'temporal.internal:7233' });
    expect(config.temporal.namespace).toBe('content');
  });
});

describe('loadConfig: deadlines that fit together', () => {
  it('refuses a review window that cannot fit in PIPELINE_TIMEOUT after research and writing, naming the settings', () => {
    const problem = problemFor(env({ PIPELINE_TIMEOUT: '50s', REVIEW_TIMEOUT: '45s', LLM_ATTEMPT_TIMEOUT: '5s' }), 'PIPELINE_TIMEOUT');
    expect(problem.problem).toContain('REVIEW_TIMEOUT (45s)');
    expect(problem.problem).toContain('2 × LLM_ATTEMPT_TIMEOUT = 10s');
    expect(problem.help).toContain('Raise PIPELINE_TIMEOUT to at least 1m 00s');
    expect(problem.help).toContain('lower REVIEW_TIMEOUT to at most 35s');
  });

  it('refuses a REVIEW_TIMEOUT longer than the default cap of 4 days', () => {
    expect(variables(env({ REVIEW_TIMEOUT: '5d' }))).toEqual(['PIPELINE_TIMEOUT']);
  });

  it('accepts settings that just fit, and the defaults', () => {
    const config = loadConfig(env({ PIPELINE_TIMEOUT: '50s', REVIEW_TIMEOUT: '35s', LLM_ATTEMPT_TIMEOUT: '5s' }));
    expect(config.pipeline.executionTimeoutMs).toBe(50_000);
    expect(() => loadConfig(env())).not.toThrow();
  });
});

describe('loadConfig: spend ceilings (TEAM_DAILY_USD, TEAM_MONTHLY_USD, USER_DAILY_USD, MAX_RUNNING_PER_USER, SPEND_TIMEZONE)', () => {
  it('all unset: no ceilings, spend off (no account traffic), days in UTC', () => {
    expect(loadConfig(env()).spend).toEqual({
      teamDailyUsd: undefined,
      teamMonthlyUsd: undefined,
      userDailyUsd: undefined,
      maxRunningPerUser: undefined,
      timeZone: 'UTC',
      enabled: false,
    });
  });

  it('reads each setting, and any one of them switches spend on', () => {
    const config = loadConfig(env({ TEAM_DAILY_USD: '20', TEAM_MONTHLY_USD: '300.5', USER_DAILY_USD: '0', MAX_RUNNING_PER_USER: '2', SPEND_TIMEZONE: 'Europe/Berlin' }));
    expect(config.spend).toEqual({ teamDailyUsd: 20, teamMonthlyUsd: 300.5, userDailyUsd: 0, maxRunningPerUser: 2, timeZone: 'Europe/Berlin', enabled: true });
    for (const [name, value] of [['TEAM_DAILY_USD', '1'], ['TEAM_MONTHLY_USD', '1'], ['USER_DAILY_USD', '1'], ['MAX_RUNNING_PER_USER', '1']] as const) {
      expect(loadConfig(env({ [name]: value })).spend.enabled, name).toBe(true);
    }
    // A time zone alone sets no ceiling.
    expect(loadConfig(env({ SPEND_TIMEZONE: 'America/New_York' })).spend.enabled).toBe(false);
  });

  it.each([
    ['TEAM_DAILY_USD', '-1', /number of US dollars from 0 to 1000000/],
    ['TEAM_DAILY_USD', 'ten', /number of US dollars/],
    ['TEAM_MONTHLY_USD', '1e3', /number of US dollars/],
    ['TEAM_MONTHLY_USD', '2000000', /from 0 to 1000000/],
    ['USER_DAILY_USD', '$5', /number of US dollars/],
    ['MAX_RUNNING_PER_USER', '0', /whole number from 1 to 1000/],
    ['MAX_RUNNING_PER_USER', '2.5', /whole number/],
    ['SPEND_TIMEZONE', 'Mars/Olympus', /IANA time zone/],
    ['SPEND_TIMEZONE', 'CEST+2', /IANA time zone/],
  ])('refuses %s=%s, naming the variable and what it accepts', (name, value, problem) => {
    const error = configError(env({ [name]: value }));
    const found = problemFor(env({ [name]: value }), name);
    expect(found.problem).toMatch(problem);
    expect(found.help).toMatch(/Leave unset|IANA time zone/);
    expect(error.message).toContain(name);
  });

  it('help text says what each setting means and that unset is no limit', () => {
    expect(problemFor(env({ TEAM_DAILY_USD: 'x' }), 'TEAM_DAILY_USD').help).toMatch(/whole workspace may spend per day.*no daily ceiling/);
    expect(problemFor(env({ TEAM_MONTHLY_USD: 'x' }), 'TEAM_MONTHLY_USD').help).toMatch(/per calendar month.*no monthly ceiling/);
    expect(problemFor(env({ USER_DAILY_USD: 'x' }), 'USER_DAILY_USD').help).toMatch(/one person.*per day.*no per-person ceiling/);
    expect(problemFor(env({ MAX_RUNNING_PER_USER: 'x' }), 'MAX_RUNNING_PER_USER').help).toMatch(/running at once.*no limit/);
    expect(problemFor(env({ SPEND_TIMEZONE: 'x' }), 'SPEND_TIMEZONE').help).toMatch(/days and months/);
  });
});
