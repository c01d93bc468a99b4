/**
 * Explicit ↔ implicit VR Little Endian (PS3.5 §7.1.2, §7.1.3), for `transcode.ts`: a C-STORE
 * sub-operation whose peer accepts only the other one. Implicit VR Little Endian is the syntax
 * every peer must accept (PS3.5 §10.1), so it is how anything stored losslessly still reaches a
 * peer that accepts nothing else; explicit VR is what a peer gets that refuses implicit.
 *
 * Element headers change size between the two (implicit: tag and 32-bit length; explicit: tag, VR
 * and a 16- or 32-bit length), so the lengths of the sequences and items around them would be
 * wrong: every sequence and item is written with undefined length and closed by its delimiter
 * (PS3.5 §7.5.1, §7.5.2), and group length elements (gggg,0000), retired in datasets (PS3.5 §7.2),
 * are left out. Every value is copied byte for byte.
 *
 * To explicit VR, each VR comes from the data dictionary (PS3.6; `implicitVrOf`): private creators
 * are LO, other private and unknown elements UN; an element of undefined length is a sequence
 * whatever its tag (CP-246), converted item by item. To implicit VR, an explicit UN of undefined
 * length is copied as it is: its content is implicit VR already (PS3.5 §6.2.2). As DCMTK's dcmconv
 * does. "US or SS" values follow Pixel Representation (PS3.3 C.7.6.3.1); Pixel Data is
 * OB up to 8 bits allocated, else OW (PS3.5 §A.2); overlay groups (60xx), a range the dictionary
 * does not list, get their VRs from PS3.3 C.9.2.
 *
 * Memory is bounded whatever the object's size: headers are read, values passed on in pieces.
 */
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from '../dicom/dictionary/value-representations.js';
import { kakuteiError, type ErrorCode, type KakuteiError } from '../errors/index.js';
import { implicitVrOf } from './dataset-tree.js';
import { ITEM, ITEM_DELIMITATION, PIXEL_DATA, SEQUENCE_DELIMITATION, UNDEFINED_LENGTH, explicitHeader, implicitHeader } from './element-headers.js';
import { SequenceEnded, type SequentialBytes } from './sequential-bytes.js';
import { TranscodeStreamError } from './transcode-pixels.js';

export type VrDirection = 'to-implicit' | 'to-explicit';

const PIXEL_REPRESENTATION = 0x00280103;
const BITS_ALLOCATED = 0x00280100;
const MAX_DEPTH = 64;
/** Small pieces are gathered into chunks of about this size before being yielded. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

/** "US or SS" in PS3.6, signed when Pixel Representation is 1. LUT descriptors stay US, as DCMTK writes them. */
const PIXEL_VALUE_TAGS: ReadonlySet<number> = new Set([
  0x00280104, 0x00280105, 0x00280106, 0x00280107, 0x00280108, 0x00280109, 0x00280110, 0x00280111, 0x00280120, 0x00280121,
  0x00189810, 0x00409211, 0x00409216, 0x00603004, 0x00603006,
]);

/** Overlay Plane module (PS3.3 C.9.2), by element number within a 60xx group. */
const OVERLAY_VRS: ReadonlyMap<number, string> = new Map([
  [0x0010, 'US'], [0x0011, 'US'], [0x0015, 'IS'], [0x0022, 'LO'], [0x0040, 'CS'], [0x0045, 'LO'], [0x0050, 'SS'],
  [0x0051, 'US'], [0x0100, 'US'], [0x0102, 'US'], [0x1001, 'CS'], [0x1300, 'IS'], [0x1301, 'DS'], [0x1302, 'DS'],
  [0x1303, 'DS'], [0x1500, 'LO'], [0x3000, 'OW'],
]);

class VrStop extends Error {
  constructor(
    readonly code: ErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

const unparseable = (detail: string): VrStop => new VrStop('DATASET_UNPARSEABLE', detail);

function tagOf(head: Uint8Array): number {
  return ((head[0]! | (head[1]! << 8)) << 16 | (head[2]! | (head[3]! << 8))) >>> 0;
}

function uint32At(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

class VrConverter {
  /** Pixel Representation and Bits Allocated of the top-level dataset, once read (they precede what they govern). */
  private signedPixels = false;
  private bitsAllocated = 16;

  constructor(
    private readonly input: SequentialBytes,
    private readonly direction: VrDirection,
  ) {}

  /** Elements up to `end`, or (null) to an item delimiter — or, at depth 0, to the end of the input. */
  async *dataset(end: number | null, depth: number): AsyncGenerator<Uint8Array> {
    for (;;) {
      const at = this.input.position;
      if (end !== null) {
        if (at === end) return;
        if (at > end) throw unparseable('an element is longer than its item');
      } else if (depth === 0 && (await this.input.atEnd())) {
        return;
      }
      const head = await this.input.read(8);
      const tag = tagOf(head);
      if (tag === ITEM_DELIMITATION) {
        if (end !== null || depth === 0) throw unparseable('an item delimiter outside an item of undefined length');
        yield implicitHeader(ITEM_DELIMITATION, 0);
        return;
      }
      if (tag >>> 16 === 0xfffe) throw unparseable('an item tag among elements');
      yield* this.element(tag, head, depth);
    }
  }

  private async *element(tag: number, head: Uint8Array, depth: number): AsyncGenerator<Uint8Array> {
    const { vr, length } = this.direction === 'to-implicit' ? await this.readExplicit(head) : { vr: '', length: uint32At(head, 4) };
    const valueEnd = this.input.position + length;
    const targetVr = this.direction === 'to-explicit' ? this.explicitVrOf(tag, length) : vr;
    if ((tag & 0xffff) === 0) {
      // A group length: wrong once headers change size, and retired (PS3.5 §7.2).
      if (length === UNDEFINED_LENGTH) throw unparseable('a group length of undefined length');
      for await (const _ of this.input.pass(length)) void _;
      return;
    }
    if (length === UNDEFINED_LENGTH) {
      if (tag === PIXEL_DATA) throw new VrStop('PIXEL_DATA_INVALID', 'encapsulated Pixel Data has no implicit VR form');
      // In implicit VR only a sequence has undefined length, whatever the dictionary says (CP-246).
      if (targetVr === 'SQ' || this.direction === 'to-explicit') {
        yield this.header(tag, 'SQ', UNDEFINED_LENGTH);
        yield* this.sequence(null, depth + 1);
        return;
      }
      // Explicit UN of undefined length: its content is implicit VR already (PS3.5 §6.2.2), kept as it is.
      if (vr !== 'UN') throw unparseable(`undefined length on ${vr}`);
      yield this.header(tag, 'UN', UNDEFINED_LENGTH);
      yield* this.verbatimSequence(depth + 1);
      return;
    }
    if (targetVr === 'SQ') {
      yield this.header(tag, 'SQ', UNDEFINED_LENGTH);
      yield* this.sequence(valueEnd, depth + 1);
      yield implicitHeader(SEQUENCE_DELIMITATION, 0);
      return;
    }
    yield this.header(tag, targetVr, length);
    if (depth === 0 && length === 2 && (tag === PIXEL_REPRESENTATION || tag === BITS_ALLOCATED)) {
      const value = await this.input.read(2);
      const number = value[0]! | (value[1]! << 8);
      if (tag === PIXEL_REPRESENTATION) this.signedPixels = number === 1;
      else this.bitsAllocated = number;
      yield Uint8Array.from(value);
      return;
    }
    yield* this.input.pass(length);
  }

  /** The VR and length of an explicit VR header whose first 8 bytes are `head`. */
  private async readExplicit(head: Uint8Array): Promise<{ vr: string; length: number }> {
    const vr = String.fromCharCode(head[4]!, head[5]!);
    if (SHORT_LENGTH_VRS.has(vr)) return { vr, length: head[6]! | (head[7]! << 8) };
    if (!LONG_LENGTH_VRS.has(vr)) throw unparseable('an unknown VR');
    return { vr, length: uint32At(await this.input.read(4), 0) };
  }

  private explicitVrOf(tag: number, length: number): string {
    let vr = implicitVrOf(tag);
    const group = tag >>> 16;
    if (vr === 'UN' && group >= 0x6000 && group <= 0x601e && group % 2 === 0) vr = OVERLAY_VRS.get(tag & 0xffff) ?? 'UN';
    if (vr === 'US' && this.signedPixels && PIXEL_VALUE_TAGS.has(tag)) vr = 'SS';
    if (tag === PIXEL_DATA) vr = this.bitsAllocated <= 8 ? 'OB' : 'OW';
    // A value too long for a 16-bit length (not valid for its VR anyway) still goes, as UN.
    if (length !== UNDEFINED_LENGTH && length > 0xffff && !LONG_LENGTH_VRS.has(vr)) vr = 'UN';
    return vr;
  }

  private header(tag: number, vr: string, length: number): Uint8Array {
    return this.direction === 'to-implicit' ? implicitHeader(tag, length) : explicitHeader(tag, vr, length);
  }

  /** Items up to `end`, or (null) to the sequence delimiter; each written with undefined length. */
  private async *sequence(end: number | null, depth: number): AsyncGenerator<Uint8Array> {
    if (depth > MAX_DEPTH) throw unparseable('sequences nested too deep');
    for (;;) {
      if (end !== null) {
        const at = this.input.position;
        if (at === end) return;
        if (at > end) throw unparseable('an item is longer than its sequence');
      }
      const head = await this.input.read(8);
      const tag = tagOf(head);
      const length = uint32At(head, 4);
      if (tag === SEQUENCE_DELIMITATION) {
        if (end !== null) throw unparseable('a sequence delimiter in a defined-length sequence');
        yield implicitHeader(SEQUENCE_DELIMITATION, 0);
        return;
      }
      if (tag !== ITEM) throw unparseable('expected an item');
      yield implicitHeader(ITEM, UNDEFINED_LENGTH);
      if (length === UNDEFINED_LENGTH) {
        yield* this.dataset(null, depth);
        continue;
      }
      const itemEnd = this.input.position + length;
      if (end !== null && itemEnd > end) throw unparseable('an item is longer than its sequence');
      yield* this.dataset(itemEnd, depth);
      yield implicitHeader(ITEM_DELIMITATION, 0);
    }
  }

  /** A sequence of undefined length in implicit VR, copied as it is up to its delimiter included. */
  private async *verbatimSequence(depth: number): AsyncGenerator<Uint8Array> {
    if (depth > MAX_DEPTH) throw unparseable('sequences nested too deep');
    for (;;) {
      const head = Uint8Array.from(await this.input.read(8));
      yield head;
      const tag = tagOf(head);
      const length = uint32At(head, 4);
      if (tag === SEQUENCE_DELIMITATION) return;
      if (tag !== ITEM) throw unparseable('expected an item');
      if (length === UNDEFINED_LENGTH) yield* this.verbatimItem(depth);
      else yield* this.input.pass(length);
    }
  }

  /** The elements of an implicit VR item of undefined length, copied as they are up to its delimiter. */
  private async *verbatimItem(depth: number): AsyncGenerator<Uint8Array> {
    for (;;) {
      const head = Uint8Array.from(await this.input.read(8));
      yield head;
      const tag = tagOf(head);
      const length = uint32At(head, 4);
      if (tag === ITEM_DELIMITATION) return;
      if (tag >>> 16 === 0xfffe) throw unparseable('an item tag among elements');
      // In implicit VR, only a sequence has undefined length.
      if (length === UNDEFINED_LENGTH) yield* this.verbatimSequence(depth + 1);
      else yield* this.input.pass(length);
    }
  }
}

function asKakuteiError(error: unknown): KakuteiError | null {
  if (error instanceof VrStop) return kakuteiError(error.code, error.message);
  if (error instanceof SequenceEnded) return kakuteiError('DATASET_TRUNCATED', error.message);
  return null;
}

/**
 * The dataset read from `input` (explicit VR little endian for 'to-implicit', implicit for
 * 'to-explicit') in the other syntax, in chunks of about 64 KiB. A structural problem found on
 * the way throws a `TranscodeStreamError`.
 */
export async function* convertVr(input: SequentialBytes, direction: VrDirection): AsyncGenerator<Uint8Array> {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = (): Uint8Array => {
    const out = Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    return out;
  };
  try {
    for await (const piece of new VrConverter(input, direction).dataset(null, 0)) {
      if (piece.length >= OUTPUT_CHUNK_BYTES) {
        if (batchBytes > 0) yield flush();
        yield piece;
        continue;
      }
      batch.push(piece);
      batchBytes += piece.length;
      if (batchBytes >= OUTPUT_CHUNK_BYTES) yield flush();
    }
    if (batchBytes > 0) yield flush();
  } catch (error) {
    const known = asKakuteiError(error);
    if (known === null) throw error;
    throw new TranscodeStreamError(known);
  }
}

/** Walks `input` as `convertVr` would, producing nothing: the structural problem, or null. */
export async function checkVrConversion(input: SequentialBytes, direction: VrDirection): Promise<KakuteiError | null> {
  try {
    for await (const piece of new VrConverter(input, direction).dataset(null, 0)) void piece;
    return null;
  } catch (error) {
    const known = asKakuteiError(error);
    if (known === null) throw error;
    return known;
  }
}
