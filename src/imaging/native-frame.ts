/**
 * A compressed frame as the bytes an uncompressed frame of the same object would hold: native,
 * little endian, in the object's Bits Allocated. For WADO-RS frames in Explicit VR Little Endian
 * (PS3.18 8.7.3.3: the default for bulk data) and for transcoding whole objects.
 */
import { ok, type Result } from '../errors/index.js';
import type { DecodedFrame } from './decode-frame.js';
import type { DecodePool } from './decode-pool.js';
import { decodeStoredFrame } from './decode-stored.js';
import type { PixelModule } from './pixel-module.js';
import type { StoredObject } from './stored-object.js';

/**
 * A decoded frame in the object's Bits Allocated: codecs give 8-bit samples for a precision of 8 or
 * less even when the object allocates 16; those are widened (sign-extended from Bits Stored when
 * Pixel Representation is 1, PS3.5 §8.1.1).
 */
export function inObjectContainer(frame: DecodedFrame, pixel: Pick<PixelModule, 'bitsAllocated' | 'bitsStored' | 'pixelRepresentation'>): Uint8Array {
  if (frame.bitsAllocated === pixel.bitsAllocated) return frame.pixels;
  const out = Buffer.alloc(frame.pixels.length * 2);
  const signBit = 1 << (pixel.bitsStored - 1);
  const mask = (1 << pixel.bitsStored) - 1;
  for (let i = 0; i < frame.pixels.length; i++) {
    let value = frame.pixels[i]! & mask;
    if (pixel.pixelRepresentation === 1 && (value & signBit) !== 0) value -= mask + 1;
    out.writeUInt16LE(value & 0xffff, i * 2);
  }
  return out;
}

/** Frame `frameNumber` (1-based) of a stored object, decoded in the pool, as native bytes. */
export async function nativeFrameBytes(pool: DecodePool, stored: StoredObject, pixel: PixelModule, frameNumber: number): Promise<Result<Uint8Array>> {
  const decoded = await decodeStoredFrame(pool, stored, frameNumber);
  return decoded.ok ? ok(inObjectContainer(decoded.value, pixel)) : decoded;
}
