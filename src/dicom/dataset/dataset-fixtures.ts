/**
 * A minimal dataset encoder for tests (here and in other parts' tests): hand-built bytes in any of
 * the three uncompressed encodings, including deliberately malformed ones. Not for production
 * writing — it trusts its input.
 */
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';

export interface FixtureElement {
  readonly tag: number;
  readonly vr: string;
  /** Text (padded to even length), raw bytes, US numbers, or sequence items. */
  readonly value: string | Uint8Array | readonly number[] | readonly (readonly FixtureElement[])[];
  /** Encode with undefined length (sequences, and items inside them). */
  readonly undefinedLength?: boolean;
  /** Override the declared length (to write a lying length). */
  readonly declaredLength?: number;
}

export interface FixtureSyntax {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
}

export const EXPLICIT_LE: FixtureSyntax = { explicitVr: true, littleEndian: true };
export const IMPLICIT_LE: FixtureSyntax = { explicitVr: false, littleEndian: true };
export const EXPLICIT_BE: FixtureSyntax = { explicitVr: true, littleEndian: false };

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

class Bytes {
  readonly parts: number[] = [];
  constructor(private readonly little: boolean) {}
  u16(v: number): void {
    if (this.little) this.parts.push(v & 0xff, (v >> 8) & 0xff);
    else this.parts.push((v >> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    if (this.little) {
      this.u16(v & 0xffff);
      this.u16((v >>> 16) & 0xffff);
    } else {
      this.u16((v >>> 16) & 0xffff);
      this.u16(v & 0xffff);
    }
  }
  tag(tag: number): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
  }
  raw(bytes: Iterable<number>): void {
    for (const b of bytes) this.parts.push(b);
  }
}

function valueBytes(element: FixtureElement, syntax: FixtureSyntax): number[] {
  const { value, vr } = element;
  if (typeof value === 'string') {
    const bytes = [...Buffer.from(value, 'latin1')];
    if (bytes.length % 2 === 1) bytes.push(vr === 'UI' ? 0 : 0x20);
    return bytes;
  }
  if (value instanceof Uint8Array) return [...value];
  if (value.length > 0 && typeof value[0] !== 'number') {
    const out = new Bytes(syntax.littleEndian);
    for (const item of value as readonly (readonly FixtureElement[])[]) {
      const content = encodeElements(item, syntax);
      out.tag(0xfffee000);
      out.u32(element.undefinedLength === true ? 0xffffffff : content.length);
      out.raw(content);
      if (element.undefinedLength === true) {
        out.tag(0xfffee00d);
        out.u32(0);
      }
    }
    return out.parts;
  }
  const out = new Bytes(syntax.littleEndian);
  for (const n of value as readonly number[]) out.u16(n);
  return out.parts;
}

function encodeElements(elements: readonly FixtureElement[], syntax: FixtureSyntax): number[] {
  const out = new Bytes(syntax.littleEndian);
  for (const element of elements) {
    const value = valueBytes(element, syntax);
    const length = element.declaredLength ?? (element.undefinedLength === true ? 0xffffffff : value.length);
    out.tag(element.tag);
    if (syntax.explicitVr) {
      out.raw([element.vr.charCodeAt(0), element.vr.charCodeAt(1)]);
      if (LONG.has(element.vr)) {
        out.u16(0);
        out.u32(length);
      } else out.u16(length);
    } else out.u32(length);
    out.raw(value);
    if (element.undefinedLength === true && element.vr === 'SQ') {
      out.tag(0xfffee0dd);
      out.u32(0);
    }
  }
  return out.parts;
}

/** Encodes elements in the order given (tests may want them out of order). */
export function encodeDataset(elements: readonly FixtureElement[], syntax: FixtureSyntax = EXPLICIT_LE): Uint8Array {
  return Uint8Array.from(encodeElements(elements, syntax));
}

/** Text element shorthand. */
export const el = (tag: number, vr: string, value: FixtureElement['value'], extra: Partial<FixtureElement> = {}): FixtureElement => ({
  tag,
  vr,
  value,
  ...extra,
});

/**
 * Deflated Explicit VR Little Endian bytes (PS3.5 §A.5): `head` followed by `zeroMebibytes` MiB of
 * zeros, without building the zeros. One compressed MiB of zeros ended by a sync flush (byte-aligned,
 * not final, referring back only within itself) is repeated, and an empty final block ends the
 * stream (RFC 1951 §3.2.3).
 */
export function deflateFollowedByZeros(head: Uint8Array, zeroMebibytes: number): Uint8Array {
  const syncFlush = { finishFlush: zlibConstants.Z_SYNC_FLUSH };
  const zeros = deflateRawSync(Buffer.alloc(1024 * 1024), syncFlush);
  return Buffer.concat([deflateRawSync(head, syncFlush), ...new Array<Buffer>(zeroMebibytes).fill(zeros), deflateRawSync(Buffer.alloc(0))]);
}
