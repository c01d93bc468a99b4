/**
 * Locates frame N (1-based, PS3.18 10.4.1.1.4) of a stored object without reading its pixels:
 * native pixel data → one byte range (PS3.5 §8.1.1); encapsulated → the fragments of that frame
 * (PS3.5 §A.4) found through the Extended Offset Table (7FE0,0001/0002), the Basic Offset Table,
 * one fragment per frame when the counts match, or, for a single frame, all fragments.
 */
import { PassThrough, type Readable } from 'node:stream';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { EncapsulatedValue, ElementNode } from './dataset-tree.js';
import { PIXEL_DATA } from './dataset-tree.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import type { StoredObject } from './stored-object.js';

export interface ByteRange {
  readonly start: number;
  readonly endExclusive: number;
}

export interface FrameLocation {
  readonly frameNumber: number;
  readonly transferSyntaxUid: string;
  readonly encapsulated: boolean;
  /** Native: one range; encapsulated: the frame's fragments in order. */
  readonly ranges: readonly ByteRange[];
  readonly lengthBytes: number;
  /** Native 1-bit data only: where the frame's first bit sits in its first byte (PS3.5 §8.1.1). */
  readonly bitOffset: number;
  readonly pixel: PixelModule;
}

const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;

function frameNotFound(detail: string): Result<never> {
  return err(kakuteiError('FRAME_NOT_FOUND', detail));
}

function bigUints(element: ElementNode | undefined): bigint[] | null {
  if (element === undefined || element.value === null || element.value.length % 8 !== 0) return null;
  const view = new DataView(element.value.buffer, element.value.byteOffset, element.value.byteLength);
  const out: bigint[] = [];
  for (let at = 0; at < element.value.length; at += 8) out.push(view.getBigUint64(at, element.littleEndian));
  return out;
}

function nativeFrame(element: ElementNode, pixel: PixelModule, frameNumber: number): Result<Omit<FrameLocation, 'transferSyntaxUid' | 'pixel' | 'frameNumber'>> {
  const samples = pixel.rows * pixel.columns * pixel.samplesPerPixel;
  const frameBits = samples * pixel.bitsAllocated;
  const firstBit = (frameNumber - 1) * frameBits;
  const available = (element.length ?? 0) * 8;
  if (firstBit + frameBits > available) return err(kakuteiError('PIXEL_DATA_INVALID', 'the pixel data is shorter than its frames'));
  const start = element.valueOffset + Math.floor(firstBit / 8);
  const endExclusive = element.valueOffset + Math.ceil((firstBit + frameBits) / 8);
  return ok({ encapsulated: false, ranges: [{ start, endExclusive }], lengthBytes: endExclusive - start, bitOffset: firstBit % 8 });
}

function fragmentsInRange(value: EncapsulatedValue, startOffset: number, endOffset: number | null): ByteRange[] | null {
  // Offsets count from the first byte of the first fragment's item header (PS3.5 §A.4).
  const out: ByteRange[] = [];
  for (const fragment of value.fragments) {
    const itemOffset = fragment.offset - 8 - value.firstFragmentItemOffset;
    if (itemOffset < startOffset) continue;
    if (endOffset !== null && itemOffset >= endOffset) break;
    out.push({ start: fragment.offset, endExclusive: fragment.offset + fragment.length });
  }
  const first = value.fragments.find((f) => f.offset - 8 - value.firstFragmentItemOffset === startOffset);
  return first === undefined || out.length === 0 ? null : out;
}

async function encapsulatedFrame(stored: StoredObject, value: EncapsulatedValue, frames: number, frameNumber: number): Promise<Result<ByteRange[]>> {
  const bad = (detail: string) => err(kakuteiError('PIXEL_DATA_INVALID', detail));
  if (value.fragments.length === 0) return bad('encapsulated pixel data without fragments');
  const top = stored.tree.elements;
  const extended = bigUints(top.find((e) => e.tag === EXTENDED_OFFSET_TABLE));
  const extendedLengths = bigUints(top.find((e) => e.tag === EXTENDED_OFFSET_TABLE_LENGTHS));
  if (extended !== null && extended.length === frames) {
    // PS3.3 C.7.6.3.1.8: one fragment per frame; offsets as the Basic Offset Table's.
    const offset = Number(extended[frameNumber - 1]!);
    const ranges = fragmentsInRange(value, offset, offset + 1);
    if (ranges === null) return bad('the Extended Offset Table points outside the fragments');
    const declared = extendedLengths?.[frameNumber - 1];
    if (declared !== undefined && Number(declared) !== ranges[0]!.endExclusive - ranges[0]!.start) return bad('the Extended Offset Table Lengths disagree with the fragment');
    return ok(ranges);
  }
  if (value.basicOffsetTable.length > 0) {
    if (value.basicOffsetTable.length !== frames) return bad('the Basic Offset Table does not have one entry per frame');
    const start = value.basicOffsetTable[frameNumber - 1]!;
    const end = frameNumber < frames ? value.basicOffsetTable[frameNumber]! : null;
    if (end !== null && end <= start) return bad('the Basic Offset Table is not increasing');
    const ranges = fragmentsInRange(value, start, end);
    return ranges === null ? bad('the Basic Offset Table points outside the fragments') : ok(ranges);
  }
  if (frames === 1) return ok(value.fragments.map((f) => ({ start: f.offset, endExclusive: f.offset + f.length })));
  if (value.fragments.length === frames) {
    const f = value.fragments[frameNumber - 1]!;
    return ok([{ start: f.offset, endExclusive: f.offset + f.length }]);
  }
  return framesByStartMarker(stored, value, frames, frameNumber);
}

/** Fragments that begin a codestream: JPEG/JPEG-LS SOI (FFD8), JPEG 2000 SOC (FF4F FF51). */
function isCodestreamStart(head: Uint8Array): boolean {
  return head[0] === 0xff && (head[1] === 0xd8 || (head[1] === 0x4f && head[2] === 0xff && head[3] === 0x51));
}

/**
 * Several fragments per frame and no offset table: a frame starts at each fragment that begins a
 * codestream (PS3.5 §A.4 allows a frame to span fragments; a fragment never holds two frames). Reads
 * four bytes per fragment, bounded by the fragment count limit of the tree.
 */
async function framesByStartMarker(stored: StoredObject, value: EncapsulatedValue, frames: number, frameNumber: number): Promise<Result<ByteRange[]>> {
  const starts: number[] = [];
  for (let i = 0; i < value.fragments.length; i++) {
    const fragment = value.fragments[i]!;
    if (fragment.length < 4) continue;
    if (isCodestreamStart(await stored.source.read(fragment.offset, fragment.offset + 4))) starts.push(i);
  }
  if (starts.length !== frames || starts[0] !== 0) {
    return err(kakuteiError('PIXEL_DATA_INVALID', 'fragments cannot be assigned to frames without an offset table'));
  }
  const from = starts[frameNumber - 1]!;
  const to = starts[frameNumber] ?? value.fragments.length;
  return ok(value.fragments.slice(from, to).map((f) => ({ start: f.offset, endExclusive: f.offset + f.length })));
}

/** Where frame `frameNumber` (1-based) of the opened object lies. */
export async function locateFrame(stored: StoredObject, frameNumber: number): Promise<Result<FrameLocation>> {
  const pixel = readPixelModule(stored.tree);
  if (!pixel.ok) return pixel;
  const element = stored.tree.elements.find((e) => e.tag === PIXEL_DATA);
  if (element === undefined) return frameNotFound('the instance has no pixel data');
  const frames = pixel.value.numberOfFrames;
  if (!Number.isSafeInteger(frameNumber) || frameNumber < 1 || frameNumber > frames) return frameNotFound(`frame numbers run from 1 to ${frames}`);
  const base = { frameNumber, transferSyntaxUid: stored.meta.transferSyntaxUid, pixel: pixel.value };
  if (element.encapsulated === null) {
    if (stored.transferSyntax.encapsulated) return err(kakuteiError('PIXEL_DATA_INVALID', 'native pixel data in an encapsulated transfer syntax'));
    const native = nativeFrame(element, pixel.value, frameNumber);
    return native.ok ? ok({ ...base, ...native.value }) : native;
  }
  const ranges = await encapsulatedFrame(stored, element.encapsulated, frames, frameNumber);
  if (!ranges.ok) return ranges;
  const lengthBytes = ranges.value.reduce((sum, r) => sum + r.endExclusive - r.start, 0);
  return ok({ ...base, encapsulated: true, ranges: ranges.value, lengthBytes, bitOffset: 0 });
}

/** Parses a WADO-RS frame list `1,3,5` (PS3.18 8.3.5.1); every number must be a frame of the object. */
export function parseFrameList(text: string, numberOfFrames: number, maxFrames = 1000): Result<number[]> {
  const parts = text.split(',');
  if (parts.length > maxFrames) return err(kakuteiError('INVALID_REQUEST', 'too many frames requested'));
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,10}$/.test(part.trim())) return err(kakuteiError('INVALID_REQUEST', 'a frame number is not a positive integer'));
    const n = Number(part.trim());
    if (n < 1 || n > numberOfFrames) return frameNotFound(`frame numbers run from 1 to ${numberOfFrames}`);
    out.push(n);
  }
  return ok(out);
}

/** The frame's bytes as stored (fragments concatenated), streamed range by range. */
export function frameStream(stored: StoredObject, location: FrameLocation): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      for (const range of location.ranges) {
        for await (const chunk of stored.source.stream(range.start, range.endExclusive) as AsyncIterable<Buffer>) {
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
        }
      }
      out.end();
    } catch (error) {
      out.destroy(error instanceof Error ? error : new Error('frame read failed'));
    }
  })();
  return out;
}

/** The frame's bytes in memory (for decoding); refused above `maxBytes`. */
export async function readFrameBytes(stored: StoredObject, location: FrameLocation, maxBytes = 512 * 1024 * 1024): Promise<Result<Uint8Array>> {
  if (location.lengthBytes > maxBytes) return err(kakuteiError('DECODE_LIMIT_EXCEEDED', 'the frame is larger than the decoding limit'));
  const out = new Uint8Array(location.lengthBytes);
  let at = 0;
  for (const range of location.ranges) {
    for await (const chunk of stored.source.stream(range.start, range.endExclusive) as AsyncIterable<Buffer>) {
      if (at + chunk.length > out.length) return err(kakuteiError('DATASET_TRUNCATED', 'the frame is longer than located'));
      out.set(chunk, at);
      at += chunk.length;
    }
  }
  return at === location.lengthBytes ? ok(out) : err(kakuteiError('DATASET_TRUNCATED', 'the frame ends early'));
}
