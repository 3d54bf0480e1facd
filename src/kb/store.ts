/**
 * The knowledge base on LanceDB behind LangChain's VectorStore interface.
 *
 * Tables: `chunks` (one row per embedded passage: vector, text, source file, section or page, its
 * collection and the conversations that may use it), `files` (one row per ingested file: content
 * hash, chunk and token counts, when), `collections` (one row per folder or file added: its name,
 * where it was added from, its conversations) and `kb_meta` (the schema version, schema.ts). A
 * file's row is written only after all its chunks, so an interrupted ingest leaves that file
 * looking new or changed, and the next run redoes exactly it.
 *
 * Sources are stored relative to the folder that was added, so no server path reaches a prompt,
 * a citation or Slack; only the `collections` table keeps where a folder was (for the CLI).
 *
 * Generations: a changed file's new chunks are written beside its old ones with the next
 * `generation`, then its record names that generation, then the old chunks go. A search returns
 * only chunks whose generation is their file's recorded one, so a crash (or a search) anywhere in
 * between sees exactly one version of the file: the previous one until the record moves on.
 *
 * A small subclass rather than @langchain/community's LanceDB store, which does not install here
 * (its peer ranges clash with this project's dependencies); it adds MMR and a relevance floor.
 */
import { basename } from 'node:path';
import { connect, type Connection, type Table } from '@lancedb/lancedb';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import { decodeBinding, encodeBinding, type Binding } from './channels.js';
import { CHUNKS_TABLE, COLLECTIONS_TABLE, FILES_TABLE, KB_SCHEMA_VERSION, migrate, recordSchemaVersion, schemaVersion } from './schema.js';
import { sqlString } from './sql.js';

export { CHUNKS_TABLE, COLLECTIONS_TABLE, FILES_TABLE } from './schema.js';
export { sqlString } from './sql.js';

/** What each passage carries besides its text, so a citation can name where it came from. */
export interface ChunkMetadata {
  /** Path relative to the folder that was added (the file's name when a single file was added). */
  source: string;
  /** The collection (one `kb add` of a folder or file) the chunk belongs to. */
  collection: string;
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
  collection: string;
  /** Relative to the collection's folder. */
  path: string;
  hash: string;
  model: string;
  chunks: number;
  tokens: number;
  bytes: number;
  /** ISO time the file finished ingesting. */
  ingestedAt: string;
  /** Which of the file's chunks are its current version (0 for files indexed before generations). */
  generation: number;
}

/** One `kb add` of a folder (or a single file) and the conversations its documents may answer in. */
export interface CollectionRecord {
  name: string;
  /** Absolute path of the folder or file added; '' for documents indexed before collections. Never leaves the server. */
  root: string;
  /** The encoded binding (channels.ts). */
  channels: string;
  createdAt: string;
  updatedAt: string;
}

interface ChunkRow extends Omit<ChunkMetadata, 'score'> {
  [key: string]: unknown;
  vector: number[];
  text: string;
  channels: string;
  generation: number;
}

/** Options of `addDocuments`: the generation the chunks belong to (their file's next one). */
export interface AddChunksOptions {
  generation?: number;
}

/** A name for a new collection: the folder's name, made safe to read and to quote. */
export function collectionNameFor(root: string, taken: Iterable<string>): string {
  const base = basename(root).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60) || 'documents';
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** How a file of a collection is shown and cited (a single file added is its own collection: just its name). */
export function displayPath(collection: string, path: string): string {
  return path === collection ? path : `${collection}/${path}`;
}

const fileKey = (collection: string, path: string) => `collection = ${sqlString(collection)} AND path = ${sqlString(path)}`;
const chunkKey = (collection: string, source: string) => `collection = ${sqlString(collection)} AND source = ${sqlString(source)}`;
const pairKey = (collection: string, path: string) => `${collection}\u0000${path}`;

export interface LanceStoreOptions {
  uri: string;
  /** Passages below this cosine similarity are never returned (the relevance floor). */
  minScore?: number;
}

export class LanceVectorStore extends VectorStore {
  declare FilterType: string;
  private chunks: Table | undefined;
  private files: Table | undefined;
  private collectionsTable: Table | undefined;
  private versioned = false;
  readonly minScore: number;

  private constructor(embeddings: EmbeddingsInterface, private readonly db: Connection, options: LanceStoreOptions) {
    super(embeddings, {});
    this.minScore = options.minScore ?? 0;
  }

  static async open(embeddings: EmbeddingsInterface, options: LanceStoreOptions): Promise<LanceVectorStore> {
    const store = new LanceVectorStore(embeddings, await connect(options.uri), options);
    // An index from before the current schema is brought up to date first (columns added, nothing re-embedded).
    await migrate(store.db);
    const names = await store.db.tableNames();
    if (names.includes(CHUNKS_TABLE)) store.chunks = await store.db.openTable(CHUNKS_TABLE);
    if (names.includes(FILES_TABLE)) store.files = await store.db.openTable(FILES_TABLE);
    if (names.includes(COLLECTIONS_TABLE)) store.collectionsTable = await store.db.openTable(COLLECTIONS_TABLE);
    return store;
  }

  /** A new index records its schema version before its first table, so it is never mistaken for an old one. */
  private async create(name: string, rows: Record<string, unknown>[]): Promise<Table> {
    if (!this.versioned) {
      if ((await schemaVersion(this.db)) === undefined) await recordSchemaVersion(this.db, KB_SCHEMA_VERSION);
      this.versioned = true;
    }
    return this.db.createTable(name, rows);
  }

  _vectorstoreType(): string {
    return 'lancedb';
  }

  close(): void {
    this.chunks?.close();
    this.files?.close();
    this.collectionsTable?.close();
    this.db.close();
  }

  async addDocuments(documents: DocumentInterface[], options: AddChunksOptions = {}): Promise<void> {
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    await this.addVectors(vectors, documents, options);
  }

  /**
   * Each document's metadata names its collection; the chunk takes that collection's current
   * binding (a collection must exist first: rows never carry channels of their own making).
   */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options: AddChunksOptions = {}): Promise<void> {
    if (!documents.length) return;
    const bindings = new Map((await this.collections()).map((c) => [c.name, c.channels] as const));
    const rows: ChunkRow[] = documents.map((doc, i) => {
      const meta = doc.metadata as Partial<ChunkMetadata>;
      const collection = meta.collection ?? '';
      const channels = bindings.get(collection);
      if (channels === undefined) throw new Error(`No collection "${collection}" to add chunks to`);
      return { vector: vectors[i]!, text: doc.pageContent, source: meta.source ?? '', section: meta.section ?? '', page: meta.page ?? 0, chunk: meta.chunk ?? i, collection, channels, generation: options.generation ?? 0 };
    });
    if (this.chunks) await this.chunks.add(rows);
    else this.chunks = await this.create(CHUNKS_TABLE, rows);
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: string): Promise<[Document, number][]> {
    const found = await this.search(query, k, filter);
    return found.map(({ doc, score }) => [doc, score]);
  }

  /**
   * The filter (channels.ts `channelFilter`) is applied inside the vector search, before
   * similarity (LanceDB prefilters by default): the k nearest of the rows that may be seen, not
   * the visible part of the k nearest of all.
   *
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

  /**
   * Rows of another generation than their file's record (a version being written, or one whose
   * record was just replaced) are dropped; when any were, the search runs again with them
   * excluded inside the query, so the k nearest are still k current ones. In the usual case (no
   * ingest running) that costs one read of the files' records for the sources found, no second search.
   */
  private async search(vector: number[], k: number, filter?: string, withVectors = false) {
    if (!this.chunks) return [];
    const excluded: string[] = [];
    let rows: Array<ChunkRow & { _distance: number }> = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const where = [filter ? `(${filter})` : '', ...excluded].filter(Boolean).join(' AND ');
      let query = this.chunks.vectorSearch(vector).distanceType('cosine').limit(k);
      if (where) query = query.where(where);
      rows = (await query.toArray()) as Array<ChunkRow & { _distance: number }>;
      const current = await this.currentGenerations(rows);
      const stale = rows.filter((row) => current.get(pairKey(row.collection, row.source)) !== Number(row.generation ?? 0));
      if (!stale.length) break;
      rows = rows.filter((row) => !stale.includes(row));
      // The tables are snapshots, taken when each was opened (LanceDB checks for newer versions only
      // when asked): chunks opened before a new version was recorded, files after, and the old rows
      // look stale while the new ones are not in this snapshot yet. Both move to their latest version
      // before the search runs again.
      await this.refresh();
      for (const key of new Set(stale.map((row) => `NOT (${chunkKey(row.collection, row.source)} AND generation = ${Number(row.generation ?? 0)})`))) excluded.push(key);
    }
    return rows
      .map((row) => {
        const score = 1 - row._distance;
        const metadata: ChunkMetadata = { source: row.source, collection: row.collection, section: row.section, page: Number(row.page), chunk: Number(row.chunk), score };
        return { doc: new Document({ pageContent: row.text, metadata }), score, vector: withVectors ? Array.from(row.vector) : [] };
      })
      .filter((c) => c.score >= this.minScore);
  }

  /** Moves the chunks and files tables to their latest versions (and opens the files table if it has been made since). */
  private async refresh(): Promise<void> {
    await this.chunks?.checkoutLatest();
    if (this.files) await this.files.checkoutLatest();
    else if ((await this.db.tableNames()).includes(FILES_TABLE)) this.files = await this.db.openTable(FILES_TABLE);
  }

  // ── Collections ───────────────────────────────────────────────────────────────────────────

  async collections(): Promise<CollectionRecord[]> {
    if (!this.collectionsTable) return [];
    return (await this.collectionsTable.query().toArray()) as CollectionRecord[];
  }

  /** The collection a folder or file was added as, if it was. */
  async collectionAt(root: string): Promise<CollectionRecord | undefined> {
    return (await this.collections()).find((c) => c.root !== '' && c.root === root);
  }

  /** The collection for a folder or file (made, named after it, on its first add). */
  async ensureCollection(root: string, binding: Binding, now: Date): Promise<{ record: CollectionRecord; created: boolean }> {
    const existing = await this.collectionAt(root);
    if (existing) return { record: existing, created: false };
    const name = collectionNameFor(root, (await this.collections()).map((c) => c.name));
    const record: CollectionRecord = { name, root, channels: encodeBinding(binding), createdAt: now.toISOString(), updatedAt: now.toISOString() };
    if (this.collectionsTable) await this.collectionsTable.add([{ ...record }]);
    else this.collectionsTable = await this.create(COLLECTIONS_TABLE, [{ ...record }]);
    return { record, created: true };
  }

  /**
   * Binds a collection to other conversations: its record and every one of its chunk rows (an
   * update of one column: nothing is embedded again). Chunks first, so an interrupted bind is
   * seen by re-running it, never half-applied behind a record that says it is done.
   */
  async bindCollection(name: string, binding: Binding, now: Date): Promise<void> {
    const channels = encodeBinding(binding);
    const where = `collection = ${sqlString(name)}`;
    await this.chunks?.update({ where, values: { channels } });
    await this.collectionsTable?.update({ where: `name = ${sqlString(name)}`, values: { channels, updatedAt: now.toISOString() } });
  }

  /** Removes a collection: its chunks, its files and its record. */
  async removeCollection(name: string): Promise<void> {
    await this.chunks?.delete(`collection = ${sqlString(name)}`);
    await this.files?.delete(`collection = ${sqlString(name)}`);
    await this.collectionsTable?.delete(`name = ${sqlString(name)}`);
  }

  static bindingOf(record: Pick<CollectionRecord, 'channels'>): Binding {
    return decodeBinding(record.channels);
  }

  // ── Bookkeeping for incremental ingest ────────────────────────────────────────────────────

  async fileRecords(collection?: string): Promise<FileRecord[]> {
    if (!this.files) return [];
    let query = this.files.query();
    if (collection !== undefined) query = query.where(`collection = ${sqlString(collection)}`);
    const rows = (await query.toArray()) as FileRecord[];
    return rows.map((r) => ({ ...r, chunks: Number(r.chunks), tokens: Number(r.tokens), bytes: Number(r.bytes), generation: Number(r.generation ?? 0) }));
  }

  /** The recorded generation of each file the rows come from (absent: no record, so no current version). */
  private async currentGenerations(rows: Array<Pick<ChunkRow, 'collection' | 'source'>>): Promise<Map<string, number>> {
    const pairs = new Map(rows.map((r) => [pairKey(r.collection, r.source), r] as const));
    if (!pairs.size || !this.files) return new Map();
    const where = [...pairs.values()].map((r) => `(${fileKey(r.collection, r.source)})`).join(' OR ');
    const records = (await this.files.query().where(where).select(['collection', 'path', 'generation']).toArray()) as Array<{ collection: string; path: string; generation?: number }>;
    return new Map(records.map((r) => [pairKey(r.collection, r.path), Number(r.generation ?? 0)] as const));
  }

  async chunkCount(): Promise<number> {
    return this.chunks ? this.chunks.countRows() : 0;
  }

  /** Removes a file's chunks and its record. */
  async removeFile(collection: string, path: string): Promise<void> {
    await this.chunks?.delete(chunkKey(collection, path));
    await this.files?.delete(fileKey(collection, path));
  }

  /** Drops a file's chunks of every generation but `keep` (the old version once the new one is recorded). */
  async removeChunksOf(collection: string, path: string, keep?: number): Promise<void> {
    await this.chunks?.delete(keep === undefined ? chunkKey(collection, path) : `${chunkKey(collection, path)} AND generation <> ${Number(keep)}`);
  }

  /**
   * Marks a file's version current: written after all its chunks, in one commit (a merge on the
   * file's key), so there is no moment without a record, when search would show none of its versions.
   */
  async recordFile(record: FileRecord): Promise<void> {
    const row = { ...record } as Record<string, unknown>;
    if (this.files) {
      await this.files.mergeInsert(['collection', 'path']).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute([row]);
    } else {
      this.files = await this.create(FILES_TABLE, [row]);
    }
  }

  /**
   * Compacts the small fragments each file's write leaves (one per file, by design, so an
   * interrupted run loses at most one file's work) into few large ones, which searches scan faster.
   */
  async optimize(): Promise<void> {
    await this.chunks?.optimize();
    await this.files?.optimize();
    await this.collectionsTable?.optimize();
  }

  /**
   * Chunks of no recorded version: of a file with no record (a new file interrupted while being
   * written), or of another generation than its record's (a new version interrupted before its
   * record, or an old one whose clean-up was). What an interrupted run left behind.
   */
  async orphanSources(): Promise<Array<{ collection: string; source: string; generation: number }>> {
    if (!this.chunks) return [];
    const current = new Map((await this.fileRecords()).map((f) => [pairKey(f.collection, f.path), f.generation] as const));
    const rows = (await this.chunks.query().select(['collection', 'source', 'generation']).toArray()) as Array<{ collection: string; source: string; generation?: number }>;
    const seen = new Map<string, { collection: string; source: string; generation: number }>();
    for (const r of rows) {
      const generation = Number(r.generation ?? 0);
      if (current.get(pairKey(r.collection, r.source)) !== generation) seen.set(`${pairKey(r.collection, r.source)}\u0000${generation}`, { collection: r.collection, source: r.source, generation });
    }
    return [...seen.values()];
  }

  /** Removes one generation of a file's chunks (an orphan found by `orphanSources`). */
  async removeGeneration(collection: string, source: string, generation: number): Promise<void> {
    await this.chunks?.delete(`${chunkKey(collection, source)} AND generation = ${Number(generation)}`);
  }
}
