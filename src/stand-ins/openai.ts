/**
 * A stand-in OpenAI-compatible server (`POST /v1/chat/completions`): real-shaped completions with
 * `usage`, structured output for `response_format: json_schema` and tool calls, scripted failures
 * and delays, and call counters per pipeline step.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerEmbeddings, type EmbeddingRequest } from './openai-embeddings.js';
import { evidenceAnswer, groundedArticle } from './openai-grounded.js';
import { strictSchemaProblem } from './openai-strict-schema.js';

// Small HTTP helpers, local so the stand-in depends on nothing from the test harness.
async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Step = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle' | 'reviseArticle' | 'checkEvidence' | 'unknown';

/** The key of an `Authorization: Bearer …` header as OpenAI's 401 shows it: its start and end, the rest starred. */
function maskedKey(authorization: string | undefined): string {
  const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
  return key.length > 8 ? `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}` : '*'.repeat(key.length);
}

export interface ScriptedResponse {
  /** HTTP status to answer with (401, 429, 500…); success when unset. */
  status?: number;
  /** OpenAI error `code`, e.g. `insufficient_quota`. */
  code?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to exceed timeouts). */
  delayMs?: number;
  /** Override the content of a successful answer (e.g. unparsable JSON for a structured-output step). */
  content?: string;
  /**
   * Answer with a refusal instead of content: `message.content` null, `message.refusal` set, as
   * OpenAI does when a model declines a structured-output request.
   * https://developers.openai.com/api/docs/guides/structured-outputs#refusals
   */
  refusal?: string;
  /**
   * Stop at the output cap: the content is cut off, `finish_reason: "length"` and
   * `completion_tokens` equal to the request's `max_tokens` (or half the answer when none is set).
   * The stand-in also does this by itself whenever an answer is longer than `max_tokens`.
   */
  truncate?: boolean;
}

export interface ChatRequest {
  model: string;
  messages: Array<{
    role: string;
    content: string | null | Array<{ type: string; text?: string }>;
    tool_calls?: Array<{ id: string }>;
    tool_call_id?: string;
  }>;
  response_format?: { type: string; json_schema?: { name: string; description?: string; schema?: unknown; strict?: boolean | null } };
  tools?: Array<{ type: string; function: { name: string; parameters?: unknown; strict?: boolean | null } }>;
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface RecordedCompletion {
  step: Step;
  request: ChatRequest;
  status: number;
  /** True when the client hung up before the answer was sent (timeout, cancellation). */
  aborted?: boolean;
  /** The `usage` we answered with (successful answers only). */
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

function textOf(content: ChatRequest['messages'][number]['content']): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('');
}

/**
 * The 400 OpenAI answers for a request it will not run: a strict schema outside the supported
 * subset (see openai-strict-schema.ts), or a `json_schema` format without a valid name.
 */
export function requestProblem(request: ChatRequest): { message: string; param: string } | undefined {
  // Every tool call the assistant made must be answered by a tool message before the conversation goes on.
  // https://platform.openai.com/docs/guides/function-calling (the 400 OpenAI answers when one is missing)
  for (const [i, message] of request.messages.entries()) {
    for (const call of message.role === 'assistant' ? (message.tool_calls ?? []) : []) {
      const answered = request.messages.slice(i + 1).some((m) => m.role === 'tool' && m.tool_call_id === call.id);
      if (!answered) {
        return {
          message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${call.id}`,
          param: `messages.[${i + 1}].role`,
        };
      }
    }
  }
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const spec = format.json_schema;
    // "Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."
    // https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format
    if (!spec || typeof spec.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(spec.name)) {
      return { message: "Invalid 'response_format.json_schema.name': must be 1-64 characters of a-z, A-Z, 0-9, underscores and dashes.", param: 'response_format.json_schema.name' };
    }
    if (spec.strict === true) {
      const problem = strictSchemaProblem(spec.schema, `response_format '${spec.name}'`, request.model);
      if (problem) return { message: problem, param: 'response_format' };
    }
  }
  for (const [i, tool] of (request.tools ?? []).entries()) {
    if (tool.function.strict === true) {
      const problem = strictSchemaProblem(tool.function.parameters, `function '${tool.function.name}'`, request.model);
      if (problem) return { message: problem, param: `tools[${i}].function.parameters` };
    }
  }
  return undefined;
}

/** Which pipeline step a request is, from the wording of our prompts (see src/activities/prompts.ts). */
export function classify(request: ChatRequest): Step {
  const user = request.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
  if (/^Check the evidence for this article/i.test(user)) return 'checkEvidence';
  if (/Revise the draft/i.test(user)) return 'reviseArticle';
  if (/Write an article/i.test(user)) return 'writeArticle';
  if (/real-world examples/i.test(user)) return 'findExamples';
  if (/key statistics/i.test(user)) return 'getStatistics';
  if (/key facts/i.test(user)) return 'researchTopic';
  return 'unknown';
}

function userPromptOf(request: ChatRequest): string {
  return request.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
}

function topicOf(request: ChatRequest): string {
  const user = userPromptOf(request);
  return /<topic>([\s\S]*?)<\/topic>/.exec(user)?.[1] ?? 'the topic';
}

/** Rough token count (~4 characters a token), deterministic so cost tests can compute exact figures. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function defaultContent(step: Step, topic: string): string {
  switch (step) {
    case 'researchTopic':
      return [`- ${topic} keeps state durable across failures.`, '- Retries are automatic.', '- History is replayable.'].join('\n');
    case 'findExamples': {
      const example = (n: number) => ({ title: `Example ${n} of ${topic}`, description: `How team ${n} used ${topic}.` });
      return JSON.stringify({ first_example: example(1), second_example: example(2), third_example: example(3) });
    }
    case 'getStatistics':
      return ['1. 42% of teams (Survey, 2025)', '2. 3x fewer incidents', '3. 99.99% completion'].join('\n');
    case 'reviseArticle':
      return `# ${topic} (revised)\n\nA tighter version that takes the editor's feedback into account.`;
    case 'writeArticle': {
      const paragraph = `${topic} matters because it turns fragile scripts into reliable systems. `.repeat(8);
      return [`# ${topic}`, '', paragraph, '', '## Why it matters', '', paragraph, '', '## In practice', '', paragraph, '', '## Conclusion', '', paragraph].join('\n');
    }
    default:
      return 'OK';
  }
}

/** Answers of the grounded steps: a cited article when the prompt carries documents, the evidence check. */
function groundedContent(step: Step, request: ChatRequest): string | undefined {
  const user = userPromptOf(request);
  if (step === 'checkEvidence') return evidenceAnswer(user);
  if (step === 'writeArticle' && user.includes('<team_document n=')) return groundedArticle(topicOf(request), user);
  return undefined;
}

export interface RecordedEmbedding {
  request: EmbeddingRequest;
  status: number;
  /** Tokens billed for this call (0 when refused). */
  tokens: number;
}

export class FakeOpenAI {
  readonly completions: RecordedCompletion[] = [];
  /** Every `POST /v1/embeddings` call, in order. */
  readonly embeddings: RecordedEmbedding[] = [];
  /** Scripted answers for the next embeddings calls (status, code, delay), consumed in order. */
  readonly embeddingScripts: ScriptedResponse[] = [];
  private readonly scripts = new Map<Step | '*', ScriptedResponse[]>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  port = 0;
  /** Added to every answer, in ms (benchmarks set a fixed LLM latency). */
  latencyMs = 0;
  /** Cached prompt tokens reported on every answer. */
  cachedTokens = 0;
  /**
   * Cut answers at the request's max_tokens (finish_reason "length"), as OpenAI does. A test that
   * needs a scripted answer longer than our own caps allow may switch it off, saying why.
   */
  enforceMaxTokens = true;
  /**
   * Writes the content of unscripted answers from the step and the user prompt, instead of the
   * terse defaults (the playground's sample writer: readable text about the topic).
   */
  writer: ((step: Step, userPrompt: string) => string) | undefined;

  async start(port = 0): Promise<this> {
    this.port = await listen(this.server, port);
    return this;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** Base URL for `configuration.baseURL` / OPENAI_BASE_URL. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Queues responses for the next calls of a step ('*' = any step), consumed in order. */
  script(step: Step | '*', ...responses: ScriptedResponse[]): void {
    this.scripts.set(step, [...(this.scripts.get(step) ?? []), ...responses]);
  }

  /** Calls received for a step (every attempt, failed or not). */
  count(step?: Step): number {
    return step ? this.completions.filter((c) => c.step === step).length : this.completions.length;
  }

  private async handleEmbeddings(request: EmbeddingRequest, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const scripted = this.embeddingScripts.shift();
    const delay = (scripted?.delayMs ?? 0) + this.latencyMs;
    if (delay > 0) await sleep(delay);
    if (res.destroyed || req.socket.destroyed) return;
    if (scripted?.status && scripted.status !== 200) {
      this.embeddings.push({ request, status: scripted.status, tokens: 0 });
      const type = scripted.status === 429 ? 'rate_limit_error' : scripted.status === 401 ? 'invalid_request_error' : 'server_error';
      sendJson(res, scripted.status, { error: { message: `Stand-in error ${scripted.status}`, type, param: null, code: scripted.code ?? null } }, scripted.headers);
      return;
    }
    const answer = answerEmbeddings(request);
    this.embeddings.push({ request, status: answer.status, tokens: answer.tokens });
    sendJson(res, answer.status, answer.body);
  }

  private nextScripted(step: Step): ScriptedResponse | undefined {
    return this.scripts.get(step)?.shift() ?? this.scripts.get('*')?.shift();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method === 'POST' && req.url?.endsWith('/embeddings')) {
      await this.handleEmbeddings(JSON.parse(body) as EmbeddingRequest, req, res);
      return;
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      sendJson(res, 404, { error: { message: `No route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null } });
      return;
    }
    const request = JSON.parse(body) as ChatRequest;
    const invalid = requestProblem(request);
    if (invalid) {
      // Refused before any model runs: nothing billed, no usage.
      this.completions.push({ step: classify(request), request, status: 400 });
      sendJson(res, 400, { error: { message: invalid.message, type: 'invalid_request_error', param: invalid.param, code: null } });
      return;
    }
    const step = classify(request);
    const scripted = this.nextScripted(step);
    const status = scripted?.status ?? 200;
    const recorded: RecordedCompletion = { step, request, status };
    this.completions.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
    });

    const delay = (scripted?.delayMs ?? 0) + this.latencyMs;
    if (delay > 0) await sleep(delay);
    if (res.destroyed || req.socket.destroyed) return; // the client gave up (timeout or abort)

    if (status !== 200) {
      const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_error' : 'server_error';
      const code = scripted?.code ?? (status === 401 ? 'invalid_api_key' : null);
      // A wrong key is named in the answer, masked, with a link, as OpenAI words it:
      // https://help.openai.com/en/articles/6882433-incorrect-api-key-provided
      const message = code === 'invalid_api_key'
        ? `Incorrect API key provided: ${maskedKey(req.headers.authorization)}. You can find your API key at https://platform.openai.com/account/api-keys.`
        : `Stand-in error ${status}${code ? ` (${code})` : ''}`;
      sendJson(res, status, { error: { message, type, param: null, code }, }, scripted?.headers);
      return;
    }
    const completion = this.completion(step, request, scripted);
    recorded.usage = completion.usage;
    sendJson(res, 200, completion);
  }

  private completion(step: Step, request: ChatRequest, scripted: ScriptedResponse | undefined) {
    let content = scripted?.content ?? groundedContent(step, request) ?? this.writer?.(step, userPromptOf(request)) ?? defaultContent(step, topicOf(request));
    const refusal = scripted?.refusal;
    const promptTokens = estimateTokens(request.messages.map((m) => textOf(m.content)).join('\n'));
    let completionTokens = estimateTokens(refusal ?? content);
    let finishReason = 'stop';
    // The answer stops at max_tokens, as OpenAI's does: cut off, finish_reason "length".
    const cap = request.max_completion_tokens ?? request.max_tokens;
    if (!refusal && (scripted?.truncate || (this.enforceMaxTokens && cap !== undefined && completionTokens > cap))) {
      completionTokens = Math.max(1, Math.min(cap ?? Math.ceil(completionTokens / 2), completionTokens - 1));
      content = content.slice(0, completionTokens * 4);
      finishReason = 'length';
    }
    const tool = request.tools?.[0]?.function.name;
    const message = refusal
      ? { role: 'assistant', content: null, refusal }
      : tool
        ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: `call_${this.completions.length}`, type: 'function', function: { name: tool, arguments: content } }] }
        : { role: 'assistant', content, refusal: null };
    return {
      id: `chatcmpl-standin-${this.completions.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${request.model}-2024-07-18`,
      system_fingerprint: 'fp_standin',
      choices: [{ index: 0, message, logprobs: null, finish_reason: tool && finishReason === 'stop' && !refusal ? 'tool_calls' : finishReason }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: Math.min(this.cachedTokens, promptTokens), audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    };
  }
}
