/**
 * Bounded walking of the item lists inside A-ASSOCIATE PDUs (PS3.8 §9.3.2–9.3.3, Annex D): every
 * item header and length is checked against its parent before its value is looked at.
 */

/** A decoding failure: `malformed` breaks the structure (→ A-ABORT), `limit` exceeds a cap (→ A-ASSOCIATE-RJ). */
export interface PduDecodeError {
  readonly kind: 'malformed' | 'limit';
  /** For logs and security events; never holds peer-supplied text. */
  readonly detail: string;
}

export const malformed = (detail: string): PduDecodeError => ({ kind: 'malformed', detail });
export const overLimit = (detail: string): PduDecodeError => ({ kind: 'limit', detail });

export interface ItemView {
  readonly type: number;
  /** The item's value (after its 4-byte header), a view into the PDU. */
  readonly value: Buffer;
}

/**
 * Cuts `region` into items (1-byte type, 1 reserved, 2-byte big-endian length). Fails when a header
 * or a declared length overruns the region, or when more than `maxItems` are present.
 */
export function splitItems(region: Buffer, maxItems: number, what: string): ItemView[] | PduDecodeError {
  const items: ItemView[] = [];
  let offset = 0;
  while (offset < region.length) {
    if (region.length - offset < 4) return malformed(`${what}: truncated item header`);
    const type = region.readUInt8(offset);
    const length = region.readUInt16BE(offset + 2);
    const valueStart = offset + 4;
    if (length > region.length - valueStart) return malformed(`${what}: item 0x${hex2(type)} longer than its parent`);
    if (items.length >= maxItems) return overLimit(`${what}: more than ${maxItems} items`);
    items.push({ type, value: region.subarray(valueStart, valueStart + length) });
    offset = valueStart + length;
  }
  return items;
}

/** Reads a 2-byte-length-prefixed field at `offset` inside `value` (PS3.7 D.3.3.4, D.3.3.7). */
export function readLengthPrefixed(value: Buffer, offset: number, what: string): { field: Buffer; next: number } | PduDecodeError {
  if (value.length - offset < 2) return malformed(`${what}: truncated length`);
  const length = value.readUInt16BE(offset);
  if (length > value.length - offset - 2) return malformed(`${what}: field longer than its item`);
  return { field: value.subarray(offset + 2, offset + 2 + length), next: offset + 2 + length };
}

export function isDecodeError(value: unknown): value is PduDecodeError {
  return typeof value === 'object' && value !== null && 'kind' in value && 'detail' in value && !Array.isArray(value);
}

export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
