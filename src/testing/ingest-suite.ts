/**
 * The set-up every ingest integration suite shares: a fresh test database of one dialect, the index
 * over it and an ingest harness (filesystem store in a temporary directory), made before the
 * suite's tests and disposed after them. Lives here rather than in `ingest/testing/` because it
 * opens a database, which the ingest core and its helpers must not import.
 */
import { after, before } from 'node:test';
import { createInstanceIndex, type SqlDialectName, type SqlInstanceIndex } from '../index/index.js';
import { createTestDatabase, type TestDatabase } from '../index/testing/test-databases.js';
import { createIngestHarness, type IngestHarness } from '../ingest/testing/ingest-harness.js';

export interface IngestSuite {
  readonly database: TestDatabase;
  readonly index: SqlInstanceIndex;
  readonly harness: IngestHarness;
}

/** Call inside `describe`: registers the suite's `before` and `after`; read the fields in tests. */
export function ingestSuite(dialect: SqlDialectName): IngestSuite {
  let database: TestDatabase | null = null;
  let parts: IngestSuite | null = null;
  before(async () => {
    database = await createTestDatabase(dialect);
    const index = createInstanceIndex(database.db);
    parts = { database, index, harness: await createIngestHarness(index) };
  });
  after(async () => {
    await parts?.harness.dispose();
    await database?.dispose();
  });
  const ready = (): IngestSuite => {
    if (parts === null) throw new Error('ingest suite used outside its tests (before() has not run)');
    return parts;
  };
  return {
    get database() {
      return ready().database;
    },
    get index() {
      return ready().index;
    },
    get harness() {
      return ready().harness;
    },
  };
}
