import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDicomText, resolveCharset, splitPersonName } from './index.js';

/** Bytes from a hex string such as `'59 61 6d'`. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).map((h) => parseInt(h, 16)));
}

function pn(bytes: Uint8Array, charset: string | null, fallbackCharset: string | null = null) {
  const decoded = decodeDicomText(bytes, charset, { delimiters: 'person-name', fallbackCharset });
  return { name: splitPersonName(decoded.text), fault: decoded.fault };
}

describe('PS3.5 Annex H Japanese examples, byte for byte', () => {
  it('H.3.1: ISO 2022 IR 87 — Yamada^Tarou=山田^太郎=やまだ^たろう', () => {
    // "Yamada^Tarou=" ESC $ B ";3ED" ESC ( B "^" ESC $ B "B@O:" ESC ( B "=" ESC $ B "$d$^$@" ESC ( B
    // "^" ESC $ B "$?$m$&" ESC ( B — note "$^" (ま): a 0x5E inside a two-byte run is not a delimiter.
    const bytes = hex(
      '59 61 6d 61 64 61 5e 54 61 72 6f 75 3d 1b 24 42 3b 33 45 44 1b 28 42 5e 1b 24 42 42 40 4f 3a 1b 28 42 3d ' +
        '1b 24 42 24 64 24 5e 24 40 1b 28 42 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 42',
    );
    const { name, fault } = pn(bytes, '\\ISO 2022 IR 87');
    assert.equal(fault, null);
    assert.deepEqual(name, { alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' });
    // The same bytes declared with an explicit first value.
    assert.deepEqual(pn(bytes, 'ISO 2022 IR 6\\ISO 2022 IR 87').name, name);
  });

  it('H.3.2: ISO 2022 IR 13 + IR 87 — ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう', () => {
    const bytes = hex(
      'd4 cf c0 de 5e c0 db b3 3d 1b 24 42 3b 33 45 44 1b 28 4a 5e 1b 24 42 42 40 4f 3a 1b 28 4a 3d ' +
        '1b 24 42 24 64 24 5e 24 40 1b 28 4a 5e 1b 24 42 24 3f 24 6d 24 26 1b 28 4a',
    );
    const { name, fault } = pn(bytes, 'ISO 2022 IR 13\\ISO 2022 IR 87');
    assert.equal(fault, null);
    assert.deepEqual(name, { alphabetic: 'ﾔﾏﾀﾞ^ﾀﾛｳ', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' });
  });
});

describe('single-repertoire character sets', () => {
  it('ISO_IR 100 decodes Latin-1 exactly (not windows-1252)', () => {
    assert.deepEqual(decodeDicomText(hex('42 75 63 5e 4a e9 72 f4 6d 65'), 'ISO_IR 100'), { text: 'Buc^Jérôme', fault: null });
    // 0x80 is a C1 control in ISO 8859-1, where windows-1252 would give "€".
    assert.equal(decodeDicomText(hex('80'), 'ISO_IR 100').text, '\u0080');
  });

  it('ISO_IR 192 decodes UTF-8, and splits person names after decoding', () => {
    const bytes = hex('57 61 6e 67 5e 58 69 61 6f 44 6f 6e 67 3d e7 8e 8b 5e e5 b0 8f e4 b8 9c');
    const { name, fault } = pn(bytes, 'ISO_IR 192');
    assert.equal(fault, null);
    assert.deepEqual(name, { alphabetic: 'Wang^XiaoDong', ideographic: '王^小东', phonetic: '' });
  });

  it('ISO_IR 13 decodes JIS X 0201 half-width katakana', () => {
    assert.deepEqual(decodeDicomText(hex('d4 cf c0 de 5e c0 db b3'), 'ISO_IR 13'), { text: 'ﾔﾏﾀﾞ^ﾀﾛｳ', fault: null });
  });

  it('ISO 2022 IR 159 decodes JIS X 0212 (via EUC-JP 0x8F)', () => {
    // ESC $ ( D, 0x30 0x21 (丂 in JIS X 0212), ESC ( B
    const r = decodeDicomText(hex('41 1b 24 28 44 30 21 1b 28 42 42'), '\\ISO 2022 IR 87\\ISO 2022 IR 159');
    assert.deepEqual(r, { text: 'A丂B', fault: null });
  });

  it('ISO 2022 IR 100 puts Latin-1 in G1', () => {
    assert.deepEqual(decodeDicomText(hex('4a e9'), 'ISO 2022 IR 100'), { text: 'Jé', fault: null });
  });

  it('accepts oddly spelled terms but reports them', () => {
    const charset = resolveCharset('ISO_IR_100', null);
    assert.deepEqual(charset.nonStandardTerms, ['ISO_IR_100']);
    assert.equal(charset.codec.kind, 'latin1');
    assert.deepEqual(resolveCharset('KLINGON', null).unknownTerms, ['KLINGON']);
  });
});

describe('fallback for undeclared Shift_JIS', () => {
  const shiftJisName = hex('8e 52 93 63 5e 91 be 98 59'); // 山田^太郎

  it('decodes with the configured fallback when nothing is declared, and flags it', () => {
    const r = decodeDicomText(shiftJisName, null, { fallbackCharset: 'shift_jis' });
    assert.deepEqual(r, { text: '山田^太郎', fault: 'CHARSET_UNDECLARED' });
    assert.equal(decodeDicomText(shiftJisName, 'ISO_IR 6', { fallbackCharset: 'shift_jis' }).text, '山田^太郎');
  });

  it('regression: a Shift_JIS trail byte 0x5C (ソ) is not a value delimiter', () => {
    const r = decodeDicomText(hex('83 5c 5c 41'), null, { fallbackCharset: 'shift_jis' });
    assert.equal(r.text, 'ソ\\A');
  });

  it('without a fallback, keeps ASCII and replaces the rest', () => {
    assert.deepEqual(decodeDicomText(hex('41 8e 93'), null), { text: 'A\ufffd\ufffd', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('ignores a fallback label that Node cannot decode', () => {
    assert.equal(resolveCharset(null, 'no-such-charset').fallback, null);
  });

  it('decodes ISO 2022 escapes sent without any declaration, flagged as undeclared', () => {
    const r = decodeDicomText(hex('1b 24 42 3b 33 45 44 1b 28 42'), null);
    assert.deepEqual(r, { text: '山田', fault: 'CHARSET_UNDECLARED' });
  });

  it('ISO_IR 13 carrying Shift_JIS kanji is decoded but flagged', () => {
    assert.deepEqual(decodeDicomText(shiftJisName, 'ISO_IR 13'), { text: '山田^太郎', fault: 'CHARSET_INVALID_BYTES' });
  });
});

describe('broken input never throws', () => {
  it('regression: truncated escape sequence at end of value', () => {
    const r = decodeDicomText(hex('41 1b 24'), '\\ISO 2022 IR 87');
    assert.equal(r.fault, 'CHARSET_INVALID_BYTES');
    assert.ok(r.text.startsWith('A'));
  });

  it('regression: unknown escape sequence (ESC $ Z)', () => {
    const r = decodeDicomText(hex('1b 24 5a 41'), '\\ISO 2022 IR 87');
    assert.deepEqual(r, { text: '\ufffdA', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('regression: odd byte count inside a JIS X 0208 run', () => {
    const r = decodeDicomText(hex('1b 24 42 3b 33 45 1b 28 42'), '\\ISO 2022 IR 87');
    assert.equal(r.fault, 'CHARSET_INVALID_BYTES');
    assert.equal(r.text, '山\ufffd');
  });

  it('regression: JIS X 0208 pair outside the character set', () => {
    const r = decodeDicomText(hex('1b 24 42 29 21 1b 28 42'), '\\ISO 2022 IR 87');
    assert.equal(r.fault, 'CHARSET_INVALID_BYTES');
  });

  it('regression: designation not announced in (0008,0005) is decoded and flagged', () => {
    const r = decodeDicomText(hex('1b 24 42 3b 33 45 44 1b 28 42'), '\\ISO 2022 IR 13');
    assert.deepEqual(r, { text: '山田', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('regression: high bytes with no G1 designated', () => {
    const r = decodeDicomText(hex('41 e9'), '\\ISO 2022 IR 87');
    assert.deepEqual(r, { text: 'A\ufffd', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('regression: invalid UTF-8 (overlong, lone continuation, truncated)', () => {
    for (const bytes of [hex('c0 af'), hex('41 80 42'), hex('e5 b1')]) {
      const r = decodeDicomText(bytes, 'ISO_IR 192');
      assert.equal(r.fault, 'CHARSET_INVALID_BYTES');
      assert.ok(r.text.includes('\ufffd'));
    }
  });

  it('a control character returns to the initial code elements', () => {
    // The encoder forgot ESC ( B before CR LF: the next line must still read as ASCII.
    const r = decodeDicomText(hex('1b 24 42 3b 33 0d 0a 41 42'), '\\ISO 2022 IR 87', { delimiters: 'text' });
    assert.equal(r.text, '山\r\nAB');
  });
});

describe('control bytes are faults (PS3.5 §6.1.2.3: only TAB, LF, FF, CR and ESC)', () => {
  it('regression: DEL inside JIS X 0208 (ESC $ B 7F 7F) is invalid, not two DEL characters', () => {
    const r = decodeDicomText(hex('1b 24 42 7f 7f 1b 28 42'), '\\ISO 2022 IR 87');
    assert.deepEqual(r, { text: '\ufffd\ufffd', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('regression: a C0 control inside a JIS X 0208 run is invalid, and the pair it splits too', () => {
    // 山 (3B 33), 0x01, 田 (45 44): the control alone is replaced. Then DEL splitting the pair 45 44.
    const r = decodeDicomText(hex('1b 24 42 3b 33 01 45 44 1b 28 42'), '\\ISO 2022 IR 87');
    assert.deepEqual(r, { text: '山\ufffd田', fault: 'CHARSET_INVALID_BYTES' });
    assert.equal(decodeDicomText(hex('1b 24 42 3b 33 45 7f 44 1b 28 42'), '\\ISO 2022 IR 87').fault, 'CHARSET_INVALID_BYTES');
  });

  it('regression: DEL inside JIS X 0212 is invalid', () => {
    assert.equal(decodeDicomText(hex('1b 24 28 44 7f 7f 1b 28 42'), '\\ISO 2022 IR 87\\ISO 2022 IR 159').fault, 'CHARSET_INVALID_BYTES');
  });

  it('regression: DEL and C0 controls in the single-byte G0 sets of an ISO 2022 value are invalid', () => {
    // ASCII after ESC ( B, and JIS X 0201 romaji after ESC ( J.
    for (const bytes of ['41 7f 1b 24 42 3b 33 1b 28 42', '1b 24 42 3b 33 1b 28 42 41 07 42', '1b 24 42 3b 33 1b 28 4a 41 7f']) {
      const r = decodeDicomText(hex(bytes), 'ISO 2022 IR 13\\ISO 2022 IR 87');
      assert.equal(r.fault, 'CHARSET_INVALID_BYTES', bytes);
      assert.ok(r.text.includes('\ufffd') && !r.text.includes('\x7f') && !r.text.includes('\x07'), bytes);
    }
  });

  it('regression: C1 bytes (0x80–0x9F) are not G1 characters in an ISO 2022 value', () => {
    assert.deepEqual(decodeDicomText(hex('4a 85'), 'ISO 2022 IR 100'), { text: 'J\ufffd', fault: 'CHARSET_INVALID_BYTES' });
    // Two-byte G1 (KS X 1001): a lone 0xA0 or 0xFF is not silently dropped.
    for (const bytes of ['1b 24 29 43 41 a0', '1b 24 29 43 41 ff', '1b 24 29 43 41 85']) {
      assert.deepEqual(decodeDicomText(hex(bytes), '\\ISO 2022 IR 149'), { text: 'A\ufffd', fault: 'CHARSET_INVALID_BYTES' }, bytes);
    }
  });

  it('regression: DEL and C0 controls in plain single-byte text are invalid, and replaced', () => {
    for (const charset of [null, 'ISO_IR 100', 'ISO_IR 192', '\\ISO 2022 IR 87']) {
      assert.deepEqual(decodeDicomText(hex('41 7f 42'), charset), { text: 'A\ufffdB', fault: 'CHARSET_INVALID_BYTES' }, String(charset));
      assert.deepEqual(decodeDicomText(hex('41 00 42'), charset), { text: 'A\ufffdB', fault: 'CHARSET_INVALID_BYTES' }, String(charset));
    }
    assert.deepEqual(decodeDicomText(hex('4a e9 1f'), 'ISO_IR 100'), { text: 'Jé\ufffd', fault: 'CHARSET_INVALID_BYTES' });
  });

  it('TAB, LF, FF, CR, space and trailing NUL padding stay valid', () => {
    assert.deepEqual(decodeDicomText(hex('41 09 42 0d 0a 43 0c 20 00 00'), 'ISO_IR 100', { delimiters: 'text' }), { text: 'A\tB\r\nC\f \0\0', fault: null });
    const jis = decodeDicomText(hex('1b 24 42 3b 33 1b 28 42 0d 0a 41 00'), '\\ISO 2022 IR 87', { delimiters: 'text' });
    assert.deepEqual(jis, { text: '山\r\nA\0', fault: null });
  });
});

describe('splitPersonName', () => {
  it('keeps multiple values joined per group', () => {
    assert.deepEqual(splitPersonName('A^B=甲^乙\\C^D'), { alphabetic: 'A^B\\C^D', ideographic: '甲^乙\\', phonetic: '\\' });
  });
  it('trims trailing padding', () => {
    assert.deepEqual(splitPersonName('Doe^John '), { alphabetic: 'Doe^John', ideographic: '', phonetic: '' });
  });
});
