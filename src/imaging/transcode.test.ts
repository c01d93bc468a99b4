import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { encodeDataset, encodePart10, type Dataset, type DataElement } from '../testing/fixtures/part10-writer.js';
import { text, us, sq } from '../testing/fixtures/elements.js';
import { buildFileMetaHeader, readFileMeta } from '../dicom/part10/index.js';
import { bufferByteSource } from './byte-source.js';
import { readDatasetTree, findElement, type DatasetNode } from './dataset-tree.js';
import { DecodePool } from './decode-pool.js';
import type { DecodedFrame, DecodeRequest } from './decode-frame.js';
import { err, kakuteiError, type Result } from '../errors/index.js';
import { memoryStore } from './test-support.js';
import { transcodeToExplicitLittleEndian, transcodePlan, TranscodeStreamError } from './transcode.js';
import { transferSyntaxOf } from '../dicom/dictionary/transfer-syntaxes.js';
import type { ObjectKey } from '../storage/object-store.js';

const RLE = '1.2.840.10008.1.2.5';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Counts decodes, to prove frames are decoded one at a time as the stream is read. */
class CountingPool extends DecodePool {
  decodes = 0;
  override decode(request: DecodeRequest): Promise<Result<DecodedFrame>> {
    this.decodes++;
    return super.decode(request);
  }
}

const pool = new CountingPool({ workers: 1 });
after(() => pool.close());

/** One RLE frame (PS3.5 G.3.1) of 2×2 RGB 8-bit: one literal run per colour plane. */
function rleFrame(red: number[], green: number[], blue: number[]): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(3, 0);
  const segments = [red, green, blue].map((plane) => Buffer.from([plane.length - 1, ...plane, 0x80]));
  let offset = 64;
  segments.forEach((segment, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += segment.length;
  });
  return Buffer.concat([header, ...segments]);
}

const FRAMES = [
  rleFrame([1, 2, 3, 4], [11, 12, 13, 14], [21, 22, 23, 24]),
  rleFrame([5, 6, 7, 8], [15, 16, 17, 18], [25, 26, 27, 28]),
];
const INTERLEAVED = Buffer.from([1, 11, 21, 2, 12, 22, 3, 13, 23, 4, 14, 24, 5, 15, 25, 6, 16, 26, 7, 17, 27, 8, 18, 28]);

function u64s(tag: number, values: number[]): DataElement {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 * i));
  return { tag, vr: 'OB', value: b };
}

function rleDataset(options: { planar: boolean }): Dataset {
  return [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    text(0x00080018, 'UI', '2.25.1234567'),
    { tag: 0x00280000, vr: 'UL', value: Buffer.from([0, 0, 0, 0]) },
    us(0x00280002, 3),
    text(0x00280004, 'CS', 'RGB'),
    ...(options.planar ? [us(0x00280006, 1)] : []),
    text(0x00280008, 'IS', '2'),
    us(0x00280010, 2),
    us(0x00280011, 2),
    us(0x00280100, 8),
    us(0x00280101, 8),
    us(0x00280102, 7),
    us(0x00280103, 0),
    text(0x00282110, 'CS', '00'),
    // An icon in the compressed syntax: native data may not hold an encapsulated value.
    sq(0x00880200, [us(0x00280002, 3), text(0x00280004, 'CS', 'RGB'), us(0x00280010, 2), us(0x00280011, 2), us(0x00280100, 8), { tag: 0x7fe00010, vr: 'OB', value: { frames: [FRAMES[0]!] } }]),
    u64s(0x7fe00001, [0, 8 + FRAMES[0]!.length]),
    u64s(0x7fe00002, FRAMES.map((f) => f.length)),
    { tag: 0x7fe00010, vr: 'OB', value: { frames: FRAMES } },
    { tag: 0xfffcfffc, vr: 'OB', value: Buffer.alloc(4) },
  ];
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function parse(dataset: Buffer): Promise<DatasetNode> {
  const tree = await readDatasetTree(bufferByteSource(dataset), 0, { explicitVr: true, littleEndian: true });
  assert.ok(tree.ok, tree.ok ? '' : tree.error.code);
  return tree.value;
}

function textOf(node: DatasetNode, tag: number): string | undefined {
  const value = findElement(node, tag)?.value;
  return value === null || value === undefined ? undefined : Buffer.from(value).toString('latin1').trim();
}

for (const planar of [true, false]) {
  test(`RLE multi-frame colour becomes native, frame by frame (Planar Configuration ${planar ? 'rewritten' : 'inserted'})`, async () => {
    const store = memoryStore();
    const key = store.add(encodePart10(rleDataset({ planar }), RLE));
    const before = pool.decodes;
    const r = await transcodeToExplicitLittleEndian(store, pool, key);
    assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.detail ?? ''}`);
    assert.equal(pool.decodes - before, 1, 'only frame 1 is decoded before the stream is read');
    const out = await collect(r.value);
    assert.equal(pool.decodes - before, 2);
    const node = await parse(out);
    const tags = node.elements.map((e) => e.tag);
    for (const dropped of [0x00280000, 0x7fe00001, 0x7fe00002, 0x00880200]) assert.ok(!tags.includes(dropped), dropped.toString(16));
    assert.deepEqual(tags, [...tags].sort((a, b) => a - b), 'ascending tag order');
    assert.equal(textOf(node, 0x00280004), 'RGB');
    assert.equal(textOf(node, 0x00282110), '00', 'Lossy Image Compression unchanged');
    const planarElement = findElement(node, 0x00280006);
    assert.ok(planarElement?.value !== null && planarElement?.value !== undefined);
    assert.equal(Buffer.from(planarElement.value).readUInt16LE(0), 0);
    const pixel = findElement(node, 0x7fe00010)!;
    assert.equal(pixel.vr, 'OB');
    assert.equal(pixel.encapsulated, null);
    assert.ok(Buffer.from(pixel.value!).equals(INTERLEAVED));
    assert.ok(findElement(node, 0xfffcfffc) !== undefined, 'elements after Pixel Data are kept');
    // Everything else is byte-identical to the stored dataset.
    const stored = await parse(Buffer.concat(encodeDataset(rleDataset({ planar }))));
    for (const tag of [0x00080016, 0x00080018, 0x00280002, 0x00280008, 0x00280010, 0x00280100]) {
      assert.ok(Buffer.from(findElement(node, tag)!.value!).equals(Buffer.from(findElement(stored, tag)!.value!)), tag.toString(16));
    }
  });
}

test('a full decode queue is waited out, not turned into a failure', async () => {
  class BusyOnce extends DecodePool {
    busy = 2;
    override decode(request: DecodeRequest): Promise<Result<DecodedFrame>> {
      if (this.busy-- > 0) return Promise.resolve(err(kakuteiError('DECODE_BUSY')));
      return super.decode(request);
    }
  }
  const busyPool = new BusyOnce({ workers: 1 });
  try {
    const store = memoryStore();
    const r = await transcodeToExplicitLittleEndian(store, busyPool, store.add(encodePart10(rleDataset({ planar: false }), RLE)));
    assert.ok(r.ok, r.ok ? '' : r.error.code);
    const pixel = findElement(await parse(await collect(r.value)), 0x7fe00010)!;
    assert.ok(Buffer.from(pixel.value!).equals(INTERLEAVED));
  } finally {
    await busyPool.close();
  }
});

test('a frame that does not decode: frame 1 is a refusal, a later frame makes the stream throw', async () => {
  const store = memoryStore();
  const broken = Buffer.alloc(FRAMES[0]!.length);
  const first = rleDataset({ planar: false }).map((e) => (e.tag === 0x7fe00010 ? { ...e, value: { frames: [broken, FRAMES[1]!] } } : e));
  const r1 = await transcodeToExplicitLittleEndian(store, pool, store.add(encodePart10(first, RLE)));
  assert.ok(!r1.ok && r1.error.code === 'DECODE_FAILED');
  const second = rleDataset({ planar: false }).map((e) => (e.tag === 0x7fe00010 ? { ...e, value: { frames: [FRAMES[0]!, broken] } } : e));
  const r2 = await transcodeToExplicitLittleEndian(store, pool, store.add(encodePart10(second, RLE)));
  assert.ok(r2.ok);
  await assert.rejects(collect(r2.value), (error: unknown) => error instanceof TranscodeStreamError && error.error.code === 'DECODE_FAILED');
});

test('deflated: the inflated dataset, under a cap', async () => {
  const store = memoryStore();
  const dataset = Buffer.concat(encodeDataset([text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'), text(0x00080018, 'UI', '2.25.99'), { tag: 0x7fe00010, vr: 'OB', value: Buffer.alloc(64 * 1024, 7) }]));
  const meta = buildFileMetaHeader({ mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.7', mediaStorageSopInstanceUid: '2.25.99', transferSyntaxUid: '1.2.840.10008.1.2.1.99', implementationClassUid: '2.25.1', implementationVersionName: 'TEST' });
  const key = store.add(Buffer.concat([meta, deflateRawSync(dataset)]));
  const r = await transcodeToExplicitLittleEndian(store, pool, key);
  assert.ok(r.ok);
  assert.ok((await collect(r.value)).equals(dataset));
  const capped = await transcodeToExplicitLittleEndian(store, pool, key, { maxInflatedBytes: 1024 });
  assert.ok(capped.ok);
  await assert.rejects(collect(capped.value), (error: unknown) => error instanceof TranscodeStreamError && error.error.code === 'DECOMPRESSION_BOMB');
});

test('lossy syntaxes are refused; implicit VR gets its VRs; big endian is swapped; explicit LE goes as stored', async () => {
  for (const uid of ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91', '1.2.840.10008.1.2.4.203', '1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2.4.107']) {
    const plan = transcodePlan(transferSyntaxOf(uid)!);
    assert.ok(!plan.ok && plan.error.code === 'TRANSFER_SYNTAX_NOT_SUPPORTED', uid);
  }
  const implicit = transcodePlan(transferSyntaxOf('1.2.840.10008.1.2')!);
  assert.ok(implicit.ok && implicit.value === 'add-vr');
  const bigEndian = transcodePlan(transferSyntaxOf('1.2.840.10008.1.2.2')!);
  assert.ok(bigEndian.ok && bigEndian.value === 'swap');
  for (const uid of ['1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', RLE]) {
    const plan = transcodePlan(transferSyntaxOf(uid)!);
    assert.ok(plan.ok && plan.value === 'decode-pixels', uid);
  }
  const store = memoryStore();
  const file = encodePart10(rleDataset({ planar: false }).filter((e) => e.tag < 0x00880200), EXPLICIT_LE);
  const r = await transcodeToExplicitLittleEndian(store, pool, store.add(file));
  assert.ok(r.ok);
  const meta = readFileMeta(file);
  assert.ok(meta.ok);
  assert.ok((await collect(r.value)).equals(file.subarray(meta.value.datasetOffset)));
  const missing = await transcodeToExplicitLittleEndian(store, pool, 'f'.repeat(64) as ObjectKey);
  assert.ok(!missing.ok && missing.error.code === 'NOT_FOUND');
});
