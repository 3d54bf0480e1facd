/**
 * `POST /v1/embeddings` for the stand-in OpenAI: deterministic vectors that make retrieval
 * meaningful (a hashed bag of words: texts that share words point the same way), answered in
 * OpenAI's shape and with its rules.
 *
 * Rules (https://platform.openai.com/docs/api-reference/embeddings/create):
 * - `input`: a string or an array of strings (or of token arrays), at most 2048 items, none empty;
 *   each at most 8192 tokens, and at most 300,000 tokens in one request;
 * - `dimensions` only for text-embedding-3 models (up to their native size);
 * - `encoding_format`: "float" (default) or "base64" (little-endian float32; the OpenAI Node SDK
 *   asks for base64 by default and decodes it);
 * - embeddings are normalised to length 1, so cosine similarity is a dot product;
 * - `usage` has `prompt_tokens` and `total_tokens` (no completion tokens).
 */

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

export interface EmbeddingAnswer {
  status: number;
  body: unknown;
  /** Tokens billed (0 when refused). */
  tokens: number;
}

const NATIVE_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

const MAX_ITEMS = 2048;
const MAX_TOKENS_PER_INPUT = 8192;
const MAX_TOKENS_PER_REQUEST = 300_000;

/** Words too common to say anything about a passage; left out so overlap means shared subject. */
const STOPWORDS = new Set(
  'a an and are as at be by for from has have how in is it its of on or that the this to was were what when where which who why will with'.split(' '),
);

/**
 * The tokens billed for an input, counted as OpenAI's byte-pair encodings split text before
 * merging (https://platform.openai.com/docs/guides/embeddings: inputs are billed and limited in
 * tokens, cl100k_base for these models), and rounded up where a merge cannot be known without the
 * vocabulary, so the stand-in never bills less than OpenAI would on the text tests send:
 * - a word (an optional leading space and letters, lower case or capitalised, up to 12) a token per
 *   four letters; any other run of letters (mixed case such as base64, capitals, longer runs) a
 *   token per letter and a half (random letters measure 0.66 a letter);
 * - digits a token each (cl100k merges at most three, and a digit between letters, as in hex, can
 *   cost a token of its own);
 * - punctuation and control characters a token each (an optional leading space joins them);
 * - whitespace a token per change of character in a run (each \r, \v and \f), plus one per eight;
 * - other characters their UTF-8 bytes (CJK and emoji are one to three tokens each).
 * Not a tokenizer: one made of real merges (js-tiktoken) is quadratic on long text without spaces.
 */
export function estimateEmbeddingTokens(text: string): number {
  let tokens = 0;
  // eslint-disable-next-line no-control-regex -- control characters are a token each: matching them is the point
  for (const [piece] of text.matchAll(/ ?[A-Za-z]+|[0-9]| ?[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]|\s+|[\x00-\x08\x0e-\x1f\x7f]|[^\x00-\x7f]/gu)) {
    const first = piece.charCodeAt(0);
    if (/[A-Za-z]/.test(piece)) {
      const letters = piece.trimStart();
      const word = letters.length <= 12 && /^[A-Za-z][a-z]*$/.test(letters);
      tokens += word ? Math.ceil(letters.length / 4) : Math.ceil(letters.length / 1.5);
    } else if (/^\s+$/.test(piece) && first <= 0x20) {
      let changes = 1;
      for (let i = 1; i < piece.length; i += 1) if (piece[i] !== piece[i - 1] || !' \t\n'.includes(piece[i]!)) changes += 1;
      tokens += Math.min(piece.length, changes + Math.floor(piece.length / 8));
    } else if (first < 0x80) {
      tokens += 1;
    } else {
      tokens += Buffer.byteLength(piece, 'utf8');
    }
  }
  return Math.max(1, tokens);
}

/** FNV-1a, 32-bit: a stable hash of a word. */
function fnv1a(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    hash ^= word.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

/**
 * A hashed bag of words, L2-normalised: each word adds ±1 at a position chosen by its hash.
 * Texts with no words left get a fixed unit vector, as real embeddings are never all zeros.
 */
export function bagOfWordsVector(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of wordsOf(text)) {
    const hash = fnv1a(word);
    vector[hash % dimensions]! += hash & 0x80000000 ? -1 : 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((v) => v / norm);
}

function toBase64(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

function invalid(message: string, param: string | null): EmbeddingAnswer {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code: null } }, tokens: 0 };
}

/** Answers one embeddings request as OpenAI would. */
export function answerEmbeddings(request: EmbeddingRequest): EmbeddingAnswer {
  const native = NATIVE_DIMENSIONS[request.model];
  if (!native) {
    return { status: 404, body: { error: { message: `The model \`${request.model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } }, tokens: 0 };
  }
  const raw = request.input;
  const items: Array<string | number[]> =
    typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.length > 0 && typeof raw[0] === 'number' ? [raw as number[]] : (raw as Array<string | number[]>);
  if (!Array.isArray(items) || items.length === 0) return invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  if (items.length > MAX_ITEMS) return invalid(`'$.input' is too long: at most ${MAX_ITEMS} inputs per request.`, 'input');
  if (items.some((item) => item.length === 0)) return invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  let dimensions = native;
  if (request.dimensions !== undefined) {
    if (!request.model.startsWith('text-embedding-3')) return invalid('This model does not support specifying dimensions.', 'dimensions');
    if (!Number.isInteger(request.dimensions) || request.dimensions < 1 || request.dimensions > native) {
      return invalid(`Invalid 'dimensions': must be an integer from 1 to ${native}.`, 'dimensions');
    }
    dimensions = request.dimensions;
  }
  const texts = items.map((item) => (typeof item === 'string' ? item : item.map((t) => `t${t}`).join(' ')));
  const counts = items.map((item, i) => (typeof item === 'string' ? estimateEmbeddingTokens(texts[i]!) : item.length));
  const longest = Math.max(...counts);
  if (longest > MAX_TOKENS_PER_INPUT) {
    return invalid(`This model's maximum context length is ${MAX_TOKENS_PER_INPUT} tokens, however you requested ${longest} tokens in an input. Please reduce your prompt; or completion length.`, 'input');
  }
  const tokens = counts.reduce((a, b) => a + b, 0);
  if (tokens > MAX_TOKENS_PER_REQUEST) return invalid(`Requested ${tokens} tokens, max ${MAX_TOKENS_PER_REQUEST} tokens per request`, 'input');
  const base64 = request.encoding_format === 'base64';
  return {
    status: 200,
    tokens,
    body: {
      object: 'list',
      data: texts.map((text, index) => {
        const vector = bagOfWordsVector(text, dimensions);
        return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
      }),
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
