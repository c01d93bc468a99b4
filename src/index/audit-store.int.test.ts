/**
 * The audit chain over SQL, on SQLite and PostgreSQL: appends (alone, concurrent, inside the
 * transaction of a change), and verification catching each kind of tampering — an edited,
 * removed or reordered event, a cut tail and a rewritten chain (these two only against a signed
 * checkpoint kept outside the database), and a forged checkpoint.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { AuditTrail } from '../audit/audit-trail.js';
import { parseCheckpoints, signCheckpoint, type Checkpoint } from '../audit/checkpoint.js';
import { chainHash } from '../audit/record.js';
import { verifyingKeyOf, type SigningKey, type VerifyingKey } from '../audit/signing-key.js';
import { sampleEvent, steppingClock } from '../audit/testing/sample-events.js';
import { verifyAuditChain } from '../audit/verify-chain.js';
import { silentLogger } from '../log/index.js';
import { createSqlAuditStore, recordOfRow, type SqlAuditStore } from './audit-store.js';
import type { Database } from './database.js';
import { createInstanceIndex } from './instance-index.js';
import { fakeInstance } from './testing/fake-instance.js';
import { dropAuditAppendOnlyTriggers } from './testing/audit-tampering.js';
import { createTestDatabase, testDialects, type TestDatabase } from './testing/test-databases.js';

function testKeys(): { signing: SigningKey; verifying: VerifyingKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const verifying = verifyingKeyOf(publicKey);
  return { verifying, signing: { keyId: verifying.keyId, sign: (message) => sign(null, message, privateKey).toString('base64') } };
}

async function problemsOf(store: SqlAuditStore, checkpoints: readonly Checkpoint[] = []): Promise<string[]> {
  const problems: string[] = [];
  await verifyAuditChain(store, { checkpoints, onProblem: (line) => problems.push(line), pageSize: 7 });
  return problems;
}

const CONTENT_COLUMNS = [
  'event_id', 'occurred_at', 'action', 'dicom_event_id', 'dicom_event_type_code', 'outcome', 'actor_kind', 'actor_id', 'actor_login', 'actor_name',
  'actor_roles', 'source_address', 'source_user_agent', 'break_glass', 'maintenance_session_id', 'objects_json', 'detail_json', 'prev_hash', 'hash',
] as const;

/** Moves the whole content of event `a` to position `b` and back: the rows keep their seq. */
async function swapEvents(db: Database, a: number, b: number): Promise<void> {
  const rowA = await db.kysely.selectFrom('audit_events').selectAll().where('seq', '=', a).executeTakeFirstOrThrow();
  const rowB = await db.kysely.selectFrom('audit_events').selectAll().where('seq', '=', b).executeTakeFirstOrThrow();
  const contentOf = (row: typeof rowA) => Object.fromEntries(CONTENT_COLUMNS.map((c) => [c, c === 'event_id' ? `${row[c]}-moving` : row[c]]));
  await db.kysely.updateTable('audit_events').set(contentOf(rowB)).where('seq', '=', a).execute();
  await db.kysely.updateTable('audit_events').set({ ...contentOf(rowA), event_id: rowA.event_id }).where('seq', '=', b).execute();
  await db.kysely.updateTable('audit_events').set({ event_id: rowB.event_id }).where('seq', '=', a).execute();
}

async function deleteEvents(db: Database, fromSeq: number, toSeq: number): Promise<void> {
  await db.kysely.deleteFrom('audit_event_objects').where('seq', '>=', fromSeq).where('seq', '<=', toSeq).execute();
  await db.kysely.deleteFrom('audit_events').where('seq', '>=', fromSeq).where('seq', '<=', toSeq).execute();
}

for (const { dialect, skip } of await testDialects()) {
  describe(`audit chain (${dialect})`, { skip }, () => {
    let t: TestDatabase;
    let store: SqlAuditStore;
    let trail: AuditTrail;
    const keys = testKeys();

    const fill = async (count: number): Promise<void> => {
      for (let i = 1; i <= count; i++) await trail.record(sampleEvent(i));
    };

    beforeEach(async () => {
      t = await createTestDatabase(dialect);
      store = createSqlAuditStore(t.db, { clock: steppingClock() });
      trail = new AuditTrail({ store, clock: steppingClock(), logger: silentLogger() });
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('chains events from seq 1, each hash over its predecessor, and verifies clean', async () => {
      await fill(30);
      const events = await store.readFrom(1, 100);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.equal(events[0]?.prevHash, '0'.repeat(64));
      for (const [i, event] of events.entries()) {
        if (i > 0) assert.equal(event.prevHash, events[i - 1]?.hash);
        assert.equal(chainHash(event.prevHash, event), event.hash);
      }
      assert.deepEqual(await store.head(), { seq: 30, hash: events[29]?.hash });
      assert.deepEqual(await problemsOf(store), []);
      // The search rows point at each event's patient and study.
      const found = await t.db.kysely.selectFrom('audit_event_objects').selectAll().where('study_instance_uid', '=', '1.2.392.200036.9116.2.17').execute();
      assert.deepEqual(found.map((r) => [Number(r.seq), r.patient_id]), [[17, 'PID-2']]);
    });

    it('reads back exactly what was appended (names and roles as snapshots)', async () => {
      const appended = await trail.record(sampleEvent(4));
      const [stored] = await store.readFrom(1, 1);
      assert.deepEqual(stored, appended);
      assert.deepEqual(recordOfRow(await t.db.kysely.selectFrom('audit_events').selectAll().executeTakeFirstOrThrow()), appended);
    });

    it('keeps seq contiguous under concurrent appends', async () => {
      await Promise.all(Array.from({ length: 25 }, (_, i) => trail.record(sampleEvent(i))));
      const events = await store.readFrom(1, 100);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 25 }, (_, i) => i + 1));
      assert.deepEqual(await problemsOf(store), []);
    });

    it('commits an event with its change, and rolls it back with it', async () => {
      const index = createInstanceIndex(t.db);
      const instance = fakeInstance();
      await index.record(instance, { inTransaction: (trx) => store.sinkFor(trx).append({ ...sampleEvent(1), action: 'store' }) });
      await assert.rejects(
        index.record(fakeInstance(), {
          inTransaction: async (trx) => {
            await store.appendInTransaction(trx, { ...sampleEvent(2), action: 'store' });
            throw new Error('the change fails after its event was appended');
          },
        }),
      );
      const events = await store.readFrom(1, 10);
      assert.deepEqual(events.map((e) => [e.seq, e.action]), [[1, 'store']]);
      assert.equal(await index.countInstances(), 1);
    });

    it('refuses UPDATE and DELETE of an event (append-only triggers)', async () => {
      await fill(2);
      await assert.rejects(t.db.kysely.updateTable('audit_events').set({ source_address: 'x' }).where('seq', '=', 1).execute());
      await assert.rejects(t.db.kysely.deleteFrom('audit_events').where('seq', '=', 2).execute());
    });

    describe('tampering', () => {
      beforeEach(async () => {
        await fill(30);
        await dropAuditAppendOnlyTriggers(t.db);
      });

      it('an edited column: "event 17 changed"', async () => {
        await t.db.kysely.updateTable('audit_events').set({ source_address: '203.0.113.66' }).where('seq', '=', 17).execute();
        assert.deepEqual(await problemsOf(store), ['audit: event 17 changed']);
      });

      it('an edited actor or object: "changed"', async () => {
        await t.db.kysely.updateTable('audit_events').set({ actor_name: '別人' }).where('seq', '=', 5).execute();
        await t.db.kysely.updateTable('audit_events').set({ objects_json: '[]' }).where('seq', '=', 9).execute();
        await t.db.kysely.updateTable('audit_events').set({ actor_login: 'ghost' }).where('seq', '=', 10).execute();
        assert.deepEqual(await problemsOf(store), ['audit: event 5 changed', 'audit: event 9 changed', 'audit: event 10 changed']);
      });

      it('a deleted event: "event 18 removed"', async () => {
        await deleteEvents(t.db, 18, 18);
        assert.deepEqual(await problemsOf(store), ['audit: event 18 removed']);
      });

      it('two events swapped: "events 20..21 reordered"', async () => {
        await swapEvents(t.db, 20, 21);
        assert.deepEqual(await problemsOf(store), ['audit: events 20..21 reordered']);
      });

      it('a truncated tail: found only against a checkpoint', async () => {
        const checkpoint = signCheckpoint((await store.head())!, '2024-05-01T10:00:00.000Z', keys.signing);
        await deleteEvents(t.db, 26, 30);
        assert.deepEqual(await problemsOf(store), [], 'the shortened chain is consistent in itself');
        assert.deepEqual(await problemsOf(store, [checkpoint]), ['audit: chain truncated after 25 (checkpoint has 30)']);
      });

      it('a rewritten chain (hashes recomputed after an edit): found against the outside checkpoint', async () => {
        const checkpoint = signCheckpoint((await store.head())!, '2024-05-01T10:00:00.000Z', keys.signing);
        await t.db.kysely.updateTable('audit_events').set({ source_address: '203.0.113.66' }).where('seq', '=', 17).execute();
        let previous = (await store.readFrom(16, 1))[0]!.hash;
        for (const event of await store.readFrom(17, 100)) {
          const hash = chainHash(previous, event);
          await t.db.kysely.updateTable('audit_events').set({ prev_hash: previous, hash }).where('seq', '=', event.seq).execute();
          previous = hash;
        }
        assert.deepEqual(await problemsOf(store), [], 'the rewritten chain is consistent in itself');
        assert.deepEqual(await problemsOf(store, [checkpoint]), [
          'audit: event 30 differs from the checkpoint of 2024-05-01T10:00:00.000Z (chain rewritten at or before 30)',
        ]);
      });

      it('a forged checkpoint signature is refused', async () => {
        const genuine = signCheckpoint((await store.head())!, '2024-05-01T10:00:00.000Z', keys.signing);
        const forged = { ...genuine, seq: 29, hash: (await store.readFrom(29, 1))[0]!.hash };
        const text = `${JSON.stringify(genuine)}\n${JSON.stringify(forged)}\n`;
        const parsed = parseCheckpoints(text, keys.verifying, 'checkpoints.jsonl');
        assert.deepEqual(parsed.valid, [genuine]);
        assert.deepEqual(parsed.problems, ['checkpoint checkpoints.jsonl:2 (event 29) has an invalid signature']);
        const other = testKeys();
        assert.deepEqual(parseCheckpoints(text, other.verifying, 'f').problems.length, 2, 'checkpoints of another key are not accepted');
      });
    });
  });
}

describe('audit trail health', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('sqlite');
  });
  after(async () => {
    await t.dispose();
  });

  it('rejects the access and reports unhealthy when the event cannot be written, then recovers', async () => {
    const store = createSqlAuditStore(t.db, { clock: steppingClock() });
    let failing = true;
    const flaky: SqlAuditStore = { ...store, append: (draft) => (failing ? Promise.reject(new Error('disk I/O error')) : store.append(draft)) };
    const trail = new AuditTrail({ store: flaky, clock: steppingClock(), logger: silentLogger() });
    assert.equal(trail.healthy(), true);
    await assert.rejects(trail.record(sampleEvent(1)), (cause: unknown) => (cause as { kakutei?: { code?: string } }).kakutei?.code === 'AUDIT_UNAVAILABLE');
    assert.equal(trail.healthy(), false);
    assert.equal(trail.lastErrorCode(), 'AUDIT_UNAVAILABLE');
    failing = false;
    await trail.record(sampleEvent(2));
    assert.equal(trail.healthy(), true);
    assert.equal(trail.lastErrorCode(), null);
  });
});
