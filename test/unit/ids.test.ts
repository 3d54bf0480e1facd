import { describe, expect, it } from 'vitest';
import { opaqueToken } from '../../src/temporal/pipelines.js';
import {
  isPipelineWorkflowId,
  opaquePipelineWorkflowId,
  pipelineWorkflowId,
  researchChildWorkflowId,
  slugify,
  yyyymmdd,
} from '../../src/shared/ids.js';

/** What every slug must look like: lower-case ASCII words joined by single dashes. */
const SLUG_SHAPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

describe('slugify', () => {
  it('lower-cases words and joins them with single dashes', () => {
    expect(slugify('Durable Execution for AI Agents')).toBe('durable-execution-for-ai-agents');
  });

  it('folds accents to plain ASCII letters', () => {
    expect(slugify('Café à la crème brûlée')).toBe('cafe-a-la-creme-brulee');
    expect(slugify('Señor Müller, Ångström')).toBe('senor-muller-angstrom');
  });

  it('folds compatibility characters (ligatures, circled digits, full-width letters)', () => {
    expect(slugify('ﬁle ① ＡＢＣ')).toBe('file-1-abc');
  });

  it('collapses runs of punctuation and whitespace into one dash and trims dashes at both ends', () => {
    expect(slugify('  Hello,   World!!! -- (v2.0) ...  ')).toBe('hello-world-v2-0');
    expect(slugify('---already--dashed---')).toBe('already-dashed');
    expect(slugify('tabs\tand\nnewlines')).toBe('tabs-and-newlines');
  });

  it('drops emoji and other non-Latin symbols', () => {
    expect(slugify('🚀 Rockets 🚀 and 🌕 moons')).toBe('rockets-and-moons');
    expect(slugify('AI👩‍💻agents')).toBe('ai-agents');
  });

  it('keeps digits', () => {
    expect(slugify('Top 10 LLMs of 2025')).toBe('top-10-llms-of-2025');
  });

  it.each([
    ['', 'empty string'],
    ['   \t\n ', 'whitespace only'],
    ['!!! ??? ...', 'punctuation only'],
    ['🚀🌕✨', 'emoji only'],
    ['東京 日本', 'non-Latin script only'],
  ])('falls back to "topic" for %j (%s)', (input) => {
    expect(slugify(input)).toBe('topic');
  });

  it('caps the slug at 40 characters by default', () => {
    const slug = slugify('a'.repeat(100));
    expect(slug).toBe('a'.repeat(40));
  });

  it('never ends with a dash when the cut lands right after a word break', () => {
    // Slug of this input is 39 × "a", "-", "b": the 40-character cut ends on the dash.
    const slug = slugify(`${'a'.repeat(39)} b`);
    expect(slug).toBe('a'.repeat(39));
    expect(slug.endsWith('-')).toBe(false);
  });

  it('never ends with a dash for any cut position of a multi-word topic', () => {
    const topic = 'durable execution makes long running ai agents reliable in production';
    for (let max = 1; max <= 70; max++) {
      const slug = slugify(topic, max);
      expect(slug.length).toBeLessThanOrEqual(max);
      expect(slug).toMatch(SLUG_SHAPE);
    }
  });

  it('honours a custom maximum length', () => {
    expect(slugify('hello world', 5)).toBe('hello');
    expect(slugify('hello world', 6)).toBe('hello');
    expect(slugify('hello world', 8)).toBe('hello-wo');
  });

  it('falls back to "topic" when the maximum length leaves nothing', () => {
    expect(slugify('hello world', 0)).toBe('topic');
  });

  it('always produces the documented shape', () => {
    const samples = [
      'Durable Execution',
      '<!channel> please',
      "Robert'); DROP TABLE students;--",
      '../../etc/passwd',
      'ÀÉÎÕÜ ç ñ',
      'x'.repeat(500),
      '🚀',
    ];
    for (const sample of samples) {
      const slug = slugify(sample);
      expect(slug).toMatch(SLUG_SHAPE);
      expect(slug.length).toBeLessThanOrEqual(40);
    }
  });
});

describe('yyyymmdd', () => {
  it('formats a date as eight digits with zero-padded month and day', () => {
    expect(yyyymmdd(new Date('2024-03-05T12:00:00Z'))).toBe('20240305');
    expect(yyyymmdd(new Date('2024-11-29T12:00:00Z'))).toBe('20241129');
  });

  it('handles a leap day', () => {
    expect(yyyymmdd(new Date('2024-02-29T00:00:00Z'))).toBe('20240229');
  });

  it('uses the UTC calendar day, not the local one', () => {
    // 23:30 on New Year's Eve in New York is already 1 January in UTC.
    expect(yyyymmdd(new Date('2024-12-31T23:30:00-05:00'))).toBe('20250101');
    // 00:30 on 1 January in UTC+2 is still 31 December in UTC.
    expect(yyyymmdd(new Date('2025-01-01T00:30:00+02:00'))).toBe('20241231');
  });

  it('is exact at the UTC day boundaries', () => {
    expect(yyyymmdd(new Date('2025-06-30T23:59:59.999Z'))).toBe('20250630');
    expect(yyyymmdd(new Date('2025-07-01T00:00:00.000Z'))).toBe('20250701');
  });
});

describe('pipelineWorkflowId', () => {
  const date = new Date('2024-03-05T09:15:00Z');

  it('has the form research-<slug>-<yyyymmdd>-<suffix>', () => {
    expect(pipelineWorkflowId('Durable Execution for AI Agents!', date, 'k3x9q0')).toBe(
      'research-durable-execution-for-ai-agents-20240305-k3x9q0',
    );
  });

  it('uses "topic" as the slug when the topic has no usable characters', () => {
    expect(pipelineWorkflowId('🚀🚀🚀', date, 'abc123')).toBe('research-topic-20240305-abc123');
  });

  it('uses the UTC date', () => {
    expect(pipelineWorkflowId('x', new Date('2024-12-31T23:30:00-05:00'), 'a1')).toBe('research-x-20250101-a1');
  });

  it('is deterministic: same inputs, same ID; different suffix, different ID', () => {
    const a = pipelineWorkflowId('Same topic', date, 'aaaaaa');
    expect(pipelineWorkflowId('Same topic', date, 'aaaaaa')).toBe(a);
    expect(pipelineWorkflowId('Same topic', date, 'bbbbbb')).not.toBe(a);
  });

  it('produces IDs that isPipelineWorkflowId accepts, even for hostile or very long topics', () => {
    const topics = [
      'Durable execution',
      '<!channel> <@U123> &amp;',
      "'; DROP TABLE workflows; --",
      'Crème brûlée 🍮 at scale',
      'word '.repeat(200),
      '',
    ];
    for (const topic of topics) {
      const id = pipelineWorkflowId(topic, date, '0a9z7b');
      expect(isPipelineWorkflowId(id), id).toBe(true);
      expect(id.length).toBeLessThanOrEqual(128);
    }
  });
});

describe('opaquePipelineWorkflowId (WORKFLOW_ID_STYLE=opaque)', () => {
  const date = new Date('2024-03-05T09:15:00Z');

  it('has the form research-<12 hex>-<yyyymmdd>-<suffix>, which buttons and commands accept', () => {
    const id = opaquePipelineWorkflowId('0123456789ab', date, 'k3x9q0');
    expect(id).toBe('research-0123456789ab-20240305-k3x9q0');
    expect(isPipelineWorkflowId(id)).toBe(true);
    expect(isPipelineWorkflowId(researchChildWorkflowId(id))).toBe(false);
  });

  it('refuses a token that is not 12 lower-case hex characters (a slug passed by mistake)', () => {
    expect(() => opaquePipelineWorkflowId('durable-exec', date, 'k3x9q0')).toThrow(/12 lower-case hex/);
    expect(() => opaquePipelineWorkflowId('0123456789AB', date, 'k3x9q0')).toThrow();
  });

  it('a token is random without a request key, and the same for the same request key (a repeated delivery reaches the same run)', () => {
    expect(opaqueToken()).toMatch(/^[0-9a-f]{12}$/);
    expect(opaqueToken()).not.toBe(opaqueToken());
    expect(opaqueToken('delivery-1')).toBe(opaqueToken('delivery-1'));
    expect(opaqueToken('delivery-1')).not.toBe(opaqueToken('delivery-2'));
  });

  it('a token is not a hash of the topic: a topic alone never reproduces it', () => {
    const topic = 'layoffs in q3';
    const key = ['T0TEAM', 'C0CHANNEL', 'U0USER', '/research', topic, '12345.67890.abcdef'].join('\n');
    const token = opaqueToken(key);
    const id = opaquePipelineWorkflowId(token, date, 'k3x9q0');
    expect(id).not.toContain('layoffs');
    expect([opaqueToken(topic), opaqueToken(slugify(topic))]).not.toContain(token);
  });
});

describe('researchChildWorkflowId', () => {
  it("derives the child's ID from its parent's", () => {
    expect(researchChildWorkflowId('research-durable-execution-20240305-k3x9q0')).toBe(
      'research-durable-execution-20240305-k3x9q0-parallel-research',
    );
  });

  it('is distinct per parent', () => {
    expect(researchChildWorkflowId('research-a-20240305-aaaaaa')).not.toBe(
      researchChildWorkflowId('research-a-20240305-bbbbbb'),
    );
  });

  it('is not mistaken for a pipeline ID (so a button cannot signal the child)', () => {
    const parent = pipelineWorkflowId('topic', new Date('2024-03-05T00:00:00Z'), 'abc123');
    expect(isPipelineWorkflowId(parent)).toBe(true);
    expect(isPipelineWorkflowId(researchChildWorkflowId(parent))).toBe(false);
  });
});

describe('isPipelineWorkflowId', () => {
  it.each([
    'research-durable-execution-20240305-k3x9q0',
    'research-topic-20240305-a',
    'research-a-b-c-20991231-000000',
    'research-10-tips-20240101-zz9',
  ])('accepts %j', (id) => {
    expect(isPipelineWorkflowId(id)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['research', 'prefix only'],
    ['research-topic', 'no date or suffix'],
    ['research-topic-20240305', 'no suffix'],
    ['research-topic-20240305-', 'empty suffix'],
    ['research--20240305-abc', 'empty slug'],
    ['research-topic-2024035-abc', 'seven-digit date'],
    ['research-topic-2024-03-05-abc', 'dashed date'],
    ['Research-topic-20240305-abc', 'capitalised prefix'],
    ['research-Topic-20240305-abc', 'upper-case slug'],
    ['research-topic-20240305-ABC', 'upper-case suffix'],
    ['other-topic-20240305-abc', 'wrong prefix'],
    ['xresearch-topic-20240305-abc', 'text before the prefix'],
    [' research-topic-20240305-abc', 'leading space'],
    ['research-topic-20240305-abc ', 'trailing space'],
    ['research-topic-20240305-abc\n', 'trailing newline'],
    ['research-topic_x-20240305-abc', 'underscore'],
    ['research-café-20240305-abc', 'non-ASCII letter'],
    ['research-topic-20240305-abc-parallel-research', 'child workflow ID'],
  ])('rejects %j (%s)', (id) => {
    expect(isPipelineWorkflowId(id)).toBe(false);
  });

  it.each([
    'research-x-20240305-abc; rm -rf /',
    'research-x-20240305-abc<!channel>',
    'research-x-20240305-abc&& curl evil.example',
    'research-x-20240305-abc/../../etc/passwd',
    '../research-x-20240305-abc',
    'research-x-20240305-abc\u0000',
    'research-x-20240305-abc%0A',
    'research-x-20240305-abc\nresearch-y-20240305-def',
    '{"workflowId":"research-x-20240305-abc"}',
  ])('rejects injection-like value %j', (id) => {
    expect(isPipelineWorkflowId(id)).toBe(false);
  });

  it('accepts exactly 128 characters and rejects anything longer', () => {
    // "research-" (9) + slug + "-20240305-abc" (13)
    const atLimit = `research-${'a'.repeat(106)}-20240305-abc`;
    const overLimit = `research-${'a'.repeat(107)}-20240305-abc`;
    expect(atLimit).toHaveLength(128);
    expect(overLimit).toHaveLength(129);
    expect(isPipelineWorkflowId(atLimit)).toBe(true);
    expect(isPipelineWorkflowId(overLimit)).toBe(false);
  });
});
