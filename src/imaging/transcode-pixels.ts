/**
 * Encapsulated (lossless) pixel data to native, for `transcode.ts`. The dataset of an encapsulated
 * transfer syntax is explicit VR little endian outside Pixel Data (PS3.5 §A.4), so it is copied as
 * stored, byte ranges straight from the object, except:
 * - Pixel Data (7FE0,0010) becomes a native OB/OW value of defined, even length (PS3.5 §8.1.1,
 *   §8.2), written one decoded frame at a time (no more than one frame is held at once);
 * - Photometric Interpretation (0028,0004) and Planar Configuration (0028,0006) say what decoding
 *   produced (e.g. YBR_RCT/YBR_ICT JPEG 2000 comes out RGB, PS3.5 §8.2.4; RLE comes out
 *   colour-by-pixel);
 * - the Extended Offset Table (7FE0,0001/0002, PS3.3 C.7.6.3.1.8) and the group lengths of the
 *   groups that change (0028,0000 / 7FE0,0000) are dropped: they would describe the old encoding;
 * - an Icon Image Sequence (0088,0200, type 3) holding encapsulated pixel data is dropped: native
 *   data may not contain encapsulated values.
 * Lossy Image Compression (0028,2110) stays as it was: a lossless decode loses nothing.
 */
import { err, kakuteiError, ok, type KakuteiError, type Result } from '../errors/index.js';
import type { ByteSource } from './byte-source.js';
import type { DatasetNode, ElementNode } from './dataset-tree.js';
import { PIXEL_DATA } from './dataset-tree.js';
import type { DecodedFrame } from './decode-frame.js';
import { decodeRequestOf, waitingOutBusy, type DecodePool } from './decode-pool.js';
import { locateFrame, readFrameBytes, type FrameLocation } from './frames.js';
import { readPixelModule, type PixelModule } from './pixel-module.js';
import { openStoredSource, type StoredObject } from './stored-object.js';
import { inObjectContainer } from './native-frame.js';

const TAG = {
  PixelGroupLength: 0x00280000,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  PixelDataGroupLength: 0x7fe00000,
  IconImageSequence: 0x00880200,
} as const;
const DROPPED = new Set<number>([TAG.PixelGroupLength, TAG.PixelDataGroupLength, TAG.ExtendedOffsetTable, TAG.ExtendedOffsetTableLengths]);
/** Explicit VR elements whose header is 12 bytes (PS3.5 §7.1.2); the others have 8. */
const LONG_HEADER_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const MAX_DEFINED_LENGTH = 0xfffffffe;

/** A failure found while the converted dataset is already streaming (the sender must abort). */
export class TranscodeStreamError extends Error {
  constructor(readonly error: KakuteiError) {
    super(`${error.code}${error.detail === undefined ? '' : `: ${error.detail}`}`);
    this.name = 'TranscodeStreamError';
  }
}

type Piece = { readonly kind: 'copy'; readonly start: number; end: number } | { readonly kind: 'bytes'; readonly bytes: Uint8Array } | { readonly kind: 'pixels' };

/** What a frame decodes to; every frame must decode to the same. */
interface FrameShape {
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
  readonly bitsAllocated: number;
}

function headerStart(element: ElementNode): number {
  return element.valueOffset - (LONG_HEADER_VRS.has(element.vr) ? 12 : 8);
}

function containsEncapsulated(node: DatasetNode): boolean {
  return node.elements.some((e) => e.encapsulated !== null || (e.items ?? []).some(containsEncapsulated));
}

/** An explicit VR little endian element with a 2-byte length (PS3.5 §7.1.2). */
function shortElement(tag: number, vr: string, value: Uint8Array): Uint8Array {
  const out = Buffer.alloc(8 + value.length);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write(vr, 4, 'latin1');
  out.writeUInt16LE(value.length, 6);
  out.set(value, 8);
  return out;
}

function codeString(text: string): Uint8Array {
  return Buffer.from(text.length % 2 === 0 ? text : `${text} `, 'latin1');
}

function unsignedShort(value: number): Uint8Array {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(value, 0);
  return out;
}

/** Native Pixel Data header: OW above 8 bits allocated, else OB (PS3.5 §8.1.2, §8.2). */
function pixelDataHeader(vr: 'OB' | 'OW', length: number): Uint8Array {
  const out = Buffer.alloc(12);
  out.writeUInt16LE(0x7fe0, 0);
  out.writeUInt16LE(0x0010, 2);
  out.write(vr, 4, 'latin1');
  out.writeUInt32LE(length, 8);
  return out;
}

class FrameDecoder {
  constructor(
    private readonly pool: DecodePool,
    private readonly stored: StoredObject,
    private readonly locations: readonly FrameLocation[],
  ) {}

  /** Decodes frame `index` (0-based), waiting out a full pool queue (DICOMweb traffic). */
  async decode(index: number): Promise<Result<DecodedFrame>> {
    const location = this.locations[index]!;
    const bytes = await readFrameBytes(this.stored, location);
    if (!bytes.ok) return bytes;
    return waitingOutBusy(() => this.pool.decode(decodeRequestOf(location.pixel, this.stored.meta.transferSyntaxUid, bytes.value)));
  }
}

function shapeOf(frame: DecodedFrame): FrameShape {
  return { photometricInterpretation: frame.photometricInterpretation, planarConfiguration: frame.planarConfiguration, bitsAllocated: frame.bitsAllocated };
}

function sameShape(a: FrameShape, b: FrameShape): boolean {
  return a.photometricInterpretation === b.photometricInterpretation && a.planarConfiguration === b.planarConfiguration && a.bitsAllocated === b.bitsAllocated;
}

/** The pieces of the converted dataset, in order: copied ranges, rewritten elements, the frames. */
function planPieces(stored: StoredObject, pixel: PixelModule, shape: FrameShape, pixelLength: number): Result<Piece[]> {
  const elements = stored.tree.elements;
  const pieces: Piece[] = [];
  const copy = (start: number, end: number): void => {
    const last = pieces[pieces.length - 1];
    if (last?.kind === 'copy' && last.end === start) last.end = end;
    else pieces.push({ kind: 'copy', start, end });
  };
  const planar = shortElement(TAG.PlanarConfiguration, 'US', unsignedShort(shape.planarConfiguration));
  // Planar Configuration is type 1C, required when Samples per Pixel > 1 (PS3.3 C.7.6.3.1.3).
  let planarWritten = pixel.samplesPerPixel === 1;
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i]!;
    const start = headerStart(element);
    const next = elements[i + 1];
    const end = next === undefined ? stored.source.sizeBytes : headerStart(next);
    if (!planarWritten && element.tag > TAG.PlanarConfiguration) {
      pieces.push({ kind: 'bytes', bytes: planar });
      planarWritten = true;
    }
    if (DROPPED.has(element.tag)) continue;
    if (element.tag === TAG.PhotometricInterpretation) {
      pieces.push({ kind: 'bytes', bytes: shortElement(element.tag, 'CS', codeString(shape.photometricInterpretation)) });
    } else if (element.tag === TAG.PlanarConfiguration) {
      pieces.push({ kind: 'bytes', bytes: planar });
      planarWritten = true;
    } else if (element.tag === PIXEL_DATA) {
      pieces.push({ kind: 'bytes', bytes: pixelDataHeader(pixel.bitsAllocated > 8 ? 'OW' : 'OB', pixelLength) });
      pieces.push({ kind: 'pixels' });
    } else if ((element.items ?? []).some(containsEncapsulated)) {
      if (element.tag !== TAG.IconImageSequence) return err(kakuteiError('DECODE_UNSUPPORTED', 'encapsulated pixel data inside a sequence'));
    } else {
      copy(start, end);
    }
  }
  return ok(pieces);
}

/**
 * The stored object in `source` (an encapsulated, lossless transfer syntax) with native Pixel Data.
 * Checked before streaming: structure, pixel module, every frame located, frame 1 decoded.
 */
export async function encapsulatedToNative(source: ByteSource, pool: DecodePool): Promise<Result<AsyncIterable<Uint8Array>>> {
  const opened = await openStoredSource(source);
  if (!opened.ok) return opened;
  const stored = opened.value;
  const pixelElement = stored.tree.elements.find((e) => e.tag === PIXEL_DATA);
  // No pixel data (an SR sent in a compressed syntax): the dataset is explicit VR LE as it is.
  if (pixelElement === undefined) {
    return ok((async function* () {
      yield* stored.source.stream(stored.datasetOffset, stored.source.sizeBytes) as AsyncIterable<Buffer>;
    })());
  }
  if (pixelElement.encapsulated === null) return err(kakuteiError('PIXEL_DATA_INVALID', 'native pixel data in an encapsulated transfer syntax'));
  const pixel = readPixelModule(stored.tree);
  if (!pixel.ok) return pixel;
  const p = pixel.value;
  if (p.bitsAllocated !== 8 && p.bitsAllocated !== 16) return err(kakuteiError('DECODE_UNSUPPORTED', `${p.bitsAllocated}-bit compressed samples`));
  const frameBytes = p.rows * p.columns * p.samplesPerPixel * (p.bitsAllocated / 8);
  const totalBytes = frameBytes * p.numberOfFrames;
  const pixelLength = totalBytes + (totalBytes % 2);
  if (!Number.isSafeInteger(pixelLength) || pixelLength > MAX_DEFINED_LENGTH) return err(kakuteiError('DECODE_LIMIT_EXCEEDED', 'native pixel data would exceed a 32-bit length'));
  const locations: FrameLocation[] = [];
  for (let n = 1; n <= p.numberOfFrames; n++) {
    const location = await locateFrame(stored, n);
    if (!location.ok) return location;
    locations.push(location.value);
  }
  const decoder = new FrameDecoder(pool, stored, locations);
  const first = await decoder.decode(0);
  if (!first.ok) return first;
  const shape = shapeOf(first.value);
  if (shape.bitsAllocated > p.bitsAllocated) return err(kakuteiError('PIXEL_DATA_INVALID', 'the codestream precision exceeds Bits Allocated'));
  const pieces = planPieces(stored, p, shape, pixelLength);
  if (!pieces.ok) return pieces;
  let held: DecodedFrame | null = first.value;

  async function* frames(): AsyncGenerator<Uint8Array> {
    for (let index = 0; index < locations.length; index++) {
      let frame: DecodedFrame;
      if (held !== null) {
        frame = held;
        held = null;
      } else {
        const decoded = await decoder.decode(index);
        if (!decoded.ok) throw new TranscodeStreamError(decoded.error);
        frame = decoded.value;
        if (!sameShape(shapeOf(frame), shape)) throw new TranscodeStreamError(kakuteiError('PIXEL_DATA_INVALID', `frame ${index + 1} decodes unlike frame 1`));
      }
      yield inObjectContainer(frame, p);
    }
    if (pixelLength !== totalBytes) yield new Uint8Array(1);
  }

  return ok((async function* () {
    for (const piece of pieces.value) {
      if (piece.kind === 'copy') yield* stored.source.stream(piece.start, piece.end) as AsyncIterable<Buffer>;
      else if (piece.kind === 'bytes') yield piece.bytes;
      else yield* frames();
    }
  })());
}
