/**
 * A bounded walk over a DICOM dataset's element structure (PS3.5 §7): it reads only what the
 * caller's schema asks for, skips everything else by its length, and treats every declared length
 * as a claim to check against what is really there (never as an allocation size).
 *
 * Structural problems throw `WalkStop` internally; `walkDataset` turns them into a result value.
 */
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from '../dictionary/value-representations.js';

export interface WalkSyntax {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

/** Which element values to keep, and which sequences to descend into with which sub-schema. */
export interface CaptureSchema {
  readonly values: ReadonlySet<number>;
  readonly sequences: ReadonlyMap<number, CaptureSchema>;
}

export interface CapturedValue {
  /** The VR from the stream (explicit VR), or `UN` under implicit VR. */
  readonly vr: string;
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
}

export interface CapturedItem {
  readonly values: Map<number, CapturedValue>;
  readonly sequences: Map<number, CapturedItem[]>;
}

export interface PixelDataInfo {
  readonly tag: number;
  /** Declared value length, or null for undefined length (encapsulated). */
  readonly length: number | null;
  /** For encapsulated pixel data in a complete dataset: the checked item structure. */
  readonly fragments: { readonly count: number; readonly totalBytes: number; readonly offsetTable: readonly number[] } | null;
}

export type WalkFailure = 'need-more-bytes' | 'truncated' | 'unparseable';

export type WalkResult =
  | { readonly ok: true; readonly root: CapturedItem; readonly pixelData: PixelDataInfo | null; readonly oddLengthTags: readonly number[] }
  | { readonly ok: false; readonly failure: WalkFailure; readonly detail: string };

/** Sequences nested deeper than this are refused (a stack-exhaustion attack otherwise). */
export const MAX_SEQUENCE_DEPTH = 64;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;

const IMPLICIT_LITTLE: WalkSyntax = { explicitVr: false, littleEndian: true };

class WalkStop extends Error {
  constructor(
    readonly failure: WalkFailure,
    detail: string,
  ) {
    super(detail);
  }
}

export function tagToString(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

class Walker {
  private readonly view: DataView;
  readonly oddLengthTags: number[] = [];
  pixelData: PixelDataInfo | null = null;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly complete: boolean,
    /**
     * The whole dataset's length when `bytes` is only a prefix of it (`complete` false): the walk
     * only reaches the first top-level Pixel Data, so a defined-length one is checked against this
     * as it would be against the whole; encapsulated pixel data still needs every byte.
     */
    private readonly datasetBytes: number | null,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Ensures `count` bytes exist at `position`: otherwise the data is short (or only a prefix). */
  private need(position: number, count: number, what: string): void {
    if (position + count > this.bytes.length) {
      throw new WalkStop(this.complete ? 'truncated' : 'need-more-bytes', `${what} runs past the end of the data`);
    }
  }

  private u16(position: number, little: boolean): number {
    return this.view.getUint16(position, little);
  }

  private u32(position: number, little: boolean): number {
    return this.view.getUint32(position, little);
  }

  private tagAt(position: number, little: boolean): number {
    return ((this.u16(position, little) << 16) | this.u16(position + 2, little)) >>> 0;
  }

  /** Top level: elements until the end of the data, or until the first top-level Pixel Data. */
  walkTop(syntax: WalkSyntax, schema: CaptureSchema): CapturedItem {
    const root: CapturedItem = { values: new Map(), sequences: new Map() };
    let position = 0;
    while (position < this.bytes.length) {
      position = this.element(position, null, syntax, 0, schema, root);
      if (this.pixelData !== null) return root;
    }
    // At an element boundary with more to come, the caller's prefix may simply end here.
    if (!this.complete) throw new WalkStop('need-more-bytes', 'the header did not end within the prefix');
    return root;
  }

  /** Elements of an item (or the top level) from `position` to `end` (null: until a delimiter). */
  private elements(position: number, end: number | null, syntax: WalkSyntax, depth: number, schema: CaptureSchema | null, item: CapturedItem | null): number {
    for (;;) {
      if (end !== null) {
        if (position === end) return position;
        if (position > end) throw new WalkStop('unparseable', 'an element is longer than its item');
      }
      this.need(position, 8, 'an element header');
      if (this.tagAt(position, syntax.littleEndian) === ITEM_DELIMITATION) {
        if (end !== null) throw new WalkStop('unparseable', 'an item delimiter inside a defined-length item');
        return position + 8;
      }
      position = this.element(position, end, syntax, depth, schema, item);
    }
  }

  private element(position: number, end: number | null, syntax: WalkSyntax, depth: number, schema: CaptureSchema | null, item: CapturedItem | null): number {
    const little = syntax.littleEndian;
    this.need(position, 8, 'an element header');
    const tag = this.tagAt(position, little);
    if (tag >>> 16 === 0xfffe) throw new WalkStop('unparseable', `unexpected item tag ${tagToString(tag)} among elements`);
    let vr = 'UN';
    let length: number;
    let valueStart: number;
    if (syntax.explicitVr) {
      vr = String.fromCharCode(this.bytes[position + 4]!, this.bytes[position + 5]!);
      if (LONG_LENGTH_VRS.has(vr)) {
        this.need(position, 12, 'an element header');
        length = this.u32(position + 8, little);
        valueStart = position + 12;
      } else if (SHORT_LENGTH_VRS.has(vr)) {
        length = this.u16(position + 6, little);
        valueStart = position + 8;
      } else {
        throw new WalkStop('unparseable', `unknown VR at ${tagToString(tag)}`);
      }
    } else {
      length = this.u32(position + 4, little);
      valueStart = position + 8;
    }

    if (depth === 0 && (tag === PIXEL_DATA || tag === FLOAT_PIXEL_DATA || tag === DOUBLE_FLOAT_PIXEL_DATA)) {
      return this.pixel(tag, valueStart, length, little);
    }

    const childSchema = schema?.sequences.get(tag) ?? null;
    if (length === UNDEFINED_LENGTH && tag === PIXEL_DATA) {
      // Encapsulated pixel data nested in a sequence (an Icon Image Sequence, PS3.3 C.7.6.1.1.6).
      return this.fragments(valueStart, little).end;
    }
    if (length === UNDEFINED_LENGTH) {
      // Only sequences (and encapsulated pixel data, handled above) may have undefined length.
      // Explicit UN of undefined length holds an implicit VR little endian sequence (PS3.5 §6.2.2).
      const isSequence = !syntax.explicitVr || vr === 'SQ' || vr === 'UN';
      if (!isSequence) throw new WalkStop('unparseable', `undefined length on a non-sequence at ${tagToString(tag)}`);
      const inner = vr === 'UN' && syntax.explicitVr ? IMPLICIT_LITTLE : syntax;
      const list = childSchema !== null && item !== null ? this.listFor(item, tag) : null;
      return this.sequence(valueStart, null, inner, depth + 1, childSchema, list);
    }

    if (length % 2 === 1) this.oddLengthTags.push(tag);
    const valueEnd = valueStart + length;
    if (end !== null && valueEnd > end) throw new WalkStop('unparseable', `${tagToString(tag)} is longer than its item`);
    this.need(valueStart, length, `the value of ${tagToString(tag)}`);
    const isSequence = syntax.explicitVr ? vr === 'SQ' : childSchema !== null;
    if (isSequence && childSchema !== null && item !== null) {
      this.sequence(valueStart, valueEnd, syntax, depth + 1, childSchema, this.listFor(item, tag));
    } else if (item !== null && schema !== null && schema.values.has(tag)) {
      item.values.set(tag, { vr, bytes: this.bytes.subarray(valueStart, valueEnd), littleEndian: little });
    }
    return valueEnd;
  }

  private listFor(item: CapturedItem, tag: number): CapturedItem[] {
    let list = item.sequences.get(tag);
    if (list === undefined) {
      list = [];
      item.sequences.set(tag, list);
    }
    return list;
  }

  /** Items of a sequence; defined-length items that nobody asked for are skipped unread. */
  private sequence(position: number, end: number | null, syntax: WalkSyntax, depth: number, schema: CaptureSchema | null, list: CapturedItem[] | null): number {
    if (depth > MAX_SEQUENCE_DEPTH) throw new WalkStop('unparseable', `sequences nested deeper than ${MAX_SEQUENCE_DEPTH}`);
    const little = syntax.littleEndian;
    for (;;) {
      if (end !== null) {
        if (position === end) return position;
        if (position > end) throw new WalkStop('unparseable', 'an item is longer than its sequence');
      }
      this.need(position, 8, 'an item header');
      const tag = this.tagAt(position, little);
      const length = this.u32(position + 4, little);
      if (tag === SEQUENCE_DELIMITATION) {
        if (end !== null) throw new WalkStop('unparseable', 'a sequence delimiter inside a defined-length sequence');
        return position + 8;
      }
      if (tag !== ITEM) throw new WalkStop('unparseable', `expected an item, found ${tagToString(tag)}`);
      const itemStart = position + 8;
      const item: CapturedItem | null = list !== null ? { values: new Map(), sequences: new Map() } : null;
      if (length === UNDEFINED_LENGTH) {
        position = this.elements(itemStart, null, syntax, depth, schema, item);
      } else {
        const itemEnd = itemStart + length;
        if (end !== null && itemEnd > end) throw new WalkStop('unparseable', 'an item is longer than its sequence');
        this.need(itemStart, length, 'an item');
        position = schema === null ? itemEnd : this.elements(itemStart, itemEnd, syntax, depth, schema, item);
      }
      if (item !== null) list!.push(item);
    }
  }

  private pixel(tag: number, valueStart: number, length: number, little: boolean): number {
    if (length !== UNDEFINED_LENGTH) {
      if (this.complete) this.need(valueStart, length, 'the pixel data');
      else if (this.datasetBytes !== null && valueStart + length > this.datasetBytes) throw new WalkStop('truncated', 'the pixel data runs past the end of the data');
      this.pixelData = { tag, length, fragments: null };
      return valueStart + Math.min(length, this.bytes.length - valueStart);
    }
    if (tag !== PIXEL_DATA) throw new WalkStop('unparseable', `undefined length on ${tagToString(tag)}`);
    // Without the whole dataset, the fragments are not ours to check yet.
    if (!this.complete && this.datasetBytes !== null) throw new WalkStop('need-more-bytes', 'encapsulated pixel data is checked over the whole dataset');
    if (this.complete) {
      const { count, totalBytes, offsetTable } = this.fragments(valueStart, little);
      this.pixelData = { tag, length: null, fragments: { count, totalBytes, offsetTable } };
    } else {
      this.pixelData = { tag, length: null, fragments: null };
    }
    return this.bytes.length;
  }

  /** PS3.5 §A.4: items (the first is the Basic Offset Table) until a sequence delimiter. */
  private fragments(position: number, little: boolean): NonNullable<PixelDataInfo['fragments']> & { end: number } {
    // The first item is the Basic Offset Table (possibly empty); the others are fragments.
    let offsetTable: number[] | null = null;
    let count = 0;
    let totalBytes = 0;
    for (;;) {
      this.need(position, 8, 'a pixel data item header');
      const tag = this.tagAt(position, little);
      const length = this.u32(position + 4, little);
      if (tag === SEQUENCE_DELIMITATION) return { count, totalBytes, offsetTable: offsetTable ?? [], end: position + 8 };
      if (tag !== ITEM || length === UNDEFINED_LENGTH) throw new WalkStop('unparseable', 'malformed encapsulated pixel data');
      this.need(position + 8, length, 'a pixel data fragment');
      if (offsetTable === null) {
        offsetTable = [];
        for (let i = 0; i + 4 <= length; i += 4) offsetTable.push(this.u32(position + 8 + i, little));
      } else {
        count++;
        totalBytes += length;
      }
      position += 8 + length;
    }
  }
}

/** Walks `bytes` (a dataset without preamble or file meta) in the given syntax. */
export function walkDataset(bytes: Uint8Array, syntax: WalkSyntax, schema: CaptureSchema, complete: boolean, datasetBytes?: number): WalkResult {
  const walker = new Walker(bytes, complete, datasetBytes ?? null);
  try {
    const root = walker.walkTop(syntax, schema);
    return { ok: true, root, pixelData: walker.pixelData, oddLengthTags: walker.oddLengthTags };
  } catch (error) {
    if (error instanceof WalkStop) return { ok: false, failure: error.failure, detail: error.message };
    if (error instanceof RangeError) return { ok: false, failure: 'unparseable', detail: 'the structure exceeds a limit' };
    throw error;
  }
}
