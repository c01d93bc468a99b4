import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInstanceIndex } from './instance-index.js';
import { preparedQuery } from './prepared-query.js';
import { fakeInstance } from './testing/fake-instance.js';
import { createTestDatabase, testDialects, type TestDatabase } from './testing/test-databases.js';

for (const { dialect, skip } of await testDialects()) {
  describe(`prepared queries (${dialect})`, { skip }, () => {
    let t: TestDatabase;

    before(async () => {
      t = await createTestDatabase(dialect);
      const index = createInstanceIndex(t.db);
      for (let i = 0; i < 3; i++) await index.record(fakeInstance());
    });
    after(async () => {
      await t.dispose();
    });

    it('binds new values to the query built once, inside and outside transactions', async () => {
      const byUid = preparedQuery((db, v: { uid: string }) => db.selectFrom('instances').select(['sop_instance_uid', 'sha256']).where('sop_instance_uid', '=', v.uid));
      const all = await t.db.kysely.selectFrom('instances').select(['sop_instance_uid', 'sha256']).orderBy('id').execute();
      assert.equal(all.length, 3);
      for (const row of all) assert.deepEqual((await byUid(t.db.kysely, { uid: row.sop_instance_uid })).rows, [row]);
      await t.db.kysely.transaction().execute(async (trx) => {
        assert.deepEqual((await byUid(trx, { uid: all[1]!.sop_instance_uid })).rows, [all[1]]);
      });
      assert.deepEqual((await byUid(t.db.kysely, { uid: '1.2.3.no.such' })).rows, []);
    });

    it('tells shapes apart by the values left undefined', async () => {
      const insert = preparedQuery((db, row: { instance_fk: number | string; conflict_fk: null; code: string; tag: string | undefined; message: string }) =>
        db.insertInto('attribute_faults').values(row).returning(['code', 'tag', 'message']),
      );
      const { id } = await t.db.kysely.selectFrom('instances').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
      const full = await insert(t.db.kysely, { instance_fk: id, conflict_fk: null, code: 'A', tag: '(0010,0010)', message: 'one' });
      const partial = await insert(t.db.kysely, { instance_fk: id, conflict_fk: null, code: 'B', tag: undefined, message: 'two' });
      assert.deepEqual(full.rows, [{ code: 'A', tag: '(0010,0010)', message: 'one' }]);
      assert.deepEqual(partial.rows, [{ code: 'B', tag: null, message: 'two' }]);
    });

    it('refuses a query with a parameter that is not one of its values', async () => {
      const fixed = preparedQuery((db, _v: { uid: string }) => db.selectFrom('instances').select('id').where('sop_instance_uid', '=', 'fixed'));
      await assert.rejects(async () => fixed(t.db.kysely, { uid: 'x' }), TypeError);
    });
  });
}
