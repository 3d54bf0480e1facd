/**
 * LLM activities: the three research steps and the article writer.
 * Made by a factory over injected chat models, so tests hand in a real ChatOpenAI pointed at a stand-in.
 * Every call passes the activity's cancellation signal, so a timed-out or cancelled attempt stops
 * spending tokens, and every provider error leaves as an ApplicationFailure with an explicit type.
 */
import { Context } from '@temporalio/activity';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { z } from 'zod';
import type {
  EvidenceReport,
  Passage,
  StatementCheck,
  LlmResult,
  LlmStep,
  LlmUsage,
  RealWorldExample,
  ResearchBundle,
  ResearchInput,
  SpendPayer,
} from '../workflows/messages.js';
import {
  articlePrompt,
  evidencePrompt,
  examplesPrompt,
  keyFactsPrompt,
  repairPrompt,
  revisionPrompt,
  statisticsPrompt,
  type PromptMessages,
} from '../shared/prompts.js';
import { LlmFailure } from '../shared/failure-types.js';
import { finishArticle } from '../shared/grounding.js';
import { checkDraftLinks, type LinkCheck, type LinkPolicy, type SourceText } from '../shared/links.js';
import { refuseOverBudget, type CallBudget } from './estimates.js';
import { toLlmFailure, unusableOutput, withUsage } from './llm-errors.js';
import { MAX_OUTPUT_TOKENS } from '../shared/pricing.js';
import { callWorstCase, repairWorstCase, withReservation, type ReserveMore, type SpendDeps } from './spend.js';

/** A chat model plus the name we price it by (the provider may answer with a dated variant). */
export interface ChatModelHandle {
  name: string;
  model: BaseChatModel;
}

export interface LlmActivityDeps {
  research: ChatModelHandle;
  writer: ChatModelHandle;
  /** Spend ceilings (config.spend): absent = off, no call reserves. */
  spend?: SpendDeps;
  /** LINK_POLICY: `show` (default) lists and marks the draft's links on the card; `strip-unsourced` also removes those in no source. */
  linkPolicy?: LinkPolicy;
}

/** A draft as the writer returns it: the text, its usage, and what the card needs to show its links. */
export interface WrittenDraft extends LlmResult<string> {
  /** Absent in results recorded before link checks (and from test stand-ins that do not check). */
  links?: LinkCheck;
}

/** Every text of the run's sources a link may come from, with where it came from: the research results and the passages (text and source name). */
export function sourceTextsOf(bundle: Omit<ResearchBundle, 'usage'>): SourceText[] {
  return [
    { text: bundle.facts, from: 'research (key facts)' },
    { text: bundle.statistics, from: 'research (statistics)' },
    ...bundle.examples.flatMap((e) => [{ text: e.title, from: 'research (examples)' }, { text: e.description, from: 'research (examples)' }]),
    ...(bundle.grounding?.passages ?? []).flatMap((p) => [{ text: p.text, from: `[${p.n}] ${p.source}` }, { text: p.source, from: `[${p.n}] ${p.source}` }]),
  ];
}

export interface WriteArticleInput {
  topic: string;
  research: Omit<ResearchBundle, 'usage'>;
  /** The run's remaining budget: the call is refused (BudgetExceededError) before the model is asked if it could cost more. */
  budget?: CallBudget;
  /** Who pays (spend ceilings); absent: no reservation. */
  spend?: SpendPayer;
}

export interface ReviseArticleInput extends WriteArticleInput {
  /** The draft being revised. */
  article: string;
  /** The reviewer's feedback. */
  feedback: string;
}

/**
 * The structured-output request for findExamples, written as the JSON Schema OpenAI receives.
 *
 * Strict mode accepts only a subset of JSON Schema (https://developers.openai.com/api/docs/guides/structured-outputs#supported-schemas):
 * every object needs `additionalProperties: false` and every property listed in `required`.
 * `minItems`/`maxItems` are accepted for base models but not for fine-tuned ones, so "exactly
 * three" is asked as three named properties, which any model that supports strict mode accepts;
 * the answer is still validated below.
 *
 * Sent as a strict function tool the model must call, not as `response_format`: both are
 * Structured Outputs with the same schema rules, but for `response_format: json_schema` LangChain
 * uses the OpenAI SDK's `parse()`, which throws on unparsable JSON or a `length` stop and loses the
 * response, and with it the billed usage. A tool call comes back as a message with its usage,
 * `finish_reason` and raw arguments, so every outcome is ours to judge and to count.
 */
const EXAMPLE_KEYS = ['first_example', 'second_example', 'third_example'] as const;

const exampleJsonSchema = {
  type: 'object',
  properties: {
    title: { type: 'string', description: 'Organisation, product or event' },
    description: { type: 'string', description: 'One or two sentences on what happened' },
  },
  required: ['title', 'description'],
  additionalProperties: false,
} as const;

export interface StructuredOutputSpec {
  name: string;
  description: string;
  /** A JSON Schema within strict mode's subset. */
  schema: object;
}

export const EXAMPLES_OUTPUT: StructuredOutputSpec = {
  name: 'real_world_examples',
  description: 'Record three real-world examples of the topic',
  schema: {
    type: 'object',
    properties: Object.fromEntries(EXAMPLE_KEYS.map((key) => [key, exampleJsonSchema])),
    required: [...EXAMPLE_KEYS],
    additionalProperties: false,
  },
};

const exampleSchema = z.object({
  title: z.string().trim().min(1, 'title is empty'),
  description: z.string().trim().min(1, 'description is empty'),
});

/** Validates what came back (strict mode constrains decoding, but other compatible servers may not). */
const examplesSchema = z
  .object({ first_example: exampleSchema, second_example: exampleSchema, third_example: exampleSchema })
  .transform((answer): RealWorldExample[] => EXAMPLE_KEYS.map((key) => answer[key]));

export interface CheckEvidenceInput {
  article: string;
  passages: Passage[];
  /** Who pays (spend ceilings); absent: no reservation. */
  spend?: SpendPayer;
}

/** The evidence check's answer, in strict mode's subset (every property required, no extras). */
export const EVIDENCE_OUTPUT: StructuredOutputSpec = {
  name: 'evidence_check',
  description: 'Record every factual statement of the article and how the documents support it',
  schema: {
    type: 'object',
    properties: {
      statements: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            statement: { type: 'string', description: 'The statement, quoted or closely paraphrased' },
            verdict: { type: 'string', enum: ['supported', 'general', 'unsupported'] },
            passage: { type: 'integer', description: 'Number of the supporting or cited document, 0 for none' },
          },
          required: ['statement', 'verdict', 'passage'],
          additionalProperties: false,
        },
      },
    },
    required: ['statements'],
    additionalProperties: false,
  },
};

const evidenceSchema = z
  .object({
    statements: z.array(z.object({
      statement: z.string().trim().min(1, 'statement is empty'),
      verdict: z.enum(['supported', 'general', 'unsupported']),
      passage: z.number().int().min(0),
    })),
  })
  .transform(({ statements }): EvidenceReport => ({
    statements: statements as StatementCheck[],
    supported: statements.filter((s) => s.verdict === 'supported').length,
    total: statements.length,
  }));

function toMessages(prompt: PromptMessages): BaseMessage[] {
  return [new SystemMessage(prompt.system), new HumanMessage(prompt.user)];
}

/** Token usage from LangChain's `usage_metadata`; zeros when the provider sent none. */
export function usageFrom(message: AIMessage | undefined, model: string): LlmUsage {
  const meta = message?.usage_metadata;
  const inputTokens = meta?.input_tokens ?? 0;
  const outputTokens = meta?.output_tokens ?? 0;
  return {
    model,
    inputTokens,
    outputTokens,
    cachedInputTokens: meta?.input_token_details?.cache_read ?? 0,
    totalTokens: meta?.total_tokens ?? inputTokens + outputTokens,
  };
}

function textOf(message: AIMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => (typeof part === 'string' ? part : part.type === 'text' ? String(part.text) : ''))
    .join('');
}

/** Token counts of several calls to the same model, added up. */
export function addUsage(usages: LlmUsage[], model: string): LlmUsage {
  return usages.reduce<LlmUsage>(
    (sum, u) => ({
      model,
      inputTokens: sum.inputTokens + u.inputTokens,
      outputTokens: sum.outputTokens + u.outputTokens,
      cachedInputTokens: sum.cachedInputTokens + u.cachedInputTokens,
      totalTokens: sum.totalTokens + u.totalTokens,
    }),
    { model, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0 },
  );
}

/**
 * The model's refusal (`message.refusal` in Chat Completions). LangChain's Chat Completions
 * converter drops that field, so it is read from the raw response the worker asks LangChain to keep
 * (`__includeRawResponse`); the Responses API converter puts it in `additional_kwargs.refusal`.
 */
export function refusalOf(message: AIMessage): string | undefined {
  const kwargs = message.additional_kwargs as { refusal?: unknown; __raw_response?: { choices?: Array<{ message?: { refusal?: unknown } }> } };
  const refusal = kwargs.refusal ?? kwargs.__raw_response?.choices?.[0]?.message?.refusal;
  return typeof refusal === 'string' && refusal.trim() ? refusal.trim() : undefined;
}

/** The raw JSON arguments of the model's call to `name` (unparsed: we judge them ourselves). */
export function toolArgumentsOf(message: AIMessage, name: string): string | undefined {
  const raw = (message.additional_kwargs as { tool_calls?: Array<{ function?: { name?: string; arguments?: unknown } }> }).tool_calls;
  const call = raw?.find((c) => c.function?.name === name);
  return typeof call?.function?.arguments === 'string' ? call.function.arguments : undefined;
}

/** Why the model stopped: `stop`, `length` (hit max_tokens), `content_filter`, `tool_calls`… */
export function finishReasonOf(message: AIMessage): string | undefined {
  const reason = (message.response_metadata as { finish_reason?: unknown } | undefined)?.finish_reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** A short quote of model text for a failure message (the whole answer is not needed to act). */
function quote(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Why a structured answer cannot be used, in words the model can act on in the repair prompt. */
function parseProblem<T>(text: string, schema: z.ZodType<T>): { value: T } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `The answer is not valid JSON (${(error as Error).message}). It began: ${JSON.stringify(quote(text, 120))}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { value: result.data };
  const issues = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return { problem: `The JSON does not match the schema: ${issues.join('; ')}` };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (plain unit use)
  }
}

function callSignal(): AbortSignal | undefined {
  return activityContext()?.cancellationSignal;
}

/** Heartbeats while the model thinks: how cancellation reaches us, and how a dead worker is noticed. */
const HEARTBEAT_EVERY_MS = 2_000;

/** The calls one activity attempt made, so every billed token is reported, on success or failure. */
class CallLedger {
  private readonly usages: LlmUsage[] = [];
  constructor(readonly model: string) {}

  record(message: AIMessage): LlmUsage {
    this.usages.push(usageFrom(message, this.model));
    return this.total();
  }

  get calls(): number {
    return this.usages.length;
  }

  total(): LlmUsage {
    return addUsage(this.usages, this.model);
  }
}

async function guarded<T>(step: LlmStep, ledger: CallLedger, call: () => Promise<T>): Promise<T> {
  const context = activityContext();
  const beat = context ? setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    context?.heartbeat();
    return await call();
  } catch (error) {
    // A cancelled attempt must surface as cancellation, not as a provider failure.
    if (callSignal()?.aborted) throw context?.cancellationSignal.reason ?? error;
    // A call that fails after earlier ones succeeded (the repair call, say) still reports their tokens.
    throw withUsage(toLlmFailure(error, step), ledger.calls ? ledger.total() : undefined);
  } finally {
    clearInterval(beat);
  }
}

/**
 * Failures for an answer that came back but cannot be used: a refusal, or a cut-off answer.
 * Neither is helped by asking again the same way, so both end the step at once (non-retryable).
 */
function checkAnswer(step: LlmStep, message: AIMessage, usage: LlmUsage, maxTokensHint: string): void {
  const refusal = refusalOf(message);
  if (refusal) throw unusableOutput(LlmFailure.Refusal, `${step}: the model declined to answer: "${quote(refusal)}"`, usage);
  if (finishReasonOf(message) === 'length') {
    throw unusableOutput(
      LlmFailure.OutputTruncated,
      `${step}: the answer stopped at the output limit (finish_reason "length") after ${usage.outputTokens} tokens${maxTokensHint}`,
      usage,
    );
  }
}

async function completeText(step: LlmStep, handle: ChatModelHandle, prompt: PromptMessages): Promise<LlmResult<string>> {
  const ledger = new CallLedger(handle.name);
  return guarded(step, ledger, async () => {
    const message = (await handle.model.invoke(toMessages(prompt), { signal: callSignal() })) as AIMessage;
    const usage = ledger.record(message);
    checkAnswer(step, message, usage, ', so the text is cut off');
    const text = textOf(message).trim();
    if (!text) throw unusableOutput(LlmFailure.OutputInvalid, `${step}: the model returned an empty answer`, usage);
    return { output: text, usage };
  });
}

/**
 * A structured-output call with at most ONE repair attempt: when the answer is not the JSON asked
 * for, the model sees its answer and the parse error once; if that fails too, the step fails
 * (non-retryable) with the tokens of both calls. Never three blind, billed retries.
 */
export async function completeStructured<T>(
  step: LlmStep,
  handle: ChatModelHandle,
  prompt: PromptMessages,
  spec: StructuredOutputSpec,
  schema: z.ZodType<T>,
  /** Called before the repair call with what has been billed so far (spend ceilings reserve it); throws to stop. */
  beforeRepair?: (billedSoFar: LlmUsage) => Promise<void>,
): Promise<LlmResult<T>> {
  const ledger = new CallLedger(handle.name);
  const messages = toMessages(prompt);
  const options = {
    tools: [{ type: 'function', function: { name: spec.name, description: spec.description, parameters: spec.schema } }],
    tool_choice: spec.name,
    strict: true,
    // "Structured Outputs is not compatible with parallel function calls" (OpenAI's function-calling guide).
    parallel_tool_calls: false,
  };
  return guarded(step, ledger, async () => {
    for (;;) {
      const message = (await handle.model.invoke(messages, { ...options, signal: callSignal() } as never)) as AIMessage;
      const usage = ledger.record(message);
      checkAnswer(step, message, usage, '');
      const text = (toolArgumentsOf(message, spec.name) ?? textOf(message)).trim();
      const parsed = parseProblem(text, schema);
      if ('value' in parsed) return { output: parsed.value, usage };
      if (ledger.calls >= 2) {
        throw unusableOutput(
          LlmFailure.OutputInvalid,
          `${step}: the answer could not be used after one repair attempt: ${parsed.problem}`,
          usage,
        );
      }
      await beforeRepair?.(usage);
      messages.push(new AIMessage(text), new HumanMessage(repairPrompt(parsed.problem)));
    }
  });
}

export function createLlmActivities({ research, writer, spend, linkPolicy = 'show' }: LlmActivityDeps) {
  /** The finished draft, its links checked against the sources (and stripped under `strip-unsourced`). */
  const drafted = (written: LlmResult<string>, bundle: Omit<ResearchBundle, 'usage'>): WrittenDraft => {
    const { article, links } = checkDraftLinks(finishArticle(written.output, bundle.grounding), sourceTextsOf(bundle), linkPolicy);
    return { ...written, output: article, links };
  };

  /** Reserves the call's worst case first when spend ceilings are on and the run says who pays. */
  const reserved = <T extends { usage: LlmUsage }>(
    payer: SpendPayer | undefined,
    step: LlmStep,
    handle: ChatModelHandle,
    prompt: PromptMessages,
    maxOutput: number,
    call: (reserveMore: ReserveMore) => Promise<T>,
  ): Promise<T> =>
    withReservation(spend, payer, step, () => callWorstCase(handle.name, prompt, maxOutput, spend!.prices), call);
  /** A structured call's repair reserves its own worst case first (refused: not called, the first call's tokens kept). */
  const repairReserver = (handle: ChatModelHandle, prompt: PromptMessages, maxOutput: number, reserveMore: ReserveMore) =>
    (billed: LlmUsage) => reserveMore(spend ? repairWorstCase(handle.name, prompt, maxOutput, spend.prices) : 0, billed);

  return {
    async researchTopic({ topic, spend: payer }: ResearchInput): Promise<LlmResult<string>> {
      const prompt = keyFactsPrompt(topic);
      return reserved(payer, 'researchTopic', research, prompt, MAX_OUTPUT_TOKENS.research, () => completeText('researchTopic', research, prompt));
    },

    async findExamples({ topic, spend: payer }: ResearchInput): Promise<LlmResult<RealWorldExample[]>> {
      const prompt = examplesPrompt(topic);
      return reserved(
        payer, 'findExamples', research, prompt, MAX_OUTPUT_TOKENS.research,
        (more) => completeStructured('findExamples', research, prompt, EXAMPLES_OUTPUT, examplesSchema, repairReserver(research, prompt, MAX_OUTPUT_TOKENS.research, more)),
      );
    },

    async getStatistics({ topic, spend: payer }: ResearchInput): Promise<LlmResult<string>> {
      const prompt = statisticsPrompt(topic);
      return reserved(payer, 'getStatistics', research, prompt, MAX_OUTPUT_TOKENS.research, () => completeText('getStatistics', research, prompt));
    },

    async writeArticle({ topic, research: bundle, budget, spend: payer }: WriteArticleInput): Promise<WrittenDraft> {
      if (budget) refuseOverBudget({ step: 'writing', topic, model: budget.model, prices: budget.prices, research: bundle }, budget.remainingUsd);
      const prompt = articlePrompt(topic, bundle);
      const written = await reserved(payer, 'writeArticle', writer, prompt, MAX_OUTPUT_TOKENS.writer, () => completeText('writeArticle', writer, prompt));
      return drafted(written, bundle);
    },

    /** Sorts the draft's statements into supported by a passage, general knowledge, and unsupported. */
    async checkEvidence({ article, passages, spend: payer }: CheckEvidenceInput): Promise<LlmResult<EvidenceReport>> {
      const prompt = evidencePrompt(article, passages);
      return reserved(
        payer, 'checkEvidence', writer, prompt, MAX_OUTPUT_TOKENS.writer,
        (more) => completeStructured('checkEvidence', writer, prompt, EVIDENCE_OUTPUT, evidenceSchema, repairReserver(writer, prompt, MAX_OUTPUT_TOKENS.writer, more)),
      );
    },

    /** A new version of the draft from the same research plus a reviewer's feedback. */
    async reviseArticle({ topic, research: bundle, article, feedback, spend: payer }: ReviseArticleInput): Promise<WrittenDraft> {
      const prompt = revisionPrompt(topic, bundle, article, feedback);
      const revised = await reserved(payer, 'reviseArticle', writer, prompt, MAX_OUTPUT_TOKENS.writer, () => completeText('reviseArticle', writer, prompt));
      return drafted(revised, bundle);
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
