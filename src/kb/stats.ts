/** What the index holds, for `npm run kb -- stats` and `/research kb`. */
import { access } from 'node:fs/promises';
import { connect } from '@lancedb/lancedb';
import { CHUNKS_TABLE, FILES_TABLE, type FileRecord } from './store.js';

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
}

function isLocal(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri);
}

/** Reads the statistics without creating anything: a missing local index is reported as missing. */
export async function kbStats(uri: string): Promise<KbStats> {
  const empty: KbStats = { uri, exists: false, files: 0, chunks: 0, tokens: 0, models: [] };
  if (isLocal(uri)) {
    try {
      await access(uri);
    } catch {
      return empty;
    }
  }
  const db = await connect(uri);
  try {
    const names = await db.tableNames();
    if (!names.includes(FILES_TABLE)) return { ...empty, exists: names.includes(CHUNKS_TABLE) };
    const files = await db.openTable(FILES_TABLE);
    const records = (await files.query().toArray()) as FileRecord[];
    files.close();
    let chunks = 0;
    if (names.includes(CHUNKS_TABLE)) {
      const table = await db.openTable(CHUNKS_TABLE);
      chunks = await table.countRows();
      table.close();
    }
    const lastIngest = records.map((r) => r.ingestedAt).sort().at(-1);
    return {
      uri,
      exists: true,
      files: records.length,
      chunks,
      tokens: records.reduce((sum, r) => sum + Number(r.tokens), 0),
      ...(lastIngest ? { lastIngest } : {}),
      models: [...new Set(records.map((r) => r.model))],
    };
  } finally {
    db.close();
  }
}
