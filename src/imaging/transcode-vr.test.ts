import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { sq, ss, text, ul, us } from '../testing/fixtures/elements.js';
import { encodeDataset, type Dataset } from '../testing/fixtures/part10-writer.js';
import { bufferByteSource } from './byte-source.js';
import { sourceBytes, streamBytes } from './sequential-bytes.js';
import { TranscodeStreamError } from './transcode-pixels.js';
import { checkVrConversion, convertVr, type VrDirection } from './transcode-vr.js';

const explicitOf = (dataset: Dataset): Buffer => Buffer.concat(encodeDataset(dataset));

/** `bytes` as a stream of pieces of the given sizes. */
function pieces(bytes: Buffer, sizes: () => number): AsyncIterable<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.min(sizes(), bytes.length - at);
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
}

async function convert(bytes: Buffer, direction: VrDirection, sizes: () => number = () => bytes.length): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of convertVr(streamBytes(pieces(bytes, sizes)), direction)) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Explicit VR element headers of the dataset's elements, by tag: what the converter chose. */
function explicitVrs(bytes: Buffer): Map<number, string> {
  const vrs = new Map<number, string>();
  const walk = (at: number, end: number): number => {
    while (at < end) {
      const tag = ((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0;
      if (tag === 0xfffee00d || tag === 0xfffee0dd) return at + 8;
      const vr = bytes.toString('latin1', at + 4, at + 6);
      vrs.set(tag, vr);
      const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
      const length = long ? bytes.readUInt32LE(at + 8) : bytes.readUInt16LE(at + 6);
      at += long ? 12 : 8;
      if (length !== 0xffffffff) {
        at += length;
        continue;
      }
      // A sequence of undefined length, items of undefined length (as the converter writes them).
      while (bytes.readUInt32LE(at) !== 0xe0ddfffe) at = walk(at + 8, end);
      at += 8;
    }
    return at;
  };
  walk(0, bytes.length);
  return vrs;
}

describe('explicit ↔ implicit VR little endian', () => {
  it('writes sequences and items with undefined length and their delimiters, and drops group lengths', async () => {
    const explicit = explicitOf([ul(0x00080000, 26), text(0x00080060, 'CS', 'CT'), sq(0x00081140, [us(0x00280010, 7)])]);
    const implicit = await convert(explicit, 'to-implicit');
    assert.ok(implicit.equals(hex(`
      0800 6000 02000000 4354
      0800 4011 ffffffff
        feff 00e0 ffffffff
          2800 1000 02000000 0700
        feff 0de0 00000000
      feff dde0 00000000`)));
    assert.ok((await convert(implicit, 'to-explicit')).equals(hex(`
      0800 6000 4353 0200 4354
      0800 4011 5351 0000 ffffffff
        feff 00e0 ffffffff
          2800 1000 5553 0200 0700
        feff 0de0 00000000
      feff dde0 00000000`)));
  });

  it('gives the same bytes whatever the input chunks, down to one byte at a time', async () => {
    const explicit = explicitOf([
      text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
      sq(0x00081115, [text(0x0020000e, 'UI', '2.25.1'), sq(0x00081140, [text(0x00081155, 'UI', '2.25.2')])], []),
      text(0x00100010, 'PN', 'Yamada^Taro'),
      { tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(300_000, 7) },
    ]);
    const whole = await convert(explicit, 'to-implicit');
    let seed = 1;
    const random = (): number => (seed = (seed * 48271) % 0x7fffffff) % 9 + 1;
    assert.ok((await convert(explicit, 'to-implicit', random)).equals(whole));
    const back = await convert(whole, 'to-explicit');
    assert.ok((await convert(whole, 'to-explicit', random)).equals(back));
    // Idempotent once sequences have undefined length: explicit → implicit → explicit → implicit.
    assert.ok((await convert(back, 'to-implicit', () => 3)).equals(whole));
  });

  it('to explicit VR: dictionary VRs, LO private creators, UN private values, SS for signed pixel values, OB for 8-bit pixels', async () => {
    const explicit = explicitOf([
      text(0x00090010, 'LO', 'KAKUTEI TEST'),
      { tag: 0x00091001, vr: 'UN', value: Buffer.from('1234') },
      us(0x00280100, 8),
      us(0x00280103, 1),
      ss(0x00280106, -3),
      us(0x00281101, 256, 0, 16),
      us(0x60000010, 2),
      { tag: 0x7fe00010, vr: 'OB', value: Buffer.alloc(4) },
    ]);
    const vrs = explicitVrs(await convert(await convert(explicit, 'to-implicit'), 'to-explicit'));
    assert.deepEqual(Object.fromEntries([...vrs].map(([tag, vr]) => [tag.toString(16).padStart(8, '0'), vr])), {
      '00090010': 'LO',
      '00091001': 'UN',
      '00280100': 'US',
      '00280103': 'US',
      '00280106': 'SS',
      '00281101': 'US',
      '60000010': 'US',
      '7fe00010': 'OB',
    });
  });

  it('an implicit element of undefined length is a sequence whatever its tag (CP-246); an explicit UN of undefined length goes as it is', async () => {
    // (0009,1002) private, undefined length, one item of undefined length holding (0010,0010).
    const implicit = hex(`
      0900 1000 0c000000 4b414b555445492054455354
      0900 0210 ffffffff
        feff 00e0 ffffffff 1000 1000 04000000 415e4220 feff 0de0 00000000
      feff dde0 00000000`);
    const explicit = await convert(implicit, 'to-explicit');
    assert.equal(explicitVrs(explicit).get(0x00091002), 'SQ');
    assert.equal(explicitVrs(explicit).get(0x00100010), 'PN');
    const un = Buffer.concat([hex('0900 0210 554e 0000 ffffffff'), implicit.subarray(28)]);
    assert.ok((await convert(un, 'to-implicit')).equals(Buffer.concat([hex('0900 0210 ffffffff'), implicit.subarray(28)])));
  });

  it('refuses what it cannot convert, as a value before sending and as a stream error while sending', async () => {
    const encapsulated = Buffer.concat([hex('e07f 1000 4f42 0000 ffffffff'), hex('feff 00e0 00000000 feff dde0 00000000')]);
    const cases: [Buffer, VrDirection, string][] = [
      [explicitOf([text(0x00100010, 'PN', 'Cut^Short')]).subarray(0, 12), 'to-implicit', 'DATASET_TRUNCATED'],
      [hex('1000 1000 5a5a 0200 4142'), 'to-implicit', 'DATASET_UNPARSEABLE'],
      [encapsulated, 'to-implicit', 'PIXEL_DATA_INVALID'],
      [hex('0800 4011 ffffffff feff 00e0 ffffffff 1000 1000 04000000 41'), 'to-explicit', 'DATASET_TRUNCATED'],
      [hex('feff 0de0 00000000'), 'to-explicit', 'DATASET_UNPARSEABLE'],
    ];
    for (const [bytes, direction, code] of cases) {
      const problem = await checkVrConversion(sourceBytes(bufferByteSource(bytes), 0, true), direction);
      assert.equal(problem?.code, code, `${bytes.toString('hex')} checked`);
      await assert.rejects(convert(bytes, direction), (error: unknown) => error instanceof TranscodeStreamError && error.error.code === code);
    }
    assert.equal(await checkVrConversion(sourceBytes(bufferByteSource(explicitOf([text(0x00100010, 'PN', 'Whole^Name')])), 0, true), 'to-implicit'), null);
  });

  it('refuses sequences nested deeper than 64', async () => {
    let dataset: Dataset = [text(0x00100010, 'PN', 'Deep')];
    for (let depth = 0; depth < 70; depth++) dataset = [sq(0x00081140, dataset)];
    await assert.rejects(convert(explicitOf(dataset), 'to-implicit'), (error: unknown) => error instanceof TranscodeStreamError && error.error.code === 'DATASET_UNPARSEABLE');
  });
});
