import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFileMetaHeader, readFileMeta } from './index.js';

const INPUT = {
  mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  mediaStorageSopInstanceUid: '1.2.3.4.5',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  implementationClassUid: '1.2.3.999',
  implementationVersionName: 'KAKUTEI_0.1',
  sourceApplicationEntityTitle: 'CT1',
};

function expectError(bytes: Uint8Array, code: string): void {
  const result = readFileMeta(bytes);
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.error.code, code, result.error.detail);
}

describe('buildFileMetaHeader', () => {
  const header = buildFileMetaHeader(INPUT);

  it('writes a zero preamble, DICM and a correct group length', () => {
    assert.ok(header.subarray(0, 128).every((b) => b === 0));
    assert.equal(Buffer.from(header.subarray(128, 132)).toString('latin1'), 'DICM');
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    assert.equal(Buffer.from(header.subarray(132, 138)).toString('latin1'), '\x02\x00\x00\x00UL');
    assert.equal(view.getUint32(140, true), header.length - 144);
    assert.equal(header.length % 2, 0);
  });

  it('writes (0002,0001) = 00\\01 and pads UIDs with NUL, text with space', () => {
    const text = Buffer.from(header).toString('latin1');
    assert.ok(text.includes('\x02\x00\x01\x00OB\x00\x00\x02\x00\x00\x00\x00\x01'));
    assert.ok(text.includes('1.2.3.4.5\x00'), 'odd-length UID padded with NUL');
    assert.ok(text.includes('CT1 '), 'odd-length AE padded with space');
  });

  it('round-trips through readFileMeta', () => {
    const dataset = Uint8Array.from([0x08, 0x00, 0x16, 0x00]);
    const result = readFileMeta(Buffer.concat([header, dataset]));
    assert.deepEqual(result, {
      ok: true,
      value: { transferSyntaxUid: INPUT.transferSyntaxUid, sopClassUid: INPUT.mediaStorageSopClassUid, sopInstanceUid: INPUT.mediaStorageSopInstanceUid, datasetOffset: header.length, preamble: 'zero' },
    });
  });

  it('omits the optional elements when not given', () => {
    const short = buildFileMetaHeader({ ...INPUT, implementationVersionName: '', sourceApplicationEntityTitle: '' });
    assert.ok(short.length < header.length);
    assert.equal(readFileMeta(short).ok, true);
  });
});

describe('readFileMeta — files that lie', () => {
  const header = buildFileMetaHeader(INPUT);

  it('regression: file shorter than 132 bytes', () => expectError(header.subarray(0, 100), 'DATASET_TRUNCATED'));

  it('regression: missing DICM', () => {
    const copy = Uint8Array.from(header);
    copy[128] = 0x58;
    expectError(copy, 'DATASET_UNPARSEABLE');
  });

  it('regression: group length longer than the meta group', () => {
    const copy = Buffer.concat([header, Uint8Array.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x02, 0x00, 0x31, 0x00])]);
    copy.writeUInt32LE(header.length - 144 + 4, 140);
    expectError(copy, 'DATASET_UNPARSEABLE');
  });

  it('regression: group length shorter than the meta group', () => {
    const copy = Buffer.from(header);
    copy.writeUInt32LE(header.length - 144 - 3, 140);
    expectError(copy, 'DATASET_UNPARSEABLE');
  });

  it('regression: group length past the end of the file', () => {
    const copy = Buffer.from(header);
    copy.writeUInt32LE(0x7fffffff, 140);
    expectError(copy, 'DATASET_TRUNCATED');
  });

  it('regression: implicit VR meta group', () => {
    // (0002,0010) implicit: tag, 4-byte length, value.
    const meta = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0x14, 0x00, 0x00, 0x00]), Buffer.from('1.2.840.10008.1.2.1\0')]);
    expectError(meta, 'DATASET_UNPARSEABLE');
  });

  it('regression: strange VR on a meta element', () => {
    const copy = Buffer.from(header);
    const at = copy.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49]));
    copy.write('LO', at + 4, 'latin1');
    expectError(copy, 'DATASET_UNPARSEABLE');
  });

  it('regression: empty transfer syntax', () => expectError(buildFileMetaHeader({ ...INPUT, transferSyntaxUid: '' }), 'DATASET_UNPARSEABLE'));

  it('regression: unknown transfer syntax', () => expectError(buildFileMetaHeader({ ...INPUT, transferSyntaxUid: '1.2.3.4' }), 'TRANSFER_SYNTAX_NOT_SUPPORTED'));

  it('regression: executable preamble is reported', () => {
    const copy = Buffer.from(header);
    copy.write('MZ', 0, 'latin1');
    const result = readFileMeta(copy);
    assert.ok(result.ok && result.value.preamble === 'executable');
    copy.write('II*\0', 0, 'latin1');
    const tiff = readFileMeta(copy);
    assert.ok(tiff.ok && tiff.value.preamble === 'tiff');
  });
});
