/**
 * OpenAIEmbeddings that keeps count of the tokens it was billed for (the provider's `usage` on
 * each response), so ingest and retrieval can report tokens and dollars like every other step.
 */
import { OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingCreateParams } from 'openai/resources/embeddings';
import type { KbConfig } from '../config.js';

export class CountingEmbeddings extends OpenAIEmbeddings {
  /** Input tokens billed since construction (or the last `resetTokens`). */
  tokens = 0;

  protected override async embeddingWithRetry(request: EmbeddingCreateParams) {
    const response = await super.embeddingWithRetry(request);
    this.tokens += response.usage?.total_tokens ?? response.usage?.prompt_tokens ?? 0;
    return response;
  }
}

export interface EmbeddingsOptions {
  /** LangChain's own retries: 0 inside activities (Temporal retries), a few for the CLI. */
  maxRetries: number;
  timeoutMs?: number;
}

export function makeEmbeddings(config: Pick<KbConfig, 'embeddingModel' | 'apiKey' | 'baseUrl'>, options: EmbeddingsOptions): CountingEmbeddings {
  return new CountingEmbeddings({
    model: config.embeddingModel,
    apiKey: config.apiKey,
    maxRetries: options.maxRetries,
    // Fewer inputs per request than OpenAI's 2048 limit: a failed request then loses less work.
    batchSize: 256,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(config.baseUrl ? { configuration: { baseURL: config.baseUrl } } : {}),
  });
}
