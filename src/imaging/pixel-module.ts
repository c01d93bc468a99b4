/**
 * The Image Pixel Module (PS3.3 C.7.6.3) and what rendering needs beside it (Modality LUT C.11.1,
 * VOI LUT C.11.2, Palette Color C.7.6.3.1.5), read from the top level of a stored dataset. Checked
 * for arithmetic that overflows or makes no sense before anything is sized from it.
 */
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { DatasetNode, ElementNode } from './dataset-tree.js';

export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 1 = two's complement samples. */
  readonly pixelRepresentation: 0 | 1;
  readonly photometricInterpretation: string;
  /** 0 = colour-by-pixel, 1 = colour-by-plane (PS3.3 C.7.6.3.1.3). */
  readonly planarConfiguration: 0 | 1;
  readonly numberOfFrames: number;
}

export interface PaletteChannel {
  /** LUT Descriptor (PS3.3 C.7.6.3.1.5): entries, first mapped value, bits per entry. */
  readonly entries: number;
  readonly firstMapped: number;
  readonly bitsPerEntry: number;
  readonly data: Uint8Array;
  readonly littleEndian: boolean;
}

export interface RenderingAttributes {
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
  /** Window Center/Width pairs from the object (first is the default, PS3.3 C.11.2.1.2). */
  readonly windows: readonly { readonly center: number; readonly width: number }[];
  readonly voiLutFunction: string | null;
  readonly palette: { readonly red: PaletteChannel; readonly green: PaletteChannel; readonly blue: PaletteChannel } | null;
}

/** No single frame is decoded above this many samples (rows × columns × samples). */
export const MAX_FRAME_SAMPLES = 16384 * 16384 * 3;

const T = {
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  VoiLutFunction: 0x00281056,
  RedDescriptor: 0x00281101,
  GreenDescriptor: 0x00281102,
  BlueDescriptor: 0x00281103,
  RedData: 0x00281201,
  GreenData: 0x00281202,
  BlueData: 0x00281203,
} as const;

function element(node: DatasetNode, tag: number): ElementNode | undefined {
  return node.elements.find((e) => e.tag === tag);
}

function text(node: DatasetNode, tag: number): string | null {
  const value = element(node, tag)?.value;
  if (value === undefined || value === null || value.length === 0) return null;
  return Buffer.from(value).toString('latin1').replace(/[ \0]+$/, '').replace(/^ +/, '');
}

/** US (or SS) values, in the element's byte order. */
function shorts(node: DatasetNode, tag: number): number[] {
  const e = element(node, tag);
  if (e === undefined || e.value === null) return [];
  const view = new DataView(e.value.buffer, e.value.byteOffset, e.value.byteLength);
  const out: number[] = [];
  for (let at = 0; at + 2 <= e.value.length; at += 2) out.push(view.getUint16(at, e.littleEndian));
  return out;
}

function decimals(node: DatasetNode, tag: number): number[] {
  const value = text(node, tag);
  if (value === null) return [];
  return value.split('\\').map((v) => Number(v.trim())).filter((n) => Number.isFinite(n));
}

export function readPixelModule(node: DatasetNode): Result<PixelModule> {
  const bad = (detail: string) => err(kakuteiError('PIXEL_DATA_INVALID', detail));
  const rows = shorts(node, T.Rows)[0];
  const columns = shorts(node, T.Columns)[0];
  const bitsAllocated = shorts(node, T.BitsAllocated)[0];
  if (rows === undefined || columns === undefined || bitsAllocated === undefined) return bad('Rows, Columns or Bits Allocated missing');
  const samplesPerPixel = shorts(node, T.SamplesPerPixel)[0] ?? 1;
  const bitsStored = shorts(node, T.BitsStored)[0] ?? bitsAllocated;
  const highBit = shorts(node, T.HighBit)[0] ?? bitsStored - 1;
  const pixelRepresentation = shorts(node, T.PixelRepresentation)[0] ?? 0;
  const planarConfiguration = shorts(node, T.PlanarConfiguration)[0] ?? 0;
  const framesText = text(node, T.NumberOfFrames);
  const numberOfFrames = framesText === null ? 1 : Number(framesText);
  if (rows === 0 || columns === 0) return bad('Rows or Columns is zero');
  if (![1, 8, 16, 32].includes(bitsAllocated)) return bad('Bits Allocated is not 1, 8, 16 or 32');
  if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) return bad('Bits Stored or High Bit out of range');
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) return bad('Samples per Pixel is not 1 or 3');
  if (pixelRepresentation > 1 || planarConfiguration > 1) return bad('Pixel Representation or Planar Configuration out of range');
  if (!Number.isSafeInteger(numberOfFrames) || numberOfFrames < 1 || numberOfFrames > 2 ** 31) return bad('Number of Frames is not a positive integer');
  if (rows * columns * samplesPerPixel > MAX_FRAME_SAMPLES) return bad('a frame is larger than the decoding limit');
  return ok({
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pixelRepresentation === 1 ? 1 : 0,
    photometricInterpretation: text(node, T.PhotometricInterpretation) ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    planarConfiguration: planarConfiguration === 1 ? 1 : 0,
    numberOfFrames,
  });
}

function paletteChannel(node: DatasetNode, descriptorTag: number, dataTag: number): PaletteChannel | null {
  const descriptor = shorts(node, descriptorTag);
  const data = element(node, dataTag);
  if (descriptor.length !== 3 || data === undefined || data.value === null) return null;
  const [entries, firstMapped, bitsPerEntry] = descriptor as [number, number, number];
  // PS3.3 C.7.6.3.1.5: 0 entries means 65536.
  return { entries: entries === 0 ? 65536 : entries, firstMapped, bitsPerEntry, data: data.value, littleEndian: data.littleEndian };
}

export function readRenderingAttributes(node: DatasetNode): RenderingAttributes {
  const centers = decimals(node, T.WindowCenter);
  const widths = decimals(node, T.WindowWidth);
  const windows = centers.slice(0, widths.length).map((center, i) => ({ center, width: widths[i]! })).filter((w) => w.width >= 1);
  const red = paletteChannel(node, T.RedDescriptor, T.RedData);
  const green = paletteChannel(node, T.GreenDescriptor, T.GreenData);
  const blue = paletteChannel(node, T.BlueDescriptor, T.BlueData);
  return {
    rescaleSlope: decimals(node, T.RescaleSlope)[0] ?? 1,
    rescaleIntercept: decimals(node, T.RescaleIntercept)[0] ?? 0,
    windows,
    voiLutFunction: text(node, T.VoiLutFunction),
    palette: red !== null && green !== null && blue !== null ? { red, green, blue } : null,
  };
}
