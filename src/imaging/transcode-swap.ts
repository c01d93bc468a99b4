/**
 * Explicit VR Big Endian (PS3.5 §A.3, retired) to Explicit VR Little Endian, for `transcode.ts`.
 * Every element keeps its tag, VR and length; only the byte order changes (PS3.5 §7.3): headers
 * are rewritten little endian, and each value is swapped in units of its VR's size (PS3.5 §6.2):
 * 2 for US/SS/OW/AT (AT as two 16-bit halves), 4 for UL/SL/FL/OF/OL, 8 for FD/OD/SV/UV/OV; text
 * VRs, UI, OB and UN are byte strings and stay as they are. Sequences are walked item by item,
 * item and delimitation tags included, with defined and undefined lengths kept as they were; since
 * no length changes, group lengths (gggg,0000) stay valid. Native Pixel Data is OW (swapped in
 * 16-bit words) or OB (unchanged); there is no big endian encapsulated syntax.
 *
 * Memory is bounded: the structure is walked through the block-cached `ByteSource` and large
 * values are streamed through a swapping transform. The walk is done twice: once before the first
 * byte (so a malformed object is a refusal value), once while streaming.
 */
import { err, kakuteiError, ok, type ErrorCode, type Result } from '../errors/index.js';
import { ByteSourceError, type ByteSource } from './byte-source.js';
import { ITEM, ITEM_DELIMITATION, PIXEL_DATA, SEQUENCE_DELIMITATION, UNDEFINED_LENGTH, explicitHeader, implicitHeader } from './element-headers.js';
import { TranscodeStreamError } from './transcode-pixels.js';
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from '../dicom/dictionary/value-representations.js';

const MAX_DEPTH = 64;
/** Values up to this size are read and swapped in memory; larger ones are streamed. */
const IN_MEMORY_VALUE_BYTES = 64 * 1024;
/** Small pieces are gathered into chunks of about this size before being yielded. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

/** PS3.5 Table 6.2-1: the size of the binary unit each VR's value is made of. */
const SWAP_UNIT: Readonly<Record<string, 2 | 4 | 8>> = {
  US: 2, SS: 2, OW: 2, AT: 2,
  UL: 4, SL: 4, FL: 4, OF: 4, OL: 4,
  FD: 8, OD: 8, SV: 8, UV: 8, OV: 8,
};

/** A piece of the little endian output: bytes already converted, or a stored value to swap. */
type Piece = Uint8Array | { readonly start: number; readonly end: number; readonly unit: 1 | 2 | 4 | 8 };

class SwapStop extends Error {
  constructor(
    readonly code: ErrorCode,
    detail: string,
  ) {
    super(detail);
  }
}

/** Reverses each `unit`-byte group of `bytes` in place (its length is a multiple of `unit`). */
function swapInPlace(bytes: Uint8Array, unit: 2 | 4 | 8): void {
  for (let at = 0; at < bytes.length; at += unit) {
    for (let i = at, j = at + unit - 1; i < j; i++, j--) {
      const low = bytes[i]!;
      bytes[i] = bytes[j]!;
      bytes[j] = low;
    }
  }
}

class BigEndianWalker {
  constructor(private readonly source: ByteSource) {}

  private async header(position: number): Promise<DataView> {
    const available = Math.min(12, this.source.sizeBytes - position);
    if (available < 8) throw new SwapStop('DATASET_TRUNCATED', 'a header runs past the end of the object');
    const raw = await this.source.read(position, position + available);
    return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  }

  private static tagOf(view: DataView): number {
    return ((view.getUint16(0, false) << 16) | view.getUint16(2, false)) >>> 0;
  }

  /** Elements from `position` to `end`, or (null) to an item delimiter, or the object's end at depth 0. */
  async *dataset(position: number, end: number | null, depth: number): AsyncGenerator<Piece, number> {
    for (;;) {
      if (end !== null && position === end) return position;
      if (end === null && depth === 0 && position === this.source.sizeBytes) return position;
      if (end !== null && position > end) throw new SwapStop('DATASET_UNPARSEABLE', 'an element is longer than its item');
      const view = await this.header(position);
      const tag = BigEndianWalker.tagOf(view);
      if (tag === ITEM_DELIMITATION && end === null && depth > 0) {
        yield implicitHeader(tag, view.getUint32(4, false));
        return position + 8;
      }
      if (tag >>> 16 === 0xfffe) throw new SwapStop('DATASET_UNPARSEABLE', 'an item tag among elements');
      position = yield* this.element(position, view, tag, end, depth);
    }
  }

  private async *element(position: number, view: DataView, tag: number, end: number | null, depth: number): AsyncGenerator<Piece, number> {
    const vr = String.fromCharCode(view.getUint8(4), view.getUint8(5));
    const long = LONG_LENGTH_VRS.has(vr);
    if (!long && !SHORT_LENGTH_VRS.has(vr)) throw new SwapStop('DATASET_UNPARSEABLE', 'an unknown VR');
    if (long && view.byteLength < 12) throw new SwapStop('DATASET_TRUNCATED', 'a header runs past the end of the object');
    const length = long ? view.getUint32(8, false) : view.getUint16(6, false);
    const valueStart = position + (long ? 12 : 8);
    yield explicitHeader(tag, vr, length);
    if (length === UNDEFINED_LENGTH) {
      if (tag === PIXEL_DATA) throw new SwapStop('PIXEL_DATA_INVALID', 'encapsulated pixel data in a big endian dataset');
      // Explicit UN of undefined length holds implicit VR little endian items (PS3.5 §6.2.2), whose
      // end can only be found by walking them: not done, such objects are refused.
      if (vr === 'UN') throw new SwapStop('DECODE_UNSUPPORTED', 'UN of undefined length in a big endian dataset');
      if (vr !== 'SQ') throw new SwapStop('DATASET_UNPARSEABLE', 'undefined length on a non-sequence');
      return yield* this.sequence(valueStart, null, depth + 1);
    }
    const valueEnd = valueStart + length;
    if (valueEnd > this.source.sizeBytes) throw new SwapStop('DATASET_TRUNCATED', 'a value runs past the end of the object');
    if (end !== null && valueEnd > end) throw new SwapStop('DATASET_UNPARSEABLE', 'an element is longer than its item');
    if (vr === 'SQ') return yield* this.sequence(valueStart, valueEnd, depth + 1);
    const unit = SWAP_UNIT[vr] ?? 1;
    if (length % unit !== 0) throw new SwapStop('DATASET_UNPARSEABLE', `a ${vr} value whose length is not a multiple of ${unit}`);
    if (length > 0) yield { start: valueStart, end: valueEnd, unit };
    return valueEnd;
  }

  private async *sequence(position: number, end: number | null, depth: number): AsyncGenerator<Piece, number> {
    if (depth > MAX_DEPTH) throw new SwapStop('DATASET_UNPARSEABLE', 'sequences nested too deep');
    for (;;) {
      if (end !== null) {
        if (position === end) return position;
        if (position > end) throw new SwapStop('DATASET_UNPARSEABLE', 'an item is longer than its sequence');
      }
      const view = await this.header(position);
      const tag = BigEndianWalker.tagOf(view);
      const length = view.getUint32(4, false);
      if (tag === SEQUENCE_DELIMITATION) {
        if (end !== null) throw new SwapStop('DATASET_UNPARSEABLE', 'a sequence delimiter in a defined-length sequence');
        yield implicitHeader(tag, length);
        return position + 8;
      }
      if (tag !== ITEM) throw new SwapStop('DATASET_UNPARSEABLE', 'expected an item');
      yield implicitHeader(tag, length);
      const itemStart = position + 8;
      if (length === UNDEFINED_LENGTH) {
        position = yield* this.dataset(itemStart, null, depth);
      } else {
        const itemEnd = itemStart + length;
        if (end !== null && itemEnd > end) throw new SwapStop('DATASET_UNPARSEABLE', 'an item is longer than its sequence');
        position = yield* this.dataset(itemStart, itemEnd, depth);
      }
    }
  }
}

function asSwapStop(error: unknown): SwapStop | null {
  if (error instanceof SwapStop) return error;
  if (error instanceof ByteSourceError) return new SwapStop('DATASET_TRUNCATED', error.message);
  return null;
}

/** A large value, streamed from the object and swapped chunk by chunk (a unit may straddle chunks). */
async function* swappedRange(source: ByteSource, start: number, end: number, unit: 2 | 4 | 8): AsyncGenerator<Uint8Array> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source.stream(start, end) as AsyncIterable<Buffer>) {
    const joined = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const whole = joined.length - (joined.length % unit);
    const out = joined.subarray(0, whole);
    swapInPlace(out, unit);
    carry = Buffer.from(joined.subarray(whole));
    if (out.length > 0) yield out;
  }
  if (carry.length > 0) throw new SwapStop('DATASET_TRUNCATED', 'a value ends inside a unit');
}

async function* converted(source: ByteSource, datasetOffset: number): AsyncGenerator<Uint8Array> {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const take = (bytes: Uint8Array): Uint8Array | null => {
    batch.push(bytes);
    batchBytes += bytes.length;
    return batchBytes >= OUTPUT_CHUNK_BYTES ? flush() : null;
  };
  const flush = (): Uint8Array | null => {
    if (batchBytes === 0) return null;
    const out = Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    return out;
  };
  try {
    for await (const piece of new BigEndianWalker(source).dataset(datasetOffset, null, 0)) {
      let ready: Uint8Array | null;
      if (piece instanceof Uint8Array) {
        ready = take(piece);
      } else if (piece.end - piece.start <= IN_MEMORY_VALUE_BYTES) {
        // A copy: the block cache's bytes must not be swapped in place.
        const value = Buffer.from(await source.read(piece.start, piece.end));
        if (piece.unit !== 1) swapInPlace(value, piece.unit);
        ready = take(value);
      } else {
        const pending = flush();
        if (pending !== null) yield pending;
        if (piece.unit === 1) yield* source.stream(piece.start, piece.end) as AsyncIterable<Buffer>;
        else yield* swappedRange(source, piece.start, piece.end, piece.unit);
        ready = null;
      }
      if (ready !== null) yield ready;
    }
    const last = flush();
    if (last !== null) yield last;
  } catch (error) {
    const stop = asSwapStop(error);
    if (stop === null) throw error;
    throw new TranscodeStreamError(kakuteiError(stop.code, stop.message));
  }
}

/**
 * The big endian dataset at `datasetOffset` of `source`, as explicit VR little endian. The whole
 * structure is checked first (values are not read), so a malformed object is refused as a value.
 */
export async function bigEndianToLittleEndian(source: ByteSource, datasetOffset: number): Promise<Result<AsyncIterable<Uint8Array>>> {
  try {
    const walk = new BigEndianWalker(source).dataset(datasetOffset, null, 0);
    for (let step = await walk.next(); step.done !== true; step = await walk.next()) {
      // Structure only: the pieces are not read here.
    }
  } catch (error) {
    const stop = asSwapStop(error);
    if (stop === null) throw error;
    return err(kakuteiError(stop.code, stop.message));
  }
  return ok(converted(source, datasetOffset));
}
