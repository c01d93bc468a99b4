/**
 * Decodes one frame to samples, by transfer syntax, with well-kept codecs: libjpeg-turbo (JPEG
 * baseline 8-bit), jpeg-lossless-decoder-js (JPEG lossless, process 14), CharLS (JPEG-LS), OpenJPEG
 * (JPEG 2000), OpenJPH (HTJ2K); RLE and native by our own code. Meant to run inside a decode worker
 * (`decode-worker.ts`): a codec that misbehaves costs that worker only. Before a codec runs, the
 * codestream's declared size must match the object's pixel module (`codestream-header.ts`).
 */
import { createRequire } from 'node:module';
import { jpegHeader, j2kHeader, type CodestreamHeader } from './codestream-header.js';
import { nativeSamples } from './native.js';
import { decodeRle, RleError } from './rle.js';

export interface DecodeRequest {
  readonly transferSyntaxUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: 0 | 1;
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
  /** Native 1-bit frames: bit position of the first pixel. */
  readonly bitOffset: number;
  readonly bytes: Uint8Array;
}

export interface DecodedFrame {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /** Container size of each sample in `pixels` (8, 16 or 32), little endian. */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: 0 | 1;
  /** After decoding: e.g. YBR_FULL_422 JPEG and YBR_RCT/ICT JPEG 2000 come out as RGB. */
  readonly photometricInterpretation: string;
  readonly planarConfiguration: 0 | 1;
  readonly pixels: Uint8Array;
}

export type DecodeFailure = 'DECODE_UNSUPPORTED' | 'DECODE_FAILED' | 'PIXEL_DATA_INVALID';
export class DecodeError extends Error {
  constructor(
    readonly code: DecodeFailure,
    detail: string,
  ) {
    super(detail);
  }
}

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}
type DecoderModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);

/** jpeg-lossless-decoder-js ships no type declarations: the one call used here. */
interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
}
function losslessDecoder(): LosslessDecoder {
  const module = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder };
  return new module.Decoder();
}

/** The WASM codecs of one worker, loaded on first use, each with its own options object. */
export class CodecSet {
  private readonly modules = new Map<string, Promise<DecoderModule>>();

  load(specifier: string): Promise<DecoderModule> {
    let loading = this.modules.get(specifier);
    if (loading === undefined) {
      const factory = require(specifier) as (options: object) => Promise<DecoderModule>;
      // Emscripten turns the options object into the module: never share one between codecs.
      loading = factory({ print: () => undefined, printErr: () => undefined });
      this.modules.set(specifier, loading);
    }
    return loading;
  }
}

const TS = {
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLs: ['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81'],
  j2k: ['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91'],
  htj2k: ['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203'],
  rle: '1.2.840.10008.1.2.5',
  native: ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'],
} as const;

function checkHeader(header: CodestreamHeader | null, request: DecodeRequest): CodestreamHeader {
  if (header === null) throw new DecodeError('DECODE_FAILED', 'no codestream header');
  if (header.rows !== request.rows || header.columns !== request.columns || header.components !== request.samplesPerPixel) {
    throw new DecodeError('PIXEL_DATA_INVALID', 'the codestream size differs from the pixel module');
  }
  if (header.precision < 1 || header.precision > 16) throw new DecodeError('DECODE_UNSUPPORTED', 'unsupported sample precision');
  return header;
}

function containerBits(precision: number): number {
  return precision <= 8 ? 8 : 16;
}

function frameOf(request: DecodeRequest, pixels: Uint8Array, bitsAllocated: number, changes: Partial<DecodedFrame> = {}): DecodedFrame {
  const expected = request.rows * request.columns * request.samplesPerPixel * (bitsAllocated / 8);
  if (pixels.length < expected) throw new DecodeError('DECODE_FAILED', 'the decoded frame is shorter than expected');
  return {
    rows: request.rows,
    columns: request.columns,
    samplesPerPixel: request.samplesPerPixel,
    bitsAllocated,
    bitsStored: Math.min(request.bitsStored, bitsAllocated),
    pixelRepresentation: request.pixelRepresentation,
    photometricInterpretation: request.photometricInterpretation,
    planarConfiguration: 0,
    ...changes,
    pixels: pixels.length === expected ? pixels : pixels.slice(0, expected),
  };
}

async function runWasm(codecs: CodecSet, specifier: string, className: string, bytes: Uint8Array): Promise<{ pixels: Uint8Array; info: FrameInfo; interleave: number | null }> {
  const module = await codecs.load(specifier);
  const Codec = module[className];
  if (Codec === undefined) throw new DecodeError('DECODE_UNSUPPORTED', 'codec not available');
  const decoder = new Codec();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    // Copy out of the WASM heap before the decoder is freed.
    return { pixels: Uint8Array.from(decoder.getDecodedBuffer()), info: decoder.getFrameInfo(), interleave: decoder.getInterleaveMode?.() ?? null };
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('DECODE_FAILED', 'the codec could not decode the frame');
  } finally {
    decoder.delete();
  }
}

async function decodeJpeg(request: DecodeRequest, codecs: CodecSet): Promise<DecodedFrame> {
  const header = checkHeader(jpegHeader(request.bytes), request);
  const sof = header.marker & 0xff;
  if (sof === 0xc3 || sof === 0xc7) {
    // Lossless, process 14 (ISO 10918-1 H): pure-JS decoder, 2..16 bits.
    const bytesPerSample = header.precision <= 8 ? 1 : 2;
    let output: Uint8Array | Uint16Array;
    try {
      const buffer = request.bytes.buffer.slice(request.bytes.byteOffset, request.bytes.byteOffset + request.bytes.byteLength) as ArrayBuffer;
      output = losslessDecoder().decode(buffer, 0, buffer.byteLength, bytesPerSample);
    } catch {
      throw new DecodeError('DECODE_FAILED', 'the lossless JPEG could not be decoded');
    }
    const pixels = new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
    return frameOf(request, pixels, bytesPerSample * 8);
  }
  if (header.precision !== 8 || (sof !== 0xc0 && sof !== 0xc1 && sof !== 0xc2)) {
    // 12-bit extended (process 4) and arithmetic/hierarchical processes: no well-kept WASM decoder.
    throw new DecodeError('DECODE_UNSUPPORTED', `JPEG process with SOF ${sof.toString(16)} and ${header.precision}-bit samples`);
  }
  const { pixels } = await runWasm(codecs, '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs', 'JPEGDecoder', request.bytes);
  // libjpeg converts YCbCr to RGB (ISO 10918-1 + JFIF), so YBR_FULL(_422) frames come out as RGB.
  return frameOf(request, pixels, 8, request.samplesPerPixel === 3 ? { photometricInterpretation: 'RGB' } : {});
}

async function decodeJpegLs(request: DecodeRequest, codecs: CodecSet): Promise<DecodedFrame> {
  const header = checkHeader(jpegHeader(request.bytes), request);
  const { pixels, interleave } = await runWasm(codecs, '@cornerstonejs/codec-charls/wasmjs', 'JpegLSDecoder', request.bytes);
  // Interleave mode 0 (ILV_NONE) gives one plane per component.
  const planar = request.samplesPerPixel === 3 && interleave === 0 ? 1 : 0;
  return frameOf(request, pixels, containerBits(header.precision), { planarConfiguration: planar });
}

async function decodeJ2k(request: DecodeRequest, codecs: CodecSet, ht: boolean): Promise<DecodedFrame> {
  const header = checkHeader(j2kHeader(request.bytes), request);
  const { pixels } = ht
    ? await runWasm(codecs, '@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder', request.bytes)
    : await runWasm(codecs, '@cornerstonejs/codec-openjpeg/wasmjs', 'J2KDecoder', request.bytes);
  // The decoder applies the inverse component transform (ISO 15444-1 G): YBR_RCT/YBR_ICT → RGB.
  const changes: Partial<DecodedFrame> = request.samplesPerPixel === 3 ? { photometricInterpretation: 'RGB' } : {};
  return frameOf(request, pixels, containerBits(header.precision), changes);
}

/** Decodes `request`; throws DecodeError with a code for every expected failure. */
export async function decodeFrame(request: DecodeRequest, codecs: CodecSet): Promise<DecodedFrame> {
  const ts = request.transferSyntaxUid;
  const sampleCount = request.rows * request.columns * request.samplesPerPixel;
  if ((TS.native as readonly string[]).includes(ts)) {
    const bits = request.bitsAllocated;
    const needed = Math.ceil((request.bitOffset + sampleCount * bits) / 8);
    if (request.bytes.length < needed) throw new DecodeError('PIXEL_DATA_INVALID', 'the frame is shorter than its pixel module');
    const pixels = nativeSamples(request.bytes, bits, ts !== '1.2.840.10008.1.2.2', request.bitOffset, sampleCount);
    return frameOf(request, pixels, bits === 1 ? 8 : bits, { planarConfiguration: request.planarConfiguration });
  }
  if (ts === TS.rle) {
    try {
      return frameOf(request, decodeRle(request.bytes, request.rows, request.columns, request.samplesPerPixel, request.bitsAllocated), request.bitsAllocated);
    } catch (error) {
      if (error instanceof RleError) throw new DecodeError('DECODE_FAILED', error.message);
      throw error;
    }
  }
  if (ts === TS.jpegBaseline || ts === TS.jpegExtended || ts === TS.jpegLossless || ts === TS.jpegLosslessSv1) return decodeJpeg(request, codecs);
  if ((TS.jpegLs as readonly string[]).includes(ts)) return decodeJpegLs(request, codecs);
  if ((TS.j2k as readonly string[]).includes(ts)) return decodeJ2k(request, codecs, false);
  if ((TS.htj2k as readonly string[]).includes(ts)) return decodeJ2k(request, codecs, true);
  throw new DecodeError('DECODE_UNSUPPORTED', 'no decoder for this transfer syntax');
}
