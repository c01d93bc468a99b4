/**
 * ISO/IEC 2022 decoding as DICOM uses it (PS3.5 §6.1.2.5, Annex H for Japanese): 8-bit code, no
 * locking shifts, G0 in GL (0x21–0x7E) and G1 in GR (0xA1–0xFE), sets changed only by escape
 * sequences. Never throws: invalid bytes and broken escapes decode to U+FFFD and are counted.
 */
import { KNOWN_ESCAPES, type G0Set, type G1Set, type TextCharset } from './character-sets.js';
import type { TextDecoders } from './decoders.js';

const ESC = 0x1b;
const REPLACEMENT = '\ufffd';

/** Which bytes end a value part, so that the initial code elements return (PS3.5 §6.1.2.5.3). */
export type DelimiterSet = 'text' | 'multi-valued' | 'person-name';

export interface Iso2022Outcome {
  readonly text: string;
  /** Bytes that could not be decoded, escapes that are broken or not declared. */
  readonly invalid: boolean;
}

function isControlReset(byte: number): boolean {
  // CR, LF, FF, TAB: the standard's "control characters other than ESC" that end a run.
  return byte === 0x0d || byte === 0x0a || byte === 0x0c || byte === 0x09;
}

/**
 * C0 controls and DEL that no DICOM text may carry: the default repertoire allows only TAB, LF, FF,
 * CR and ESC among the controls (PS3.5 §6.1.2.3, §6.2), and DEL belongs to no character set.
 */
export function isForbiddenControl(byte: number): boolean {
  return byte === 0x7f || (byte < 0x20 && byte !== ESC && !isControlReset(byte));
}

/** Where a run of NULs up to the end of the value begins: padding (a common device habit, trimmed later). */
function trailingNulPaddingStart(bytes: Uint8Array): number {
  let start = bytes.length;
  while (start > 0 && bytes[start - 1] === 0x00) start--;
  return start;
}

function isDelimiter(byte: number, delimiters: DelimiterSet): boolean {
  if (delimiters === 'text') return false;
  if (byte === 0x5c) return true;
  return delimiters === 'person-name' && (byte === 0x5e || byte === 0x3d);
}

/** Reads an escape sequence at `start` (pointing at ESC): ESC, intermediates 0x20–0x2F, one final. */
function readEscape(bytes: Uint8Array, start: number): { code: string; end: number } | null {
  let i = start + 1;
  while (i < bytes.length && bytes[i]! >= 0x20 && bytes[i]! <= 0x2f) i++;
  if (i >= bytes.length || i === start + 1) return null;
  const final = bytes[i]!;
  if (final < 0x30 || final > 0x7e) return null;
  return { code: String.fromCharCode(...bytes.subarray(start + 1, i + 1)), end: i + 1 };
}

export function decodeIso2022(
  bytes: Uint8Array,
  charset: TextCharset,
  delimiters: DelimiterSet,
  decoders: TextDecoders,
  allowAnyEscape = false,
): Iso2022Outcome {
  let g0: G0Set = charset.initialG0;
  let g1: G1Set | null = charset.initialG1;
  let invalid = false;
  let out = '';
  let i = 0;
  const paddingStart = trailingNulPaddingStart(bytes);

  const decodeDoubleByteRun = (): void => {
    // Collect consecutive 0x21–0x7E pairs and decode them at once through EUC-JP, in which JIS X 0208
    // is the pair with both high bits set and JIS X 0212 is the same prefixed with 0x8F.
    const prefix = g0 === 'jis-x0212' ? 1 : 0;
    const euc: number[] = [];
    while (i + 1 < bytes.length) {
      const b1 = bytes[i]!;
      const b2 = bytes[i + 1]!;
      if (b1 < 0x21 || b1 > 0x7e || b2 < 0x21 || b2 > 0x7e) break;
      if (prefix === 1) euc.push(0x8f);
      euc.push(b1 | 0x80, b2 | 0x80);
      i += 2;
    }
    const run = decoders.decode('euc-jp', Uint8Array.from(euc));
    if (run.invalid) invalid = true;
    out += run.text;
    // A lone byte inside a two-byte run (odd count, or a byte outside 0x21–0x7E other than the ones
    // handled by the main loop) cannot be decoded.
    if (i < bytes.length) {
      const b = bytes[i]!;
      if (b >= 0x21 && b <= 0x7e) {
        out += REPLACEMENT;
        invalid = true;
        i++;
      }
    }
  };

  const decodeGr = (): void => {
    const b = bytes[i]!;
    // 0x80–0x9F is the C1 control area in 8-bit ISO 2022 (PS3.5 §6.1.2.5.1), never a G1 character.
    if (g1 === null || b < 0xa0) {
      out += REPLACEMENT;
      invalid = true;
      i++;
      return;
    }
    if (g1.kind === 'katakana') {
      // JIS X 0201 katakana: 0xA1–0xDF map to U+FF61–U+FF9F.
      if (b >= 0xa1 && b <= 0xdf) out += String.fromCharCode(0xff61 + (b - 0xa1));
      else {
        out += REPLACEMENT;
        invalid = true;
      }
      i++;
      return;
    }
    if (g1.kind === 'upper-half') {
      const r = decoders.decode(g1.label, bytes.subarray(i, i + 1));
      if (r.invalid) invalid = true;
      out += r.text;
      i++;
      return;
    }
    let end = i;
    while (end < bytes.length && bytes[end]! >= 0xa1 && bytes[end]! <= 0xfe) end++;
    if (end === i) {
      // 0xA0 or 0xFF: outside a 94×94 two-byte set.
      out += REPLACEMENT;
      invalid = true;
      i++;
      return;
    }
    if ((end - i) % 2 === 1) invalid = true;
    const r = decoders.decode(g1.label, bytes.subarray(i, end - ((end - i) % 2)));
    if (r.invalid) invalid = true;
    out += r.text;
    if ((end - i) % 2 === 1) out += REPLACEMENT;
    i = end;
  };

  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === ESC) {
      const escape = readEscape(bytes, i);
      const designation = escape === null ? undefined : KNOWN_ESCAPES.get(escape.code);
      if (escape === null || designation === undefined) {
        out += REPLACEMENT;
        invalid = true;
        i = escape === null ? i + 1 : escape.end;
        continue;
      }
      // A designation the declaration did not announce is still honoured (best decoding) but flagged.
      if (!allowAnyEscape && !charset.allowedEscapes.has(escape.code)) invalid = true;
      if (designation.g0 !== undefined) g0 = designation.g0;
      if (designation.g1 !== undefined) g1 = designation.g1;
      i = escape.end;
      continue;
    }
    if (b >= 0x80) {
      decodeGr();
      continue;
    }
    if (b < 0x21 || b === 0x7f) {
      // Space and controls are the same in every set, single- or two-byte; CR/LF/FF/TAB end a run
      // (PS3.5 §6.1.2.5.3). Other controls and DEL are invalid whichever set is in G0.
      if (isForbiddenControl(b) && i < paddingStart) {
        out += REPLACEMENT;
        invalid = true;
        i++;
        continue;
      }
      if (isControlReset(b)) {
        g0 = charset.initialG0;
        g1 = charset.initialG1;
      }
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    if (g0 === 'jis-x0208' || g0 === 'jis-x0212') {
      decodeDoubleByteRun();
      continue;
    }
    if (isDelimiter(b, delimiters)) {
      g0 = charset.initialG0;
      g1 = charset.initialG1;
    }
    // ASCII and JIS X 0201 romaji share 0x21–0x7E except 0x5C (yen) and 0x7E (overline); the
    // backslash is DICOM's value delimiter, so both are kept as ASCII, as common toolkits do.
    out += String.fromCharCode(b);
    i++;
  }
  return { text: out, invalid };
}
