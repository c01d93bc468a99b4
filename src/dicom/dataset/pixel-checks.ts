/**
 * Image Pixel module arithmetic (PS3.3 C.7.6.3) against what the Pixel Data element declares.
 * Computed in BigInt: rows × columns × frames × samples × bits can exceed 2^53 in a hostile header.
 */
import type { PixelDataInfo } from './element-walker.js';

export interface PixelGeometry {
  readonly rows: number | null;
  readonly columns: number | null;
  readonly numberOfFrames: number | null;
  readonly samplesPerPixel: number | null;
  readonly bitsAllocated: number | null;
  readonly bitsStored: number | null;
  readonly photometricInterpretation: string | null;
}

export interface PixelFault {
  readonly code: 'PIXEL_ATTRIBUTES_INVALID' | 'PIXEL_ARITHMETIC_OVERFLOW' | 'PIXEL_LENGTH_MISMATCH' | 'PIXEL_OFFSET_TABLE_INVALID';
  readonly message: string;
}

/** A native Pixel Data value cannot be longer than a 32-bit length allows (PS3.5 §7.1.1). */
const MAX_NATIVE_BYTES = 0xfffffffen;

/** Expected native length in bytes, even-padded; null when the geometry is incomplete. */
function expectedNativeBytes(g: PixelGeometry): bigint | null {
  if (g.rows === null || g.columns === null || g.samplesPerPixel === null || g.bitsAllocated === null) return null;
  const frames = BigInt(g.numberOfFrames ?? 1);
  // YBR_FULL_422 stores two luminance and one pair of chrominance values per two pixels (C.7.6.3.1.2).
  const valuesPerPixelTimes2 = g.photometricInterpretation === 'YBR_FULL_422' ? 4n : BigInt(g.samplesPerPixel) * 2n;
  const bits = (BigInt(g.rows) * BigInt(g.columns) * frames * valuesPerPixelTimes2 * BigInt(g.bitsAllocated)) / 2n;
  const bytes = (bits + 7n) / 8n;
  return bytes % 2n === 0n ? bytes : bytes + 1n;
}

export function checkPixelData(g: PixelGeometry, pixel: PixelDataInfo | null, native: boolean): PixelFault[] {
  const faults: PixelFault[] = [];
  if (pixel === null || pixel.tag !== 0x7fe00010) return faults;
  if (g.rows === null || g.columns === null || g.bitsAllocated === null || g.samplesPerPixel === null) {
    faults.push({ code: 'PIXEL_ATTRIBUTES_INVALID', message: 'Pixel Data without Rows, Columns, Bits Allocated or Samples per Pixel' });
    return faults;
  }
  if (g.rows === 0 || g.columns === 0 || g.samplesPerPixel === 0 || g.bitsAllocated === 0 || (g.numberOfFrames !== null && g.numberOfFrames < 1)) {
    faults.push({ code: 'PIXEL_ATTRIBUTES_INVALID', message: 'Zero rows, columns, samples, bits or frames' });
    return faults;
  }
  if (g.bitsStored !== null && g.bitsStored > g.bitsAllocated) {
    faults.push({ code: 'PIXEL_ATTRIBUTES_INVALID', message: 'Bits Stored exceeds Bits Allocated' });
  }
  const expected = expectedNativeBytes(g);
  if (expected === null) return faults;
  if (expected > BigInt(Number.MAX_SAFE_INTEGER)) {
    faults.push({ code: 'PIXEL_ARITHMETIC_OVERFLOW', message: 'Declared image geometry exceeds 2^53 bytes' });
    return faults;
  }
  if (native && expected > MAX_NATIVE_BYTES) {
    faults.push({ code: 'PIXEL_ARITHMETIC_OVERFLOW', message: 'Declared image geometry exceeds what a native Pixel Data length can hold' });
    return faults;
  }
  if (native && pixel.length !== null && BigInt(pixel.length) !== expected) {
    faults.push({ code: 'PIXEL_LENGTH_MISMATCH', message: `Pixel Data length differs from the declared geometry (expected ${expected} bytes, found ${pixel.length})` });
  }
  if (!native && pixel.fragments !== null) {
    const { offsetTable, totalBytes, count } = pixel.fragments;
    const ascending = offsetTable.every((offset, i) => i === 0 || offset > offsetTable[i - 1]!);
    // Offsets point at item headers inside the fragment area (each fragment has an 8-byte header).
    const outside = offsetTable.some((offset) => offset >= totalBytes + count * 8);
    if (!ascending || outside || (offsetTable.length > 0 && offsetTable[0] !== 0)) {
      faults.push({ code: 'PIXEL_OFFSET_TABLE_INVALID', message: 'Basic Offset Table entries point outside the fragments or are not ascending' });
    }
    if (count === 0) faults.push({ code: 'PIXEL_LENGTH_MISMATCH', message: 'Encapsulated Pixel Data has no fragments' });
  }
  return faults;
}
