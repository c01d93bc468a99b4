/**
 * Native (uncompressed) frames to little endian samples (PS3.5 §8.1.1, §8.2): byte order swapped
 * for big endian words, 1-bit pixels (bit 0 first, frames packed without padding) unpacked to bytes.
 */

export function nativeSamples(bytes: Uint8Array, bitsAllocated: number, littleEndian: boolean, bitOffset: number, sampleCount: number): Uint8Array {
  if (bitsAllocated === 1) {
    const out = new Uint8Array(sampleCount);
    for (let i = 0; i < sampleCount; i++) {
      const bit = bitOffset + i;
      out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
    }
    return out;
  }
  const size = bitsAllocated / 8;
  const out = Uint8Array.from(bytes.subarray(0, sampleCount * size));
  if (!littleEndian && size > 1) {
    for (let at = 0; at + size <= out.length; at += size) out.subarray(at, at + size).reverse();
  }
  return out;
}
