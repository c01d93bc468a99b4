/**
 * Decodes the bytes of one text element (SH, LO, ST, LT, UT, UC, PN) according to its dataset's
 * Specific Character Set. Never throws; problems are returned as fault codes for inspection.
 */
import { resolveCharset, type TextCharset } from './character-sets.js';
import { decodeLatin1, type TextDecoders } from './decoders.js';
import { decodeIso2022, isForbiddenControl, type DelimiterSet } from './iso2022.js';

export type CharsetFaultCode =
  /** Bytes invalid in the declared repertoire, broken or undeclared escape sequences. */
  | 'CHARSET_INVALID_BYTES'
  /** Non-ASCII bytes with only the default repertoire declared; decoded with the fallback charset. */
  | 'CHARSET_UNDECLARED';

export interface DecodedText {
  readonly text: string;
  readonly fault: CharsetFaultCode | null;
}

/** Every Japanese designation, for text that uses escapes without declaring them. */
const UNDECLARED_JAPANESE: TextCharset = resolveCharset('ISO 2022 IR 13\\ISO 2022 IR 87\\ISO 2022 IR 159');
const UNDECLARED_ASCII_FIRST: TextCharset = { ...UNDECLARED_JAPANESE, initialG0: 'ascii', initialG1: null };

function isPlainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === 0x1b) return false;
  }
  return true;
}

function decodeUndeclared(bytes: Uint8Array, charset: TextCharset, decoders: TextDecoders): DecodedText {
  if (charset.fallback !== null) {
    const r = decoders.decode(charset.fallback, bytes);
    return { text: r.text, fault: r.invalid ? 'CHARSET_INVALID_BYTES' : 'CHARSET_UNDECLARED' };
  }
  // No fallback configured: keep what is ASCII, mark the rest as undecodable.
  let text = '';
  for (const b of bytes) text += b < 0x80 ? String.fromCharCode(b) : '\ufffd';
  return { text, fault: 'CHARSET_INVALID_BYTES' };
}

/**
 * Replaces the controls no DICOM repertoire has by U+FFFD (a NUL must not reach the index); trailing
 * NULs are padding. Every encoding DICOM names outside ISO 2022 keeps bytes below 0x20 and 0x7F out
 * of its multi-byte characters, so these characters in the decoded text are exactly those bytes.
 */
function withoutForbiddenControls(decoded: DecodedText): DecodedText {
  const { text } = decoded;
  let bodyEnd = text.length;
  while (bodyEnd > 0 && text.charCodeAt(bodyEnd - 1) === 0) bodyEnd--;
  let first = 0;
  while (first < bodyEnd && !isForbiddenControl(text.charCodeAt(first))) first++;
  if (first === bodyEnd) return decoded;
  let cleaned = text.slice(0, first);
  for (let i = first; i < bodyEnd; i++) cleaned += isForbiddenControl(text.charCodeAt(i)) ? '\ufffd' : text[i]!;
  return { text: cleaned + text.slice(bodyEnd), fault: 'CHARSET_INVALID_BYTES' };
}

export function decodeText(
  bytes: Uint8Array,
  charset: TextCharset,
  delimiters: DelimiterSet,
  decoders: TextDecoders,
): DecodedText {
  if (charset.mode === 'iso2022' && !isPlainAscii(bytes)) {
    // The ISO 2022 decoder checks controls itself, in whichever set is invoked.
    const r = decodeIso2022(bytes, charset, delimiters, decoders);
    return { text: r.text, fault: r.invalid ? 'CHARSET_INVALID_BYTES' : null };
  }
  return withoutForbiddenControls(decodeSingleCodec(bytes, charset, delimiters, decoders));
}

function decodeSingleCodec(bytes: Uint8Array, charset: TextCharset, delimiters: DelimiterSet, decoders: TextDecoders): DecodedText {
  if (isPlainAscii(bytes)) return { text: decodeLatin1(bytes), fault: null };
  const codec = charset.codec;
  if (codec.kind === 'ascii') {
    // ISO 2022 escapes with nothing declared: a common device mistake; decode them and flag it.
    if (bytes.includes(0x1b)) {
      const r = decodeIso2022(bytes, UNDECLARED_ASCII_FIRST, delimiters, decoders, true);
      if (!r.invalid) return { text: r.text, fault: 'CHARSET_UNDECLARED' };
    }
    return decodeUndeclared(bytes, charset, decoders);
  }
  if (codec.kind === 'latin1') return { text: decodeLatin1(bytes), fault: null };
  const r = decoders.decode(codec.label, bytes);
  if (!r.invalid && codec.label === 'shift_jis' && hasShiftJisDoubleByte(bytes)) {
    // Declared ISO_IR 13 (JIS X 0201 only) but carrying Shift_JIS kanji: decoded, and flagged.
    return { text: r.text, fault: 'CHARSET_INVALID_BYTES' };
  }
  return { text: r.text, fault: r.invalid ? 'CHARSET_INVALID_BYTES' : null };
}

/** JIS X 0201 has only 0xA1–0xDF above 0x7F; anything else is a Shift_JIS lead byte. */
function hasShiftJisDoubleByte(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80 && (b < 0xa1 || b > 0xdf)) return true;
  return false;
}
