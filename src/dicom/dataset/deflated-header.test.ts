import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInflateRaw, deflateRawSync } from 'node:zlib';
import { deflateFollowedByZeros, el, encodeDataset, type FixtureElement } from './dataset-fixtures.js';
import { readInstanceHeader, type HeaderReadInput, type HeaderReadResult } from './index.js';

const DEFLATED = '1.2.840.10008.1.2.1.99';
const MiB = 1024 * 1024;
const PIXEL_DATA = 0x7fe00010;

/** A CT header of 10240 × 15360 16-bit pixels: its native Pixel Data is exactly 300 MiB. */
function header(extra: readonly FixtureElement[] = []): FixtureElement[] {
  return [
    el(0x00080005, 'CS', 'ISO_IR 100'),
    el(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    el(0x00080018, 'UI', '1.2.3.4.5.6'),
    el(0x00080060, 'CS', 'CT'),
    el(0x00100020, 'LO', 'PID-1'),
    el(0x0020000d, 'UI', '1.2.3.4'),
    el(0x0020000e, 'UI', '1.2.3.4.5'),
    el(0x00280002, 'US', [1]),
    el(0x00280004, 'CS', 'MONOCHROME2'),
    el(0x00280010, 'US', [10240]),
    el(0x00280011, 'US', [15360]),
    el(0x00280100, 'US', [16]),
    el(0x00280101, 'US', [12]),
    ...extra,
  ];
}

/** The Pixel Data element header only, declaring `length` bytes that follow separately. */
const pixelDataHeader = (length: number): FixtureElement => el(PIXEL_DATA, 'OW', new Uint8Array(0), { declaredLength: length });

/** Deterministic bytes that deflate does not shrink (a linear congruential generator). */
function incompressible(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = 12345;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function read(bytes: Uint8Array, extra: Partial<HeaderReadInput> = {}): HeaderReadResult {
  return readInstanceHeader({ bytes, complete: true, transferSyntaxUid: DEFLATED, ...extra });
}

function okResult(result: HeaderReadResult) {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result).slice(0, 300)}`);
  return result;
}

function errorCode(result: HeaderReadResult): string {
  if (result.ok || result.needMoreBytes) assert.fail(`expected a refusal, got ${JSON.stringify(result).slice(0, 300)}`);
  return result.error.code;
}

/** Inflates as a stream, counting (not keeping) the output: what the fixture really holds. */
async function inflatedLength(compressed: Uint8Array): Promise<number> {
  const inflater = createInflateRaw();
  let total = 0;
  inflater.on('data', (chunk: Buffer) => (total += chunk.length));
  const done = new Promise<void>((resolve, reject) => {
    inflater.once('end', resolve);
    inflater.once('error', reject);
  });
  inflater.end(compressed);
  await done;
  return total;
}

describe('readInstanceHeader — deflated (PS3.5 A.5)', () => {
  it('reads a small deflated dataset completely', () => {
    const bytes = deflateRawSync(encodeDataset([...header(), el(PIXEL_DATA, 'OW', new Uint8Array(4))]));
    const result = okResult(read(bytes));
    assert.equal(result.attributes.sopInstanceUid, '1.2.3.4.5.6');
    assert.equal(result.attributes.hasPixelData, true);
    assert.equal(result.inflatedBytes, encodeDataset(header()).length + 12 + 4);
  });

  it('regression: 300 MiB of deflated pixel data behind a small header inflates only the header', async () => {
    const bytes = deflateFollowedByZeros(encodeDataset([...header(), pixelDataHeader(300 * MiB)]), 300);
    assert.equal(await inflatedLength(bytes), encodeDataset(header()).length + 12 + 300 * MiB, 'the fixture really holds 300 MiB');

    const result = okResult(read(bytes));
    assert.deepEqual(result.faults, [], 'the declared length matches the geometry');
    assert.equal(result.attributes.hasPixelData, true);
    assert.equal(result.attributes.rows, 10240);
    assert.ok(result.inflatedBytes !== undefined && result.inflatedBytes <= 8 * MiB, `inflated ${result.inflatedBytes} bytes`);
    // The whole-object limit the ingest core passes on does not apply to the pixel data here.
    okResult(read(bytes, { maxInflatedHeaderBytes: 2 * MiB, maxInflatedBytes: 256 * MiB }));
  });

  it('reads a header longer than the first attempt (it inflates more, in steps)', () => {
    const big = el(0x00091010, 'OB', incompressible(200 * 1024));
    const bytes = deflateFollowedByZeros(encodeDataset([...header([el(0x00090010, 'LO', 'KAKUTEI TEST'), big]), pixelDataHeader(300 * MiB)]), 300);
    const result = okResult(read(bytes, { maxInflatedHeaderBytes: 4 * MiB }));
    assert.equal(result.attributes.seriesInstanceUid, '1.2.3.4.5');
    assert.ok(result.inflatedBytes !== undefined && result.inflatedBytes > 200 * 1024 && result.inflatedBytes <= 4 * MiB);
  });

  it('regression: a bomb inside the header (a huge private value) is refused with DECOMPRESSION_BOMB', () => {
    const bomb = deflateFollowedByZeros(encodeDataset([...header(), el(0x00091010, 'OB', new Uint8Array(0), { declaredLength: 100 * MiB })]), 100);
    assert.ok(bomb.length < 200 * 1024);
    assert.equal(errorCode(read(bomb)), 'DECOMPRESSION_BOMB', 'beyond the 64 MiB default');
    assert.equal(errorCode(read(bomb, { maxInflatedHeaderBytes: MiB })), 'DECOMPRESSION_BOMB');
    assert.equal(errorCode(read(bomb, { maxInflatedBytes: MiB })), 'DECOMPRESSION_BOMB', 'the smaller cap applies');
  });

  it('regression: a bomb of many small header elements is refused, a header well within the cap is not', () => {
    // (0009,1010) LO "AB", repeated: 2 MiB of tiny elements, no single length over the cap.
    const element = Buffer.from([0x09, 0x00, 0x10, 0x10, 0x4c, 0x4f, 0x02, 0x00, 0x41, 0x42]);
    const junk = Buffer.alloc(2 * MiB - ((2 * MiB) % element.length), element);
    const head = Buffer.concat([encodeDataset(header()), junk, encodeDataset([pixelDataHeader(300 * MiB)])]);
    const bytes = deflateFollowedByZeros(head, 300);
    assert.equal(errorCode(read(bytes, { maxInflatedHeaderBytes: MiB })), 'DECOMPRESSION_BOMB');
    const within = okResult(read(bytes, { maxInflatedHeaderBytes: 3 * MiB }));
    assert.ok(within.inflatedBytes !== undefined && within.inflatedBytes <= 3 * MiB);
  });

  it('asks for more when a prefix ends inside the header', () => {
    const full = deflateRawSync(encodeDataset([...header(), el(PIXEL_DATA, 'OW', new Uint8Array(4))]));
    for (const cut of [0, 20, full.length - 40]) {
      assert.deepEqual(read(full.subarray(0, cut), { complete: false }), { ok: false, needMoreBytes: true });
    }
  });

  it('asks for more when a long header does not end within a prefix', () => {
    const big = el(0x00091010, 'OB', incompressible(64 * 1024));
    const full = deflateFollowedByZeros(encodeDataset([...header([big]), pixelDataHeader(300 * MiB)]), 300);
    assert.deepEqual(read(full.subarray(0, 32 * 1024), { complete: false }), { ok: false, needMoreBytes: true });
    assert.equal(okResult(read(full.subarray(0, 80 * 1024), { complete: false })).attributes.sopInstanceUid, '1.2.3.4.5.6');
  });

  it('regression: a complete stream that ends inside the header is truncated', () => {
    const full = deflateRawSync(encodeDataset([...header(), el(PIXEL_DATA, 'OW', new Uint8Array(4))]));
    assert.equal(errorCode(read(full.subarray(0, full.length - 40))), 'DATASET_TRUNCATED');
  });

  it('regression: a corrupt deflate stream is refused', () => {
    assert.equal(errorCode(read(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00]))), 'DATASET_UNPARSEABLE');
  });
});
