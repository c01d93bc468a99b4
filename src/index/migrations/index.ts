import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { initialMigration } from './0001-initial.js';
import { queryMigration } from './0004-query.js';
import { identityMigration } from './0003-identity.js';
import { auditMigration } from './0002-audit.js';

/**
 * Migrations are TypeScript modules compiled with the server, listed here in order (a static
 * provider: no directory scan at run time, so a bundled or relocated build still finds them).
 * Names sort in application order; a migration, once released, is never edited — add the next one.
 */
export function migrationsFor(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0003-identity': identityMigration(dialect),
    '0002-audit': auditMigration(dialect),
    '0004-query': queryMigration(dialect),
  };
}

export interface MigrationReport {
  /** Names applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly string[];
}

/**
 * Brings the schema to the latest version. Safe to run at every start-up and from several
 * processes at once: Kysely's migrator serialises on its lock table and skips applied migrations.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName): Promise<MigrationReport> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrationsFor(dialect)) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  const failed = results?.find((r) => r.status === 'Error');
  if (failed !== undefined) throw new Error(`migration ${failed.migrationName} failed`);
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
