/**
 * The ingest core with real parts — filesystem store in a temporary directory, index on SQLite and
 * on PostgreSQL — for everything that must be stored: plain objects, retries (same bytes, other
 * bytes), study/patient mix-ups, value faults, Japanese names, lossy objects.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { el, encodeDataset, IMPLICIT_LE } from '../dicom/dataset/dataset-fixtures.js';
import { readFileMeta } from '../dicom/part10/index.js';
import type { Result } from '../errors/index.js';
import { testDialects } from '../index/testing/test-databases.js';
import { ingestSuite } from '../testing/ingest-suite.js';
import type { IngestResult } from './ingest-service.js';
import type { InstanceIndex, RecordOutcome } from './ports.js';
import {
  CT_IMAGE_STORAGE,
  H31_DECODED,
  H31_PATIENT_NAME,
  SHIFT_JIS_YAMADA_TAROU,
  TAG,
  TRANSFER_SYNTAX,
  ctDataset,
  ctElements,
  encapsulatedPixelData,
  newUid,
} from './testing/ingest-datasets.js';
import { nodeFsOps } from '../storage/index.js';
import { recordingFsOps } from '../storage/fs/testing/recording-fs-ops.js';
import { RECEIVED_AT, TEST_IMPLEMENTATION, createIngestHarness, dimseRequest, fileMetaValues, sendObject } from './testing/ingest-harness.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function valueOf(result: Result<IngestResult>): IngestResult {
  if (!result.ok) assert.fail(`expected the object to be stored, got ${JSON.stringify(result.error)}`);
  return result.value;
}

function storedOutcome(result: Result<IngestResult>): Extract<RecordOutcome, { kind: 'stored' }> {
  const { outcome } = valueOf(result);
  if (outcome.kind !== 'stored') assert.fail(`expected outcome stored, got ${JSON.stringify(outcome)}`);
  return outcome;
}

for (const { dialect, skip } of await testDialects()) {
  describe(`ingest — objects that are stored (${dialect})`, { skip }, () => {
    const suite = ingestSuite(dialect);

    it('stores the dataset bit for bit under its SHA-256 behind our file meta group, and indexes it', async () => {
      const sopInstanceUid = newUid();
      const studyInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, studyInstanceUid, patientId: 'PID-STORED' });
      const filesBefore = (await suite.harness.objectFiles()).length;

      const result = valueOf(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset));
      assert.equal(result.outcome.kind, 'stored');
      assert.equal(result.sopInstanceUid, sopInstanceUid);
      assert.equal(result.studyInstanceUid, studyInstanceUid);
      assert.equal(result.patientId, 'PID-STORED');
      assert.deepEqual(result.faults, []);

      const key = sha256(dataset);
      const file = await suite.harness.readObject(key);
      const meta = readFileMeta(file);
      assert.ok(meta.ok, 'a readable Part 10 file');
      assert.deepEqual(file.subarray(meta.value.datasetOffset), Buffer.from(dataset), 'dataset bytes as sent');
      assert.equal(meta.value.transferSyntaxUid, TRANSFER_SYNTAX.explicitLittle);
      assert.equal(meta.value.sopClassUid, CT_IMAGE_STORAGE);
      assert.equal(meta.value.sopInstanceUid, sopInstanceUid);
      assert.equal(meta.value.preamble, 'zero');
      const metaValues = fileMetaValues(file);
      assert.equal(metaValues.get(0x0012), TEST_IMPLEMENTATION.classUid, 'Implementation Class UID');
      assert.equal(metaValues.get(0x0013), TEST_IMPLEMENTATION.versionName, 'Implementation Version Name');
      assert.equal(metaValues.get(0x0016), 'MODALITY1', 'Source Application Entity Title');
      assert.deepEqual(await suite.harness.tempFiles(), [], 'nothing left in tmp/');
      assert.equal((await suite.harness.objectFiles()).length, filesBefore + 1);

      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.ok(row !== null);
      assert.equal(row.sha256, key);
      assert.equal(row.objectKey, key);
      assert.equal(row.datasetBytes, dataset.length);
      assert.equal(row.fileBytes, file.length);
      assert.equal(row.transferSyntaxUid, TRANSFER_SYNTAX.explicitLittle);
      assert.equal(row.sopClassUid, CT_IMAGE_STORAGE);
      assert.equal(row.receivedAt, RECEIVED_AT.toISOString());
      assert.deepEqual(row.source, { via: 'dimse', callingAeTitle: 'MODALITY1', calledAeTitle: 'KAKUTEI', peerAddress: '192.0.2.10' });
      assert.equal(row.instanceNumber, 12);
      assert.equal(row.rows, 4);
      assert.equal(row.bitsStored, 12);
      assert.equal(row.lossy, false);
      assert.equal(row.hasFaults, false);
      assert.equal(row.series.modality, 'CT');
      assert.equal(row.series.seriesDescription, 'AXIAL 5mm');
      assert.equal(row.study.studyInstanceUid, studyInstanceUid);
      assert.equal(row.study.studyDate, '20240131');
      assert.equal(row.study.accessionNumber, 'ACC001');
      assert.equal(row.study.patient.patientId, 'PID-STORED');
      assert.deepEqual(row.study.patient.patientName, { alphabetic: 'Doe^John', ideographic: '', phonetic: '' });
    });

    it('indexes the PS3.5 H.3.1 Japanese name (ISO 2022 IR 87) in its three component groups', async () => {
      const sopInstanceUid = newUid();
      const elements = ctElements({
        sopInstanceUid,
        patientId: 'PID-H31',
        elements: [el(TAG.SpecificCharacterSet, 'CS', '\\ISO 2022 IR 87'), el(TAG.PatientName, 'PN', H31_PATIENT_NAME), el(0x00080090, 'PN', H31_PATIENT_NAME)],
      });
      const dataset = encodeDataset(elements, IMPLICIT_LE);
      // Pieces of 1 and 3 bytes split the escape sequences across writes.
      const result = valueOf(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid, transferSyntaxUid: TRANSFER_SYNTAX.implicitLittle }), dataset, [1, 3, 2, 5]));
      assert.deepEqual(result.faults, []);
      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.ok(row !== null);
      assert.equal(row.specificCharacterSet, '\\ISO 2022 IR 87');
      assert.deepEqual(row.study.patient.patientName, H31_DECODED);
      assert.deepEqual(row.headerPatient.patientName, H31_DECODED);
      assert.deepEqual(row.study.referringPhysicianName, H31_DECODED);
      const file = await suite.harness.readObject(row.objectKey);
      const meta = readFileMeta(file);
      assert.ok(meta.ok);
      assert.equal(meta.value.transferSyntaxUid, TRANSFER_SYNTAX.implicitLittle);
      assert.deepEqual(file.subarray(meta.value.datasetOffset), Buffer.from(dataset));
    });

    it('answers duplicate for the same bytes again: one row, one file', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid });
      const first = storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset));
      const files = await suite.harness.objectFiles();
      const rows = await suite.index.countInstances();

      // Other piece sizes: the key depends on the bytes, not on how they arrived.
      const again = valueOf(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset, [7, 1000]));
      assert.deepEqual(again.outcome, { kind: 'duplicate', instanceId: first.instanceId });
      assert.deepEqual(await suite.harness.objectFiles(), files, 'no second file');
      assert.equal(await suite.index.countInstances(), rows, 'no second row');
      assert.deepEqual(await suite.harness.tempFiles(), []);
    });

    it('indexes an object left durable but unindexed with the size of the file stored first, when it comes again with another file meta group', async () => {
      // The first attempt's index commit fails after its file is durable (not acknowledged); the
      // sender retries from an AE title of another length, so the new file meta group would be
      // longer than the stored file's: the row must give what is on disk.
      let failNext = true;
      const flaky: InstanceIndex = {
        record: (instance, request) => {
          if (!failNext) return suite.index.record(instance, request);
          failNext = false;
          return Promise.reject(new Error('index unavailable'));
        },
        check: () => suite.index.check(),
        close: () => Promise.resolve(),
      };
      const harness = await createIngestHarness(flaky);
      try {
        const sopInstanceUid = newUid();
        const dataset = ctDataset({ sopInstanceUid });
        const refused = await sendObject(harness.ingest, dimseRequest({ sopInstanceUid, callingAeTitle: 'CT1' }), dataset);
        assert.ok(!refused.ok && refused.error.code === 'INDEX_UNAVAILABLE');
        const [stored] = await harness.objectFiles();
        assert.ok(stored !== undefined, 'the file of the unacknowledged attempt is durable');
        const storedBytes = (await harness.readObject(sha256(dataset))).length;

        storedOutcome(await sendObject(harness.ingest, dimseRequest({ sopInstanceUid, callingAeTitle: 'CT_SCANNER_ROOM_2' }), dataset));
        const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
        assert.equal(row?.fileBytes, storedBytes);
        assert.deepEqual(await harness.objectFiles(), [stored], 'no second file');
        assert.deepEqual(await harness.tempFiles(), []);
      } finally {
        await harness.dispose();
      }
    });

    for (const failing of ['syncData', 'link', 'fsyncDirectory'] as const) {
      it(`answers STORAGE_IO and indexes nothing when ${failing} fails, while objects arriving with it are stored`, async () => {
        // The index rows are written while the objects are flushed: the one whose object does not
        // become durable must leave no row, and its neighbours in the same commit must not suffer.
        const recorder = recordingFsOps(nodeFsOps());
        const harness = await createIngestHarness(suite.index, { fsOps: recorder.ops });
        try {
          const studyInstanceUid = newUid();
          const uids = [newUid(), newUid(), newUid()];
          recorder.failNext(failing, 'EIO', failing === 'fsyncDirectory' ? 'sha256' : undefined);
          const results = await Promise.all(uids.map((sopInstanceUid) => sendObject(harness.ingest, dimseRequest({ sopInstanceUid }), ctDataset({ sopInstanceUid, studyInstanceUid }))));
          const refused = results.flatMap((result, i) => (result.ok ? [] : [{ uid: uids[i]!, code: result.error.code }]));
          assert.equal(refused.length, 1, JSON.stringify(results.map((r) => (r.ok ? r.value.outcome.kind : r.error.code))));
          assert.equal(refused[0]!.code, 'STORAGE_IO');
          for (const [i, result] of results.entries()) {
            const row = await suite.index.getInstanceBySopInstanceUid(uids[i]!);
            assert.equal(row !== null, result.ok, `${uids[i]} is indexed exactly when it was acknowledged`);
          }
          assert.deepEqual(await harness.tempFiles(), []);
        } finally {
          await harness.dispose();
        }
      });
    }

    it('keeps other bytes under the same SOP Instance UID apart as a conflict; the first stays current', async () => {
      const sopInstanceUid = newUid();
      const studyInstanceUid = newUid();
      const seriesInstanceUid = newUid();
      const original = ctDataset({ sopInstanceUid, studyInstanceUid, seriesInstanceUid, patientId: 'PID-CONFLICT' });
      const altered = ctDataset({ sopInstanceUid, studyInstanceUid, seriesInstanceUid, patientId: 'PID-CONFLICT', elements: [el(0x0008103e, 'LO', 'RESENT AFTER EDIT')] });
      const first = storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), original));
      const rows = await suite.index.countInstances();

      const second = valueOf(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), altered));
      assert.equal(second.outcome.kind, 'conflict');
      assert.ok(second.outcome.kind === 'conflict');
      assert.equal(second.outcome.currentInstanceId, first.instanceId);
      assert.equal(await suite.index.countInstances(), rows);

      const current = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.equal(current?.sha256, sha256(original), 'the first object stays current');
      assert.equal(current?.series.seriesDescription, 'AXIAL 5mm');
      const conflicts = (await suite.index.listConflicts()).filter((c) => c.sopInstanceUid === sopInstanceUid);
      assert.equal(conflicts.length, 1);
      assert.equal(conflicts[0]?.id, second.outcome.conflictId);
      assert.equal(conflicts[0]?.sha256, sha256(altered));
      assert.equal(conflicts[0]?.callingAeTitle, 'MODALITY1');
      // Both files exist, each with its own bytes: nothing was overwritten.
      const firstFile = await suite.harness.readObject(sha256(original));
      const secondFile = await suite.harness.readObject(conflicts[0]?.objectKey ?? '');
      assert.ok(firstFile.subarray(firstFile.length - original.length).equals(original));
      assert.ok(secondFile.subarray(secondFile.length - altered.length).equals(altered));
    });

    it('stores an object of a known study under another Patient ID, flagged as a possible mix-up (混同)', async () => {
      const studyInstanceUid = newUid();
      const firstUid = newUid();
      const secondUid = newUid();
      storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid: firstUid }), ctDataset({ sopInstanceUid: firstUid, studyInstanceUid, patientId: 'PID-A' })));
      const second = storedOutcome(
        await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid: secondUid }), ctDataset({ sopInstanceUid: secondUid, studyInstanceUid, patientId: 'PID-B' })),
      );
      assert.deepEqual(second.flags, ['patient-mismatch']);
      const mismatch = (await suite.index.listPatientMismatches()).filter((m) => m.sopInstanceUid === secondUid);
      assert.equal(mismatch.length, 1);
      assert.equal(mismatch[0]?.studyInstanceUid, studyInstanceUid);
      assert.equal(mismatch[0]?.expectedPatientId, 'PID-A');
      assert.equal(mismatch[0]?.receivedPatientId, 'PID-B');
      const row = await suite.index.getInstanceBySopInstanceUid(secondUid);
      assert.equal(row?.study.patient.patientId, 'PID-A', 'filed under the study as it was, never moved');
      assert.equal(row?.headerPatient.patientId, 'PID-B', 'what the object says is kept');
    });

    it('never loses an image over a bad value: a date 20231345 and invalid bytes in a name are stored and listed', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({
        sopInstanceUid,
        elements: [el(TAG.SpecificCharacterSet, 'CS', 'ISO_IR 192'), el(TAG.StudyDate, 'DA', '20231345'), el(TAG.PatientName, 'PN', Uint8Array.from([0x41, 0xc3, 0x5e, 0x42]))],
      });
      const stored = storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset));
      assert.deepEqual(stored.flags, ['attribute-faults']);
      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.ok(row !== null);
      assert.equal(row.hasFaults, true);
      assert.equal(row.study.studyDate, '20231345', 'kept as received');
      assert.equal(row.study.patient.patientName?.alphabetic, 'A\ufffd^B');
      const listed = (await suite.index.listInstancesWithFaults()).find((i) => i.sopInstanceUid === sopInstanceUid);
      assert.ok(listed !== undefined, 'listed for inspection');
      assert.deepEqual(listed.faults.map((f) => `${f.code} ${f.tag ?? ''}`).sort(), ['CHARSET_INVALID_BYTES (0010,0010)', 'DATE_INVALID (0008,0020)']);
      for (const fault of listed.faults) assert.doesNotMatch(fault.message, /20231345/, 'the value itself is not in the message');
      assert.ok((await suite.harness.readObject(row.objectKey)).length > dataset.length);
    });

    it('stores invalid JIS bytes in an ISO 2022 IR 87 name, flagged', async () => {
      const sopInstanceUid = newUid();
      // ESC $ B then the pair 0x29 0x21: row 9 of JIS X 0208 is unassigned. 22 bytes, even.
      const brokenJis = Uint8Array.from(Buffer.from('Yamada^Tarou=\x1b$B\x29\x21\x1b(B ', 'latin1'));
      const dataset = ctDataset({ sopInstanceUid, elements: [el(TAG.SpecificCharacterSet, 'CS', '\\ISO 2022 IR 87'), el(TAG.PatientName, 'PN', brokenJis)] });
      const stored = storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset));
      assert.deepEqual(stored.flags, ['attribute-faults']);
      const listed = (await suite.index.listInstancesWithFaults()).find((i) => i.sopInstanceUid === sopInstanceUid);
      assert.deepEqual(listed?.faults.map((f) => `${f.code} ${f.tag ?? ''}`), ['CHARSET_INVALID_BYTES (0010,0010)']);
      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.deepEqual(row?.study.patient.patientName, { alphabetic: 'Yamada^Tarou', ideographic: '\ufffd', phonetic: '' });
    });

    it('decodes undeclared Shift_JIS with the fallback character set of the calling AE only', async () => {
      const fallback = suite.harness.service({ fallbackCharsetFor: (source) => (source.callingAeTitle === 'SJIS_CR' ? 'shift_jis' : null) });
      const fromSjis = newUid();
      const fromOther = newUid();
      const dataset = (uid: string) => ctDataset({ sopInstanceUid: uid, without: [TAG.SpecificCharacterSet], elements: [el(TAG.PatientName, 'PN', SHIFT_JIS_YAMADA_TAROU)] });
      valueOf(await sendObject(fallback, dimseRequest({ sopInstanceUid: fromSjis, callingAeTitle: 'SJIS_CR' }), dataset(fromSjis)));
      valueOf(await sendObject(fallback, dimseRequest({ sopInstanceUid: fromOther, callingAeTitle: 'OTHER_CT' }), dataset(fromOther)));

      const decoded = await suite.index.getInstanceBySopInstanceUid(fromSjis);
      assert.equal(decoded?.study.patient.patientName?.alphabetic, '山田^太郎');
      assert.equal(decoded?.specificCharacterSet, null);
      assert.ok(decoded?.faults.some((f) => f.code === 'CHARSET_UNDECLARED'), 'the missing declaration is still flagged');
      const undecoded = await suite.index.getInstanceBySopInstanceUid(fromOther);
      assert.notEqual(undecoded?.study.patient.patientName?.alphabetic, '山田^太郎', 'no fallback for another AE');
      assert.equal(undecoded?.hasFaults, true);
    });

    it('flags a JPEG Baseline object as lossy', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, elements: [el(0x00280004, 'CS', 'YBR_FULL_422'), encapsulatedPixelData(Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0xff, 0xd9]))] });
      const stored = storedOutcome(await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid, transferSyntaxUid: TRANSFER_SYNTAX.jpegBaseline }), dataset));
      assert.ok(stored.flags.includes('lossy'));
      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.equal(row?.lossy, true);
      assert.equal(row?.transferSyntaxUid, TRANSFER_SYNTAX.jpegBaseline);
      const file = await suite.harness.readObject(row?.objectKey ?? '');
      const meta = readFileMeta(file);
      assert.ok(meta.ok);
      assert.equal(meta.value.transferSyntaxUid, TRANSFER_SYNTAX.jpegBaseline);
    });
  });
}
