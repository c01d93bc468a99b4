import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordOutcome } from '../ingest/ports.js';
import { sql } from 'kysely';
import { draftOf } from '../audit/record.js';
import { sampleEvent, steppingClock } from '../audit/testing/sample-events.js';
import { createSqlAuditStore } from './audit-store.js';
import { createInstanceIndex, type SqlInstanceIndex } from './instance-index.js';
import { IndexError } from './index-error.js';
import { fakeInstance, testUid } from './testing/fake-instance.js';
import { createTestDatabase, testDialects, type TestDatabase } from './testing/test-databases.js';

/** Polls `condition` (every 10 ms, at most 10 s). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail('condition not met within 10 s');
}

function assertStored(outcome: RecordOutcome): Extract<RecordOutcome, { kind: 'stored' }> {
  if (outcome.kind !== 'stored') assert.fail(`expected stored, got ${outcome.kind}`);
  return outcome;
}

for (const { dialect, skip } of await testDialects()) {
  describe(`instance index (${dialect})`, { skip }, () => {
    let t: TestDatabase;
    let index: SqlInstanceIndex;

    before(async () => {
      t = await createTestDatabase(dialect);
      index = createInstanceIndex(t.db);
    });
    after(async () => {
      await t.dispose();
    });

    it('stores a new instance with its patient, study and series', async () => {
      const instance = fakeInstance({
        attributes: { patientId: 'P-STORED', studyDate: '20240501', accessionNumber: 'ACC1', modality: 'CT', instanceNumber: ' 7 ', seriesNumber: '3' },
      });
      const outcome = assertStored(await index.record(instance));
      assert.deepEqual(outcome.flags, []);
      const found = await index.getInstanceBySopInstanceUid(instance.sopInstanceUid);
      assert.ok(found !== null);
      assert.equal(found.id, outcome.instanceId);
      assert.equal(typeof found.id, 'string');
      assert.equal(found.objectKey, instance.objectKey);
      assert.equal(found.sha256, instance.sha256);
      assert.equal(found.datasetBytes, instance.datasetBytes);
      assert.equal(found.receivedAt, '2024-05-01T09:30:00.000Z');
      assert.equal(found.instanceNumber, 7);
      assert.equal(found.series.seriesNumber, 3);
      assert.equal(found.series.modality, 'CT');
      assert.equal(found.study.studyInstanceUid, instance.attributes.studyInstanceUid);
      assert.equal(found.study.accessionNumber, 'ACC1');
      assert.equal(found.study.patient.patientId, 'P-STORED');
      assert.equal(found.study.patient.issuerOfPatientId, '');
      assert.deepEqual(found.source, instance.source);
      assert.equal(found.recordVersionId, null);
      assert.equal(await index.getInstanceBySopInstanceUid(testUid()), null);
    });

    it('answers duplicate for the same SOP Instance UID with the same bytes', async () => {
      const instance = fakeInstance();
      const stored = assertStored(await index.record(instance));
      const before = await index.countInstances();
      assert.deepEqual(await index.record(instance), { kind: 'duplicate', instanceId: stored.instanceId });
      assert.equal(await index.countInstances(), before);
    });

    it('keeps different bytes under the same SOP Instance UID apart as a conflict', async () => {
      const first = fakeInstance({ contentSeed: 'original' });
      const stored = assertStored(await index.record(first));
      const resend = fakeInstance({
        sopInstanceUid: first.sopInstanceUid,
        contentSeed: 'altered',
        attributes: { ...first.attributes, patientId: 'SOMEONE-ELSE' },
        faults: [{ code: 'DATE_INVALID', tag: '(0008,0020)', message: 'Study Date is not a valid DA' }],
      });
      const outcome = await index.record(resend);
      assert.equal(outcome.kind, 'conflict');
      assert.ok(outcome.kind === 'conflict');
      assert.equal(outcome.currentInstanceId, stored.instanceId);
      // The same altered bytes again are the same conflict, not a second one.
      assert.deepEqual(await index.record(resend), outcome);
      const current = await index.getInstanceBySopInstanceUid(first.sopInstanceUid);
      assert.equal(current?.sha256, first.sha256, 'the first object stays current');
      const conflicts = (await index.listConflicts()).filter((c) => c.sopInstanceUid === first.sopInstanceUid);
      assert.equal(conflicts.length, 1);
      assert.equal(conflicts[0]!.id, outcome.conflictId);
      assert.equal(conflicts[0]!.sha256, resend.sha256);
      assert.equal(conflicts[0]!.resolvedAt, null);
      assert.deepEqual(conflicts[0]!.faults, resend.faults);
    });

    it('flags a study arriving with another patient as a possible mix-up and keeps the header identity', async () => {
      const studyInstanceUid = testUid();
      const first = fakeInstance({ attributes: { studyInstanceUid, patientId: 'P-A', patientName: { alphabetic: 'A^A', ideographic: '', phonetic: '' } } });
      assertStored(await index.record(first));
      const second = fakeInstance({
        attributes: { studyInstanceUid, patientId: 'P-B', issuerOfPatientId: 'HOSP', patientName: { alphabetic: 'B^B', ideographic: '', phonetic: '' } },
      });
      const outcome = assertStored(await index.record(second));
      assert.deepEqual(outcome.flags, ['patient-mismatch']);
      const found = await index.getInstanceBySopInstanceUid(second.sopInstanceUid);
      assert.equal(found?.study.patient.patientId, 'P-A', 'the study is not moved');
      assert.equal(found?.headerPatient.patientId, 'P-B');
      assert.equal(found?.headerPatient.issuerOfPatientId, 'HOSP');
      assert.equal(found?.headerPatient.patientName?.alphabetic, 'B^B');
      const mismatches = (await index.listPatientMismatches()).filter((m) => m.studyInstanceUid === studyInstanceUid);
      assert.equal(mismatches.length, 1);
      assert.deepEqual(
        { ...mismatches[0]!, id: '' },
        {
          id: '',
          studyInstanceUid,
          sopInstanceUid: second.sopInstanceUid,
          expectedPatientId: 'P-A',
          expectedIssuerOfPatientId: '',
          receivedPatientId: 'P-B',
          receivedIssuerOfPatientId: 'HOSP',
          detectedAt: '2024-05-01T09:30:00.000Z',
          resolvedAt: null,
        },
      );
    });

    it('keeps the first patient names and study attributes (first wins)', async () => {
      const studyInstanceUid = testUid();
      const patientId = `P-FIRST-${testUid().slice(-6)}`;
      await index.record(fakeInstance({ attributes: { studyInstanceUid, patientId, accessionNumber: 'FIRST', patientName: { alphabetic: 'FIRST', ideographic: '', phonetic: '' } } }));
      const later = fakeInstance({ attributes: { patientId, accessionNumber: 'SECOND', studyInstanceUid, patientName: { alphabetic: 'SECOND', ideographic: '', phonetic: '' } } });
      assert.deepEqual(assertStored(await index.record(later)).flags, []);
      const study = await index.getStudy(studyInstanceUid);
      assert.equal(study?.accessionNumber, 'FIRST');
      assert.equal(study?.patient.patientName?.alphabetic, 'FIRST');
    });

    it('never merges patients without a Patient ID', async () => {
      const a = fakeInstance({ attributes: { patientId: null } });
      const b = fakeInstance({ attributes: { patientId: null } });
      await index.record(a);
      await index.record(b);
      const studyA = await index.getStudy(a.attributes.studyInstanceUid!);
      const studyB = await index.getStudy(b.attributes.studyInstanceUid!);
      assert.equal(studyA?.patient.patientId, null);
      assert.notEqual(studyA?.patient.id, studyB?.patient.id);
    });

    it('stores faults and lossy flags and lists instances with faults', async () => {
      const faults = [
        { code: 'DATE_INVALID', tag: '(0008,0020)', message: 'Study Date is not a valid DA' },
        { code: 'CHARSET_INVALID_BYTES', tag: null, message: 'Invalid bytes for the declared character set' },
      ];
      const instance = fakeInstance({ faults, lossy: true, attributes: { lossyImageCompressionRatio: '10', lossyImageCompressionMethod: 'ISO_10918_1' } });
      const outcome = assertStored(await index.record(instance));
      assert.deepEqual(outcome.flags, ['lossy', 'attribute-faults']);
      const found = await index.getInstanceBySopInstanceUid(instance.sopInstanceUid);
      assert.equal(found?.lossy, true);
      assert.equal(found?.hasFaults, true);
      assert.equal(found?.lossyImageCompressionRatio, '10');
      assert.deepEqual(found?.faults, faults);
      const listed = (await index.listInstancesWithFaults()).find((i) => i.sopInstanceUid === instance.sopInstanceUid);
      assert.deepEqual(listed?.faults, faults);
      assert.equal(listed?.studyInstanceUid, instance.attributes.studyInstanceUid);
    });

    it('stores per-frame geometry of an enhanced multi-frame object', async () => {
      const framePositions = Array.from({ length: 600 }, (_, i) => ({
        imagePositionPatient: [-125.5, -130, i * 1.25],
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      }));
      const instance = fakeInstance({ attributes: { numberOfFrames: 600, framePositions, imagePositionPatient: [1e-7, -0.5, 3] } });
      assertStored(await index.record(instance));
      const found = await index.getInstanceBySopInstanceUid(instance.sopInstanceUid);
      assert.equal(found?.frames.length, 600);
      assert.deepEqual(found?.frames[599], framePositions[599]);
      assert.deepEqual(found?.imagePositionPatient, [1e-7, -0.5, 3]);
    });

    it('round-trips Japanese names in all three component groups', async () => {
      const patientName = { alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' };
      const referringPhysicianName = { alphabetic: '', ideographic: '佐藤^花子', phonetic: 'サトウ^ハナコ' };
      const operatorsName = { alphabetic: 'Suzuki', ideographic: '鈴木', phonetic: 'すずき' };
      const instance = fakeInstance({
        attributes: { patientId: `JP-${testUid().slice(-8)}`, patientName, referringPhysicianName, operatorsName, studyDescription: '胸部単純撮影', specificCharacterSet: '\\ISO 2022 IR 87' },
      });
      await index.record(instance);
      const found = await index.getInstanceBySopInstanceUid(instance.sopInstanceUid);
      assert.deepEqual(found?.study.patient.patientName, patientName);
      assert.deepEqual(found?.headerPatient.patientName, patientName);
      assert.deepEqual(found?.study.referringPhysicianName, referringPhysicianName);
      assert.deepEqual(found?.series.operatorsName, operatorsName);
      assert.equal(found?.study.studyDescription, '胸部単純撮影');
      assert.equal(found?.specificCharacterSet, '\\ISO 2022 IR 87');
    });

    it('files a series already known under another study with that series, with a fault', async () => {
      const seriesInstanceUid = testUid();
      await index.record(fakeInstance({ attributes: { seriesInstanceUid } }));
      const stray = fakeInstance({ attributes: { seriesInstanceUid } });
      const outcome = assertStored(await index.record(stray));
      assert.deepEqual(outcome.flags, ['attribute-faults']);
      const found = await index.getInstanceBySopInstanceUid(stray.sopInstanceUid);
      assert.equal(found?.faults[0]?.code, 'SERIES_IN_OTHER_STUDY');
    });

    it('refuses an object without Study or Series Instance UID with UID_INVALID', async () => {
      await assert.rejects(index.record(fakeInstance({ attributes: { studyInstanceUid: null } })), (e: unknown) => e instanceof IndexError && e.kakutei.code === 'UID_INVALID');
    });

    it('runs the inTransaction seam inside the transaction, and rolls back with it', async () => {
      const instance = fakeInstance();
      const seen: string[] = [];
      await assert.rejects(
        index.record(instance, {
          inTransaction: async (trx, outcome) => {
            seen.push(outcome.kind);
            const visible = await trx.selectFrom('instances').select('id').where('sop_instance_uid', '=', instance.sopInstanceUid).executeTakeFirst();
            assert.ok(visible !== undefined, 'the seam sees the uncommitted row');
            throw new Error('audit trail unavailable');
          },
        }),
        IndexError,
      );
      assert.deepEqual(seen, ['stored']);
      assert.equal(await index.getInstanceBySopInstanceUid(instance.sopInstanceUid), null, 'nothing committed');
    });

    it('records many objects of one new study arriving concurrently without error', async () => {
      const studyInstanceUid = testUid();
      const seriesInstanceUid = testUid();
      const patientId = `P-RACE-${testUid().slice(-8)}`;
      const instances = Array.from({ length: 8 }, () => fakeInstance({ attributes: { studyInstanceUid, seriesInstanceUid, patientId } }));
      const outcomes = await Promise.all(instances.map((i) => index.record(i)));
      assert.deepEqual(outcomes.map((o) => o.kind), Array(8).fill('stored'));
      for (const outcome of outcomes) assert.deepEqual((outcome as { flags: unknown }).flags, []);
      const rows = await t.db.kysely.selectFrom('studies').select('id').where('study_instance_uid', '=', studyInstanceUid).execute();
      assert.equal(rows.length, 1);
      const series = await t.db.kysely.selectFrom('series').select('id').where('series_instance_uid', '=', seriesInstanceUid).execute();
      assert.equal(series.length, 1);
      const patients = await t.db.kysely.selectFrom('patients').select('id').where('patient_id', '=', patientId).execute();
      assert.equal(patients.length, 1);
    });

    it('answers stored once and duplicate otherwise when the same object arrives twice at once', async () => {
      const instance = fakeInstance();
      const outcomes = await Promise.all([index.record(instance), index.record(instance), index.record(instance)]);
      assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['duplicate', 'duplicate', 'stored']);
    });

    it('rejects only the failing record among records arriving together', async () => {
      const good = [fakeInstance(), fakeInstance()];
      const bad = fakeInstance({ attributes: { seriesInstanceUid: null } });
      const results = await Promise.allSettled([index.record(good[0]!), index.record(bad), index.record(good[1]!)]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const refused = results[1];
      assert.ok(refused?.status === 'rejected' && refused.reason instanceof IndexError && refused.reason.kakutei.code === 'UID_INVALID');
      for (const instance of good) assert.notEqual(await index.getInstanceBySopInstanceUid(instance.sopInstanceUid), null);
      assert.equal(await index.getInstanceBySopInstanceUid(bad.sopInstanceUid), null);
      // A failure after rows were written (here: in the seam) undoes that record's rows only.
      const late = fakeInstance();
      const neighbours = [fakeInstance(), fakeInstance()];
      const failing = index.record(late, { inTransaction: () => Promise.reject(new Error('audit trail unavailable')) });
      const settled = await Promise.allSettled([index.record(neighbours[0]!), failing, index.record(neighbours[1]!)]);
      assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal(await index.getStudy(late.attributes.studyInstanceUid!), null, 'nothing of the failed record remains');
      for (const instance of neighbours) assert.notEqual(await index.getInstanceBySopInstanceUid(instance.sopInstanceUid), null);
    });

    it('commits a record only once its commitAfter resolves, and nothing of it when that rejects', async () => {
      const order: string[] = [];
      let objectDurable: () => void = () => undefined;
      const waiting = fakeInstance();
      const recorded = index.record(waiting, { commitAfter: new Promise<void>((resolve) => (objectDurable = resolve)) }).then((outcome) => {
        order.push('recorded');
        return outcome;
      });
      // Give the transaction every chance to commit early.
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      order.push('durable');
      objectDurable();
      assertStored(await recorded);
      assert.deepEqual(order, ['durable', 'recorded']);
      assert.notEqual(await index.getInstanceBySopInstanceUid(waiting.sopInstanceUid), null);

      // Among records arriving together, only the one whose prerequisite fails is left out; it
      // rejects with that very reason (the caller's failure, not the index's).
      const flushFailed = new Error('EIO: fsync temporary file');
      const lost = fakeInstance();
      const neighbours = [fakeInstance(), fakeInstance()];
      const settled = await Promise.allSettled([
        index.record(neighbours[0]!, { commitAfter: Promise.resolve() }),
        index.record(lost, { commitAfter: new Promise((_, reject) => setImmediate(() => reject(flushFailed))) }),
        index.record(neighbours[1]!),
      ]);
      assert.deepEqual(settled.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal((settled[1] as PromiseRejectedResult).reason, flushFailed);
      assert.equal(await index.getInstanceBySopInstanceUid(lost.sopInstanceUid), null);
      assert.equal(await index.getStudy(lost.attributes.studyInstanceUid!), null, 'nothing of the failed record remains');
      for (const instance of neighbours) assert.notEqual(await index.getInstanceBySopInstanceUid(instance.sopInstanceUid), null);
    });

    it('does not hold the index for an object whose flush hangs: others commit meanwhile, it commits once durable', { timeout: 30_000 }, async () => {
      const patient = createInstanceIndex(t.db, { commitPatienceMs: 20 });
      let objectDurable: () => void = () => undefined;
      const slow = fakeInstance();
      const slowRecorded = patient.record(slow, { commitAfter: new Promise<void>((resolve) => (objectDurable = resolve)) });
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      const other = fakeInstance();
      assertStored(await patient.record(other));
      assert.notEqual(await patient.getInstanceBySopInstanceUid(other.sopInstanceUid), null);
      assert.equal(await patient.getInstanceBySopInstanceUid(slow.sopInstanceUid), null, 'not committed before its object is durable');
      objectDurable();
      assertStored(await slowRecorded);
      assert.notEqual(await patient.getInstanceBySopInstanceUid(slow.sopInstanceUid), null);
    });

    it('appends a record\'s audit event only once its object is durable; other appends go on meanwhile', { timeout: 20_000 }, async () => {
      const audit = createSqlAuditStore(t.db, { clock: steppingClock() });
      // Patience beyond the test's timeout: an append held by the flush would fail the test.
      const auditing = createInstanceIndex(t.db, { audit, commitPatienceMs: 60_000 });
      let objectDurable: () => void = () => undefined;
      const waiting = fakeInstance();
      const recorded = auditing.record(waiting, { commitAfter: new Promise<void>((resolve) => (objectDurable = resolve)), auditEvents: () => [sampleEvent(1)] });
      if (dialect === 'postgres') {
        // Once the record's transaction waits for its object, another writer of the audit chain
        // (a login, a query) is not held by the flush.
        await until(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction'`.execute(t.db.kysely)).rows[0]?.n === 1);
        await audit.append(draftOf(sampleEvent(2), { clock: steppingClock() }));
      }
      objectDurable();
      assertStored(await recorded);
      const events = await audit.readFrom(1, 100);
      assert.equal(events.length, dialect === 'postgres' ? 2 : 1);
      events.forEach((event, i) => {
        assert.equal(event.seq, i + 1);
        if (i > 0) assert.equal(event.prevHash, events[i - 1]!.hash, 'the chain stays whole');
      });
      assert.equal(events.at(-1)!.action, sampleEvent(1).action, 'the record\'s event comes last: appended once the object was durable');
    });

    it('answers check()', async () => {
      await index.check();
    });
  });
}
