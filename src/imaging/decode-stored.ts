/** One frame of a stored object, located, read and decoded in the pool. */
import { err, kakuteiError, type Result } from '../errors/index.js';
import type { DecodedFrame } from './decode-frame.js';
import { decodeRequestOf, type DecodePool } from './decode-pool.js';
import { locateFrame, readFrameBytes } from './frames.js';
import type { StoredObject } from './stored-object.js';

export async function decodeStoredFrame(pool: DecodePool, stored: StoredObject, frameNumber: number): Promise<Result<DecodedFrame>> {
  const location = await locateFrame(stored, frameNumber);
  if (!location.ok) return location;
  const p = location.value.pixel;
  if (p.bitsAllocated === 32 && stored.transferSyntax.encapsulated) return err(kakuteiError('DECODE_UNSUPPORTED', '32-bit compressed samples'));
  const bytes = await readFrameBytes(stored, location.value);
  if (!bytes.ok) return bytes;
  // A deflated object's frames are native once inflated.
  const syntax = stored.transferSyntax.deflated ? '1.2.840.10008.1.2.1' : stored.meta.transferSyntaxUid;
  return pool.decode(decodeRequestOf(p, syntax, bytes.value, location.value.bitOffset));
}
