/**
 * retrieveContext: the passages of the team's documents most relevant to a topic, through a
 * LangChain retriever (MMR over the passages above the relevance floor). Whether an index exists
 * is decided here, at run time, so the answer is in the workflow's history: no index, an empty
 * one, or nothing relevant all return no passages and say which.
 */
import { Context } from '@temporalio/activity';
import type { Document } from '@langchain/core/documents';
import type { CountingEmbeddings } from '../kb/embeddings.js';
import { kbStats } from '../kb/stats.js';
import { LanceVectorStore, type ChunkMetadata } from '../kb/store.js';
import type { Grounding, LlmResult, Passage, RetrieveContextInput } from '../workflows/messages.js';
import { toLlmFailure } from './llm-errors.js';

export interface KbActivityDeps {
  kb?: {
    uri: string;
    embeddingModel: string;
    topK: number;
    minScore: number;
    /** A fresh embeddings client per call, so its token count is this call's. */
    embeddings: () => CountingEmbeddings;
  };
}

/** The heading line split.ts put in front of each chunk is shown as the location instead. */
function passageText(doc: Document): string {
  const meta = doc.metadata as ChunkMetadata;
  const where = [meta.section, meta.page ? `page ${meta.page}` : ''].filter(Boolean).join(', ');
  return where && doc.pageContent.startsWith(`${where}\n\n`) ? doc.pageContent.slice(where.length + 2) : doc.pageContent;
}

export function createKbActivities({ kb }: KbActivityDeps) {
  return {
    async retrieveContext({ topic, docsOnly }: RetrieveContextInput): Promise<LlmResult<Grounding>> {
      const none = (status: Grounding['status']): LlmResult<Grounding> => ({
        output: { status, passages: [], ...(docsOnly ? { docsOnly } : {}) },
        usage: { model: kb?.embeddingModel ?? 'none', inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0 },
      });
      if (!kb) return none('no-index');
      const stats = await kbStats(kb.uri);
      if (!stats.exists) return none('no-index');
      if (!stats.chunks) return none('empty-index');

      const embeddings = kb.embeddings();
      const store = await LanceVectorStore.open(embeddings, { uri: kb.uri, minScore: kb.minScore });
      let docs: Document[];
      try {
        const retriever = store.asRetriever({ searchType: 'mmr', k: kb.topK, searchKwargs: { fetchK: kb.topK * 4, lambda: 0.6 } });
        docs = await retriever.invoke(topic, { signal: Context.current().cancellationSignal });
      } catch (error) {
        throw toLlmFailure(error, 'retrieveContext');
      } finally {
        store.close();
      }
      const usage = { model: kb.embeddingModel, inputTokens: embeddings.tokens, outputTokens: 0, cachedInputTokens: 0, totalTokens: embeddings.tokens };
      const passages: Passage[] = docs.map((doc, i) => {
        const meta = doc.metadata as ChunkMetadata;
        return { n: i + 1, source: meta.source, section: meta.section, page: meta.page, text: passageText(doc), score: Math.round((meta.score ?? 0) * 1000) / 1000 };
      });
      return {
        output: { status: passages.length ? 'grounded' : 'nothing-relevant', passages, ...(docsOnly ? { docsOnly } : {}) },
        usage,
      };
    },
  };
}

export type KbActivities = ReturnType<typeof createKbActivities>;
