import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type IndexLogger } from '../database.js';
import type { SqlDialectName } from '../dialect.js';

/**
 * Databases for integration tests, on SQLite and on PostgreSQL, so that every test of the index
 * (and of anything built on it) runs on both dialects:
 *
 *   for (const { dialect, skip } of await testDialects()) {
 *     describe(`thing (${dialect})`, { skip }, () => {
 *       let t: TestDatabase;
 *       before(async () => { t = await createTestDatabase(dialect); });
 *       after(() => t.dispose());
 *       it('…', async () => { … t.db.kysely … });
 *     });
 *   }
 *
 * PostgreSQL comes from KAKUTEI_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
 * each `createTestDatabase('postgres')` creates a fresh `kakutei_test_<random>` database there and
 * `dispose` drops it. When the server is unreachable the PostgreSQL suites are skipped with the
 * reason, or fail when CI=true (a CI run must not pass by skipping).
 */
export interface TestDatabase {
  readonly dialect: SqlDialectName;
  /** What `openDatabase` accepts: a PostgreSQL URL or the SQLite file path. */
  readonly url: string;
  readonly db: Database;
  /** Closes the database and removes it (SQLite directory, PostgreSQL database). */
  dispose(): Promise<void>;
}

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function testServerUrl(): string {
  return process.env['KAKUTEI_TEST_DATABASE_URL'] ?? DEFAULT_TEST_DATABASE_URL;
}

export const silentIndexLogger: IndexLogger = { info: () => undefined, error: () => undefined };

export interface TestDialect {
  readonly dialect: SqlDialectName;
  /** `false` to run, or why the suite is skipped (for `describe(name, { skip })`). */
  readonly skip: false | string;
}

/** Both dialects; PostgreSQL is probed once per call. Throws under CI=true if it is unreachable. */
export async function testDialects(): Promise<TestDialect[]> {
  const unreachable = await probePostgres(testServerUrl());
  if (unreachable !== null && process.env['CI'] === 'true') {
    throw new Error(`PostgreSQL test server unreachable under CI (${unreachable}); set KAKUTEI_TEST_DATABASE_URL`);
  }
  return [
    { dialect: 'sqlite', skip: false },
    { dialect: 'postgres', skip: unreachable === null ? false : `PostgreSQL test server unreachable: ${unreachable}` },
  ];
}

export async function createTestDatabase(dialect: SqlDialectName, logger: IndexLogger = silentIndexLogger): Promise<TestDatabase> {
  return dialect === 'postgres' ? createPostgresDatabase(logger) : createSqliteDatabase(logger);
}

async function createSqliteDatabase(logger: IndexLogger): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'kakutei-index-'));
  const url = join(dir, 'index.sqlite');
  try {
    const db = await openDatabase({ sqlitePath: url }, logger);
    return {
      dialect: 'sqlite',
      url,
      db,
      async dispose() {
        await db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (cause) {
    await rm(dir, { recursive: true, force: true });
    throw cause;
  }
}

async function createPostgresDatabase(logger: IndexLogger): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `kakutei_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = withDatabaseName(serverUrl, name);
  const drop = () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
  try {
    const db = await openDatabase(url, logger);
    return {
      dialect: 'postgres',
      url,
      db,
      async dispose() {
        await db.close();
        await drop();
      },
    };
  } catch (cause) {
    await drop();
    throw cause;
  }
}

/** The same server URL pointing at another database. */
export function withDatabaseName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** null when reachable, else the reason (no credentials in it). */
async function probePostgres(serverUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (cause) {
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : 'error';
    return code;
  } finally {
    await client.end().catch(() => undefined);
  }
}
