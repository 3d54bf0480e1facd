import { describe, expect, it } from 'vitest';
import { boltLogger, createLogger, fieldsFromText, REDACTED, scrubSecrets, temporalLogger } from '../../src/ops/log.js';

function collector() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => lines.push(line) }, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('structured log', () => {
  it('scrubs token-shaped strings and configured secret values from every line', () => {
    const out = collector();
    const log = createLogger({ format: 'json', destination: out.destination, secrets: ['signing-secret-abcdef123456'] });
    log.info({ url: 'https://x/?t=xoxb-123456-abcdef' }, 'calling with xapp-1-A0-123-abcdef and sk-proj-abcdefghijk, signing-secret-abcdef123456');
    log.error({ err: new Error('401 for key sk-live-0123456789') }, 'failed');
    const text = out.lines.join('');
    for (const secret of ['xoxb-123456', 'xapp-1-A0', 'sk-proj-abc', 'signing-secret-abc', 'sk-live-012']) expect(text).not.toContain(secret);
    expect(text.split(REDACTED).length - 1).toBeGreaterThanOrEqual(5);
    expect(out.json()[0]).toMatchObject({ level: 'info' });
  });

  it('redacts secret fields by name, however nested', () => {
    const out = collector();
    const log = createLogger({ format: 'json', destination: out.destination });
    log.info({ token: 'plain', config: { apiKey: 'k1', slack: { signingSecret: 's1' } }, headers: { 'x-slack-signature': 'v0=abc' } }, 'x');
    const [line] = out.json();
    expect(line).toMatchObject({ token: REDACTED, config: { apiKey: REDACTED, slack: { signingSecret: REDACTED } }, headers: { 'x-slack-signature': REDACTED } });
  });

  it('pretty format is one readable line per entry, also scrubbed', () => {
    const out = collector();
    const log = createLogger({ format: 'pretty', destination: out.destination });
    log.warn({ workflowId: 'research-a-20260101-x1' }, 'token xoxb-1234567-zzz');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/WARN.*token \[redacted\]/);
    expect(out.lines[0]).toContain('workflowId: "research-a-20260101-x1"');
  });

  it('Bolt lines get the pipeline and channel they mention as fields', () => {
    const out = collector();
    const bolt = boltLogger(createLogger({ format: 'json', level: 'debug', destination: out.destination }));
    bolt.info('Started research-solar-power-20260102-ab12 for U0REQ in C0CHANNEL');
    bolt.error('failed:', new Error('boom'));
    const [started, failed] = out.json();
    expect(started).toMatchObject({ component: 'bolt', workflowId: 'research-solar-power-20260102-ab12', channel: 'C0CHANNEL', msg: 'Started research-solar-power-20260102-ab12 for U0REQ in C0CHANNEL' });
    expect(failed).toMatchObject({ level: 'error', err: { message: 'boom' } });
  });

  it("Temporal's metadata (workflow and activity context) becomes fields", () => {
    const out = collector();
    const temporal = temporalLogger(createLogger({ format: 'json', level: 'debug', destination: out.destination }));
    temporal.warn('Activity failed', { workflowId: 'research-x-20260102-ab12', activityType: 'writeArticle', error: new Error('x'), sdkComponent: 'activity' });
    temporal.log('DEBUG', 'polling', { taskQueue: 'q' });
    const [failed, polling] = out.json();
    expect(failed).toMatchObject({ component: 'temporal', level: 'warn', workflowId: 'research-x-20260102-ab12', activityType: 'writeArticle', sdkComponent: 'activity', err: { message: 'x' } });
    expect(polling).toMatchObject({ level: 'debug', taskQueue: 'q' });
  });

  it('finds IDs in free text', () => {
    expect(fieldsFromText('nothing here')).toEqual({});
    expect(fieldsFromText('x research-ab-20260101-q9-parallel-research y')).toEqual({ workflowId: 'research-ab-20260101-q9-parallel-research' });
    expect(scrubSecrets('short sec', ['sec'])).toBe('short sec');
  });
});
