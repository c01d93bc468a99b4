import * as fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { withStatementCache } from './statement-cache.js';

/**
 * SQLite made durable without blocking the event loop. With `synchronous=FULL`, SQLite fsyncs
 * its WAL inside COMMIT — on the main thread, since better-sqlite3 is synchronous — and every
 * association waits while the disk flushes. Here the connection runs `synchronous=NORMAL` (WAL
 * mode: still corruption-safe, the WAL is synced before each checkpoint) and the WAL file is
 * fdatasync'ed on libuv's thread pool after every COMMIT and after every write outside a
 * transaction, before the caller's promise resolves. A caller therefore learns of a commit only
 * once it is as durable as with FULL — the "equivalent group commit" of issue 2 — while the event
 * loop serves other associations during the flush.
 */
export function durableSqliteDialect(connection: BetterSqlite3.Database, path: string): Dialect {
  const base = new SqliteDialect({ database: withStatementCache(connection) });
  // An in-memory database has no file to make durable.
  const syncWal = path === ':memory:' ? () => Promise.resolve() : walSyncer(`${path}-wal`);
  return {
    createAdapter: () => base.createAdapter(),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
    createDriver: () => new DurableDriver(base.createDriver(), syncWal),
  };
}

class DurableDriver implements Driver {
  private inTransaction = false;

  constructor(
    private readonly inner: Driver,
    private readonly syncWal: () => Promise<void>,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    return {
      executeQuery: async <R>(query: Parameters<DatabaseConnection['executeQuery']>[0]): Promise<QueryResult<R>> => {
        const result = await connection.executeQuery<R>(query);
        // An autocommitted write is a commit of its own. (Only data-changing statements count:
        // sqlite3_changes keeps the last DML's count across other statements.)
        if (!this.inTransaction && isDataChange(query) && result.numAffectedRows !== undefined && result.numAffectedRows > 0n) await this.syncWal();
        return result;
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // Set first: SQLite reports the previous statement's row count for BEGIN (sqlite3_changes is
    // not reset by non-DML statements), which would otherwise look like an autocommitted write.
    this.inTransaction = true;
    try {
      await this.inner.beginTransaction(connection, settings);
    } catch (cause) {
      this.inTransaction = false;
      throw cause;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.commitTransaction(connection);
    } finally {
      this.inTransaction = false;
    }
    await this.syncWal();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(connection);
    } finally {
      this.inTransaction = false;
    }
  }

  savepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['savepoint']>>[2]): Promise<void> {
    return this.inner.savepoint!(connection, name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2]): Promise<void> {
    return this.inner.rollbackToSavepoint!(connection, name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2]): Promise<void> {
    return this.inner.releaseSavepoint!(connection, name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

function isDataChange(query: Parameters<DatabaseConnection['executeQuery']>[0]): boolean {
  const kind = query.query.kind;
  if (kind === 'InsertQueryNode' || kind === 'UpdateQueryNode' || kind === 'DeleteQueryNode' || kind === 'MergeQueryNode') return true;
  // Raw SQL (sql`…`): judge by its first word.
  return kind === 'RawNode' && /^\s*(insert|update|delete|replace|with)\b/i.test(query.sql);
}

/**
 * fdatasync of the WAL file through the thread pool; the descriptor is opened once. The WAL's name
 * needs no flush of ours: SQLite syncs a new WAL when it writes its header (also under NORMAL), and
 * its first sync of a file it created fsyncs the directory (seen with strace on a new database and
 * after a restart, when the WAL removed at the clean close is made again).
 */
function walSyncer(walPath: string): () => Promise<void> {
  let fd: number | null = null;
  return async () => {
    // In WAL mode the -wal file exists from the first write and is reused, never replaced, while
    // the connection is open.
    fd ??= await new Promise<number>((resolve, reject) => fs.open(walPath, 'r', (error, opened) => (error === null ? resolve(opened) : reject(error))));
    const descriptor = fd;
    await new Promise<void>((resolve, reject) => fs.fdatasync(descriptor, (error) => (error === null ? resolve() : reject(error))));
  };
}
