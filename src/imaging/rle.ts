/**
 * RLE Lossless decoding (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
 * segment per byte plane, most significant byte first, component by component (G.2). The result is
 * interleaved (colour-by-pixel), little endian samples.
 */

export class RleError extends Error {}

function unpackSegment(data: Uint8Array, start: number, end: number, out: Uint8Array, outStart: number, stride: number, count: number): void {
  let at = start;
  let written = 0;
  while (written < count && at < end) {
    const n = (data[at++]! << 24) >> 24;
    if (n >= 0) {
      const run = Math.min(n + 1, end - at, count - written);
      for (let i = 0; i < run; i++) out[outStart + (written + i) * stride] = data[at + i]!;
      at += n + 1;
      written += run;
    } else if (n !== -128) {
      if (at >= end) break;
      const value = data[at++]!;
      const run = Math.min(1 - n, count - written);
      for (let i = 0; i < run; i++) out[outStart + (written + i) * stride] = value;
      written += run;
    }
  }
  if (written < count) throw new RleError('an RLE segment is shorter than its frame');
}

export function decodeRle(data: Uint8Array, rows: number, columns: number, samplesPerPixel: number, bitsAllocated: number): Uint8Array {
  if (bitsAllocated % 8 !== 0) throw new RleError('RLE needs whole-byte samples');
  const bytesPerSample = bitsAllocated / 8;
  if (data.length < 64) throw new RleError('the RLE header is truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected || segments > 15) throw new RleError('the RLE segment count does not match the pixel module');
  const offsets: number[] = [];
  for (let i = 0; i < segments; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : data.length;
    if (start < 64 || end > data.length || end < start) throw new RleError('an RLE segment offset points outside the frame');
    const sample = Math.floor(s / bytesPerSample);
    const byteFromMsb = s % bytesPerSample;
    // Little endian output: the most significant byte goes last within the sample.
    const outStart = sample * bytesPerSample + (bytesPerSample - 1 - byteFromMsb);
    unpackSegment(data, start, end, out, outStart, expected, pixels);
  }
  return out;
}
