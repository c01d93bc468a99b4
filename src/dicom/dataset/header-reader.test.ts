import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, el, encodeDataset, type FixtureElement, type FixtureSyntax } from './dataset-fixtures.js';
import { lossyFlag, readInstanceHeader, type HeaderReadResult } from './index.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const TS = { implicit: '1.2.840.10008.1.2', explicit: '1.2.840.10008.1.2.1', big: '1.2.840.10008.1.2.2', deflated: '1.2.840.10008.1.2.1.99', jpegBaseline: '1.2.840.10008.1.2.4.50' };

function ctElements(overrides: readonly FixtureElement[] = [], pixelBytes = 4 * 4 * 2): FixtureElement[] {
  const base: FixtureElement[] = [
    el(0x00080005, 'CS', 'ISO_IR 100'),
    el(0x00080008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    el(0x00080016, 'UI', CT),
    el(0x00080018, 'UI', '1.2.3.4.5.6'),
    el(0x00080020, 'DA', '20240131'),
    el(0x00080030, 'TM', '101530.123'),
    el(0x00080050, 'SH', 'ACC001'),
    el(0x00080060, 'CS', 'CT'),
    el(0x00080201, 'SH', '+0900'),
    el(0x00100010, 'PN', 'Buc^J\u00e9r\u00f4me'),
    el(0x00100020, 'LO', 'PID-1'),
    el(0x0020000d, 'UI', '1.2.3.4'),
    el(0x0020000e, 'UI', '1.2.3.4.5'),
    el(0x00200011, 'IS', '3'),
    el(0x00200013, 'IS', '12 '),
    el(0x00200032, 'DS', '-125.0\\-125.0\\30.5'),
    el(0x00200037, 'DS', '1\\0\\0\\0\\1\\0'),
    el(0x00280002, 'US', [1]),
    el(0x00280004, 'CS', 'MONOCHROME2'),
    el(0x00280010, 'US', [4]),
    el(0x00280011, 'US', [4]),
    el(0x00280100, 'US', [16]),
    el(0x00280101, 'US', [12]),
    el(0x00281050, 'DS', '40\\400'),
    el(0x00281051, 'DS', '400\\2000'),
    el(0x7fe00010, 'OW', new Uint8Array(pixelBytes)),
  ];
  const byTag = new Map(base.map((e) => [e.tag, e]));
  for (const o of overrides) byTag.set(o.tag, o);
  return [...byTag.values()].sort((a, b) => a.tag - b.tag);
}

function read(bytes: Uint8Array, transferSyntaxUid = TS.explicit, extra: Partial<Parameters<typeof readInstanceHeader>[0]> = {}): HeaderReadResult {
  return readInstanceHeader({ bytes, complete: true, transferSyntaxUid, ...extra });
}

function okResult(result: HeaderReadResult) {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

function errorCode(result: HeaderReadResult): string {
  if (result.ok || result.needMoreBytes) assert.fail(`expected a refusal, got ${JSON.stringify(result).slice(0, 300)}`);
  return result.error.code;
}

const faultCodes = (result: HeaderReadResult) => okResult(result).faults.map((f) => `${f.code} ${f.tag ?? ''}`.trim());

describe('readInstanceHeader — encodings', () => {
  const cases: [string, FixtureSyntax, string][] = [
    ['explicit VR little endian', EXPLICIT_LE, TS.explicit],
    ['implicit VR little endian', IMPLICIT_LE, TS.implicit],
    ['explicit VR big endian', EXPLICIT_BE, TS.big],
  ];
  for (const [name, syntax, uid] of cases) {
    it(`reads a CT header in ${name}`, () => {
      const { attributes: a, faults } = okResult(read(encodeDataset(ctElements(), syntax), uid));
      assert.deepEqual(faults, []);
      assert.equal(a.sopClassUid, CT);
      assert.equal(a.sopInstanceUid, '1.2.3.4.5.6');
      assert.equal(a.studyInstanceUid, '1.2.3.4');
      assert.equal(a.seriesInstanceUid, '1.2.3.4.5');
      assert.deepEqual(a.patientName, { alphabetic: 'Buc^Jérôme', ideographic: '', phonetic: '' });
      assert.equal(a.patientId, 'PID-1');
      assert.equal(a.studyDate, '20240131');
      assert.equal(a.studyTime, '101530.123');
      assert.equal(a.imageType, 'ORIGINAL\\PRIMARY\\AXIAL');
      assert.equal(a.instanceNumber, '12');
      assert.equal(a.timezoneOffsetFromUtc, '+0900');
      assert.deepEqual(a.imagePositionPatient, [-125, -125, 30.5]);
      assert.deepEqual(a.imageOrientationPatient, [1, 0, 0, 0, 1, 0]);
      assert.equal(a.windowCenter, '40\\400');
      assert.equal(a.rows, 4);
      assert.equal(a.columns, 4);
      assert.equal(a.bitsAllocated, 16);
      assert.equal(a.bitsStored, 12);
      assert.equal(a.samplesPerPixel, 1);
      assert.equal(a.numberOfFrames, null);
      assert.equal(a.hasPixelData, true);
      assert.equal(a.specificCharacterSet, 'ISO_IR 100');
      assert.equal(a.accessionNumber, 'ACC001');
      assert.equal(a.referringPhysicianName, null);
      assert.deepEqual(a.framePositions, []);
    });
  }
  // Deflated datasets: deflated-header.test.ts.
});

describe('readInstanceHeader — prefixes', () => {
  it('asks for more bytes when the prefix ends inside the header', () => {
    const bytes = encodeDataset(ctElements());
    for (const cut of [0, 7, 40, 200]) {
      assert.deepEqual(readInstanceHeader({ bytes: bytes.subarray(0, cut), complete: false, transferSyntaxUid: TS.explicit }), { ok: false, needMoreBytes: true });
    }
  });

  it('succeeds on a prefix that reaches the pixel data header only', () => {
    const bytes = encodeDataset(ctElements([], 1024));
    const result = readInstanceHeader({ bytes: bytes.subarray(0, bytes.length - 1000), complete: false, transferSyntaxUid: TS.explicit });
    assert.equal(okResult(result).attributes.hasPixelData, true);
  });

  it('reads a prefix of a dataset of known length exactly as the whole, or asks for the whole', () => {
    const bytes = encodeDataset(ctElements([], 4096));
    const whole = read(bytes);
    const headerEnd = bytes.length - 4096;
    for (const cut of [headerEnd, headerEnd + 1, headerEnd + 2000, bytes.length]) {
      assert.deepEqual(readInstanceHeader({ bytes: bytes.subarray(0, cut), complete: false, datasetBytes: bytes.length, transferSyntaxUid: TS.explicit }), whole, `cut at ${cut}`);
    }
    assert.deepEqual(readInstanceHeader({ bytes: bytes.subarray(0, 200), complete: false, datasetBytes: bytes.length, transferSyntaxUid: TS.explicit }), { ok: false, needMoreBytes: true });
    // Pixel data longer than the dataset: refused as the whole would be, from the prefix alone.
    const elements = ctElements();
    elements[elements.length - 1] = el(0x7fe00010, 'OW', new Uint8Array(32), { declaredLength: 64 });
    const short = encodeDataset(elements);
    assert.equal(errorCode(readInstanceHeader({ bytes: short.subarray(0, short.length - 32), complete: false, datasetBytes: short.length, transferSyntaxUid: TS.explicit })), 'DATASET_TRUNCATED');
    // Encapsulated pixel data is checked over the whole dataset: asked for, not guessed.
    const encapsulated = encodeDataset(ctElements([el(0x7fe00010, 'OB', Uint8Array.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]), { declaredLength: 0xffffffff })]));
    assert.deepEqual(readInstanceHeader({ bytes: encapsulated.subarray(0, encapsulated.length - 4), complete: false, datasetBytes: encapsulated.length, transferSyntaxUid: TS.jpegBaseline }), { ok: false, needMoreBytes: true });
    // So is a deflated dataset (inflated from its start).
    assert.deepEqual(readInstanceHeader({ bytes: bytes.subarray(0, 10), complete: false, datasetBytes: bytes.length, transferSyntaxUid: TS.deflated }), { ok: false, needMoreBytes: true });
  });

  it('regression: the same cut with complete=true is a truncated dataset', () => {
    const bytes = encodeDataset(ctElements());
    assert.equal(errorCode(read(bytes.subarray(0, 200))), 'DATASET_TRUNCATED');
  });
});

describe('readInstanceHeader — hostile structure', () => {
  it('regression: lying element length (longer than the data) is refused', () => {
    const bytes = encodeDataset(ctElements([el(0x00081030, 'LO', 'x', { declaredLength: 5000 })]));
    assert.equal(errorCode(read(bytes)), 'DATASET_TRUNCATED');
  });

  it('regression: huge declared length on a short stream fails without allocating', () => {
    const bytes = encodeDataset([el(0x00080016, 'UI', CT), el(0x00091010, 'OB', new Uint8Array(2), { declaredLength: 0xfffffff0 })]);
    assert.equal(errorCode(read(bytes)), 'DATASET_TRUNCATED');
    assert.equal(readInstanceHeader({ bytes, complete: false, transferSyntaxUid: TS.explicit }).ok, false);
  });

  it('regression: pixel data longer than the stream is refused when complete', () => {
    const elements = ctElements();
    elements[elements.length - 1] = el(0x7fe00010, 'OW', new Uint8Array(32), { declaredLength: 64 });
    assert.equal(errorCode(read(encodeDataset(elements))), 'DATASET_TRUNCATED');
  });

  it('regression: undefined length on a non-sequence is refused', () => {
    const bytes = encodeDataset(ctElements([el(0x00081030, 'UT', 'x', { declaredLength: 0xffffffff })]));
    assert.equal(errorCode(read(bytes)), 'DATASET_UNPARSEABLE');
  });

  it('regression: unknown explicit VR is refused', () => {
    const bytes = encodeDataset(ctElements([el(0x00081030, 'ZZ', 'ab')]));
    assert.equal(errorCode(read(bytes)), 'DATASET_UNPARSEABLE');
  });

  /** Private sequences (0009,1001) nested `depth` deep, built iteratively in explicit VR LE. */
  const nested = (depth: number, undefinedLength: boolean): Uint8Array => {
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const sqHeader = (length: number) => [0x09, 0x00, 0x01, 0x10, 0x53, 0x51, 0, 0, ...u32(length)];
    const itemHeader = (length: number) => [0xfe, 0xff, 0x00, 0xe0, ...u32(length)];
    let inner: Buffer = Buffer.from(encodeDataset([el(0x00091002, 'LO', 'leaf')]));
    if (undefinedLength) {
      const open = Buffer.from([...sqHeader(0xffffffff), ...itemHeader(0xffffffff)]);
      const close = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
      return Buffer.concat([...new Array<Buffer>(depth).fill(open), inner, ...new Array<Buffer>(depth).fill(close)]);
    }
    for (let i = 0; i < depth; i++) {
      const item = Buffer.concat([Buffer.from(itemHeader(inner.length)), inner]);
      inner = Buffer.concat([Buffer.from(sqHeader(item.length)), item]);
    }
    return inner;
  };
  const withNested = (nestedBytes: Uint8Array): Uint8Array => {
    const before = encodeDataset(ctElements().filter((e) => e.tag < 0x00091001));
    const after = encodeDataset(ctElements().filter((e) => e.tag > 0x00091001));
    return Buffer.concat([before, nestedBytes, after]);
  };

  it('regression: sequences nested 5000 deep are refused (undefined lengths)', () => {
    assert.equal(errorCode(read(withNested(nested(5000, true)))), 'DATASET_UNPARSEABLE');
  });

  it('a deep defined-length sequence nobody asked for is skipped by its length, unread', () => {
    assert.equal(read(withNested(nested(5000, false))).ok, true);
  });

  it('accepts sequences nested within the limit', () => {
    assert.equal(read(withNested(nested(20, true))).ok, true);
  });

  it('regression: item longer than its sequence is refused', () => {
    const item = encodeDataset([el(0x00401001, 'SH', 'RP1')]);
    // A defined-length SQ of 8 bytes whose item claims more.
    const sq = Uint8Array.from([0x40, 0x00, 0x75, 0x02, 0x53, 0x51, 0, 0, 16, 0, 0, 0, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0, 0, 0, ...item]);
    const before = encodeDataset(ctElements().filter((e) => e.tag < 0x00400275));
    const after = encodeDataset(ctElements().filter((e) => e.tag > 0x00400275));
    assert.equal(errorCode(read(Uint8Array.from([...before, ...sq, ...after]))), 'DATASET_UNPARSEABLE');
  });

  it('regression: missing sequence delimiter at the end of a complete dataset is truncated', () => {
    const bytes = encodeDataset([...ctElements().filter((e) => e.tag < 0x7fe00010), el(0x00091001, 'SQ', [[el(0x00091002, 'LO', 'x')]], { undefinedLength: true })]);
    assert.equal(errorCode(read(bytes.subarray(0, bytes.length - 8))), 'DATASET_TRUNCATED');
  });
});

describe('readInstanceHeader — identifying UIDs', () => {
  const bad = ['', '1.2/3', '1.2..3', '1.2.3\u00004', '1.' + '2'.repeat(70), '1.2.abc', '../etc', '1.2.3\\1.2.4'];
  for (const uid of bad) {
    it(`regression: refuses SOP Instance UID ${JSON.stringify(uid)}`, () => {
      const elements = uid === '' ? ctElements().filter((e) => e.tag !== 0x00080018) : ctElements([el(0x00080018, 'UI', uid)]);
      assert.equal(errorCode(read(encodeDataset(elements))), 'UID_INVALID');
    });
  }
  for (const tag of [0x00080016, 0x0020000d, 0x0020000e]) {
    it(`refuses a missing or malformed UID at ${tag.toString(16)}`, () => {
      assert.equal(errorCode(read(encodeDataset(ctElements().filter((e) => e.tag !== tag)))), 'UID_INVALID');
      assert.equal(errorCode(read(encodeDataset(ctElements([el(tag, 'UI', '1.2.x')])))), 'UID_INVALID');
    });
  }
  it('accepts a trailing NUL pad and flags a leading-zero component', () => {
    const result = read(encodeDataset(ctElements([el(0x00080018, 'UI', '1.2.03.4')])));
    assert.deepEqual(faultCodes(result), ['UID_NONCONFORMANT (0008,0018)']);
  });
});

describe('readInstanceHeader — value faults are stored and flagged', () => {
  it('regression: invalid dates, times, numbers and timezone', () => {
    const result = read(encodeDataset(ctElements([
      el(0x00080020, 'DA', '20231345'),
      el(0x00080030, 'TM', '256000'),
      el(0x00100030, 'DA', '1990.01.01'),
      el(0x00200013, 'IS', 'abc'),
      el(0x00281050, 'DS', '40\\x'),
      el(0x00080201, 'SH', '+2500'),
      el(0x00200032, 'DS', '1\\2'),
    ])));
    assert.deepEqual(faultCodes(result).sort(), [
      'DATE_INVALID (0008,0020)', 'DATE_INVALID (0010,0030)', 'NUMBER_INVALID (0020,0013)', 'NUMBER_INVALID (0020,0032)',
      'NUMBER_INVALID (0028,1050)', 'TIMEZONE_INVALID (0008,0201)', 'TIME_INVALID (0008,0030)',
    ]);
    const a = okResult(result).attributes;
    assert.equal(a.studyDate, '20231345', 'kept as received');
    assert.equal(a.imagePositionPatient, null);
  });

  it('regression: invalid UTF-8 in a name is decoded best-effort and flagged', () => {
    const result = read(encodeDataset(ctElements([el(0x00080005, 'CS', 'ISO_IR 192'), el(0x00100010, 'PN', Uint8Array.from([0x41, 0xc3, 0x5e, 0x42]))])));
    assert.deepEqual(faultCodes(result), ['CHARSET_INVALID_BYTES (0010,0010)']);
    assert.equal(okResult(result).attributes.patientName?.alphabetic, 'A\ufffd^B');
  });

  it('decodes the PS3.5 H.3.1 name inside a dataset', () => {
    const h31 = Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B', 'latin1');
    // 60 bytes, already even: padding (PS3.5 §7.1.1) is added to odd lengths only.
    assert.equal(h31.length, 60);
    const value = h31.length % 2 === 0 ? Uint8Array.from(h31) : Uint8Array.from([...h31, 0x20]);
    const implicit = okResult(read(encodeDataset(ctElements([el(0x00080005, 'CS', '\\ISO 2022 IR 87'), el(0x00100010, 'PN', value)]), IMPLICIT_LE), TS.implicit));
    assert.deepEqual(implicit.faults, []);
    assert.deepEqual(implicit.attributes.patientName, { alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' });
  });

  it('uses the fallback charset for undeclared Shift_JIS, flagged', () => {
    const sjis = Uint8Array.from([0x8e, 0x52, 0x93, 0x63, 0x5e, 0x91, 0xbe, 0x98, 0x59, 0x20]);
    const elements = ctElements([el(0x00100010, 'PN', sjis)]).filter((e) => e.tag !== 0x00080005);
    const result = read(encodeDataset(elements), TS.explicit, { fallbackCharset: 'shift_jis' });
    assert.equal(okResult(result).attributes.patientName?.alphabetic, '山田^太郎');
    assert.deepEqual(faultCodes(result), ['CHARSET_UNDECLARED (0010,0010)']);
  });

  it('regression: pixel arithmetic beyond 2^53 is a fault, not a crash', () => {
    const result = read(encodeDataset(ctElements([el(0x00280010, 'US', [65535]), el(0x00280011, 'US', [65535]), el(0x00280008, 'IS', '2147483647'), el(0x00280002, 'US', [3])])));
    assert.deepEqual(faultCodes(result), ['PIXEL_ARITHMETIC_OVERFLOW (7FE0,0010)']);
  });

  it('regression: geometry beyond a 32-bit native length is a fault', () => {
    const result = read(encodeDataset(ctElements([el(0x00280010, 'US', [65535]), el(0x00280011, 'US', [65535]), el(0x00280008, 'IS', '100')])));
    assert.deepEqual(faultCodes(result), ['PIXEL_ARITHMETIC_OVERFLOW (7FE0,0010)']);
  });

  it('regression: pixel data shorter than the geometry is a fault', () => {
    assert.deepEqual(faultCodes(read(encodeDataset(ctElements([], 16)))), ['PIXEL_LENGTH_MISMATCH (7FE0,0010)']);
  });

  it('regression: odd value length is flagged', () => {
    const bytes = encodeDataset(ctElements([el(0x00081030, 'LO', Uint8Array.from([0x41]))]));
    assert.deepEqual(faultCodes(read(bytes)), ['LENGTH_ODD (0008,1030)']);
  });
});

describe('readInstanceHeader — sequences of interest', () => {
  it('reads per-frame positions with the shared orientation as default', () => {
    const planePos = (z: number) => el(0x00209113, 'SQ', [[el(0x00200032, 'DS', `0\\0\\${z}`)]]);
    const elements = ctElements([
      el(0x00280008, 'IS', '2'),
      el(0x52009229, 'SQ', [[el(0x00209116, 'SQ', [[el(0x00200037, 'DS', '1\\0\\0\\0\\1\\0')]])]]),
      el(0x52009230, 'SQ', [[planePos(1)], [planePos(2), el(0x00209116, 'SQ', [[el(0x00200037, 'DS', '0\\1\\0\\0\\0\\1')]])]], { undefinedLength: true }),
    ], 4 * 4 * 2 * 2);
    const { attributes, faults } = okResult(read(encodeDataset(elements, IMPLICIT_LE), TS.implicit));
    assert.deepEqual(faults, []);
    assert.equal(attributes.numberOfFrames, 2);
    assert.deepEqual(attributes.framePositions, [
      { imagePositionPatient: [0, 0, 1], imageOrientationPatient: [1, 0, 0, 0, 1, 0] },
      { imagePositionPatient: [0, 0, 2], imageOrientationPatient: [0, 1, 0, 0, 0, 1] },
    ]);
  });

  it('reads Request Attributes Sequence, with top-level Requested Procedure ID first', () => {
    const request = el(0x00400275, 'SQ', [[el(0x00400009, 'SH', 'SPS1'), el(0x00401001, 'SH', 'RP-SEQ')]]);
    const a = okResult(read(encodeDataset(ctElements([request])))).attributes;
    assert.equal(a.requestedProcedureId, 'RP-SEQ');
    assert.equal(a.scheduledProcedureStepId, 'SPS1');
    const b = okResult(read(encodeDataset(ctElements([request, el(0x00401001, 'SH', 'RP-TOP')])))).attributes;
    assert.equal(b.requestedProcedureId, 'RP-TOP');
  });
});

describe('readInstanceHeader — encapsulated pixel data', () => {
  const encapsulated = (offsets: number[], fragments: number[]): FixtureElement => {
    const parts: number[] = [];
    const item = (bytes: number[]) => parts.push(0xfe, 0xff, 0x00, 0xe0, bytes.length & 0xff, (bytes.length >> 8) & 0xff, 0, 0, ...bytes);
    item(offsets.flatMap((o) => [o & 0xff, (o >> 8) & 0xff, 0, 0]));
    for (const length of fragments) item(new Array<number>(length).fill(0xaa));
    parts.push(0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0);
    return el(0x7fe00010, 'OB', Uint8Array.from(parts), { declaredLength: 0xffffffff });
  };

  it('accepts a consistent offset table', () => {
    const result = read(encodeDataset(ctElements([el(0x00280008, 'IS', '2'), encapsulated([0, 18], [10, 20])])), TS.jpegBaseline);
    assert.deepEqual(faultCodes(result), []);
  });

  it('regression: offset table pointing outside the fragments is a fault', () => {
    const result = read(encodeDataset(ctElements([encapsulated([0, 5000], [10, 20])])), TS.jpegBaseline);
    assert.deepEqual(faultCodes(result), ['PIXEL_OFFSET_TABLE_INVALID (7FE0,0010)']);
  });

  it('regression: encapsulated icon image inside a sequence is skipped, not refused', () => {
    const icon = encapsulated([], [10]);
    const bytes = encodeDataset(ctElements([el(0x00880200, 'SQ', [[el(0x00280010, 'US', [1]), icon]])]));
    assert.deepEqual(faultCodes(read(bytes, TS.jpegBaseline)), []);
  });

  it('regression: fragment longer than the data is refused', () => {
    const bytes = encodeDataset(ctElements([encapsulated([], [10])]));
    assert.equal(errorCode(read(bytes.subarray(0, bytes.length - 12), TS.jpegBaseline)), 'DATASET_TRUNCATED');
  });
});

describe('lossyFlag', () => {
  it('is set by Lossy Image Compression 01 or a lossy transfer syntax', () => {
    assert.equal(lossyFlag({ lossyImageCompression: '01' }, TS.explicit), true);
    assert.equal(lossyFlag({ lossyImageCompression: '00' }, TS.explicit), false);
    assert.equal(lossyFlag({ lossyImageCompression: null }, TS.jpegBaseline), true);
    assert.equal(lossyFlag({ lossyImageCompression: null }, '1.2.840.10008.1.2.4.70'), false);
  });
});
