/**
 * The element structure of a whole stored dataset (PS3.5 §7), read through a `ByteSource`: values
 * up to `captureMaxBytes` are kept, larger ones are remembered by position and length only, and
 * encapsulated pixel data is recorded as its fragment positions (PS3.5 §A.4). Memory is bounded by
 * the element count and the captured bytes, whatever the size of the object. Every declared length
 * is checked against the object's end before it is trusted.
 */
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { ByteSourceError, type ByteSource } from './byte-source.js';
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from '../dicom/dictionary/value-representations.js';
import { ITEM, ITEM_DELIMITATION, PIXEL_DATA, SEQUENCE_DELIMITATION, UNDEFINED_LENGTH } from './element-headers.js';
import { IMPLICIT_VR_DICTIONARY } from './implicit-vr.generated.js';

export interface DatasetSyntax {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

export interface Fragment {
  /** Absolute offset of the fragment's first byte (after its item header). */
  readonly offset: number;
  readonly length: number;
}

export interface EncapsulatedValue {
  /** Basic Offset Table entries (PS3.5 §A.4, Table A.4-1); empty when the table is empty. */
  readonly basicOffsetTable: readonly number[];
  /** Absolute offset of the first fragment item header: Basic Offset Table entries count from here. */
  readonly firstFragmentItemOffset: number;
  readonly fragments: readonly Fragment[];
}

export interface ElementNode {
  readonly tag: number;
  /** From the stream (explicit VR), the dictionary (implicit VR), or `UN`. */
  readonly vr: string;
  /** Absolute offset of the value in the object (or the inflated dataset). */
  readonly valueOffset: number;
  /** Declared length; null for undefined length (sequences, encapsulated pixel data). */
  readonly length: number | null;
  /** The value bytes when `length <= captureMaxBytes` and not a sequence or encapsulated. */
  readonly value: Uint8Array | null;
  readonly items: readonly DatasetNode[] | null;
  readonly encapsulated: EncapsulatedValue | null;
  readonly littleEndian: boolean;
}

export interface DatasetNode {
  readonly elements: readonly ElementNode[];
}

export interface TreeLimits {
  /** Values longer than this are not read (they become bulk data). */
  readonly captureMaxBytes: number;
  readonly maxCapturedBytes: number;
  readonly maxElements: number;
  readonly maxFragments: number;
  readonly maxDepth: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = {
  captureMaxBytes: 64 * 1024,
  maxCapturedBytes: 64 * 1024 * 1024,
  maxElements: 500_000,
  maxFragments: 1_000_000,
  maxDepth: 64,
};

export { PIXEL_DATA };
const IMPLICIT_LITTLE: DatasetSyntax = { explicitVr: false, littleEndian: true };

class TreeStop extends Error {
  constructor(
    readonly code: 'DATASET_UNPARSEABLE' | 'DATASET_TRUNCATED' | 'DATASET_TOO_LARGE',
    detail: string,
  ) {
    super(detail);
  }
}

/** VR of an implicit-VR element (PS3.5 §7.1.3): dictionary, private creator, group length, else UN. */
export function implicitVrOf(tag: number): string {
  const element = tag & 0xffff;
  if (element === 0) return 'UL';
  const group = tag >>> 16;
  if (group % 2 === 1) return element >= 0x10 && element <= 0xff ? 'LO' : 'UN';
  return IMPLICIT_VR_DICTIONARY.get(tag) ?? 'UN';
}

class TreeReader {
  private elementCount = 0;
  private capturedBytes = 0;

  constructor(
    private readonly source: ByteSource,
    private readonly limits: TreeLimits,
  ) {}

  private async bytes(start: number, length: number, what: string): Promise<Uint8Array> {
    if (start + length > this.source.sizeBytes) throw new TreeStop('DATASET_TRUNCATED', `${what} runs past the end of the object`);
    return this.source.read(start, start + length);
  }

  private async header(position: number, little: boolean): Promise<{ tag: number; length: number; view: DataView; raw: Uint8Array }> {
    const raw = await this.bytes(position, Math.min(12, this.source.sizeBytes - position), 'an element header');
    if (raw.length < 8) throw new TreeStop('DATASET_TRUNCATED', 'an element header runs past the end of the object');
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const tag = ((view.getUint16(0, little) << 16) | view.getUint16(2, little)) >>> 0;
    return { tag, length: view.getUint32(4, little), view, raw };
  }

  async dataset(position: number, end: number | null, syntax: DatasetSyntax, depth: number): Promise<{ node: DatasetNode; end: number }> {
    const elements: ElementNode[] = [];
    const stopAt = end ?? this.source.sizeBytes;
    for (;;) {
      if (position === stopAt && (end !== null || depth === 0)) return { node: { elements }, end: position };
      if (position > stopAt) throw new TreeStop('DATASET_UNPARSEABLE', 'an element is longer than its item');
      const head = await this.header(position, syntax.littleEndian);
      if (head.tag === ITEM_DELIMITATION) {
        if (end !== null || depth === 0) throw new TreeStop('DATASET_UNPARSEABLE', 'an unexpected item delimiter');
        return { node: { elements }, end: position + 8 };
      }
      if (++this.elementCount > this.limits.maxElements) throw new TreeStop('DATASET_TOO_LARGE', 'too many elements');
      const parsed = await this.element(position, head, syntax, depth);
      elements.push(parsed.element);
      position = parsed.end;
    }
  }

  private async element(
    position: number,
    head: { tag: number; length: number; view: DataView; raw: Uint8Array },
    syntax: DatasetSyntax,
    depth: number,
  ): Promise<{ element: ElementNode; end: number }> {
    const little = syntax.littleEndian;
    const { tag } = head;
    if (tag >>> 16 === 0xfffe) throw new TreeStop('DATASET_UNPARSEABLE', 'an item tag among elements');
    let vr: string;
    let length: number;
    let valueOffset: number;
    if (syntax.explicitVr) {
      vr = String.fromCharCode(head.raw[4]!, head.raw[5]!);
      if (LONG_LENGTH_VRS.has(vr)) {
        if (head.raw.length < 12) throw new TreeStop('DATASET_TRUNCATED', 'an element header runs past the end of the object');
        length = head.view.getUint32(8, little);
        valueOffset = position + 12;
      } else if (SHORT_LENGTH_VRS.has(vr)) {
        length = head.view.getUint16(6, little);
        valueOffset = position + 8;
      } else {
        throw new TreeStop('DATASET_UNPARSEABLE', 'an unknown VR');
      }
    } else {
      vr = implicitVrOf(tag);
      length = head.length;
      valueOffset = position + 8;
    }
    const base = { tag, valueOffset, littleEndian: little };
    if (length === UNDEFINED_LENGTH) {
      if (tag === PIXEL_DATA) {
        const encapsulated = await this.fragments(valueOffset, little);
        return { element: { ...base, vr: syntax.explicitVr ? vr : 'OB', length: null, value: null, items: null, encapsulated }, end: encapsulated.end };
      }
      const isSequence = !syntax.explicitVr || vr === 'SQ' || vr === 'UN';
      if (!isSequence) throw new TreeStop('DATASET_UNPARSEABLE', 'undefined length on a non-sequence');
      // Explicit UN of undefined length holds implicit VR little endian items (PS3.5 §6.2.2).
      const inner = vr === 'UN' && syntax.explicitVr ? IMPLICIT_LITTLE : syntax;
      const { items, end } = await this.sequence(valueOffset, null, inner, depth + 1);
      return { element: { ...base, vr: 'SQ', length: null, value: null, items, encapsulated: null }, end };
    }
    const end = valueOffset + length;
    if (end > this.source.sizeBytes) throw new TreeStop('DATASET_TRUNCATED', 'a value runs past the end of the object');
    if (vr === 'SQ' || (!syntax.explicitVr && vr === 'UN' && (await this.looksLikeSequence(valueOffset, length, little)))) {
      const { items } = await this.sequence(valueOffset, end, syntax, depth + 1);
      return { element: { ...base, vr: 'SQ', length, value: null, items, encapsulated: null }, end };
    }
    let value: Uint8Array | null = null;
    if (length <= this.limits.captureMaxBytes) {
      this.capturedBytes += length;
      if (this.capturedBytes > this.limits.maxCapturedBytes) throw new TreeStop('DATASET_TOO_LARGE', 'the header values exceed their limit');
      value = length === 0 ? new Uint8Array(0) : Uint8Array.from(await this.bytes(valueOffset, length, 'a value'));
    }
    return { element: { ...base, vr, length, value, items: null, encapsulated: null }, end };
  }

  /** Implicit VR private data of defined length that starts with an item tag is a sequence. */
  private async looksLikeSequence(offset: number, length: number, little: boolean): Promise<boolean> {
    if (length < 8) return false;
    const head = await this.header(offset, little);
    return head.tag === ITEM && (head.length === UNDEFINED_LENGTH || head.length <= length - 8);
  }

  private async sequence(position: number, end: number | null, syntax: DatasetSyntax, depth: number): Promise<{ items: DatasetNode[]; end: number }> {
    if (depth > this.limits.maxDepth) throw new TreeStop('DATASET_UNPARSEABLE', 'sequences nested too deep');
    const items: DatasetNode[] = [];
    for (;;) {
      if (end !== null) {
        if (position === end) return { items, end };
        if (position > end) throw new TreeStop('DATASET_UNPARSEABLE', 'an item is longer than its sequence');
      }
      const head = await this.header(position, syntax.littleEndian);
      if (head.tag === SEQUENCE_DELIMITATION) {
        if (end !== null) throw new TreeStop('DATASET_UNPARSEABLE', 'a sequence delimiter in a defined-length sequence');
        return { items, end: position + 8 };
      }
      if (head.tag !== ITEM) throw new TreeStop('DATASET_UNPARSEABLE', 'expected an item');
      if (++this.elementCount > this.limits.maxElements) throw new TreeStop('DATASET_TOO_LARGE', 'too many elements');
      const itemStart = position + 8;
      if (head.length === UNDEFINED_LENGTH) {
        const parsed = await this.dataset(itemStart, null, syntax, depth);
        items.push(parsed.node);
        position = parsed.end;
      } else {
        const itemEnd = itemStart + head.length;
        if (end !== null && itemEnd > end) throw new TreeStop('DATASET_UNPARSEABLE', 'an item is longer than its sequence');
        const parsed = await this.dataset(itemStart, itemEnd, syntax, depth);
        items.push(parsed.node);
        position = itemEnd;
      }
    }
  }

  /** PS3.5 §A.4: the Basic Offset Table item, then fragment items, then a sequence delimiter. */
  private async fragments(position: number, little: boolean): Promise<EncapsulatedValue & { end: number }> {
    let basicOffsetTable: number[] | null = null;
    let firstFragmentItemOffset = -1;
    const fragments: Fragment[] = [];
    for (;;) {
      const head = await this.header(position, little);
      if (head.tag === SEQUENCE_DELIMITATION) {
        if (basicOffsetTable === null) throw new TreeStop('DATASET_UNPARSEABLE', 'encapsulated pixel data without an offset table item');
        return { basicOffsetTable, firstFragmentItemOffset: firstFragmentItemOffset < 0 ? position : firstFragmentItemOffset, fragments, end: position + 8 };
      }
      if (head.tag !== ITEM || head.length === UNDEFINED_LENGTH) throw new TreeStop('DATASET_UNPARSEABLE', 'malformed encapsulated pixel data');
      const valueStart = position + 8;
      if (valueStart + head.length > this.source.sizeBytes) throw new TreeStop('DATASET_TRUNCATED', 'a fragment runs past the end of the object');
      if (basicOffsetTable === null) {
        if (head.length % 4 !== 0 || head.length > 4 * this.limits.maxFragments) throw new TreeStop('DATASET_UNPARSEABLE', 'a malformed Basic Offset Table');
        const table = await this.bytes(valueStart, head.length, 'the Basic Offset Table');
        const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
        basicOffsetTable = [];
        for (let i = 0; i < head.length; i += 4) basicOffsetTable.push(view.getUint32(i, little));
      } else {
        if (firstFragmentItemOffset < 0) firstFragmentItemOffset = position;
        if (fragments.length >= this.limits.maxFragments) throw new TreeStop('DATASET_TOO_LARGE', 'too many pixel data fragments');
        fragments.push({ offset: valueStart, length: head.length });
      }
      position = valueStart + head.length;
    }
  }
}

/** Reads the dataset starting at `datasetOffset` to the end of `source`. */
export async function readDatasetTree(
  source: ByteSource,
  datasetOffset: number,
  syntax: DatasetSyntax,
  limits: Partial<TreeLimits> = {},
): Promise<Result<DatasetNode>> {
  const reader = new TreeReader(source, { ...DEFAULT_TREE_LIMITS, ...limits });
  try {
    return ok((await reader.dataset(datasetOffset, null, syntax, 0)).node);
  } catch (error) {
    if (error instanceof TreeStop) return err(kakuteiError(error.code, error.message));
    if (error instanceof ByteSourceError) return err(kakuteiError(error.reason === 'past-end' ? 'DATASET_TRUNCATED' : 'DATASET_TOO_LARGE', error.message));
    if (error instanceof RangeError) return err(kakuteiError('DATASET_UNPARSEABLE', 'the structure exceeds a limit'));
    throw error;
  }
}

/** The top-level element with this tag, if any. */
export function findElement(node: DatasetNode, tag: number): ElementNode | undefined {
  return node.elements.find((e) => e.tag === tag);
}
