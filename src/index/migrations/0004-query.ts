import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { normalizedNameColumns } from '../query-normalized-columns.js';

/**
 * Query support (issue 4): fuzzy-matching copies of person names (`*_norm`, see
 * src/query/normalize.ts), back-filled for the rows already indexed, and the indexes prefix and
 * wildcard searches need. PostgreSQL: a database whose collation is not "C" (e.g. C.UTF-8,
 * en_US.UTF-8) cannot use a plain b-tree for `LIKE 'abc%'`; `text_pattern_ops` indexes can.
 * SQLite: the existing indexes (BINARY collation) already serve `GLOB 'abc*'`.
 */
const NAME_COLUMNS = {
  patients: ['name'],
  studies: ['referring_physician_name'],
  series: ['performing_physician_name', 'operators_name'],
} as const;
const GROUPS = ['alphabetic', 'ideographic', 'phonetic'] as const;

/** Rows read per back-fill batch. */
const BACKFILL_BATCH = 1000;

export function queryMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [table, names] of Object.entries(NAME_COLUMNS)) {
        for (const name of names) {
          for (const group of GROUPS) {
            await db.schema.alterTable(table).addColumn(`${name}_${group}_norm`, 'text').execute();
          }
        }
      }
      for (const group of GROUPS) {
        const column = `name_${group}_norm`;
        if (dialect === 'postgres') {
          await db.schema.createIndex(`patients_${column}_idx`).on('patients').expression(sql`${sql.ref(column)} text_pattern_ops`).execute();
          await db.schema.createIndex(`patients_name_${group}_pattern_idx`).on('patients').expression(sql`${sql.ref(`name_${group}`)} text_pattern_ops`).execute();
        } else {
          await db.schema.createIndex(`patients_${column}_idx`).on('patients').column(column).execute();
        }
      }
      if (dialect === 'postgres') {
        await db.schema.createIndex('patients_patient_id_pattern_idx').on('patients').expression(sql`patient_id text_pattern_ops`).execute();
        await db.schema.createIndex('studies_accession_number_pattern_idx').on('studies').expression(sql`accession_number text_pattern_ops`).execute();
      }
      for (const [table, names] of Object.entries(NAME_COLUMNS)) {
        for (const name of names) await backfill(db, table, name);
      }
    },
    // No down migration (see 0001-initial).
  };
}

/** Computes the normalized copies of the names already indexed, in batches by id. */
async function backfill(db: Kysely<unknown>, table: string, name: string): Promise<void> {
  let lastId: number | string = 0;
  for (;;) {
    const rows = await sql<{ id: number | string; a: string | null; i: string | null; p: string | null }>`
      select id, ${sql.ref(`${name}_alphabetic`)} as a, ${sql.ref(`${name}_ideographic`)} as i, ${sql.ref(`${name}_phonetic`)} as p
      from ${sql.table(table)} where id > ${lastId} order by id limit ${BACKFILL_BATCH}`.execute(db);
    if (rows.rows.length === 0) return;
    for (const row of rows.rows) {
      if (row.a === null && row.i === null && row.p === null) continue;
      const norm = normalizedNameColumns({ alphabetic: row.a, ideographic: row.i, phonetic: row.p });
      await sql`update ${sql.table(table)} set
          ${sql.ref(`${name}_alphabetic_norm`)} = ${norm.alphabetic},
          ${sql.ref(`${name}_ideographic_norm`)} = ${norm.ideographic},
          ${sql.ref(`${name}_phonetic_norm`)} = ${norm.phonetic}
        where id = ${row.id}`.execute(db);
    }
    lastId = rows.rows.at(-1)?.id ?? lastId;
  }
}
