/**
 * What the ingest core refuses (BAD-INPUTS.md: broken structure, lying lengths, bombs, identity
 * that does not match the command, an abort mid-dataset, a full disk) and the promise that goes
 * with every refusal: nothing stored, nothing half-written — no file in sha256/ or tmp/, no row.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { el } from '../dicom/dataset/dataset-fixtures.js';
import type { ErrorCode, Result } from '../errors/index.js';
import { testDialects } from '../index/testing/test-databases.js';
import { ingestSuite } from '../testing/ingest-suite.js';
import type { IngestResult } from './ingest-service.js';
import { TAG, TRANSFER_SYNTAX, ctDataset, deflateBomb, newUid } from './testing/ingest-datasets.js';
import { dimseRequest, piecesOf, sendObject } from './testing/ingest-harness.js';

function refusalCode(result: Result<IngestResult>): ErrorCode {
  if (result.ok) assert.fail(`expected a refusal, got ${JSON.stringify(result.value.outcome)}`);
  return result.error.code;
}

for (const { dialect, skip } of await testDialects()) {
  describe(`ingest — refusals leave nothing behind (${dialect})`, { skip }, () => {
    const suite = ingestSuite(dialect);

    /** Runs `send`, expects one of `codes`, then checks that the store and the suite.index are unchanged. */
    async function expectRefusal(codes: readonly ErrorCode[], send: () => Promise<Result<IngestResult>>, uids: readonly string[] = []): Promise<void> {
      const files = await suite.harness.objectFiles();
      const rows = await suite.index.countInstances();
      const code = refusalCode(await send());
      assert.ok(codes.includes(code), `refused with ${code}, expected one of ${codes.join(', ')}`);
      assert.deepEqual(await suite.harness.objectFiles(), files, 'no object file');
      assert.deepEqual(await suite.harness.tempFiles(), [], 'nothing left in tmp/');
      assert.equal(await suite.index.countInstances(), rows, 'no instance row');
      for (const uid of uids) assert.equal(await suite.index.getInstanceBySopInstanceUid(uid), null);
    }

    it('refuses a dataset whose SOP Instance UID differs from the command (SOP_INSTANCE_MISMATCH)', async () => {
      const announced = newUid();
      const inDataset = newUid();
      await expectRefusal(['SOP_INSTANCE_MISMATCH'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid: announced }), ctDataset({ sopInstanceUid: inDataset })), [announced, inDataset]);
    });

    it('refuses a dataset whose SOP Class UID differs from the command (SOP_CLASS_MISMATCH)', async () => {
      const sopInstanceUid = newUid();
      const request = dimseRequest({ sopInstanceUid, sopClassUid: '1.2.840.10008.5.1.4.1.1.4' });
      await expectRefusal(['SOP_CLASS_MISMATCH'], () => sendObject(suite.harness.ingest, request, ctDataset({ sopInstanceUid })), [sopInstanceUid]);
    });

    for (const [name, cut] of [
      ['inside a tag', (length: number) => Math.min(7, length)],
      ['inside the header', () => 200],
      ['inside Pixel Data', (length: number) => length - 10],
    ] as const) {
      it(`refuses a dataset truncated ${name}`, async () => {
        const sopInstanceUid = newUid();
        const dataset = ctDataset({ sopInstanceUid });
        await expectRefusal(['DATASET_TRUNCATED', 'DATASET_UNPARSEABLE'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset.subarray(0, cut(dataset.length))), [sopInstanceUid]);
      });

      // Larger than the first bytes the header is read from (16 KiB): the declared pixel length is
      // checked against the whole dataset all the same.
      it(`refuses a 512 × 512 image truncated ${name}`, async () => {
        const sopInstanceUid = newUid();
        const dataset = ctDataset({ sopInstanceUid, pixelBytes: 512 * 512 * 2 });
        await expectRefusal(['DATASET_TRUNCATED', 'DATASET_UNPARSEABLE'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset.subarray(0, cut(dataset.length))), [sopInstanceUid]);
      });
    }

    it('refuses an element whose length is longer than what remains', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, elements: [el(0x00081030, 'LO', 'CHEST', { declaredLength: 5000 })] });
      await expectRefusal(['DATASET_TRUNCATED', 'DATASET_UNPARSEABLE'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset), [sopInstanceUid]);
    });

    it('refuses a huge declared length on a short stream', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, elements: [el(0x00091010, 'OB', new Uint8Array(2), { declaredLength: 0xfffffff0 })] });
      await expectRefusal(['DATASET_TRUNCATED', 'DATASET_UNPARSEABLE'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset), [sopInstanceUid]);
    });

    it('refuses an undefined length on a text element', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, elements: [el(0x00081030, 'UT', 'x', { declaredLength: 0xffffffff })] });
      await expectRefusal(['DATASET_UNPARSEABLE'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset), [sopInstanceUid]);
    });

    for (const uid of ['1.2..3', '1.2/3', '../../etc/passwd', '1.2.3\u00004', `1.${'2'.repeat(70)}`]) {
      it(`refuses the command UID ${JSON.stringify(uid)} before writing anything (UID_INVALID)`, async () => {
        await expectRefusal(['UID_INVALID'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid: uid }), ctDataset({ sopInstanceUid: uid })));
      });
    }

    for (const [name, tag] of [
      ['Study', TAG.StudyInstanceUID],
      ['Series', TAG.SeriesInstanceUID],
    ] as const) {
      for (const uid of ['1.2..3', '1.2/3', '..']) {
        it(`refuses a dataset with ${name} Instance UID ${JSON.stringify(uid)} (UID_INVALID)`, async () => {
          const sopInstanceUid = newUid();
          const dataset = ctDataset({ sopInstanceUid, elements: [el(tag, 'UI', uid)] });
          await expectRefusal(['UID_INVALID'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid }), dataset), [sopInstanceUid]);
        });
      }
    }

    it('stores a well-formed deflated dataset (the control for the bomb below)', async () => {
      const sopInstanceUid = newUid();
      const deflated = deflateRawSync(ctDataset({ sopInstanceUid }));
      const result = await sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid, transferSyntaxUid: TRANSFER_SYNTAX.deflated }), deflated);
      assert.ok(result.ok && result.value.outcome.kind === 'stored', JSON.stringify(result));
      const row = await suite.index.getInstanceBySopInstanceUid(sopInstanceUid);
      assert.equal(row?.sha256, createHash('sha256').update(deflated).digest('hex'), 'the deflated bytes are what is stored and hashed');
    });

    it('refuses a deflate bomb in Deflated Explicit VR Little Endian (DECOMPRESSION_BOMB)', async () => {
      const sopInstanceUid = newUid();
      // 257 MiB of zeros in about 260 KB: beyond the header reader's 256 MiB inflation cap.
      const bomb = deflateBomb({ sopInstanceUid }, 257 * 1024 * 1024);
      assert.ok(bomb.length < 1024 * 1024);
      await expectRefusal(['DECOMPRESSION_BOMB'], () => sendObject(suite.harness.ingest, dimseRequest({ sopInstanceUid, transferSyntaxUid: TRANSFER_SYNTAX.deflated }), bomb, [16 * 1024]), [sopInstanceUid]);
    });

    it('refuses a deflate bomb longer than the in-memory header buffer', async () => {
      const sopInstanceUid = newUid();
      const bomb = deflateBomb({ sopInstanceUid }, 257 * 1024 * 1024);
      const small = suite.harness.service({ limits: { headerBufferBytes: 64 * 1024 } });
      await expectRefusal(['DECOMPRESSION_BOMB'], () => sendObject(small, dimseRequest({ sopInstanceUid, transferSyntaxUid: TRANSFER_SYNTAX.deflated }), bomb, [16 * 1024]), [sopInstanceUid]);
    });

    it('leaves nothing behind when the association aborts in the middle of a dataset', async () => {
      const sopInstanceUid = newUid();
      const dataset = ctDataset({ sopInstanceUid, pixelBytes: 512 * 1024 });
      const files = await suite.harness.objectFiles();
      const begun = await suite.harness.ingest.begin(dimseRequest({ sopInstanceUid }));
      assert.ok(begun.ok);
      let written = 0;
      for (const piece of piecesOf(dataset, [16 * 1024])) {
        if (written > dataset.length / 2) break;
        await begun.value.write(piece);
        written += piece.length;
      }
      assert.equal((await suite.harness.tempFiles()).length, 1, 'the partial object is in tmp/ while it arrives');
      await begun.value.abort();
      await begun.value.abort(); // idempotent: the DIMSE layer may abort twice (A-ABORT, then socket close)
      assert.deepEqual(await suite.harness.tempFiles(), []);
      assert.deepEqual(await suite.harness.objectFiles(), files);
      assert.equal(await suite.index.getInstanceBySopInstanceUid(sopInstanceUid), null);
      const late = await begun.value.finish();
      assert.equal(late.ok, false, 'no success after an abort');
      assert.deepEqual(await suite.harness.tempFiles(), []);
      assert.equal(await suite.index.getInstanceBySopInstanceUid(sopInstanceUid), null);
    });

    it('leaves nothing behind when aborted after the last byte but before finish', async () => {
      const sopInstanceUid = newUid();
      const begun = await suite.harness.ingest.begin(dimseRequest({ sopInstanceUid }));
      assert.ok(begun.ok);
      for (const piece of piecesOf(ctDataset({ sopInstanceUid }), [100])) await begun.value.write(piece);
      await begun.value.abort();
      assert.deepEqual(await suite.harness.tempFiles(), []);
      assert.equal(await suite.index.getInstanceBySopInstanceUid(sopInstanceUid), null);
    });

    it('answers STORAGE_FULL at begin when free space is below the watermark, writing nothing', async () => {
      const free = await statfs(suite.harness.storeDir);
      const freeBytes = free.bavail * free.bsize;
      const full = suite.harness.service({ limits: { freeSpaceWatermarkBytes: freeBytes + 1024 * 1024 * 1024 } });
      const sopInstanceUid = newUid();
      await expectRefusal(['STORAGE_FULL'], () => sendObject(full, dimseRequest({ sopInstanceUid }), ctDataset({ sopInstanceUid })), [sopInstanceUid]);
      const begun = await full.begin(dimseRequest({ sopInstanceUid }));
      assert.equal(begun.ok, false, 'refused at begin, before any byte is accepted');
      // The same store with room left still accepts: the refusal is the watermark's, not a broken store.
      const roomy = suite.harness.service({ limits: { freeSpaceWatermarkBytes: 1 } });
      const accepted = await sendObject(roomy, dimseRequest({ sopInstanceUid }), ctDataset({ sopInstanceUid }));
      assert.ok(accepted.ok && accepted.value.outcome.kind === 'stored');
    });
  });
}
