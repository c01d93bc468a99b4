import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buildFileMetaHeader } from '../dicom/part10/index.js';
import { bufferByteSource, type ByteSource } from './byte-source.js';
import { readDatasetTree } from './dataset-tree.js';
import { DecodePool } from './decode-pool.js';
import { memoryStore } from './test-support.js';
import { transcodeToExplicitLittleEndian, transcodePlan, TranscodeStreamError } from './transcode.js';
import { bigEndianToLittleEndian } from './transcode-swap.js';
import { transferSyntaxOf } from '../dicom/dictionary/transfer-syntaxes.js';

const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const pool = new DecodePool({ workers: 1 });
after(() => pool.close());

/**
 * A tiny explicit VR encoder for either byte order, writing numbers from their values (not by
 * swapping bytes), so that the expected little endian output is independent of the code under test.
 */
type Node =
  | { readonly tag: number; readonly vr: string; readonly numbers: readonly number[] }
  | { readonly tag: number; readonly vr: string; readonly raw: Buffer }
  | { readonly tag: number; readonly vr: 'SQ'; readonly items: readonly (readonly Node[])[]; readonly undefinedLength: boolean; readonly undefinedItems: boolean };

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;

function u16(value: number, little: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (little) b.writeUInt16LE(value);
  else b.writeUInt16BE(value);
  return b;
}
function u32(value: number, little: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (little) b.writeUInt32LE(value);
  else b.writeUInt32BE(value);
  return b;
}
const tagBytes = (tag: number, little: boolean): Buffer => Buffer.concat([u16(tag >>> 16, little), u16(tag & 0xffff, little)]);

function numberBytes(vr: string, value: number, little: boolean): Buffer {
  const size = { US: 2, SS: 2, OW: 2, AT: 4, UL: 4, SL: 4, FL: 4, OF: 4, FD: 8, OD: 8 }[vr]!;
  const b = Buffer.alloc(size);
  const write = {
    US: () => (little ? b.writeUInt16LE(value) : b.writeUInt16BE(value)),
    OW: () => (little ? b.writeUInt16LE(value) : b.writeUInt16BE(value)),
    SS: () => (little ? b.writeInt16LE(value) : b.writeInt16BE(value)),
    AT: () => tagBytes(value, little).copy(b),
    UL: () => (little ? b.writeUInt32LE(value) : b.writeUInt32BE(value)),
    SL: () => (little ? b.writeInt32LE(value) : b.writeInt32BE(value)),
    FL: () => (little ? b.writeFloatLE(value) : b.writeFloatBE(value)),
    OF: () => (little ? b.writeFloatLE(value) : b.writeFloatBE(value)),
    FD: () => (little ? b.writeDoubleLE(value) : b.writeDoubleBE(value)),
    OD: () => (little ? b.writeDoubleLE(value) : b.writeDoubleBE(value)),
  }[vr]!;
  write();
  return b;
}

function header(tag: number, vr: string, length: number, little: boolean): Buffer {
  if (LONG.has(vr)) return Buffer.concat([tagBytes(tag, little), Buffer.from(vr, 'latin1'), Buffer.alloc(2), u32(length, little)]);
  return Buffer.concat([tagBytes(tag, little), Buffer.from(vr, 'latin1'), u16(length, little)]);
}

function encode(nodes: readonly Node[], little: boolean): Buffer {
  return Buffer.concat(
    nodes.map((node) => {
      if ('items' in node) {
        const items = node.items.map((item) => {
          const body = encode(item, little);
          if (!node.undefinedItems) return Buffer.concat([tagBytes(0xfffee000, little), u32(body.length, little), body]);
          return Buffer.concat([tagBytes(0xfffee000, little), u32(UNDEFINED, little), body, tagBytes(0xfffee00d, little), u32(0, little)]);
        });
        const body = Buffer.concat(items);
        if (!node.undefinedLength) return Buffer.concat([header(node.tag, 'SQ', body.length, little), body]);
        return Buffer.concat([header(node.tag, 'SQ', UNDEFINED, little), body, tagBytes(0xfffee0dd, little), u32(0, little)]);
      }
      const value = 'raw' in node ? node.raw : Buffer.concat(node.numbers.map((n) => numberBytes(node.vr, n, little)));
      return Buffer.concat([header(node.tag, node.vr, value.length, little), value]);
    }),
  );
}

const PIXEL_WORDS = Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xffff);

/** A dataset with a group length, every binary VR, text, sequences of both encodings, and big OW pixels. */
function handBuilt(pixelWords: readonly number[] = PIXEL_WORDS): Node[] {
  const nested: Node = {
    tag: 0x00400555,
    vr: 'SQ',
    undefinedLength: true,
    undefinedItems: true,
    items: [
      [{ tag: 0x0040a30a, vr: 'FD', numbers: [Math.PI, -1e300, 0.5] }, { tag: 0x00209165, vr: 'AT', numbers: [0x00100010, 0x7fe00010] }],
      [],
    ],
  };
  return [
    { tag: 0x00080000, vr: 'UL', numbers: [0] },
    { tag: 0x00080016, vr: 'UI', raw: Buffer.from('1.2.840.10008.5.1.4.1.1.4\0', 'latin1') },
    { tag: 0x00080060, vr: 'CS', raw: Buffer.from('MR', 'latin1') },
    { tag: 0x00100010, vr: 'PN', raw: Buffer.from('DOE^JOHN', 'latin1') },
    { tag: 0x00181310, vr: 'US', numbers: [0, 256, 0x0102, 65535] },
    { tag: 0x00189219, vr: 'SS', numbers: [-2, 300] },
    { tag: 0x00189089, vr: 'FD', numbers: [1, -0.25, 6.02e23] },
    { tag: 0x00189007, vr: 'SL', numbers: [-70000] },
    { tag: 0x00189010, vr: 'FL', numbers: [1.5, -3.25] },
    { tag: 0x00209113, vr: 'SQ', undefinedLength: false, undefinedItems: false, items: [[{ tag: 0x00209116, vr: 'US', numbers: [1, 2] }, nested], []] },
    { tag: 0x00209222, vr: 'SQ', undefinedLength: true, undefinedItems: false, items: [[{ tag: 0x00209165, vr: 'AT', numbers: [0x00181310] }]] },
    { tag: 0x00280010, vr: 'US', numbers: [1] },
    { tag: 0x00290010, vr: 'LO', raw: Buffer.from('ACME', 'latin1') },
    { tag: 0x00291010, vr: 'UN', raw: Buffer.from([1, 2, 3, 4]) },
    { tag: 0x00291011, vr: 'OB', raw: Buffer.from([9, 8, 7, 6]) },
    { tag: 0x00660016, vr: 'OF', numbers: [0.125, 4] },
    { tag: 0x00700080, vr: 'OD', numbers: [2.5] },
    { tag: 0x7fe00000, vr: 'UL', numbers: [12 + 2 * pixelWords.length] },
    { tag: 0x7fe00010, vr: 'OW', numbers: pixelWords },
  ];
}

/** A byte source whose streams come in awkward 3-byte chunks: units straddle chunk boundaries. */
function choppySource(bytes: Buffer): ByteSource {
  const inner = bufferByteSource(bytes);
  return {
    sizeBytes: bytes.length,
    read: (start, end) => inner.read(start, end),
    stream(start, end) {
      const slice = bytes.subarray(start, end);
      const chunks: Buffer[] = [];
      for (let at = 0; at < slice.length; at += 3) chunks.push(slice.subarray(at, at + 3));
      return Readable.from(chunks, { objectMode: false });
    },
  };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function part10(dataset: Buffer): Buffer {
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.4', mediaStorageSopInstanceUid: '2.25.7', transferSyntaxUid: EXPLICIT_BE, implementationClassUid: '2.25.1', implementationVersionName: 'TEST' });
  return Buffer.concat([meta, dataset]);
}

test('transcodePlan: explicit VR big endian is swapped', () => {
  const plan = transcodePlan(transferSyntaxOf(EXPLICIT_BE)!);
  assert.ok(plan.ok && plan.value === 'swap');
});

test('big endian becomes the little endian encoding of the same values: sequences of both encodings, AT, FD, multi-valued US, OW', async () => {
  const store = memoryStore();
  const key = store.add(part10(encode(handBuilt(), false)));
  const readsBefore = store.reads.bytes;
  const r = await transcodeToExplicitLittleEndian(store, pool, key);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.detail ?? ''}`);
  assert.ok(store.reads.bytes - readsBefore < 2 * 64 * 1024, 'the structure check skips the pixel data');
  const out = await collect(r.value);
  const expected = encode(handBuilt(), true);
  assert.equal(out.length, expected.length, 'same byte length: group lengths stay valid');
  assert.ok(out.equals(expected));
  const tree = await readDatasetTree(bufferByteSource(out), 0, { explicitVr: true, littleEndian: true });
  assert.ok(tree.ok, tree.ok ? '' : tree.error.code);
});

test('a large value is swapped across arbitrary stream chunk boundaries', async () => {
  const odd = PIXEL_WORDS.slice(0, 40_001);
  const r = await bigEndianToLittleEndian(choppySource(encode(handBuilt(odd), false)), 0);
  assert.ok(r.ok);
  assert.ok((await collect(r.value)).equals(encode(handBuilt(odd), true)));
});

test('malformed big endian datasets are refused before the first byte', async () => {
  const store = memoryStore();
  const whole = encode(handBuilt(), false);
  const cases: [Buffer, string][] = [
    [whole.subarray(0, whole.length - 10), 'DATASET_TRUNCATED'],
    [encode([{ tag: 0x00280010, vr: 'US', raw: Buffer.from([0, 1, 2]) }], false), 'DATASET_UNPARSEABLE'],
    [encode([{ tag: 0x00280010, vr: 'XX', raw: Buffer.from([0, 1]) }], false), 'DATASET_UNPARSEABLE'],
    [Buffer.concat([header(0x7fe00010, 'OB', UNDEFINED, false), tagBytes(0xfffee000, false), u32(0, false), tagBytes(0xfffee0dd, false), u32(0, false)]), 'PIXEL_DATA_INVALID'],
    [Buffer.concat([header(0x00291010, 'UN', UNDEFINED, false), tagBytes(0xfffee0dd, false), u32(0, false)]), 'DECODE_UNSUPPORTED'],
  ];
  for (const [dataset, code] of cases) {
    const r = await transcodeToExplicitLittleEndian(store, pool, store.add(part10(dataset)));
    assert.ok(!r.ok && r.error.code === code, `${code}: ${r.ok ? 'accepted' : r.error.code}`);
  }
});

test('an object that changes under the stream makes it throw, not emit garbage', async () => {
  const bytes = encode(handBuilt(), false);
  const source = bufferByteSource(bytes);
  const r = await bigEndianToLittleEndian(source, 0);
  assert.ok(r.ok);
  bytes.write('XX', 12 + 4, 'latin1'); // the VR of the second element (the first is 12 bytes)
  await assert.rejects(collect(r.value), (error: unknown) => error instanceof TranscodeStreamError && error.error.code === 'DATASET_UNPARSEABLE');
});
