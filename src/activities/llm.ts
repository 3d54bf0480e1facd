/**
 * LLM activities: the three research steps and the article writer.
 * Made by a factory over injected chat models, so tests hand in a real ChatOpenAI pointed at a stand-in.
 * Every call passes the activity's cancellation signal, so a timed-out or cancelled attempt stops
 * spending tokens, and every provider error leaves as an ApplicationFailure with an explicit type.
 */
import { Context } from '@temporalio/activity';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { z } from 'zod';
import type {
  LlmResult,
  LlmStep,
  LlmUsage,
  RealWorldExample,
  ResearchBundle,
  ResearchInput,
} from '../workflows/messages.js';
import {
  articlePrompt,
  examplesPrompt,
  keyFactsPrompt,
  revisionPrompt,
  statisticsPrompt,
  type PromptMessages,
} from '../shared/prompts.js';
import { toLlmFailure } from './llm-errors.js';

/** A chat model plus the name we price it by (the provider may answer with a dated variant). */
export interface ChatModelHandle {
  name: string;
  model: BaseChatModel;
}

export interface LlmActivityDeps {
  research: ChatModelHandle;
  writer: ChatModelHandle;
}

export interface WriteArticleInput {
  topic: string;
  research: Omit<ResearchBundle, 'usage'>;
}

export interface ReviseArticleInput extends WriteArticleInput {
  /** The draft being revised. */
  article: string;
  /** The reviewer's feedback. */
  feedback: string;
}

const examplesSchema = z.object({
  examples: z
    .array(
      z.object({
        title: z.string().describe('Organisation, product or event'),
        description: z.string().describe('One or two sentences on what happened'),
      }),
    )
    .length(3)
    .describe('Exactly three real-world examples'),
});

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

async function guarded<T>(step: LlmStep, call: () => Promise<T>): Promise<T> {
  const context = activityContext();
  const beat = context ? setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS) : undefined;
  try {
    context?.heartbeat();
    return await call();
  } catch (error) {
    // A cancelled attempt must surface as cancellation, not as a provider failure.
    if (callSignal()?.aborted) throw context?.cancellationSignal.reason ?? error;
    throw toLlmFailure(error, step);
  } finally {
    clearInterval(beat);
  }
}

async function completeText(step: LlmStep, handle: ChatModelHandle, prompt: PromptMessages): Promise<LlmResult<string>> {
  return guarded(step, async () => {
    const message = (await handle.model.invoke(toMessages(prompt), { signal: callSignal() })) as AIMessage;
    const text = textOf(message).trim();
    if (!text) throw Object.assign(new Error('The model returned an empty answer'), { name: 'OutputParserException' });
    return { output: text, usage: usageFrom(message, handle.name) };
  });
}

export function createLlmActivities({ research, writer }: LlmActivityDeps) {
  // Built once: the schema's conversion to a tool definition is work every call would repeat.
  const examplesModel = research.model.withStructuredOutput(examplesSchema, { name: 'real_world_examples', includeRaw: true });
  return {
    async researchTopic({ topic }: ResearchInput): Promise<LlmResult<string>> {
      return completeText('researchTopic', research, keyFactsPrompt(topic));
    },

    async findExamples({ topic }: ResearchInput): Promise<LlmResult<RealWorldExample[]>> {
      return guarded('findExamples', async () => {
        const { raw, parsed } = await examplesModel.invoke(toMessages(examplesPrompt(topic)), { signal: callSignal() });
        return { output: parsed.examples, usage: usageFrom(raw as AIMessage, research.name) };
      });
    },

    async getStatistics({ topic }: ResearchInput): Promise<LlmResult<string>> {
      return completeText('getStatistics', research, statisticsPrompt(topic));
    },

    async writeArticle({ topic, research: bundle }: WriteArticleInput): Promise<LlmResult<string>> {
      return completeText('writeArticle', writer, articlePrompt(topic, bundle));
    },

    /** A new version of the draft from the same research plus a reviewer's feedback. */
    async reviseArticle({ topic, research: bundle, article, feedback }: ReviseArticleInput): Promise<LlmResult<string>> {
      return completeText('reviseArticle', writer, revisionPrompt(topic, bundle, article, feedback));
    },
  };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
