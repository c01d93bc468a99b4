import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import type { DecodedFrame } from './decode-frame.js';
import type { RenderingAttributes } from './pixel-module.js';
import { applyWindow, encodeRendered, renderFrame } from './render.js';
import { parseRenderParameters, thumbnailFrameNumber, type RenderParameters } from './render-parameters.js';

/** A 256 × 1 ramp of 16-bit values 0, 16, 32, … (Bits Stored 12). */
function ramp(changes: Partial<DecodedFrame> = {}): DecodedFrame {
  const pixels = new Uint8Array(512);
  const view = new DataView(pixels.buffer);
  for (let i = 0; i < 256; i++) view.setUint16(2 * i, i * 16, true);
  return { rows: 1, columns: 256, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME2', planarConfiguration: 0, pixels, ...changes };
}

const noAttributes: RenderingAttributes = { rescaleSlope: 1, rescaleIntercept: 0, windows: [], voiLutFunction: null, palette: null };
const params = (changes: Partial<RenderParameters> = {}): RenderParameters => ({ format: 'png', window: null, viewport: null, quality: 90, ...changes });

/** A tiny PNG reader (8-bit, filter 0 only, as we write): enough to check our output decodes. */
function readPng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  assert.deepEqual(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); channels = data[9] === 0 ? 1 : 3; }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) { assert.equal(raw[y * (stride + 1)], 0); raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1)); }
  return { width, height, channels, pixels };
}

test('linear window per PS3.3 C.11.2.1.2.1 on a known ramp; modality LUT applied first', () => {
  // Window 2048 ± 1024: values ≤ 1023.5 → 0, > 3071.5 → 255, linear between.
  const r = renderFrame(ramp(), noAttributes, params({ window: { center: 2048, width: 2048, fn: 'LINEAR' } }));
  assert.ok(r.ok);
  const px = r.value.pixels;
  assert.equal(px[0], 0);
  assert.equal(px[63], 0); // 1008
  assert.equal(px[128], Math.round(((2048 - 2047.5) / 2047 + 0.5) * 255)); // 2048 → 128
  assert.equal(px[200], 255); // 3200
  assert.equal(applyWindow(3071.5, 2048, 2048, 'LINEAR'), 255);
  // The object's window and a rescale: slope 2, intercept -1024 maps 2048 (index 128) to 3072.
  const attrs: RenderingAttributes = { ...noAttributes, rescaleSlope: 2, rescaleIntercept: -1024, windows: [{ center: 3072, width: 1 }] };
  const o = renderFrame(ramp(), attrs, params());
  assert.ok(o.ok);
  assert.equal(o.value.pixels[127], 0);
  assert.equal(o.value.pixels[129], 255);
});

test('MONOCHROME1 is inverted; signed and Bits Stored are honoured; no window uses the frame range', () => {
  const m2 = renderFrame(ramp(), noAttributes, params());
  const m1 = renderFrame(ramp({ photometricInterpretation: 'MONOCHROME1' }), noAttributes, params());
  assert.ok(m2.ok && m1.ok);
  assert.equal(m2.value.pixels[0], 0);
  assert.equal(m2.value.pixels[255], 255);
  for (let i = 0; i < 256; i++) assert.equal(m1.value.pixels[i], 255 - m2.value.pixels[i]!);
  // Signed 12-bit in a 16-bit container: 0xFFF is -1, above the sign bit garbage is masked away.
  const pixels = new Uint8Array(4);
  new DataView(pixels.buffer).setUint16(0, 0xffff, true);
  new DataView(pixels.buffer).setUint16(2, 0x0001, true);
  const s = renderFrame(ramp({ columns: 2, pixels, pixelRepresentation: 1 }), noAttributes, params({ window: { center: 0, width: 3, fn: 'LINEAR' } }));
  assert.ok(s.ok);
  assert.ok(s.value.pixels[0]! < s.value.pixels[1]!, '-1 renders darker than 1');
});

test('PALETTE COLOR, RGB planar and YBR_FULL become RGB', () => {
  const lut = (f: (i: number) => number) => {
    const data = new Uint8Array(512);
    for (let i = 0; i < 256; i++) new DataView(data.buffer).setUint16(2 * i, f(i) << 8, true);
    return { entries: 256, firstMapped: 0, bitsPerEntry: 16, data, littleEndian: true };
  };
  const attrs: RenderingAttributes = { ...noAttributes, palette: { red: lut((i) => i), green: lut((i) => 255 - i), blue: lut(() => 7) } };
  const p = renderFrame({ ...ramp(), bitsAllocated: 8, bitsStored: 8, pixels: Uint8Array.from({ length: 256 }, (_, i) => i), photometricInterpretation: 'PALETTE COLOR' }, attrs, params());
  assert.ok(p.ok);
  assert.deepEqual([...p.value.pixels.subarray(3 * 10, 3 * 11)], [10, 245, 7]);
  const planar = renderFrame({ rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometricInterpretation: 'RGB', planarConfiguration: 1, pixels: Uint8Array.of(1, 2, 3, 4, 5, 6) }, noAttributes, params());
  assert.ok(planar.ok);
  assert.deepEqual([...planar.value.pixels], [1, 3, 5, 2, 4, 6]);
  const ybr = renderFrame({ rows: 1, columns: 1, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometricInterpretation: 'YBR_FULL', planarConfiguration: 0, pixels: Uint8Array.of(76, 85, 255) }, noAttributes, params());
  assert.ok(ybr.ok);
  const [r, g, b] = ybr.value.pixels;
  assert.ok(r! > 250 && g! < 5 && b! < 5, 'YBR of pure red is red');
});

test('viewport scaling keeps the aspect ratio; PNG and JPEG outputs decode', () => {
  const big = ramp({ rows: 1, columns: 256 });
  const r = renderFrame(big, noAttributes, params({ viewport: { width: 64, height: 64 } }));
  assert.ok(r.ok);
  assert.equal(r.value.width, 64);
  assert.equal(r.value.height, 1);
  const png = readPng(encodeRendered(r.value, { format: 'png', quality: 90 }));
  assert.equal(png.width, 64);
  assert.deepEqual(png.pixels, Buffer.from(r.value.pixels));
  const jpg = jpeg.decode(encodeRendered(r.value, { format: 'jpeg', quality: 95 }));
  assert.equal(jpg.width, 64);
  assert.ok(Math.abs(jpg.data[4 * 63]! - r.value.pixels[63]!) < 12);
});

test('absurd rendering parameters are refused', () => {
  assert.ok(parseRenderParameters({ window: '40,400', viewport: '512,512', quality: '80', accept: 'image/png' }).ok);
  for (const q of [{ window: '40' }, { window: '40,0' }, { window: '40,-5' }, { window: 'a,b' }, { window: '1e300,10' }, { window: '40,400,CUBIC' },
    { viewport: '0,10' }, { viewport: '100000,100000' }, { viewport: '10' }, { viewport: '-1,5' }, { viewport: '10,10,0,0,5,5' },
    { quality: '0' }, { quality: '101' }, { quality: 'x' }]) {
    const r = parseRenderParameters(q);
    assert.ok(!r.ok && r.error.code === 'RENDER_PARAMETERS_INVALID', JSON.stringify(q));
  }
  const media = parseRenderParameters({ accept: 'image/gif' });
  assert.ok(!media.ok && media.error.code === 'MEDIA_TYPE_NOT_ACCEPTABLE');
  assert.equal(thumbnailFrameNumber(1), 1);
  assert.equal(thumbnailFrameNumber(8), 4);
});
