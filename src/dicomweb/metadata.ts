/**
 * A whole stored dataset as DICOM JSON (PS3.18 F.2, `application/dicom+json`): every element, private
 * ones and sequences included. Large and binary values are BulkDataURIs made by the caller (F.2.6),
 * small binary values are InlineBinary (F.2.7, base64 of the little endian bytes), Pixel Data is
 * always bulk data. The dataset is read through the element tree (`imaging/dataset-tree.ts`), so a
 * 1 GB multi-frame object costs its header, not its pixels.
 */
import { decodeText, resolveCharset, TextDecoders, type TextCharset } from '../dicom/charset/index.js';
import type { Result } from '../errors/index.js';
import type { DatasetNode, ElementNode } from '../imaging/dataset-tree.js';
import { openStoredObject, type OpenOptions } from '../imaging/stored-object.js';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';
import { tagHex, type TagPath } from './tag-path.js';

export interface DicomJsonElement {
  readonly vr: string;
  readonly Value?: readonly unknown[];
  readonly InlineBinary?: string;
  readonly BulkDataURI?: string;
}
export type DicomJsonObject = Record<string, DicomJsonElement>;

export interface MetadataOptions {
  /** Builds the BulkDataURI of the element at `path`; without it, bulk values are left out (vr only). */
  readonly bulkDataUri?: (path: TagPath) => string;
  /** Binary values up to this length are inlined as base64 (default 1 KiB). */
  readonly inlineBinaryMaxBytes?: number;
}

export const DEFAULT_INLINE_BINARY_MAX_BYTES = 1024;

const SPECIFIC_CHARACTER_SET = 0x00080005;
const PIXEL_DATA_TAGS = new Set([0x7fe00010, 0x7fe00008, 0x7fe00009]);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);
const SINGLE_VALUED_TEXT = new Set(['ST', 'LT', 'UT', 'UR']);
const WORD_BYTES: Readonly<Record<string, number>> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

interface Context {
  readonly charset: TextCharset;
  readonly decoders: TextDecoders;
  readonly options: MetadataOptions;
  readonly inlineMax: number;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** PS3.5 §6.2: trailing spaces and NULs are padding; leading spaces too, except in text VRs. */
function trimmed(text: string, vr: string): string {
  const end = text.replace(/[ \0]+$/, '');
  return SINGLE_VALUED_TEXT.has(vr) || vr === 'UC' ? end : end.replace(/^ +/, '');
}

function decoded(element: ElementNode, context: Context, delimiters: 'multi-valued' | 'person-name' | 'text'): string {
  const bytes = element.value!;
  if (!CHARSET_VRS.has(element.vr)) return latin1(bytes);
  return decodeText(bytes, context.charset, delimiters, context.decoders).text;
}

function textValues(element: ElementNode, context: Context): (string | null)[] {
  const text = decoded(element, context, SINGLE_VALUED_TEXT.has(element.vr) ? 'text' : 'multi-valued');
  const values = SINGLE_VALUED_TEXT.has(element.vr) ? [text] : text.split('\\');
  return values.map((v) => {
    const t = trimmed(v, element.vr);
    return t === '' ? null : t;
  });
}

/** PS3.18 F.2.2: one object per name, with only the component groups present. */
function personNames(element: ElementNode, context: Context): (Record<string, string> | null)[] {
  return decoded(element, context, 'person-name')
    .split('\\')
    .map((value) => {
      const [alphabetic = '', ideographic = '', ...phonetic] = value.split('=');
      const groups: Record<string, string> = {};
      const put = (key: string, text: string) => {
        const t = text.replace(/[ \0]+$/, '');
        if (t !== '') groups[key] = t;
      };
      put('Alphabetic', alphabetic);
      put('Ideographic', ideographic);
      put('Phonetic', phonetic.join('='));
      return Object.keys(groups).length === 0 ? null : groups;
    });
}

/** PS3.18 F.2.3.1: DS and IS as JSON numbers; a value that is not a number is kept as its text. */
function numberStrings(element: ElementNode, context: Context): (number | string | null)[] {
  return textValues(element, context).map((v) => {
    if (v === null) return null;
    const n = Number(v.trim());
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) && Number.isFinite(n) ? n : v;
  });
}

function binaryNumbers(element: ElementNode): (number | string)[] {
  const bytes = element.value!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = element.littleEndian;
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8, AT: 4 }[element.vr] ?? 1;
  const out: (number | string)[] = [];
  for (let at = 0; at + size <= bytes.length; at += size) {
    switch (element.vr) {
      case 'US': out.push(view.getUint16(at, little)); break;
      case 'SS': out.push(view.getInt16(at, little)); break;
      case 'UL': out.push(view.getUint32(at, little)); break;
      case 'SL': out.push(view.getInt32(at, little)); break;
      case 'FL': out.push(view.getFloat32(at, little)); break;
      case 'FD': out.push(view.getFloat64(at, little)); break;
      case 'AT': out.push(tagHex(((view.getUint16(at, little) << 16) | view.getUint16(at + 2, little)) >>> 0)); break;
      default: {
        // PS3.18 F.2.3.1: 64-bit integers beyond 2^53 travel as strings.
        const big = element.vr === 'SV' ? view.getBigInt64(at, little) : view.getBigUint64(at, little);
        out.push(big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big.toString());
      }
    }
  }
  return out.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** InlineBinary is little endian (PS3.18 F.2.7): words of a big endian object are swapped. */
function littleEndianBytes(element: ElementNode): Buffer {
  const bytes = Buffer.from(element.value!);
  const word = WORD_BYTES[element.vr];
  if (element.littleEndian || word === undefined) return bytes;
  for (let at = 0; at + word <= bytes.length; at += word) bytes.subarray(at, at + word).reverse();
  return bytes;
}

function bulk(vr: string, path: TagPath, context: Context): DicomJsonElement {
  const uri = context.options.bulkDataUri?.(path);
  return uri === undefined ? { vr } : { vr, BulkDataURI: uri };
}

function convertElement(element: ElementNode, path: TagPath, context: Context): DicomJsonElement {
  const { vr } = element;
  if (element.items !== null) {
    const items = element.items.map((item, index) => convertDataset(item, path, index, context));
    return items.length === 0 ? { vr: 'SQ' } : { vr: 'SQ', Value: items };
  }
  if (PIXEL_DATA_TAGS.has(element.tag) || element.encapsulated !== null) return bulk(vr, path, context);
  if (element.value === null) return bulk(vr, path, context);
  if (element.value.length === 0) return { vr };
  if (BINARY_VRS.has(vr)) {
    if (element.value.length > context.inlineMax) return bulk(vr, path, context);
    return { vr, InlineBinary: littleEndianBytes(element).toString('base64') };
  }
  let values: readonly unknown[];
  switch (vr) {
    case 'PN': values = personNames(element, context); break;
    case 'DS':
    case 'IS': values = numberStrings(element, context); break;
    case 'US': case 'SS': case 'UL': case 'SL': case 'FL': case 'FD': case 'SV': case 'UV': case 'AT':
      values = binaryNumbers(element); break;
    default: values = textValues(element, context);
  }
  return values.every((v) => v === null) && values.length <= 1 ? { vr } : { vr, Value: values };
}

function convertDataset(node: DatasetNode, parentPath: TagPath | null, itemIndex: number, parent: Context): DicomJsonObject {
  // An item may declare its own Specific Character Set (PS3.5 §6.1.2.5.3 / Annex F of PS3.3 C.12.1.1.2).
  const declared = node.elements.find((e) => e.tag === SPECIFIC_CHARACTER_SET);
  const context = declared !== undefined && declared.value !== null ? { ...parent, charset: resolveCharset(latin1(declared.value).replace(/[ \0]+$/, '').replace(/^ +/, '')) } : parent;
  const out: DicomJsonObject = {};
  const prefix: TagPath = parentPath === null ? [] : [...parentPath.slice(0, -1), { tag: parentPath[parentPath.length - 1]!.tag, item: itemIndex }];
  for (const element of node.elements) {
    out[tagHex(element.tag)] = convertElement(element, [...prefix, { tag: element.tag }], context);
  }
  return out;
}

/** The element tree of a dataset as a DICOM JSON object (PS3.18 F.2). */
export function datasetToDicomJson(root: DatasetNode, options: MetadataOptions = {}): DicomJsonObject {
  const context: Context = {
    charset: resolveCharset(null),
    decoders: new TextDecoders(),
    options,
    inlineMax: options.inlineBinaryMaxBytes ?? DEFAULT_INLINE_BINARY_MAX_BYTES,
  };
  return convertDataset(root, null, 0, context);
}

/** The metadata of one stored instance (WADO-RS `/metadata` returns an array of these). */
export async function readInstanceMetadata(
  store: ObjectStore,
  key: ObjectKey,
  options: MetadataOptions & OpenOptions = {},
): Promise<Result<DicomJsonObject>> {
  const opened = await openStoredObject(store, key, options);
  if (!opened.ok) return opened;
  return { ok: true, value: datasetToDicomJson(opened.value.tree, options) };
}
