/**
 * retrieveContext: the passages of the team's documents most relevant to a topic, through a
 * LangChain retriever (MMR over the passages above the relevance floor), from the collections
 * bound to the run's conversation only: the filter is part of the vector search, so a
 * conversation with few documents still gets its best passages. Whether an index exists is
 * decided here, at run time, so the answer is in the workflow's history: no index, nothing shared
 * with this conversation, or nothing relevant all return no passages and say which.
 */
import { isAbsolute } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Document } from '@langchain/core/documents';
import { channelFilter, isConversationId } from '../kb/channels.js';
import type { CountingEmbeddings } from '../kb/embeddings.js';
import { LEGACY_COLLECTION } from '../kb/schema.js';
import { indexMayExist, kbStats } from '../kb/stats.js';
import { displayPath, LanceVectorStore, type ChunkMetadata } from '../kb/store.js';
import type { Grounding, LlmResult, Passage, RetrieveContextInput } from '../workflows/messages.js';
import { toLlmFailure } from './llm-errors.js';

/**
 * Finds a run's conversation from the workflow an activity runs in (worker.ts: its parent's memo).
 * Only for research children started before the workflow passed the channel in the input.
 */
export type RunChannel = (execution: { workflowId: string; runId: string }) => Promise<string | undefined>;

export interface KbActivityDeps {
  kb?: {
    uri: string;
    embeddingModel: string;
    topK: number;
    minScore: number;
    /** A fresh embeddings client per call, so its token count is this call's. */
    embeddings: () => CountingEmbeddings;
    /** Without it (and without a channel in the input) nothing is searched. */
    runChannel?: RunChannel;
  };
}

/** The heading line split.ts put in front of each chunk is shown as the location instead. */
function passageText(doc: Document): string {
  const meta = doc.metadata as ChunkMetadata;
  const where = [meta.section, meta.page ? `page ${meta.page}` : ''].filter(Boolean).join(', ');
  return where && doc.pageContent.startsWith(`${where}\n\n`) ? doc.pageContent.slice(where.length + 2) : doc.pageContent;
}

/**
 * How a passage is cited: `<collection>/<path in the folder added>`. Documents indexed before
 * collections kept the path they were indexed under, which may be a server's absolute path: only
 * its file name is shown.
 */
export function citedSource(meta: Pick<ChunkMetadata, 'collection' | 'source'>): string {
  if (meta.collection === LEGACY_COLLECTION && (isAbsolute(meta.source) || /^[A-Za-z]:[\\/]/.test(meta.source))) {
    return `${LEGACY_COLLECTION}/${meta.source.split(/[\\/]/).filter(Boolean).at(-1) ?? 'document'}`;
  }
  return displayPath(meta.collection, meta.source);
}

export function createKbActivities({ kb }: KbActivityDeps) {
  return {
    async retrieveContext({ topic, docsOnly, channel: given }: RetrieveContextInput): Promise<LlmResult<Grounding>> {
      const none = (status: Grounding['status']): LlmResult<Grounding> => ({
        output: { status, passages: [], ...(docsOnly ? { docsOnly } : {}) },
        usage: { model: kb?.embeddingModel ?? 'none', inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0 },
      });
      if (!kb || !(await indexMayExist(kb.uri))) return none('no-index');
      const execution = Context.current().info.workflowExecution;
      const channel = given ?? (execution && kb.runChannel ? await kb.runChannel(execution) : undefined);
      const stats = await kbStats(kb.uri, channel === undefined ? { channel: '' } : { channel });
      if (!stats.exists) return none('no-index');
      // Nothing bound to this conversation (or no conversation known): nothing is searched.
      if (channel === undefined || !isConversationId(channel) || !stats.chunks) return none('not-shared');

      const embeddings = kb.embeddings();
      const store = await LanceVectorStore.open(embeddings, { uri: kb.uri, minScore: kb.minScore });
      let docs: Document[];
      try {
        const retriever = store.asRetriever({ searchType: 'mmr', k: kb.topK, filter: channelFilter(channel), searchKwargs: { fetchK: kb.topK * 4, lambda: 0.6 } });
        docs = await retriever.invoke(topic, { signal: Context.current().cancellationSignal });
      } catch (error) {
        throw toLlmFailure(error, 'retrieveContext');
      } finally {
        store.close();
      }
      const usage = { model: kb.embeddingModel, inputTokens: embeddings.tokens, outputTokens: 0, cachedInputTokens: 0, totalTokens: embeddings.tokens };
      const passages: Passage[] = docs.map((doc, i) => {
        const meta = doc.metadata as ChunkMetadata;
        return { n: i + 1, source: citedSource(meta), collection: meta.collection, section: meta.section, page: meta.page, text: passageText(doc), score: Math.round((meta.score ?? 0) * 1000) / 1000 };
      });
      const collections = [...new Set(passages.map((p) => p.collection!))];
      return {
        output: { status: passages.length ? 'grounded' : 'nothing-relevant', passages, ...(docsOnly ? { docsOnly } : {}), ...(collections.length ? { collections } : {}) },
        usage,
      };
    },
  };
}

export type KbActivities = ReturnType<typeof createKbActivities>;
