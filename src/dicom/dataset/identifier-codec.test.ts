import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, MAX_IDENTIFIER_DEPTH, decodeIdentifier, encodeIdentifier } from './identifier-codec.js';

function decode(bytes: Uint8Array, ts = EXPLICIT_VR_LITTLE_ENDIAN) {
  const r = decodeIdentifier(bytes, ts);
  assert.ok(r.ok, r.ok ? '' : r.detail);
  return r.identifier;
}

describe('identifier codec', () => {
  it('round-trips keys, lists, empty keys and sequences in explicit and implicit VR', () => {
    for (const ts of [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]) {
      const bytes = encodeIdentifier(
        { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: ['1.2.3', '1.2.45'], PatientName: null, Rows: 512, ReferencedSOPSequence: [{ ReferencedSOPClassUID: '1.2', ReferencedSOPInstanceUID: '1.2.3.4' }] },
        ts,
      );
      const id = decode(bytes, ts);
      assert.deepEqual(id.elements.get(0x00080052)?.values, ['STUDY']);
      assert.deepEqual(id.elements.get(0x0020000d)?.values, ['1.2.3', '1.2.45']);
      assert.deepEqual(id.elements.get(0x00100010)?.values, []);
      assert.deepEqual(id.elements.get(0x00280010)?.values, ['512']);
      assert.deepEqual(id.elements.get(0x00081199)?.items[0]?.elements.get(0x00081155)?.values, ['1.2.3.4']);
      assert.equal(id.elements.has(0x00080005), false);
    }
  });

  it('declares ISO_IR 192 and writes UTF-8 when a value is not ASCII', () => {
    const id = decode(encodeIdentifier({ PatientName: '山田^太郎=やまだ^たろう' }, EXPLICIT_VR_LITTLE_ENDIAN));
    assert.deepEqual(id.elements.get(0x00080005)?.values, ['ISO_IR 192']);
    assert.deepEqual(id.elements.get(0x00100010)?.values, ['山田^太郎=やまだ^たろう']);
  });

  it('decodes ISO 2022 Japanese under its declaration and keeps wildcards', () => {
    // (0008,0005) "\ISO 2022 IR 87", (0010,0010) ESC $ B 3B 33 45 44 ESC ( B "*"
    const cs = Buffer.from('\\ISO 2022 IR 87 ', 'latin1');
    const pn = Buffer.from([0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42, 0x2a, 0x20]);
    const el = (g: number, e: number, vr: string, v: Buffer) => {
      const h = Buffer.alloc(8);
      h.writeUInt16LE(g, 0);
      h.writeUInt16LE(e, 2);
      h.write(vr, 4, 'latin1');
      h.writeUInt16LE(v.length, 6);
      return Buffer.concat([h, v]);
    };
    const id = decode(Buffer.concat([el(8, 5, 'CS', cs), el(0x10, 0x10, 'PN', pn)]));
    assert.deepEqual(id.elements.get(0x00100010)?.values, ['山田*']);
    assert.deepEqual(id.charsetFaults, []);
  });

  it('refuses lying lengths, truncation, undefined-length values and deep nesting without throwing', () => {
    const good = encodeIdentifier({ PatientID: 'ABC' }, EXPLICIT_VR_LITTLE_ENDIAN);
    const lying = Buffer.from(good);
    lying.writeUInt16LE(200, 6);
    assert.equal(decodeIdentifier(lying, EXPLICIT_VR_LITTLE_ENDIAN).ok, false);
    assert.equal(decodeIdentifier(good.subarray(0, 5), EXPLICIT_VR_LITTLE_ENDIAN).ok, false);
    const undefinedLength = Buffer.from([0x10, 0, 0x20, 0, 0xff, 0xff, 0xff, 0xff]);
    assert.equal(decodeIdentifier(undefinedLength, IMPLICIT_VR_LITTLE_ENDIAN).ok, false);
    // Sequences nested deeper than the limit, each of undefined length.
    const open = Buffer.from([0x08, 0x00, 0x99, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    assert.equal(decodeIdentifier(Buffer.concat(Array.from({ length: MAX_IDENTIFIER_DEPTH + 2 }, () => open)), EXPLICIT_VR_LITTLE_ENDIAN).ok, false);
    assert.equal(decodeIdentifier(good, '1.2.840.10008.1.2.2').ok, false);
  });

  it('keeps unknown keys by tag without decoding them', () => {
    const id = decode(Buffer.from([0x09, 0x00, 0x10, 0x00, 0x4c, 0x4f, 0x02, 0x00, 0x41, 0x42]));
    assert.deepEqual(id.elements.get(0x00090010), { tag: 0x00090010, keyword: null, vr: 'LO', values: [], items: [] });
  });
});
