import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing the 50-column instance insert costs
 * more than running it. Queries built by the index have stable SQL text (values are parameters),
 * so statements are cached by text. Bounded, oldest evicted first. Safe because Kysely uses the
 * one connection for one query at a time.
 */
export function withStatementCache(connection: BetterSqlite3.Database, maxStatements = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      connection.close();
    },
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        if (cache.size >= maxStatements) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
