/**
 * The stand-in OpenAI refuses strict schemas as OpenAI does (Structured Outputs → Supported schemas),
 * and accepts the ones our activities send.
 */
import { describe, expect, it } from 'vitest';
import { EXAMPLES_OUTPUT } from '../../src/activities/llm.js';
import { strictSchemaProblem } from '../../src/stand-ins/openai-strict-schema.js';
import { requestProblem } from '../../src/stand-ins/openai.js';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});
const check = (schema: unknown, model = 'gpt-4o-mini') => strictSchemaProblem(schema, "response_format 'x'", model);

describe('strict schema rules of the stand-in OpenAI', () => {
  it('accepts the schema findExamples sends, for base and fine-tuned models', () => {
    expect(check(EXAMPLES_OUTPUT.schema)).toBeUndefined();
    expect(check(EXAMPLES_OUTPUT.schema, 'ft:gpt-4o-mini-2024-07-18:acme::abc')).toBeUndefined();
  });

  it('accepts the documented keywords: pattern, format, number bounds, minItems/maxItems, anyOf with null, $defs/$ref, enum', () => {
    const schema = obj(
      {
        when: { type: 'string', format: 'date-time' },
        code: { type: 'string', pattern: '^[A-Z]{3}$' },
        score: { type: 'number', minimum: 0, exclusiveMaximum: 10, multipleOf: 0.5 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        level: { type: 'string', enum: ['low', 'high'] },
        child: { $ref: '#/$defs/node' },
      },
      { $defs: { node: obj({ name: { type: ['string', 'null'] } }) }, $schema: 'https://json-schema.org/draft/2020-12/schema', title: 't' },
    );
    expect(check(schema)).toBeUndefined();
  });

  it.each([
    ['a missing additionalProperties', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, /'additionalProperties' is required to be supplied and to be false/],
    ['an optional property', { ...obj({ a: { type: 'string' }, b: { type: 'string' } }), required: ['a'] }, /Missing 'b'/],
    ['minLength', obj({ a: { type: 'string', minLength: 1 } }), /context=\('properties', 'a'\), 'minLength' is not permitted/],
    ['allOf', obj({ a: { allOf: [{ type: 'string' }] } }), /'allOf' is not permitted/],
    ['oneOf', obj({ a: { oneOf: [{ type: 'string' }] } }), /'oneOf' is not permitted/],
    ['if/then', obj({ a: { type: 'string', if: {}, then: {} } }), /'if' is not permitted/],
    ['uniqueItems', obj({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), /'uniqueItems' is not permitted/],
    ['default', obj({ a: { type: 'string', default: 'x' } }), /'default' is not permitted/],
    ['an unsupported format', obj({ a: { type: 'string', format: 'uri' } }), /format 'uri' is not permitted/],
    ['a root anyOf', { anyOf: [obj({ a: { type: 'string' } })] }, /root schema must not use 'anyOf'/],
    ['a root array', { type: 'array', items: { type: 'string' } }, /must be a JSON Schema of 'type: "object"'/],
    ['a nested object without additionalProperties', obj({ a: { type: 'object', properties: {}, required: [] } }), /context=\('properties', 'a'\), 'additionalProperties'/],
  ])('refuses %s', (_what, schema, message) => {
    expect(check(schema)).toMatch(/^Invalid schema for response_format 'x': In context=/);
    expect(check(schema)).toMatch(message);
  });

  it('refuses minItems/maxItems and string/number bounds for fine-tuned models only', () => {
    const schema = obj({ a: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 3 } });
    expect(check(schema)).toBeUndefined();
    expect(check(schema, 'ft:gpt-4o-mini-2024-07-18:acme::abc')).toMatch(/'minItems' is not permitted/);
  });

  it('refuses nesting deeper than 10 levels and more than 1000 enum values', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 11; i++) deep = obj({ n: deep });
    expect(check(deep)).toMatch(/nesting depth/);
    expect(check(obj({ e: { type: 'string', enum: Array.from({ length: 1001 }, (_, i) => `v${i}`) } }))).toMatch(/1001 enum values/);
  });

  it('checks strict function tools and response_format alike, and a json_schema name', () => {
    const bad = obj({ a: { type: 'string', maxLength: 3 } });
    expect(requestProblem({ model: 'gpt-4o-mini', messages: [], tools: [{ type: 'function', function: { name: 'f', parameters: bad, strict: true } }] })?.param).toBe('tools[0].function.parameters');
    // Not strict: OpenAI takes the schema as a hint and does not validate it.
    expect(requestProblem({ model: 'gpt-4o-mini', messages: [], tools: [{ type: 'function', function: { name: 'f', parameters: bad } }] })).toBeUndefined();
    expect(requestProblem({ model: 'gpt-4o-mini', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'bad name!', schema: {} } } })?.param).toBe(
      'response_format.json_schema.name',
    );
  });

  it('refuses an assistant tool call left without its tool message', () => {
    const problem = requestProblem({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1' }] },
        { role: 'user', content: 'again' },
      ],
    });
    expect(problem?.message).toMatch(/must be followed by tool messages.*call_1/);
  });
});
