/**
 * The rules OpenAI applies to a JSON Schema sent with `strict: true` (structured output through
 * `response_format: { type: "json_schema" }`, or a strict function tool), so the stand-in refuses
 * what OpenAI refuses, with a 400 of the same shape.
 *
 * Source: OpenAI, Structured Outputs → "Supported schemas"
 * https://developers.openai.com/api/docs/guides/structured-outputs#supported-schemas
 * - types: string, number, boolean, integer, object, array, enum, anyOf (and null in a type list);
 * - supported properties: strings `pattern`, `format` (date-time, time, date, duration, email,
 *   hostname, ipv4, ipv6, uuid); numbers `multipleOf`, `maximum`, `exclusiveMaximum`, `minimum`,
 *   `exclusiveMinimum`; arrays `minItems`, `maxItems`;
 * - fine-tuned models additionally reject minLength, maxLength, pattern, format, minimum, maximum,
 *   multipleOf, patternProperties, minItems, maxItems;
 * - not supported: allOf, not, dependentRequired, dependentSchemas, if, then, else;
 * - the root must be an object, not anyOf; `additionalProperties: false` in every object; every
 *   property listed in `required` (optional fields are emulated with a union with null);
 * - definitions (`$defs`) and `$ref` (recursion included) are supported;
 * - at most 5000 object properties in total and 10 levels of nesting; at most 1000 enum values;
 *   property names, definition names, enum and const values together at most 120,000 characters.
 * Anything outside the documented lists is refused here too: never more lenient than the service.
 * The error wording follows OpenAI's ("Invalid schema for response_format 'name': In context=(…), …").
 */

const ANNOTATIONS = new Set(['description', 'title', '$schema', '$id', '$comment']);
const STRUCTURE = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf', '$ref', '$defs', 'definitions']);
const STRING_PROPERTIES = new Set(['pattern', 'format']);
const NUMBER_PROPERTIES = new Set(['multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum']);
const ARRAY_PROPERTIES = new Set(['minItems', 'maxItems']);
/** What fine-tuned models do not accept on top of the general rules. */
const NOT_FOR_FINE_TUNED = new Set(['minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum', 'multipleOf', 'patternProperties', 'minItems', 'maxItems']);
const FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
const TYPES = new Set(['string', 'number', 'boolean', 'integer', 'object', 'array', 'null']);

const MAX_PROPERTIES = 5_000;
const MAX_NESTING = 10;
const MAX_ENUM_VALUES = 1_000;
const MAX_STRING_BUDGET = 120_000;

type Node = Record<string, unknown>;

class SchemaProblem extends Error {}

function contextOf(path: string[]): string {
  return `(${path.map((p) => `'${p}'`).join(', ')}${path.length === 1 ? ',' : ''})`;
}

function typesOf(node: Node): string[] {
  const type = node.type;
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : typeof type === 'string' ? [type] : [];
}

/**
 * Returns the problem OpenAI would report for this strict schema, or undefined when it is accepted.
 * `subject` is how OpenAI names the schema: `response_format 'name'` or `function 'name'`.
 */
export function strictSchemaProblem(schema: unknown, subject: string, model: string): string | undefined {
  const fineTuned = model.startsWith('ft:');
  let properties = 0;
  let enumValues = 0;
  let stringBudget = 0;

  const visit = (node: unknown, path: string[], depth: number): void => {
    const where = `In context=${contextOf(path)}`;
    if (!node || typeof node !== 'object' || Array.isArray(node)) throw new SchemaProblem(`${where}, schema must be a JSON Schema of 'type: "object"', got '${JSON.stringify(node)}'.`);
    const n = node as Node;
    if (depth > MAX_NESTING) throw new SchemaProblem(`${where}, schema exceeds the maximum nesting depth of ${MAX_NESTING}.`);
    const types = typesOf(n);
    for (const key of Object.keys(n)) {
      const allowed =
        ANNOTATIONS.has(key) ||
        STRUCTURE.has(key) ||
        (STRING_PROPERTIES.has(key) && types.includes('string')) ||
        (NUMBER_PROPERTIES.has(key) && (types.includes('number') || types.includes('integer'))) ||
        (ARRAY_PROPERTIES.has(key) && types.includes('array'));
      if (!allowed || (fineTuned && NOT_FOR_FINE_TUNED.has(key))) throw new SchemaProblem(`${where}, '${key}' is not permitted.`);
    }
    for (const type of types) if (!TYPES.has(type)) throw new SchemaProblem(`${where}, '${type}' is not a valid type.`);
    if (typeof n.format === 'string' && !FORMATS.has(n.format)) throw new SchemaProblem(`${where}, format '${n.format}' is not permitted.`);
    if ('$ref' in n) {
      if (typeof n.$ref !== 'string') throw new SchemaProblem(`${where}, '$ref' must be a string.`);
      return;
    }
    if (Array.isArray(n.enum)) {
      enumValues += n.enum.length;
      stringBudget += n.enum.reduce<number>((sum, v) => sum + (typeof v === 'string' ? v.length : 0), 0);
    }
    if (typeof n.const === 'string') stringBudget += n.const.length;
    if (Array.isArray(n.anyOf)) {
      if (path.length === 0) throw new SchemaProblem(`${where}, root schema must not use 'anyOf'; it must be of 'type: "object"'.`);
      n.anyOf.forEach((branch, i) => visit(branch, [...path, 'anyOf', String(i)], depth + 1));
    } else if (!types.length && !('enum' in n) && !('const' in n)) {
      throw new SchemaProblem(`${where}, schema must have a 'type' key.`);
    }
    if (types.includes('object')) {
      if (n.additionalProperties !== false) {
        throw new SchemaProblem(`${where}, 'additionalProperties' is required to be supplied and to be false.`);
      }
      const props = (n.properties ?? {}) as Node;
      const keys = Object.keys(props);
      const required = Array.isArray(n.required) ? n.required : undefined;
      const missing = keys.filter((k) => !required?.includes(k));
      if (!required || missing.length) {
        throw new SchemaProblem(
          `${where}, 'required' is required to be supplied and to be an array including every key in properties.${missing.length ? ` Missing '${missing[0]}'.` : ''}`,
        );
      }
      properties += keys.length;
      for (const key of keys) {
        stringBudget += key.length;
        visit(props[key], [...path, 'properties', key], depth + 1);
      }
    } else if (path.length === 0) {
      throw new SchemaProblem(`${where}, schema must be a JSON Schema of 'type: "object"', got 'type: "${types.join('|') || 'none'}"'.`);
    }
    if (types.includes('array')) {
      if (n.items === undefined) throw new SchemaProblem(`${where}, 'items' is required for arrays.`);
      visit(n.items, [...path, 'items'], depth + 1);
    }
    for (const defs of ['$defs', 'definitions'] as const) {
      if (n[defs] && typeof n[defs] === 'object') {
        for (const [name, def] of Object.entries(n[defs] as Node)) {
          stringBudget += name.length;
          visit(def, [...path, defs, name], depth);
        }
      }
    }
  };

  try {
    visit(schema, [], 1);
    if (properties > MAX_PROPERTIES) throw new SchemaProblem(`In context=(), schema has ${properties} object properties; at most ${MAX_PROPERTIES} are permitted.`);
    if (enumValues > MAX_ENUM_VALUES) throw new SchemaProblem(`In context=(), schema has ${enumValues} enum values; at most ${MAX_ENUM_VALUES} are permitted.`);
    if (stringBudget > MAX_STRING_BUDGET) {
      throw new SchemaProblem(`In context=(), the total length of property names, definition names, enum and const values (${stringBudget}) exceeds ${MAX_STRING_BUDGET}.`);
    }
    return undefined;
  } catch (error) {
    if (error instanceof SchemaProblem) return `Invalid schema for ${subject}: ${error.message}`;
    throw error;
  }
}
