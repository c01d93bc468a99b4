import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { describeServer, isPostgresUrl, openDatabase, type IndexLogger } from './database.js';
import { createInstanceIndex } from './instance-index.js';
import { IndexError } from './index-error.js';
import { migrateToLatest } from './migrations/index.js';
import { fakeInstance } from './testing/fake-instance.js';
import { createTestDatabase, silentIndexLogger, testDialects, type TestDatabase } from './testing/test-databases.js';

function recordingLogger(): IndexLogger & { readonly lines: { fields: object; message: string | undefined }[] } {
  const lines: { fields: object; message: string | undefined }[] = [];
  return { lines, info: (fields, message) => lines.push({ fields, message }), error: (fields, message) => lines.push({ fields, message }) };
}

for (const { dialect, skip } of await testDialects()) {
  describe(`index database (${dialect})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(dialect);
    });
    after(async () => {
      await t.dispose();
    });

    it('creates every table of the schema', async () => {
      const tables = (await t.db.kysely.introspection.getTables()).map((table) => table.name).sort();
      for (const name of ['attribute_faults', 'instance_conflicts', 'instance_frames', 'instances', 'patient_mismatches', 'patients', 'series', 'studies']) {
        assert.ok(tables.includes(name), `table ${name}`);
      }
    });

    it('applies no migration twice, and keeps the data, when the server restarts', async () => {
      const instance = fakeInstance();
      await createInstanceIndex(t.db).record(instance);
      assert.deepEqual((await migrateToLatest(t.db.kysely as Kysely<unknown>, dialect)).applied, []);
      const logger = recordingLogger();
      const reopened = await openDatabase(dialect === 'postgres' ? t.url : { sqlitePath: t.url }, logger);
      try {
        const migrated = logger.lines.find((line) => (line.fields as { event?: string }).event === 'index-migrated');
        assert.deepEqual((migrated?.fields as { applied?: unknown }).applied, []);
        const found = await createInstanceIndex(reopened).getInstanceBySopInstanceUid(instance.sopInstanceUid);
        assert.equal(found?.sha256, instance.sha256);
      } finally {
        await reopened.close();
      }
    });

    it('is configured so that a commit survives power loss', async () => {
      if (dialect === 'sqlite') {
        const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(t.db.kysely)).rows[0] as object)[0] as unknown;
        assert.equal(await pragma('journal_mode'), 'wal');
        // NORMAL, with the WAL fdatasync'ed after every commit off the event loop (durable-sqlite.ts);
        // src/server/durability.int.test.ts proves with strace that this sync precedes the response.
        assert.equal(await pragma('synchronous'), 1, 'NORMAL');
        assert.equal(await pragma('foreign_keys'), 1);
        assert.equal(await pragma('busy_timeout'), 5000);
      } else {
        const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(t.db.kysely);
        assert.equal(rows[0]?.synchronous_commit, 'on');
      }
    });

    it('enforces foreign keys', async () => {
      await assert.rejects(
        t.db.kysely.insertInto('studies').values({ study_instance_uid: '1.2.3', patient_fk: 987654321, created_at: 'x', updated_at: 'x' }).execute(),
      );
    });
  });
}

describe('openDatabase', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-open-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a plain path or a sqlite: URL and creates the parent directory', async () => {
    for (const target of [join(dir, 'a', 'index.sqlite'), `sqlite:${join(dir, 'b', 'index.sqlite')}`]) {
      const db = await openDatabase(target, silentIndexLogger);
      assert.equal(db.dialect, 'sqlite');
      await db.close();
    }
  });

  it('fails with INDEX_UNAVAILABLE when the file cannot be opened', async () => {
    await assert.rejects(openDatabase({ sqlitePath: join(dir, 'no-such-dir-\0', 'x.sqlite') }, silentIndexLogger), (e: unknown) => e instanceof IndexError && e.kakutei.code === 'INDEX_UNAVAILABLE');
  });

  it('recognises PostgreSQL URLs and never logs a password', () => {
    assert.equal(isPostgresUrl('postgres://u@h/db'), true);
    assert.equal(isPostgresUrl('postgresql://u@h/db'), true);
    assert.equal(isPostgresUrl('/var/lib/kakutei/index.sqlite'), false);
    assert.equal(isPostgresUrl({ sqlitePath: 'postgres://x' }), false);
    assert.equal(describeServer('postgres://user:secret@db.example:6543/kakutei'), 'db.example:6543/kakutei');
    assert.equal(describeServer('postgres://user:secret@db.example/kakutei').includes('secret'), false);
  });
});
