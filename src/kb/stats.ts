/** What the index holds, for `npm run kb -- stats`, `/research kb` and retrieval's first look. */
import { access } from 'node:fs/promises';
import { connect, type Connection } from '@lancedb/lancedb';
import { bindingAllows, channelFilter, decodeBinding, isConversationId, type Binding } from './channels.js';
import { CHUNKS_TABLE, COLLECTIONS_TABLE, FILES_TABLE, LEGACY_COLLECTION, migrate } from './schema.js';
import { sqlString } from './sql.js';
import { isLocalKbUri } from './uri.js';
import type { CollectionRecord, FileRecord } from './store.js';

export interface CollectionStats {
  name: string;
  binding: Binding;
  files: number;
  chunks: number;
  tokens: number;
  lastIngest?: string;
  /** Where it was added from (the CLI shows it; never sent to Slack). */
  root: string;
}

export interface KbStats {
  uri: string;
  exists: boolean;
  files: number;
  chunks: number;
  tokens: number;
  /** ISO time of the most recent file ingested. */
  lastIngest?: string;
  /** Embedding models the files were embedded with (more than one means a re-ingest is due). */
  models: string[];
  /** The collections counted (with a channel: only those it may use). */
  collections: CollectionStats[];
  /** Documents indexed before collections existed are still bound to no conversation. */
  legacyUnbound: boolean;
  /** Set when the stats are those of one conversation. */
  channel?: string;
}

/** False for a local index that is not there (a remote URI is assumed to exist until opened). */
export async function indexMayExist(uri: string): Promise<boolean> {
  if (!isLocalKbUri(uri)) return true;
  try {
    await access(uri);
    return true;
  } catch {
    return false;
  }
}

async function rows<T>(db: Connection, names: string[], table: string): Promise<T[]> {
  if (!names.includes(table)) return [];
  const t = await db.openTable(table);
  try {
    return (await t.query().toArray()) as T[];
  } finally {
    t.close();
  }
}

async function countChunks(db: Connection, names: string[], filter?: string): Promise<number> {
  if (!names.includes(CHUNKS_TABLE)) return 0;
  const t = await db.openTable(CHUNKS_TABLE);
  try {
    return await t.countRows(filter);
  } finally {
    t.close();
  }
}

/**
 * Reads the statistics without creating anything: a missing local index is reported as missing
 * (an index from before the current schema is migrated first: columns added, nothing re-embedded).
 * With `channel`, only what that conversation may use is counted (an invalid ID sees nothing).
 */
export async function kbStats(uri: string, options: { channel?: string } = {}): Promise<KbStats> {
  const { channel } = options;
  const empty: KbStats = { uri, exists: false, files: 0, chunks: 0, tokens: 0, models: [], collections: [], legacyUnbound: false, ...(channel !== undefined ? { channel } : {}) };
  if (!(await indexMayExist(uri))) return empty;
  const db = await connect(uri);
  try {
    await migrate(db);
    const names = await db.tableNames();
    if (!names.includes(FILES_TABLE) && !names.includes(CHUNKS_TABLE)) return { ...empty, exists: names.length > 0 };
    const collections = await rows<CollectionRecord>(db, names, COLLECTIONS_TABLE);
    const files = (await rows<FileRecord>(db, names, FILES_TABLE)).map((f) => ({ ...f, tokens: Number(f.tokens) }));
    const legacy = collections.find((c) => c.name === LEGACY_COLLECTION && c.root === '');
    const legacyBinding = legacy ? decodeBinding(legacy.channels) : undefined;
    const legacyUnbound = legacyBinding !== undefined && !legacyBinding.everywhere && legacyBinding.channels.length === 0;
    const visible = collections.filter((c) => channel === undefined || (isConversationId(channel) && bindingAllows(decodeBinding(c.channels), channel)));
    const perCollection: CollectionStats[] = [];
    for (const c of visible) {
      const own = files.filter((f) => f.collection === c.name);
      const lastIngest = own.map((f) => f.ingestedAt).sort().at(-1);
      perCollection.push({
        name: c.name, binding: decodeBinding(c.channels), root: c.root,
        files: own.length, tokens: own.reduce((sum, f) => sum + f.tokens, 0),
        chunks: await countChunks(db, names, `collection = ${sqlString(c.name)}`),
        ...(lastIngest ? { lastIngest } : {}),
      });
    }
    const counted = new Set(perCollection.map((c) => c.name));
    const mine = files.filter((f) => counted.has(f.collection));
    // Chunks by the same filter retrieval uses, so "nothing here" and an empty search agree.
    const chunks = channel === undefined ? await countChunks(db, names)
      : isConversationId(channel) ? await countChunks(db, names, channelFilter(channel)) : 0;
    const lastIngest = mine.map((r) => r.ingestedAt).sort().at(-1);
    return {
      ...empty,
      exists: true,
      files: mine.length,
      chunks,
      tokens: mine.reduce((sum, r) => sum + r.tokens, 0),
      ...(lastIngest ? { lastIngest } : {}),
      models: [...new Set(mine.map((r) => r.model))],
      collections: perCollection.sort((a, b) => a.name.localeCompare(b.name)),
      legacyUnbound,
    };
  } finally {
    db.close();
  }
}
