/**
 * The index's schema version and the steps that bring an older index up to date, applied on open
 * (`LanceVectorStore.open`, `kbStats`). One shared, ordered list: a later change to the index adds
 * a step here with the next version, and every index, however old, walks the steps it lacks.
 *
 * Rules for a step: add columns (or tables), never re-embed (an embedding costs money and needs the
 * original files, which may be gone); be idempotent (two processes may open an old index at once:
 * whichever adds a column second finds it there); default to the secure value (documents indexed
 * before channels existed are bound to no conversation until someone binds them).
 *
 * Version 1: `chunks` and `files` as first shipped (no version recorded). Version 2: collections.
 * Version 3: generations (a changed file's new chunks are written beside the old ones, which stay
 * searchable until the file's record names the new generation).
 */
import type { Connection, Table } from '@lancedb/lancedb';
import { sqlString } from './sql.js';

export const META_TABLE = 'kb_meta';
export const CHUNKS_TABLE = 'chunks';
export const FILES_TABLE = 'files';
export const COLLECTIONS_TABLE = 'collections';

/** The collection that documents indexed before collections existed are put in. */
export const LEGACY_COLLECTION = 'legacy';

export interface Migration {
  /** The version the index has once this step is applied. */
  version: number;
  description: string;
  apply(db: Connection, now: Date): Promise<void>;
}

async function fieldNames(table: Table): Promise<string[]> {
  return (await table.schema()).fields.map((f) => f.name);
}

/** Adds a column computed by a SQL expression for existing rows, unless it is there already. */
export async function addColumnIfMissing(table: Table, name: string, valueSql: string): Promise<void> {
  if ((await fieldNames(table)).includes(name)) return;
  try {
    await table.addColumns([{ name, valueSql }]);
  } catch (error) {
    // Another process added it first.
    if (!(await fieldNames(table)).includes(name)) throw error;
  }
}

async function withTable(db: Connection, name: string, work: (table: Table) => Promise<void>): Promise<boolean> {
  if (!(await db.tableNames()).includes(name)) return false;
  const table = await db.openTable(name);
  try {
    await work(table);
  } finally {
    table.close();
  }
  return true;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    description: 'collections: each chunk and file names its collection; chunks carry the conversations that may use them (none for existing rows)',
    async apply(db, now) {
      let legacyRows = false;
      await withTable(db, CHUNKS_TABLE, async (chunks) => {
        await addColumnIfMissing(chunks, 'collection', sqlString(LEGACY_COLLECTION));
        await addColumnIfMissing(chunks, 'channels', "''");
        legacyRows ||= (await chunks.countRows(`collection = ${sqlString(LEGACY_COLLECTION)}`)) > 0;
      });
      await withTable(db, FILES_TABLE, async (files) => {
        await addColumnIfMissing(files, 'collection', sqlString(LEGACY_COLLECTION));
        legacyRows ||= (await files.countRows(`collection = ${sqlString(LEGACY_COLLECTION)}`)) > 0;
      });
      if (!legacyRows) return;
      const row = { name: LEGACY_COLLECTION, root: '', channels: '', createdAt: now.toISOString(), updatedAt: now.toISOString() };
      const exists = await withTable(db, COLLECTIONS_TABLE, async (collections) => {
        if (!(await collections.countRows(`name = ${sqlString(LEGACY_COLLECTION)}`))) await collections.add([row]);
      });
      if (!exists) {
        try {
          (await db.createTable(COLLECTIONS_TABLE, [row])).close();
        } catch (error) {
          if (!(await db.tableNames()).includes(COLLECTIONS_TABLE)) throw error;
        }
      }
    },
  },
  {
    version: 3,
    description: "generations: each chunk and file carries its file's version (0 for existing rows), so a file re-embedded mid-crash keeps its previous version searchable",
    async apply(db) {
      // A double, as a number written by JavaScript into a new table is: migrated and new indexes have one schema.
      await withTable(db, CHUNKS_TABLE, (chunks) => addColumnIfMissing(chunks, 'generation', 'CAST(0 AS DOUBLE)'));
      await withTable(db, FILES_TABLE, (files) => addColumnIfMissing(files, 'generation', 'CAST(0 AS DOUBLE)'));
    },
  },
];

export const KB_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** The index's version: recorded in the metadata table; 1 for an index from before versions; undefined for none at all. */
export async function schemaVersion(db: Connection): Promise<number | undefined> {
  const names = await db.tableNames();
  if (names.includes(META_TABLE)) {
    const meta = await db.openTable(META_TABLE);
    try {
      const rows = (await meta.query().where("key = 'schemaVersion'").toArray()) as Array<{ value: string }>;
      const versions = rows.map((r) => Number(r.value)).filter(Number.isFinite);
      if (versions.length) return Math.max(...versions);
    } finally {
      meta.close();
    }
  }
  return names.includes(CHUNKS_TABLE) || names.includes(FILES_TABLE) ? 1 : undefined;
}

/** Records the version (a fresh index is written at the current version from its first table on). */
export async function recordSchemaVersion(db: Connection, version: number): Promise<void> {
  const row = { key: 'schemaVersion', value: String(version) };
  if ((await db.tableNames()).includes(META_TABLE)) {
    const meta = await db.openTable(META_TABLE);
    try {
      await meta.delete("key = 'schemaVersion'");
      await meta.add([row]);
    } finally {
      meta.close();
    }
  } else {
    try {
      (await db.createTable(META_TABLE, [row])).close();
    } catch (error) {
      if (!(await db.tableNames()).includes(META_TABLE)) throw error;
      await recordSchemaVersion(db, version);
    }
  }
}

export interface MigrationReport {
  from: number | undefined;
  to: number | undefined;
  applied: string[];
}

/** Brings an index up to KB_SCHEMA_VERSION; a missing or empty index is left as it is. */
export async function migrate(db: Connection, now: Date = new Date()): Promise<MigrationReport> {
  const from = await schemaVersion(db);
  if (from === undefined || from >= KB_SCHEMA_VERSION) return { from, to: from, applied: [] };
  const applied: string[] = [];
  for (const step of MIGRATIONS) {
    if (step.version <= from) continue;
    try {
      await step.apply(db, now);
    } catch {
      // Another process (bot, worker, CLI) migrating the same index at once wins a commit and this
      // one is refused ("commit conflict"); steps are idempotent and open their tables afresh, so
      // once more sees what the other wrote. A second failure (read-only storage, say) is reported.
      await step.apply(db, now);
    }
    await recordSchemaVersion(db, step.version);
    applied.push(`v${step.version}: ${step.description}`);
  }
  return { from, to: KB_SCHEMA_VERSION, applied };
}
