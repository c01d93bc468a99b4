import { sql, type Kysely } from 'kysely';
import { normalizedNameColumns } from '../query-normalized-columns.js';

/**
 * The fuzzy-matching copies of person names (`*_norm` columns) are computed by
 * `normalizeForFuzzyMatching` (src/query/normalize.ts). This is the fingerprint of the
 * normalization they were last computed with, across all migrations; `normalized-names.test.ts`
 * fails when the normalization changes (a kanji variant added, a rule changed, a Node.js upgrade
 * that changes NFKC) so that the change comes with a migration calling `recomputeNormalizedNames`
 * and a new fingerprint here — otherwise fuzzy searches would silently miss the rows indexed before.
 */
export const NORMALIZED_NAMES_FINGERPRINT = '6bb01611ea05851e1e53e7f7ceb31ae39c65cb32d49f068f926919657c37b8f0';

export const NAME_COLUMNS = {
  patients: ['name'],
  studies: ['referring_physician_name'],
  series: ['performing_physician_name', 'operators_name'],
} as const;
export const GROUPS = ['alphabetic', 'ideographic', 'phonetic'] as const;

/** Rows read per batch. */
const BATCH = 1000;

/** Computes every stored name's normalized copies again, in batches by id. */
export async function recomputeNormalizedNames(db: Kysely<unknown>): Promise<void> {
  for (const [table, names] of Object.entries(NAME_COLUMNS)) {
    for (const name of names) await recompute(db, table, name);
  }
}

async function recompute(db: Kysely<unknown>, table: string, name: string): Promise<void> {
  let lastId: number | string = 0;
  for (;;) {
    const rows = await sql<{ id: number | string; a: string | null; i: string | null; p: string | null }>`
      select id, ${sql.ref(`${name}_alphabetic`)} as a, ${sql.ref(`${name}_ideographic`)} as i, ${sql.ref(`${name}_phonetic`)} as p
      from ${sql.table(table)} where id > ${lastId} order by id limit ${BATCH}`.execute(db);
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
