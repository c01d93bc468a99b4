import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import type { SqlDialectName } from './dialect.js';
import { IndexError } from './index-error.js';
import { migrateToLatest } from './migrations/index.js';
import type { DatabaseSchema } from './schema.js';
import { durableSqliteDialect } from './durable-sqlite.js';

/** The part of the project logger the index uses (pino satisfies it). */
export interface IndexLogger {
  info(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** An open index database: the typed query builder, its dialect, and how to close it. */
export interface Database {
  readonly kysely: Kysely<DatabaseSchema>;
  readonly dialect: SqlDialectName;
  close(): Promise<void>;
}

export type DatabaseTarget = string | { readonly sqlitePath: string };

export interface OpenDatabaseOptions {
  /** Run pending migrations before returning (default true: the server migrates at start-up). */
  readonly migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  readonly maxConnections?: number;
}

/** How long a SQLite writer waits for another process's lock before failing, in milliseconds. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the index: PostgreSQL when the target is a `postgres://` or `postgresql://` URL, otherwise
 * a SQLite file (`sqlite:` prefix optional). Both are configured so that a committed transaction
 * survives power loss — an acknowledged C-STORE must never be forgotten (PS3.4 B.2.3):
 * SQLite in WAL mode with the WAL fdatasync'ed after every commit (durable-sqlite.ts), PostgreSQL with
 * synchronous_commit=on forced per session, whatever the server's default.
 */
export async function openDatabase(target: DatabaseTarget, logger: IndexLogger, options: OpenDatabaseOptions = {}): Promise<Database> {
  const database = isPostgresUrl(target) ? await openPostgres(target, logger, options) : openSqlite(sqlitePathOf(target), logger);
  if (options.migrate ?? true) {
    try {
      const { applied } = await migrateToLatest(database.kysely as Kysely<unknown>, database.dialect);
      logger.info({ event: 'index-migrated', dialect: database.dialect, applied }, 'index schema is current');
    } catch (cause) {
      await database.close().catch(() => undefined);
      throw new IndexError('INDEX_UNAVAILABLE', 'schema migration failed', { cause });
    }
  }
  return database;
}

export function isPostgresUrl(target: DatabaseTarget): target is string {
  return typeof target === 'string' && /^postgres(ql)?:\/\//i.test(target);
}

function sqlitePathOf(target: DatabaseTarget): string {
  if (typeof target !== 'string') return target.sqlitePath;
  return target.startsWith('sqlite:') ? target.slice('sqlite:'.length) : target;
}

function openSqlite(path: string, logger: IndexLogger): Database {
  let connection: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    connection = new BetterSqlite3(path);
    const journalMode: unknown = connection.pragma('journal_mode = WAL', { simple: true });
    // NORMAL plus an fdatasync of the WAL after every commit, off the event loop: see durable-sqlite.ts.
    connection.pragma('synchronous = NORMAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    logger.info({ event: 'index-opened', dialect: 'sqlite', journalMode }, 'index database opened');
  } catch (cause) {
    throw new IndexError('INDEX_UNAVAILABLE', 'cannot open the SQLite index', { cause });
  }
  const kysely = new Kysely<DatabaseSchema>({ dialect: durableSqliteDialect(connection, path) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

async function openPostgres(url: string, logger: IndexLogger, options: OpenDatabaseOptions): Promise<Database> {
  // Loaded only here: at load, pg looks for the Fetch API (`Response`), which makes Node load its
  // HTTP client and instantiate that client's WebAssembly parser — address space (≈ 10 GiB
  // reserved) and start-up time a server on SQLite has no use for.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: 'kakutei',
    options: '-c synchronous_commit=on',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (cause) => logger.error({ event: 'index-connection-lost', err: cause }, 'index connection lost'));
  logger.info({ event: 'index-opened', dialect: 'postgres', server: describeServer(url) }, 'index database opened');
  const kysely = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}

/** Host, port and database name only: never the password a URL may carry. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'unparseable URL';
  }
}
