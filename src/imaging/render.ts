/**
 * A decoded frame → an 8-bit image for display (WADO-RS rendered, PS3.18 8.3.5.1.3): stored values
 * (Bits Stored, High Bit, sign, PS3.5 §8), Modality LUT (Rescale Slope/Intercept, PS3.3 C.11.1), VOI
 * window (C.11.2.1.2: LINEAR, LINEAR_EXACT, SIGMOID) from the request, the object, or the frame's
 * range, MONOCHROME1 inverted, PALETTE COLOR through its LUTs (C.7.6.3.1.5), YBR_FULL → RGB
 * (C.7.6.3.1.2), either planar configuration; then scaled into a viewport and written as JPEG or PNG.
 */
import jpeg from 'jpeg-js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { DecodedFrame } from './decode-frame.js';
import type { PaletteChannel, RenderingAttributes } from './pixel-module.js';
import { encodePng } from './png.js';
import type { RenderParameters, VoiFunction } from './render-parameters.js';

export interface RenderedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

/** Stored values of one sample plane position, per PS3.5 §8 (masked to Bits Stored, sign-extended). */
function storedValues(frame: DecodedFrame): Float64Array {
  const count = frame.rows * frame.columns * frame.samplesPerPixel;
  const out = new Float64Array(count);
  const view = new DataView(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength);
  const bytes = frame.bitsAllocated / 8;
  const bits = frame.bitsStored;
  const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const signBit = 2 ** (bits - 1);
  for (let i = 0; i < count; i++) {
    let v = bytes === 1 ? frame.pixels[i]! : bytes === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
    v = v % (mask + 1);
    if (frame.pixelRepresentation === 1 && v >= signBit) v -= 2 * signBit;
    out[i] = v;
  }
  return out;
}

/** PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1 (SIGMOID), to 0–255. */
export function applyWindow(x: number, center: number, width: number, fn: VoiFunction): number {
  if (fn === 'SIGMOID') return 255 / (1 + Math.exp((-4 * (x - center)) / width));
  if (fn === 'LINEAR_EXACT') return Math.min(255, Math.max(0, ((x - center) / width + 0.5) * 255));
  if (width <= 1) return x <= center - 0.5 ? 0 : 255;
  if (x <= center - 0.5 - (width - 1) / 2) return 0;
  if (x > center - 0.5 + (width - 1) / 2) return 255;
  return ((x - (center - 0.5)) / (width - 1) + 0.5) * 255;
}

function grayscale(frame: DecodedFrame, attributes: RenderingAttributes, parameters: RenderParameters): Uint8Array {
  const values = storedValues(frame);
  const { rescaleSlope: slope, rescaleIntercept: intercept } = attributes;
  let window = parameters.window;
  if (window === null && attributes.windows[0] !== undefined) {
    const fn = attributes.voiLutFunction === 'SIGMOID' || attributes.voiLutFunction === 'LINEAR_EXACT' ? attributes.voiLutFunction : 'LINEAR';
    window = { ...attributes.windows[0], fn };
  }
  if (window === null) {
    // No window anywhere: the frame's own range of modality values.
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      const m = v * slope + intercept;
      if (m < min) min = m;
      if (m > max) max = m;
    }
    window = { center: (min + max) / 2 + 0.5, width: Math.max(1, max - min + 1), fn: 'LINEAR' };
  }
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const y = Math.round(applyWindow(values[i]! * slope + intercept, window.center, window.width, window.fn));
    out[i] = invert ? 255 - y : y;
  }
  return out;
}

function paletteLookup(channel: PaletteChannel, index: number): number {
  const i = Math.min(channel.entries - 1, Math.max(0, index - channel.firstMapped));
  const data = channel.data;
  if (data.length >= channel.entries * 2) {
    const word = channel.littleEndian ? data[2 * i]! | (data[2 * i + 1]! << 8) : (data[2 * i]! << 8) | data[2 * i + 1]!;
    return channel.bitsPerEntry === 8 ? word & 0xff : word >> 8;
  }
  return data[i] ?? 0;
}

function palette(frame: DecodedFrame, attributes: RenderingAttributes): Result<Uint8Array> {
  const lut = attributes.palette;
  if (lut === null) return err(kakuteiError('PIXEL_DATA_INVALID', 'PALETTE COLOR without complete LUTs'));
  const values = storedValues(frame);
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    out[3 * i] = paletteLookup(lut.red, values[i]!);
    out[3 * i + 1] = paletteLookup(lut.green, values[i]!);
    out[3 * i + 2] = paletteLookup(lut.blue, values[i]!);
  }
  return ok(out);
}

function colour(frame: DecodedFrame): Result<Uint8Array> {
  const pixels = frame.rows * frame.columns;
  const values = storedValues(frame);
  const shift = Math.max(0, frame.bitsStored - 8);
  const sample = (i: number, s: number) => {
    const v = frame.planarConfiguration === 1 ? values[s * pixels + i]! : values[3 * i + s]!;
    return v / 2 ** shift;
  };
  const photometric = frame.photometricInterpretation;
  if (photometric !== 'RGB' && photometric !== 'YBR_FULL') return err(kakuteiError('DECODE_UNSUPPORTED', `photometric interpretation ${photometric.slice(0, 16)}`));
  const out = new Uint8Array(pixels * 3);
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  for (let i = 0; i < pixels; i++) {
    const a = sample(i, 0);
    const b = sample(i, 1);
    const c = sample(i, 2);
    if (photometric === 'RGB') {
      out[3 * i] = clamp(a);
      out[3 * i + 1] = clamp(b);
      out[3 * i + 2] = clamp(c);
    } else {
      // PS3.3 C.7.6.3.1.2 YBR_FULL (ITU-R BT.601 full range).
      out[3 * i] = clamp(a + 1.402 * (c - 128));
      out[3 * i + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
      out[3 * i + 2] = clamp(a + 1.772 * (b - 128));
    }
  }
  return ok(out);
}

/** Bilinear resampling into the largest size that fits the viewport and keeps the aspect ratio. */
function fit(image: RenderedImage, viewport: RenderParameters['viewport']): RenderedImage {
  if (viewport === null) return image;
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  if (width === image.width && height === image.height) return image;
  const c = image.channels;
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, (y + 0.5) / scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sx - x0;
      for (let k = 0; k < c; k++) {
        const p = (yy: number, xx: number) => image.pixels[(yy * image.width + xx) * c + k]!;
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        out[(y * width + x) * c + k] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, channels: c, pixels: out };
}

/** The frame as an 8-bit image (greyscale or RGB), scaled into the viewport. */
export function renderFrame(frame: DecodedFrame, attributes: RenderingAttributes, parameters: RenderParameters): Result<RenderedImage> {
  const base = { width: frame.columns, height: frame.rows };
  let image: RenderedImage;
  if (frame.photometricInterpretation === 'PALETTE COLOR') {
    const rgb = palette(frame, attributes);
    if (!rgb.ok) return rgb;
    image = { ...base, channels: 3, pixels: rgb.value };
  } else if (frame.samplesPerPixel === 1) {
    image = { ...base, channels: 1, pixels: grayscale(frame, attributes, parameters) };
  } else {
    const rgb = colour(frame);
    if (!rgb.ok) return rgb;
    image = { ...base, channels: 3, pixels: rgb.value };
  }
  return ok(fit(image, parameters.viewport));
}

/** JPEG (jpeg-js, baseline) or PNG (`png.ts`) bytes of a rendered image. */
export function encodeRendered(image: RenderedImage, parameters: Pick<RenderParameters, 'format' | 'quality'>): Buffer {
  if (parameters.format === 'png') return encodePng(image.width, image.height, image.channels, image.pixels);
  // jpeg-js takes RGBA.
  const rgba = Buffer.alloc(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    for (let k = 0; k < 3; k++) rgba[4 * i + k] = image.pixels[image.channels === 1 ? i : 3 * i + k]!;
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width: image.width, height: image.height }, parameters.quality).data;
}
