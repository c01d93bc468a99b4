/**
 * Element, item and delimiter headers in little endian, for the converters that write datasets
 * (`transcode-swap.ts`, `transcode-vr.ts`), and the tags of the dataset's structure (PS3.5 §7.5).
 */
import { LONG_LENGTH_VRS } from '../dicom/dictionary/value-representations.js';

export const UNDEFINED_LENGTH = 0xffffffff;
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;

/** Tag and 32-bit length: an implicit VR element header, and in every syntax an item or delimiter header. */
export function implicitHeader(tag: number, length: number): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.writeUInt32LE(length, 4);
  return out;
}

/** An explicit VR little endian element header: 12 bytes for the VRs with a 32-bit length, else 8. */
export function explicitHeader(tag: number, vr: string, length: number): Uint8Array {
  const long = LONG_LENGTH_VRS.has(vr);
  const out = Buffer.alloc(long ? 12 : 8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write(vr, 4, 'latin1');
  if (long) out.writeUInt32LE(length, 8);
  else out.writeUInt16LE(length, 6);
  return out;
}
