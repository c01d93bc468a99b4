import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { GROUPS, NAME_COLUMNS, recomputeNormalizedNames } from './normalized-names.js';

/**
 * Query support (issue 4): fuzzy-matching copies of person names (`*_norm`, see
 * src/query/normalize.ts), back-filled for the rows already indexed, and the indexes prefix and
 * wildcard searches need. PostgreSQL: a database whose collation is not "C" (e.g. C.UTF-8,
 * en_US.UTF-8) cannot use a plain b-tree for `LIKE 'abc%'`; `text_pattern_ops` indexes can.
 * SQLite: the existing indexes (BINARY collation) already serve `GLOB 'abc*'`.
 */

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
      await recomputeNormalizedNames(db);
    },
    // No down migration (see 0001-initial).
  };
}
