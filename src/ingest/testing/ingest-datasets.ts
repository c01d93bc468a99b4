/**
 * Datasets for the ingest integration tests: a small CT image built with the dataset fixture
 * encoder, plus the variants each class of input needs (Japanese names, enhanced multi-frame with
 * many functional groups, encapsulated JPEG, a deflate bomb). Test-only; it trusts its input.
 */
import { randomUUID } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import { EXPLICIT_LE, el, encodeDataset, type FixtureElement, type FixtureSyntax } from '../../dicom/dataset/dataset-fixtures.js';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const ENHANCED_CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2.1';

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
} as const;

/** A UID under the UUID-derived root 2.25 (PS3.5 B.2), unique per call. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;
}

export const TAG = {
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  Modality: 0x00080060,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  NumberOfFrames: 0x00280008,
  PixelData: 0x7fe00010,
} as const;

export interface CtSpec {
  readonly sopInstanceUid?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly sopClassUid?: string;
  /** A fresh one by default: patients are matched by ID, and the first arrival's name wins. */
  readonly patientId?: string;
  /** Elements that replace the defaults with the same tag, or are added. */
  readonly elements?: readonly FixtureElement[];
  /** Tags to leave out. */
  readonly without?: readonly number[];
  /** Native pixel data length in bytes (4 × 4 × 16 bits by default). */
  readonly pixelBytes?: number;
}

/** The CT elements, sorted by tag (PS3.5 §7.1: ascending order), with fresh UIDs unless given. */
export function ctElements(spec: CtSpec = {}): FixtureElement[] {
  const base: FixtureElement[] = [
    el(TAG.SpecificCharacterSet, 'CS', 'ISO_IR 100'),
    el(0x00080008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    el(TAG.SOPClassUID, 'UI', spec.sopClassUid ?? CT_IMAGE_STORAGE),
    el(TAG.SOPInstanceUID, 'UI', spec.sopInstanceUid ?? newUid()),
    el(TAG.StudyDate, 'DA', '20240131'),
    el(0x00080030, 'TM', '101530.123'),
    el(0x00080050, 'SH', 'ACC001'),
    el(TAG.Modality, 'CS', 'CT'),
    el(0x0008103e, 'LO', 'AXIAL 5mm'),
    el(TAG.PatientName, 'PN', 'Doe^John'),
    el(TAG.PatientID, 'LO', spec.patientId ?? `PID-${randomUUID().slice(0, 8)}`),
    el(0x00100030, 'DA', '19700101'),
    el(0x00100040, 'CS', 'M'),
    el(TAG.StudyInstanceUID, 'UI', spec.studyInstanceUid ?? newUid()),
    el(TAG.SeriesInstanceUID, 'UI', spec.seriesInstanceUid ?? newUid()),
    el(0x00200011, 'IS', '3'),
    el(0x00200013, 'IS', '12'),
    el(0x00280002, 'US', [1]),
    el(0x00280004, 'CS', 'MONOCHROME2'),
    el(0x00280010, 'US', [4]),
    el(0x00280011, 'US', [4]),
    el(0x00280100, 'US', [16]),
    el(0x00280101, 'US', [12]),
    el(TAG.PixelData, 'OW', patterned(spec.pixelBytes ?? 4 * 4 * 2)),
  ];
  const byTag = new Map(base.map((e) => [e.tag, e]));
  for (const element of spec.elements ?? []) byTag.set(element.tag, element);
  for (const tag of spec.without ?? []) byTag.delete(tag);
  return [...byTag.values()].sort((a, b) => a.tag - b.tag);
}

export function ctDataset(spec: CtSpec = {}, syntax: FixtureSyntax = EXPLICIT_LE): Uint8Array {
  return encodeDataset(ctElements(spec), syntax);
}

/** Reads back a text element's value from a fixture list (to learn the UIDs a dataset was given). */
export function textOf(elements: readonly FixtureElement[], tag: number): string {
  const found = elements.find((e) => e.tag === tag);
  if (found === undefined || typeof found.value !== 'string') throw new Error(`no text element ${tag.toString(16)}`);
  return found.value;
}

/** Non-zero, position-dependent bytes, so that a shifted or truncated copy cannot compare equal. */
export function patterned(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/**
 * PS3.5 H.3.1: "Yamada^Tarou=山田^太郎=やまだ^たろう" in ISO 2022 IR 87, with its escape sequences
 * (60 bytes: even, no padding). Declared with Specific Character Set "\ISO 2022 IR 87".
 */
export const H31_PATIENT_NAME = Uint8Array.from(Buffer.from('Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B', 'latin1'));
export const H31_DECODED = { alphabetic: 'Yamada^Tarou', ideographic: '山田^太郎', phonetic: 'やまだ^たろう' } as const;

/** "山田^太郎" in Shift_JIS, padded: what some Japanese modalities send without declaring a character set. */
export const SHIFT_JIS_YAMADA_TAROU = Uint8Array.from([0x8e, 0x52, 0x93, 0x63, 0x5e, 0x91, 0xbe, 0x98, 0x59, 0x20]);

/**
 * An enhanced multi-frame header whose Per-Frame Functional Groups (PS3.3 C.7.6.16) make it about
 * 46 bytes per frame long: frame n lies at z = n. The shared group carries the orientation.
 */
export function multiFrameElements(frames: number, spec: CtSpec = {}): FixtureElement[] {
  const perFrame = Array.from({ length: frames }, (_, i) => [el(0x00209113, 'SQ', [[el(0x00200032, 'DS', `0\\0\\${i + 1}`)]])]);
  return ctElements({
    sopClassUid: ENHANCED_CT_IMAGE_STORAGE,
    pixelBytes: frames * 2 * 2 * 2,
    ...spec,
    elements: [
      el(TAG.NumberOfFrames, 'IS', String(frames)),
      el(0x00280010, 'US', [2]),
      el(0x00280011, 'US', [2]),
      el(0x52009229, 'SQ', [[el(0x00209116, 'SQ', [[el(0x00200037, 'DS', '1\\0\\0\\0\\1\\0')]])]]),
      el(0x52009230, 'SQ', perFrame, { undefinedLength: true }),
      ...(spec.elements ?? []),
    ],
  });
}

/**
 * Encapsulated Pixel Data (PS3.5 A.4): an empty Basic Offset Table, one fragment of arbitrary
 * bytes (enough for the lossy flag, which follows the transfer syntax), a sequence delimiter.
 */
export function encapsulatedPixelData(fragment: Uint8Array): FixtureElement {
  const padded = fragment.length % 2 === 0 ? fragment : Uint8Array.from([...fragment, 0]);
  const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const bytes = [0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0x00, 0xe0, ...le32(padded.length), ...padded, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
  return el(TAG.PixelData, 'OB', Uint8Array.from(bytes), { declaredLength: 0xffffffff });
}

/**
 * A Deflated Explicit VR Little Endian dataset (PS3.5 A.5) whose Pixel Data is `inflatedBytes` of
 * zeros: a few hundred KB that inflate to hundreds of MB. Built without compressing the zeros
 * each time: one compressed MiB of zeros, ended by a sync flush (byte-aligned, not final), is
 * repeated — each copy starts with a literal and only refers back to zeros — and the stream ends
 * with an empty final block (RFC 1951 §3.2.3).
 */
export function deflateBomb(spec: CtSpec, inflatedBytes: number): Uint8Array {
  const mebibyte = 1024 * 1024;
  const copies = Math.ceil(inflatedBytes / mebibyte);
  const elements = ctElements({ ...spec, elements: [...(spec.elements ?? []), el(TAG.PixelData, 'OW', new Uint8Array(0), { declaredLength: copies * mebibyte })] });
  const header = deflateRawSync(encodeDataset(elements), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const zeros = deflateRawSync(Buffer.alloc(mebibyte), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const end = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([header, ...new Array<Buffer>(copies).fill(zeros), end]);
}
