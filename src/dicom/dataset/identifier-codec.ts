/**
 * Identifiers: the small datasets of C-FIND/C-MOVE/C-GET requests and responses (PS3.4 C.4) and of
 * Storage Commitment (PS3.4 J.3). Decoding turns the request bytes into attribute values (text
 * decoded under its Specific Character Set); encoding writes response identifiers in implicit or
 * explicit VR little endian, text in UTF-8 (ISO_IR 192, declared in (0008,0005)) when not ASCII.
 *
 * The VR of each key comes from a small table of the query keys of PS3.4 C.6.1.1 / C.6.2.1 (required
 * and optional keys of each level) and of PS3.4 J.3: not a data dictionary. Unknown keys are kept
 * by tag, without value, so that the caller can ignore them (PS3.4 C.4.1.1.3.1: an unsupported
 * optional key is not returned).
 */
import { resolveCharset } from '../charset/character-sets.js';
import { decodeText } from '../charset/decode-text.js';
import { TextDecoders } from '../charset/decoders.js';
import { LONG_LENGTH_VRS } from '../dictionary/value-representations.js';

const KEYS = [
  // Common to every level (PS3.4 C.4.1.1.3, C.4.1.1.3.2, C.4.1.1.4)
  ['SpecificCharacterSet', 0x00080005, 'CS'],
  ['QueryRetrieveLevel', 0x00080052, 'CS'],
  ['RetrieveAETitle', 0x00080054, 'AE'],
  ['InstanceAvailability', 0x00080056, 'CS'],
  ['FailedSOPInstanceUIDList', 0x00080058, 'UI'],
  ['TimezoneOffsetFromUTC', 0x00080201, 'SH'],
  // Patient level (C.6.1.1.2)
  ['PatientName', 0x00100010, 'PN'],
  ['PatientID', 0x00100020, 'LO'],
  ['IssuerOfPatientID', 0x00100021, 'LO'],
  ['PatientBirthDate', 0x00100030, 'DA'],
  ['PatientBirthTime', 0x00100032, 'TM'],
  ['PatientSex', 0x00100040, 'CS'],
  ['OtherPatientNames', 0x00101001, 'PN'],
  ['EthnicGroup', 0x00102160, 'SH'],
  ['PatientComments', 0x00104000, 'LT'],
  ['NumberOfPatientRelatedStudies', 0x00201200, 'IS'],
  ['NumberOfPatientRelatedSeries', 0x00201202, 'IS'],
  ['NumberOfPatientRelatedInstances', 0x00201204, 'IS'],
  // Study level (C.6.1.1.3, C.6.2.1.2)
  ['StudyDate', 0x00080020, 'DA'],
  ['StudyTime', 0x00080030, 'TM'],
  ['AccessionNumber', 0x00080050, 'SH'],
  ['ModalitiesInStudy', 0x00080061, 'CS'],
  ['SOPClassesInStudy', 0x00080062, 'UI'],
  ['ReferringPhysicianName', 0x00080090, 'PN'],
  ['StudyDescription', 0x00081030, 'LO'],
  ['NameOfPhysiciansReadingStudy', 0x00081060, 'PN'],
  ['AdmittingDiagnosesDescription', 0x00081080, 'LO'],
  ['PatientAge', 0x00101010, 'AS'],
  ['PatientSize', 0x00101020, 'DS'],
  ['PatientWeight', 0x00101030, 'DS'],
  ['Occupation', 0x00102180, 'SH'],
  ['AdditionalPatientHistory', 0x001021b0, 'LT'],
  ['StudyInstanceUID', 0x0020000d, 'UI'],
  ['StudyID', 0x00200010, 'SH'],
  ['NumberOfStudyRelatedSeries', 0x00201206, 'IS'],
  ['NumberOfStudyRelatedInstances', 0x00201208, 'IS'],
  // Series level (C.6.1.1.4)
  ['SeriesDate', 0x00080021, 'DA'],
  ['SeriesTime', 0x00080031, 'TM'],
  ['Modality', 0x00080060, 'CS'],
  ['SeriesDescription', 0x0008103e, 'LO'],
  ['BodyPartExamined', 0x00180015, 'CS'],
  ['SeriesInstanceUID', 0x0020000e, 'UI'],
  ['SeriesNumber', 0x00200011, 'IS'],
  ['NumberOfSeriesRelatedInstances', 0x00201209, 'IS'],
  ['PerformedProcedureStepStartDate', 0x00400244, 'DA'],
  ['PerformedProcedureStepStartTime', 0x00400245, 'TM'],
  // Composite object instance level (C.6.1.1.5)
  ['ImageType', 0x00080008, 'CS'],
  ['SOPClassUID', 0x00080016, 'UI'],
  ['SOPInstanceUID', 0x00080018, 'UI'],
  ['ContentDate', 0x00080023, 'DA'],
  ['ContentTime', 0x00080033, 'TM'],
  ['AvailableTransferSyntaxUID', 0x00083002, 'UI'],
  ['InstanceNumber', 0x00200013, 'IS'],
  ['NumberOfFrames', 0x00280008, 'IS'],
  ['Rows', 0x00280010, 'US'],
  ['Columns', 0x00280011, 'US'],
  ['BitsAllocated', 0x00280100, 'US'],
  // Storage Commitment (PS3.4 J.3.2, J.3.3)
  ['ReferencedSOPClassUID', 0x00081150, 'UI'],
  ['ReferencedSOPInstanceUID', 0x00081155, 'UI'],
  ['TransactionUID', 0x00081195, 'UI'],
  ['FailureReason', 0x00081197, 'US'],
  ['FailedSOPSequence', 0x00081198, 'SQ'],
  ['ReferencedSOPSequence', 0x00081199, 'SQ'],
] as const;

export type IdentifierKeyword = (typeof KEYS)[number][0];
export type IdentifierVr = (typeof KEYS)[number][2];

export interface IdentifierKey {
  readonly keyword: IdentifierKeyword;
  readonly tag: number;
  readonly vr: IdentifierVr;
}

export const IDENTIFIER_KEYS_BY_TAG: ReadonlyMap<number, IdentifierKey> = new Map(KEYS.map(([keyword, tag, vr]) => [tag, { keyword, tag, vr }] as const));
export const IDENTIFIER_KEYS_BY_KEYWORD: ReadonlyMap<IdentifierKeyword, IdentifierKey> = new Map(KEYS.map(([keyword, tag, vr]) => [keyword, { keyword, tag, vr }] as const));

/** One decoded element of a request identifier. */
export interface IdentifierElement {
  readonly tag: number;
  /** Null for a key that is not in our table (its value is not decoded). */
  readonly keyword: IdentifierKeyword | null;
  readonly vr: string;
  /**
   * The values, split on `\` (VM > 1), padding removed; empty array for a zero-length element
   * (universal matching, PS3.4 C.2.2.2.3). Wildcards `*` `?` and any other character are kept as
   * sent. PN values keep their `=` groups and `^` components. US values as decimal strings.
   */
  readonly values: readonly string[];
  /** Items of a sequence (SQ); empty for other VRs. */
  readonly items: readonly DecodedIdentifier[];
}

export interface DecodedIdentifier {
  /** Every element, in the order received (ascending tags in a valid dataset). */
  readonly elements: ReadonlyMap<number, IdentifierElement>;
  /** Text that could not be decoded cleanly under the declared character set (tags). */
  readonly charsetFaults: readonly number[];
}

export type IdentifierDecodeFailure = { readonly ok: false; readonly detail: string };
export type IdentifierDecodeResult = { readonly ok: true; readonly identifier: DecodedIdentifier } | IdentifierDecodeFailure;

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Limits of a request identifier: a handful of keys, a few levels of sequences. */
export const MAX_IDENTIFIER_ELEMENTS = 4096;
export const MAX_IDENTIFIER_DEPTH = 8;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);
/** VRs whose leading spaces are not significant either (PS3.5 table 6.2-1). */
const TRIM_BOTH_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI']);
const KNOWN_VR = /^[A-Z]{2}$/;

/** Whether identifiers can be read and written in this transfer syntax (little endian, not deflated). */
export function isIdentifierTransferSyntax(transferSyntaxUid: string): boolean {
  return transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN || transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN;
}

class Stop extends Error {}

interface DecodeState {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly explicitVr: boolean;
  readonly decoders: TextDecoders;
  elementCount: number;
}

/**
 * Decodes an identifier. Every length is checked against what remains; element count and sequence
 * depth are bounded. The Specific Character Set of the top level applies to items too (PS3.5 §6.1.2.5.3
 * allows items their own; we honour an item's own declaration when present).
 */
export function decodeIdentifier(bytes: Uint8Array, transferSyntaxUid: string): IdentifierDecodeResult {
  if (!isIdentifierTransferSyntax(transferSyntaxUid)) return { ok: false, detail: 'identifier transfer syntax not supported' };
  const state: DecodeState = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    explicitVr: transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN,
    decoders: new TextDecoders(),
    elementCount: 0,
  };
  try {
    return { ok: true, identifier: readItem(state, 0, bytes.length, 0, null, null).item };
  } catch (error) {
    if (error instanceof Stop) return { ok: false, detail: error.message };
    throw error;
  }
}

function readItem(s: DecodeState, start: number, end: number, depth: number, inherited: string | null, delimited: 'item' | null): { item: DecodedIdentifier; next: number } {
  const elements = new Map<number, IdentifierElement>();
  const charsetFaults: number[] = [];
  let charset = inherited;
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new Stop('truncated element header');
    const tag = ((s.view.getUint16(at, true) << 16) | s.view.getUint16(at + 2, true)) >>> 0;
    if (tag === ITEM_DELIMITATION && delimited === 'item') return { item: { elements, charsetFaults }, next: at + 8 };
    if (++s.elementCount > MAX_IDENTIFIER_ELEMENTS) throw new Stop('too many elements in the identifier');
    let vr: string;
    let length: number;
    let headerBytes: number;
    if (s.explicitVr) {
      vr = String.fromCharCode(s.bytes[at + 4]!, s.bytes[at + 5]!);
      if (!KNOWN_VR.test(vr)) throw new Stop('invalid VR');
      if (LONG_LENGTH_VRS.has(vr)) {
        if (end - at < 12) throw new Stop('truncated element header');
        length = s.view.getUint32(at + 8, true);
        headerBytes = 12;
      } else {
        length = s.view.getUint16(at + 6, true);
        headerBytes = 8;
      }
    } else {
      vr = IDENTIFIER_KEYS_BY_TAG.get(tag)?.vr ?? 'UN';
      length = s.view.getUint32(at + 4, true);
      headerBytes = 8;
    }
    const valueStart = at + headerBytes;
    const key = IDENTIFIER_KEYS_BY_TAG.get(tag) ?? null;
    if (vr === 'SQ' || (length === UNDEFINED_LENGTH && (vr === 'UN' || key?.vr === 'SQ'))) {
      const { items, next } = readSequence(s, valueStart, end, length, depth + 1, charset);
      elements.set(tag, { tag, keyword: key?.keyword ?? null, vr: 'SQ', values: [], items });
      at = next;
      continue;
    }
    if (length === UNDEFINED_LENGTH) throw new Stop('undefined length on a non-sequence element');
    if (length > end - valueStart) throw new Stop('element longer than the identifier');
    const raw = s.bytes.subarray(valueStart, valueStart + length);
    at = valueStart + length;
    if (tag === 0x00080005) charset = decodeAscii(raw).replace(/[ \0]+$/, '') || null;
    if (key === null) {
      elements.set(tag, { tag, keyword: null, vr, values: [], items: [] });
      continue;
    }
    const { values, fault } = decodeValues(s, key.vr, raw, charset);
    if (fault) charsetFaults.push(tag);
    elements.set(tag, { tag, keyword: key.keyword, vr: key.vr, values, items: [] });
  }
  if (delimited === 'item') throw new Stop('item without its delimitation item');
  return { item: { elements, charsetFaults }, next: at };
}

function readSequence(s: DecodeState, start: number, end: number, length: number, depth: number, charset: string | null): { items: DecodedIdentifier[]; next: number } {
  if (depth > MAX_IDENTIFIER_DEPTH) throw new Stop('sequences nested too deep');
  const undefinedLength = length === UNDEFINED_LENGTH;
  if (!undefinedLength && length > end - start) throw new Stop('sequence longer than the identifier');
  const limit = undefinedLength ? end : start + length;
  const items: DecodedIdentifier[] = [];
  let at = start;
  while (at < limit) {
    if (limit - at < 8) throw new Stop('truncated item header');
    const tag = ((s.view.getUint16(at, true) << 16) | s.view.getUint16(at + 2, true)) >>> 0;
    const itemLength = s.view.getUint32(at + 4, true);
    if (tag === SEQUENCE_DELIMITATION && undefinedLength) return { items, next: at + 8 };
    if (tag !== ITEM) throw new Stop('expected an item in a sequence');
    if (itemLength === UNDEFINED_LENGTH) {
      const { item, next } = readItem(s, at + 8, limit, depth, charset, 'item');
      items.push(item);
      at = next;
    } else {
      if (itemLength > limit - at - 8) throw new Stop('item longer than its sequence');
      items.push(readItem(s, at + 8, at + 8 + itemLength, depth, charset, null).item);
      at += 8 + itemLength;
    }
  }
  if (undefinedLength) throw new Stop('sequence without its delimitation item');
  return { items, next: at };
}

function decodeValues(s: DecodeState, vr: IdentifierVr, raw: Uint8Array, charset: string | null): { values: string[]; fault: boolean } {
  if (raw.length === 0) return { values: [], fault: false };
  if (vr === 'US') {
    const values: string[] = [];
    for (let i = 0; i + 2 <= raw.length; i += 2) values.push(String(raw[i]! | (raw[i + 1]! << 8)));
    return { values, fault: false };
  }
  let text: string;
  let fault = false;
  if (TEXT_VRS.has(vr)) {
    const decoded = decodeText(raw, resolveCharset(charset, null), vr === 'PN' ? 'person-name' : 'multi-valued', s.decoders);
    text = decoded.text;
    fault = decoded.fault !== null;
  } else {
    text = decodeAscii(raw);
  }
  // LT is single-valued: a backslash is a character there (PS3.5 §6.2).
  const parts = vr === 'LT' ? [text] : text.split('\\');
  const trimBoth = TRIM_BOTH_VRS.has(vr);
  return { values: parts.map((p) => (trimBoth ? p.replace(/^[ ]+|[ \0]+$/g, '') : p.replace(/[ \0]+$/, ''))), fault };
}

function decodeAscii(raw: Uint8Array): string {
  let out = '';
  for (const b of raw) out += b < 0x80 ? String.fromCharCode(b) : '\ufffd';
  return out;
}

/** A value to send: text (VM 1), several values (VM > 1), a number (IS/US), null/'' (zero length), or items. */
export type IdentifierValue = string | number | null | readonly (string | number)[] | readonly IdentifierRecord[];
/** A response identifier by keyword, e.g. `{ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.3' }`. */
export type IdentifierRecord = { readonly [K in IdentifierKeyword]?: IdentifierValue };

export const UTF8_CHARACTER_SET = 'ISO_IR 192';

/**
 * Encodes a response identifier (elements in ascending tag order). When any text is not ASCII, all
 * text is written in UTF-8 and (0008,0005) says `ISO_IR 192`; otherwise a Specific Character Set
 * given by the caller is written as is.
 */
export function encodeIdentifier(record: IdentifierRecord, transferSyntaxUid: string): Buffer {
  if (!isIdentifierTransferSyntax(transferSyntaxUid)) throw new RangeError('identifier transfer syntax not supported');
  const explicitVr = transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN;
  const needsUtf8 = hasNonAscii(record);
  return encodeRecord(needsUtf8 ? { ...record, SpecificCharacterSet: UTF8_CHARACTER_SET } : record, explicitVr);
}

function encodeRecord(record: IdentifierRecord, explicitVr: boolean): Buffer {
  const keys = (Object.keys(record) as IdentifierKeyword[])
    .map((k) => IDENTIFIER_KEYS_BY_KEYWORD.get(k))
    .filter((k): k is IdentifierKey => k !== undefined)
    .sort((a, b) => a.tag - b.tag);
  const parts: Buffer[] = [];
  for (const key of keys) {
    const value = record[key.keyword];
    if (value === undefined) continue;
    const body = key.vr === 'SQ' ? encodeItems(value, explicitVr) : encodeValue(key.vr, value);
    parts.push(elementHeader(key.tag, key.vr, body.length, explicitVr), body);
  }
  return Buffer.concat(parts);
}

function encodeItems(value: IdentifierValue, explicitVr: boolean): Buffer {
  if (!Array.isArray(value)) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const item of value as readonly unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const body = encodeRecord(item, explicitVr);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(body.length, 4);
    parts.push(head, body);
  }
  return Buffer.concat(parts);
}

function encodeValue(vr: IdentifierVr, value: IdentifierValue): Buffer {
  if (value === null) return Buffer.alloc(0);
  const list = (Array.isArray(value) ? value : [value]) as readonly (string | number)[];
  if (vr === 'US') {
    const out = Buffer.alloc(list.length * 2);
    list.forEach((v, i) => out.writeUInt16LE(Number(v) & 0xffff, i * 2));
    return out;
  }
  const text = list.map((v) => String(v)).join('\\');
  const raw = Buffer.from(text, 'utf8');
  if (raw.length % 2 === 0) return raw;
  return Buffer.concat([raw, Buffer.from([vr === 'UI' ? 0x00 : 0x20])]);
}

function elementHeader(tag: number, vr: string, length: number, explicitVr: boolean): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const head = Buffer.alloc(explicitVr && long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  if (!explicitVr) {
    head.writeUInt32LE(length, 4);
  } else if (long) {
    head.write(vr, 4, 'latin1');
    head.writeUInt32LE(length, 8);
  } else {
    if (length > 0xffff) throw new RangeError('value too long for its VR');
    head.write(vr, 4, 'latin1');
    head.writeUInt16LE(length, 6);
  }
  return head;
}

const NON_ASCII = /[^ -~\t\n\r]/u;

function hasNonAscii(record: IdentifierRecord): boolean {
  for (const value of Object.values<IdentifierValue | undefined>(record)) {
    if (typeof value === 'string' && NON_ASCII.test(value)) return true;
    if (Array.isArray(value)) {
      for (const v of value as readonly unknown[]) {
        if (typeof v === 'string' && NON_ASCII.test(v)) return true;
        if (typeof v === 'object' && v !== null && hasNonAscii(v)) return true;
      }
    }
  }
  return false;
}
