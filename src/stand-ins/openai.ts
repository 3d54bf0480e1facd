/**
 * A stand-in OpenAI-compatible server (`POST /v1/chat/completions`): real-shaped completions with
 * `usage`, structured output for `response_format: json_schema` and tool calls, scripted failures
 * and delays, and call counters per pipeline step.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

export type Step = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle' | 'reviseArticle' | 'unknown';

export interface ScriptedResponse {
  /** HTTP status to answer with (401, 429, 500…); success when unset. */
  status?: number;
  /** OpenAI error `code`, e.g. `insufficient_quota`. */
  code?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to exceed timeouts). */
  delayMs?: number;
  /** Override the content of a successful answer. */
  content?: string;
}

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  tools?: Array<{ type: string; function: { name: string } }>;
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
  return typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('');
}

/** Which pipeline step a request is, from the wording of our prompts (see src/activities/prompts.ts). */
export function classify(request: ChatRequest): Step {
  const user = request.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
  if (/Revise the draft/i.test(user)) return 'reviseArticle';
  if (/Write an article/i.test(user)) return 'writeArticle';
  if (/real-world examples/i.test(user)) return 'findExamples';
  if (/key statistics/i.test(user)) return 'getStatistics';
  if (/key facts/i.test(user)) return 'researchTopic';
  return 'unknown';
}

function topicOf(request: ChatRequest): string {
  const user = request.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
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
    case 'findExamples':
      return JSON.stringify({
        examples: [1, 2, 3].map((n) => ({ title: `Example ${n} of ${topic}`, description: `How team ${n} used ${topic}.` })),
      });
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

export class FakeOpenAI {
  readonly completions: RecordedCompletion[] = [];
  private readonly scripts = new Map<Step | '*', ScriptedResponse[]>();
  private server = http.createServer((req, res) => void this.handle(req, res));
  port = 0;
  /** Added to every answer, in ms (benchmarks set a fixed LLM latency). */
  latencyMs = 0;
  /** Cached prompt tokens reported on every answer. */
  cachedTokens = 0;

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

  private nextScripted(step: Step): ScriptedResponse | undefined {
    return this.scripts.get(step)?.shift() ?? this.scripts.get('*')?.shift();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      sendJson(res, 404, { error: { message: `No route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null } });
      return;
    }
    const request = JSON.parse(body) as ChatRequest;
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
      sendJson(res, status, { error: { message: `Stand-in error ${status}${code ? ` (${code})` : ''}`, type, param: null, code }, }, scripted?.headers);
      return;
    }
    const completion = this.completion(step, request, scripted?.content);
    recorded.usage = completion.usage;
    sendJson(res, 200, completion);
  }

  private completion(step: Step, request: ChatRequest, override?: string) {
    const content = override ?? defaultContent(step, topicOf(request));
    const promptTokens = estimateTokens(request.messages.map((m) => textOf(m.content)).join('\n'));
    const completionTokens = estimateTokens(content);
    const tool = request.tools?.[0]?.function.name;
    const message = tool
      ? { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: `call_${this.completions.length}`, type: 'function', function: { name: tool, arguments: content } }] }
      : { role: 'assistant', content, refusal: null };
    return {
      id: `chatcmpl-standin-${this.completions.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: `${request.model}-2024-07-18`,
      system_fingerprint: 'fp_standin',
      choices: [{ index: 0, message, logprobs: null, finish_reason: tool ? 'tool_calls' : 'stop' }],
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
