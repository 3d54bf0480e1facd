/**
 * The knowledge base on LanceDB behind LangChain's VectorStore interface.
 *
 * Two tables: `chunks` (one row per embedded passage: vector, text, source file, section or page)
 * and `files` (one row per ingested file: content hash, chunk and token counts, when). A file's
 * row is written only after all its chunks, so an interrupted ingest leaves that file looking
 * new or changed, and the next run redoes exactly it.
 *
 * A small subclass rather than @langchain/community's LanceDB store, which does not install here
 * (its peer ranges clash with this project's dependencies); it adds MMR and a relevance floor.
 */
import { connect, type Connection, type Table } from '@lancedb/lancedb';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';

export const CHUNKS_TABLE = 'chunks';
export const FILES_TABLE = 'files';

/** What each passage carries besides its text, so a citation can name where it came from. */
export interface ChunkMetadata {
  source: string;
  /** Heading path ("Guide › Rollout"), empty when the format has none. */
  section: string;
  /** 1-based PDF page, 0 when not paged. */
  page: number;
  /** Position of the chunk in its file. */
  chunk: number;
  /** Cosine similarity to the query, set on search results. */
  score?: number;
}

export interface FileRecord {
  path: string;
  hash: string;
  model: string;
  chunks: number;
  tokens: number;
  bytes: number;
  /** ISO time the file finished ingesting. */
  ingestedAt: string;
}

interface ChunkRow extends Omit<ChunkMetadata, 'score'> {
  [key: string]: unknown;
  vector: number[];
  text: string;
}

/** A SQL string literal for LanceDB filters (single quotes doubled). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface LanceStoreOptions {
  uri: string;
  /** Passages below this cosine similarity are never returned (the relevance floor). */
  minScore?: number;
}

export class LanceVectorStore extends VectorStore {
  declare FilterType: string;
  private chunks: Table | undefined;
  private files: Table | undefined;
  readonly minScore: number;

  private constructor(embeddings: EmbeddingsInterface, private readonly db: Connection, options: LanceStoreOptions) {
    super(embeddings, {});
    this.minScore = options.minScore ?? 0;
  }

  static async open(embeddings: EmbeddingsInterface, options: LanceStoreOptions): Promise<LanceVectorStore> {
    const store = new LanceVectorStore(embeddings, await connect(options.uri), options);
    const names = await store.db.tableNames();
    if (names.includes(CHUNKS_TABLE)) store.chunks = await store.db.openTable(CHUNKS_TABLE);
    if (names.includes(FILES_TABLE)) store.files = await store.db.openTable(FILES_TABLE);
    return store;
  }

  _vectorstoreType(): string {
    return 'lancedb';
  }

  close(): void {
    this.chunks?.close();
    this.files?.close();
    this.db.close();
  }

  async addDocuments(documents: DocumentInterface[]): Promise<void> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    await this.addVectors(vectors, documents);
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[]): Promise<void> {
    if (!documents.length) return;
    const rows: ChunkRow[] = documents.map((doc, i) => {
      const meta = doc.metadata as Partial<ChunkMetadata>;
      return { vector: vectors[i]!, text: doc.pageContent, source: meta.source ?? '', section: meta.section ?? '', page: meta.page ?? 0, chunk: meta.chunk ?? i };
    });
    if (this.chunks) await this.chunks.add(rows);
    else this.chunks = await this.db.createTable(CHUNKS_TABLE, rows);
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: string): Promise<[Document, number][]> {
    const found = await this.search(query, k, filter);
    return found.map(({ doc, score }) => [doc, score]);
  }

  /**
   * MMR over the `fetchK` nearest passages that clear the relevance floor: relevant passages
   * that say different things, rather than the same paragraph from five copies of a runbook.
   */
  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<string>): Promise<Document[]> {
    const vector = await this.embeddings.embedQuery(query);
    const candidates = await this.search(vector, options.fetchK ?? options.k * 4, options.filter, true);
    if (!candidates.length) return [];
    const picked = maximalMarginalRelevance(vector, candidates.map((c) => c.vector), options.lambda ?? 0.5, options.k);
    return picked.map((i) => candidates[i]!.doc);
  }

  private async search(vector: number[], k: number, filter?: string, withVectors = false) {
    if (!this.chunks) return [];
    let query = this.chunks.vectorSearch(vector).distanceType('cosine').limit(k);
    if (filter) query = query.where(filter);
    const rows = (await query.toArray()) as Array<ChunkRow & { _distance: number }>;
    return rows
      .map((row) => {
        const score = 1 - row._distance;
        const metadata: ChunkMetadata = { source: row.source, section: row.section, page: Number(row.page), chunk: Number(row.chunk), score };
        return { doc: new Document({ pageContent: row.text, metadata }), score, vector: withVectors ? Array.from(row.vector) : [] };
      })
      .filter((c) => c.score >= this.minScore);
  }

  // ── Bookkeeping for incremental ingest ────────────────────────────────────────────────────

  async fileRecords(): Promise<FileRecord[]> {
    if (!this.files) return [];
    const rows = (await this.files.query().toArray()) as FileRecord[];
    return rows.map((r) => ({ ...r, chunks: Number(r.chunks), tokens: Number(r.tokens), bytes: Number(r.bytes) }));
  }

  async chunkCount(): Promise<number> {
    return this.chunks ? this.chunks.countRows() : 0;
  }

  /** Removes a file's chunks and its record. */
  async removeFile(path: string): Promise<void> {
    await this.chunks?.delete(`source = ${sqlString(path)}`);
    await this.files?.delete(`path = ${sqlString(path)}`);
  }

  /** Drops leftover chunks of a file (a run interrupted while writing it) before it is redone. */
  async removeChunksOf(path: string): Promise<void> {
    await this.chunks?.delete(`source = ${sqlString(path)}`);
  }

  /** Marks a file done: written last, after all its chunks. */
  async recordFile(record: FileRecord): Promise<void> {
    const row = { ...record } as Record<string, unknown>;
    if (this.files) {
      await this.files.delete(`path = ${sqlString(record.path)}`);
      await this.files.add([row]);
    } else {
      this.files = await this.db.createTable(FILES_TABLE, [row]);
    }
  }

  /**
   * Compacts the small fragments each file's write leaves (one per file, by design, so an
   * interrupted run loses at most one file's work) into few large ones, which searches scan faster.
   */
  async optimize(): Promise<void> {
    await this.chunks?.optimize();
    await this.files?.optimize();
  }

  /** Sources that have chunks but no file record: what an interrupted run left behind. */
  async orphanSources(): Promise<string[]> {
    if (!this.chunks) return [];
    const known = new Set((await this.fileRecords()).map((f) => f.path));
    const rows = (await this.chunks.query().select(['source']).toArray()) as Array<{ source: string }>;
    return [...new Set(rows.map((r) => r.source))].filter((s) => !known.has(s));
  }
}
