/**
 * The ingest core at its limits, with real parts: headers longer than the in-memory buffer (read
 * back from the temporary file), headers longer than the configured maximum (refused), and many
 * objects of one new study arriving at once (as from several associations).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { el, encodeDataset } from '../dicom/dataset/dataset-fixtures.js';
import { readFileMeta } from '../dicom/part10/index.js';
import { testDialects } from '../index/testing/test-databases.js';
import { ingestSuite } from '../testing/ingest-suite.js';
import { ENHANCED_CT_IMAGE_STORAGE, ctDataset, multiFrameElements, newUid, patterned } from './testing/ingest-datasets.js';
import { dimseRequest, sendObject } from './testing/ingest-harness.js';

const KIB = 1024;
/** The smallest buffer the configuration allows (src/config/schema.ts), and a maximum four times it. */
const SMALL_HEADER_LIMITS = { headerBufferBytes: 64 * KIB, maxHeaderBytes: 256 * KIB } as const;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

for (const { dialect, skip } of await testDialects()) {
  describe(`ingest — limits (${dialect})`, { skip }, () => {
    const suite = ingestSuite(dialect);

    it('reads a header longer than the header buffer back from the temporary file: 4000 per-frame functional groups', async () => {
      // About 184 KiB of header: read back twice (128 KiB, then 256 KiB) after the 64 KiB buffer.
      const frames = 4000;
      const sopInstanceUid = newUid();
      const dataset = encodeDataset(multiFrameElements(frames, { sopInstanceUid }));
      const pixelDataOffset = dataset.length - frames * 8;
      assert.ok(pixelDataOffset > 2 * SMALL_HEADER_LIMITS.headerBufferBytes, `header of ${pixelDataOffset} bytes exceeds twice the buffer`);
      const service = suite.harness.service({ limits: SMALL_HEADER_LIMITS });

      const result = await sendObject(service, dimseRequest({ sopInstanceUid, sopClassUid: ENHANCED_CT_IMAGE_STORAGE }), dataset, [16 * KIB - 2, 5]);
      assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
      assert.equal(result.value.outcome.kind, 'stored');
      assert.deepEqual(result.value.faults, []);

      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.ok(row !== null);
      assert.equal(row.numberOfFrames, frames);
      assert.equal(row.frames.length, frames);
      assert.deepEqual(row.frames[0], { imagePositionPatient: [0, 0, 1], imageOrientationPatient: [1, 0, 0, 0, 1, 0] });
      assert.deepEqual(row.frames[2999], { imagePositionPatient: [0, 0, 3000], imageOrientationPatient: [1, 0, 0, 0, 1, 0] });
      assert.deepEqual(row.frames[frames - 1], { imagePositionPatient: [0, 0, frames], imageOrientationPatient: [1, 0, 0, 0, 1, 0] });
      assert.equal(row.sha256, sha256(dataset));
      const file = await suite.harness.readObject(row.objectKey);
      const meta = readFileMeta(file);
      assert.ok(meta.ok);
      assert.ok(file.subarray(meta.value.datasetOffset).equals(dataset));
      assert.deepEqual(await suite.harness.tempFiles(), []);
    });

    it('reads attributes that follow a large private element beyond the header buffer', async () => {
      // (0009,1010) OB of 150 KiB sits before Patient, Study and Series: all must be read from disk.
      // With 2 MiB of pixels the store has written part of the object and buffers the rest.
      for (const [rows, pieces] of [
        [4, [16 * KIB]],
        [1024, [16 * KIB, 1, 700 * KIB]],
      ] as const) {
        const sopInstanceUid = newUid();
        const dataset = ctDataset({
          sopInstanceUid,
          patientId: `PID-AFTER-BLOB-${rows}`,
          pixelBytes: rows * rows * 2,
          elements: [el(0x00091010, 'OB', patterned(150 * KIB)), el(0x00280010, 'US', [rows]), el(0x00280011, 'US', [rows])],
        });
        const result = await sendObject(suite.harness.service({ limits: SMALL_HEADER_LIMITS }), dimseRequest({ sopInstanceUid }), dataset, pieces);
        assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
        assert.deepEqual(result.value.faults, []);
        const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
        assert.equal(row?.study.patient.patientId, `PID-AFTER-BLOB-${rows}`);
        assert.equal(row?.rows, rows);
        assert.equal(row?.sha256, sha256(dataset));
        const file = await suite.harness.readObject(row?.objectKey ?? '');
        assert.ok(file.subarray(file.length - dataset.length).equals(dataset));
      }
      assert.deepEqual(await suite.harness.tempFiles(), []);
    });

    it('refuses a header longer than maxHeaderBytes, leaving nothing behind', async () => {
      const rows = await suite.index.countInstances();
      const files = await suite.harness.objectFiles();
      for (const dataset of [
        (uid: string) => ctDataset({ sopInstanceUid: uid, elements: [el(0x00091010, 'OB', patterned(300 * KIB))] }),
        (uid: string) => encodeDataset(multiFrameElements(7000, { sopInstanceUid: uid })),
      ]) {
        const sopInstanceUid = newUid();
        const result = await sendObject(suite.harness.service({ limits: SMALL_HEADER_LIMITS }), dimseRequest({ sopInstanceUid }), dataset(sopInstanceUid), [32 * KIB]);
        assert.ok(!result.ok, 'refused');
        assert.equal(result.error.code, 'DATASET_UNPARSEABLE');
        assert.match(result.error.detail ?? '', /maximum/, 'refused for its length, not its structure');
        assert.equal(await suite.index.getInstanceBySopInstanceUid(sopInstanceUid), null);
      }
      assert.equal(await suite.index.countInstances(), rows);
      assert.deepEqual(await suite.harness.objectFiles(), files);
      assert.deepEqual(await suite.harness.tempFiles(), []);
    });

    it('stores 20 objects of one new study arriving at once: one study, one series, twenty instances', async () => {
      const studyInstanceUid = newUid();
      const seriesInstanceUid = newUid();
      const uids = Array.from({ length: 20 }, () => newUid());
      const results = await Promise.all(
        uids.map((sopInstanceUid, i) =>
          sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), ctDataset({ sopInstanceUid, studyInstanceUid, seriesInstanceUid, patientId: 'PID-CONCURRENT' }), [1 + i, 4 * KIB]),
        ),
      );
      for (const result of results) assert.ok(result.ok && result.value.outcome.kind === 'stored', JSON.stringify(result));
      for (const result of results) assert.deepEqual(result.ok && result.value.outcome.kind === 'stored' && result.value.outcome.flags, [], 'no mix-up with itself');

      const rows = await Promise.all(uids.map((uid) => suite.index.getInstanceBySopInstanceUid(uid)));
      assert.equal(new Set(rows.map((row) => row?.study.id)).size, 1, 'one study row');
      assert.equal(new Set(rows.map((row) => row?.series.id)).size, 1, 'one series row');
      assert.equal(new Set(rows.map((row) => row?.study.patient.id)).size, 1, 'one patient row');
      const { kysely } = suite.database.db;
      assert.equal((await kysely.selectFrom('studies').select('id').where('study_instance_uid', '=', studyInstanceUid).execute()).length, 1);
      assert.equal((await kysely.selectFrom('series').select('id').where('series_instance_uid', '=', seriesInstanceUid).execute()).length, 1);
      assert.equal((await kysely.selectFrom('patients').select('id').where('patient_id', '=', 'PID-CONCURRENT').execute()).length, 1);
      assert.equal((await suite.index.listPatientMismatches()).filter((m) => m.studyInstanceUid === studyInstanceUid).length, 0);
      assert.deepEqual(await suite.harness.tempFiles(), []);
    });
  });
}
