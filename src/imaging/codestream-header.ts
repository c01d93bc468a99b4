/**
 * Reads the image size a compressed codestream declares before any codec sees it, so a frame whose
 * codestream claims other dimensions than the object's (a decompression bomb, a crafted 65535×65535
 * header) is refused without allocating: JPEG / JPEG-LS frame headers (ISO 10918-1 B.2.2, ISO 14495-1
 * C.2.2) and the JPEG 2000 / HTJ2K SIZ marker segment (ISO 15444-1 A.5.1).
 */

export interface CodestreamHeader {
  readonly rows: number;
  readonly columns: number;
  readonly components: number;
  /** Sample precision in bits (of the first component). */
  readonly precision: number;
  /** JPEG SOF marker (0xFFC0…0xFFCF, 0xFFF7 for JPEG-LS) or 0xFF51 for SIZ. */
  readonly marker: number;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);
const MAX_MARKERS = 1000;

/** JPEG family: walks marker segments from SOI up to the first SOF; null when none is found. */
export function jpegHeader(bytes: Uint8Array): CodestreamHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  for (let count = 0; count < MAX_MARKERS && at + 4 <= bytes.length; count++) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) return null;
    if (SOF_MARKERS.has(marker)) {
      if (at + 10 > bytes.length) return null;
      return {
        precision: bytes[at + 4]!,
        rows: (bytes[at + 5]! << 8) | bytes[at + 6]!,
        columns: (bytes[at + 7]! << 8) | bytes[at + 8]!,
        components: bytes[at + 9]!,
        marker: 0xff00 | marker,
      };
    }
    at += 2 + length;
  }
  return null;
}

/** JPEG 2000 Part 1 / Part 15: SOC then SIZ (A.5.1). */
export function j2kHeader(bytes: Uint8Array): CodestreamHeader | null {
  if (bytes.length < 4 + 38 + 3) return null;
  if (bytes[0] !== 0xff || bytes[1] !== 0x4f || bytes[2] !== 0xff || bytes[3] !== 0x51) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const xsiz = view.getUint32(8);
  const ysiz = view.getUint32(12);
  const xosiz = view.getUint32(16);
  const yosiz = view.getUint32(20);
  const components = view.getUint16(40);
  if (xosiz >= xsiz || yosiz >= ysiz || components === 0) return null;
  return { columns: xsiz - xosiz, rows: ysiz - yosiz, components, precision: (bytes[42]! & 0x7f) + 1, marker: 0xff51 };
}
