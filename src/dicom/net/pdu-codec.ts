/**
 * The small PDUs (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT) and P-DATA-TF (PS3.8 §9.3.4–9.3.10).
 * Every encoder returns the whole PDU in one Buffer so that it is written with one `socket.write`.
 */
import { type PduDecodeError, malformed } from './item-reader.js';
import { type AbortPdu, type AssociateRj, type Pdv, PduType } from './pdu-types.js';

export const PDU_HEADER_BYTES = 6;
/** PDV item header: 4-byte length, presentation context ID, message control header (PS3.8 §9.3.5.1). */
export const PDV_HEADER_BYTES = 6;
/** The fixed variable-field length of A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT. */
export const SMALL_PDU_BODY_BYTES = 4;

function smallPdu(type: number, byte2: number, byte3: number): Buffer {
  // Type, reserved, length = 4, then 4 bytes of which the last two carry the values.
  return Buffer.from([type, 0, 0, 0, 0, 4, 0, 0, byte2, byte3]);
}

export function encodeAssociateRj(rj: AssociateRj): Buffer {
  // PS3.8 §9.3.4: reserved, result, source, reason.
  return Buffer.from([PduType.AssociateRj, 0, 0, 0, 0, 4, 0, rj.result, rj.source, rj.reason]);
}

export function decodeAssociateRj(body: Buffer): AssociateRj | PduDecodeError {
  if (body.length !== SMALL_PDU_BODY_BYTES) return malformed('A-ASSOCIATE-RJ must have length 4');
  return { result: body.readUInt8(1), source: body.readUInt8(2), reason: body.readUInt8(3) };
}

export function encodeReleaseRq(): Buffer {
  return smallPdu(PduType.ReleaseRq, 0, 0);
}

export function encodeReleaseRp(): Buffer {
  return smallPdu(PduType.ReleaseRp, 0, 0);
}

export function encodeAbort(abort: AbortPdu): Buffer {
  return smallPdu(PduType.Abort, abort.source, abort.reason);
}

export function decodeAbort(body: Buffer): AbortPdu | PduDecodeError {
  if (body.length !== SMALL_PDU_BODY_BYTES) return malformed('A-ABORT must have length 4');
  return { source: body.readUInt8(2), reason: body.readUInt8(3) };
}

/**
 * Splits a P-DATA-TF body into PDVs (PS3.8 §9.3.5, Annex E.2). PDV data are views into `body`.
 * Refuses an empty PDU, a PDV shorter than its 2-byte header or longer than what remains, and more
 * than `maxEmptyPdvs` PDVs that carry no data (a cheap flood that makes no progress).
 */
export function decodePData(body: Buffer, maxEmptyPdvs: number): Pdv[] | PduDecodeError {
  if (body.length === 0) return malformed('P-DATA-TF without any PDV');
  const pdvs: Pdv[] = [];
  let empty = 0;
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < PDV_HEADER_BYTES) return malformed('truncated PDV header');
    const itemLength = body.readUInt32BE(offset);
    if (itemLength < 2) return malformed('PDV item shorter than its header');
    if (itemLength > body.length - offset - 4) return malformed('PDV item longer than its PDU');
    const contextId = body.readUInt8(offset + 4);
    const control = body.readUInt8(offset + 5);
    if ((control & 0xfc) !== 0) return malformed('PDV message control header has reserved bits set');
    if (itemLength === 2 && ++empty > maxEmptyPdvs) return malformed('too many empty PDVs');
    pdvs.push({
      contextId,
      isCommand: (control & 0x01) !== 0,
      isLast: (control & 0x02) !== 0,
      data: body.subarray(offset + PDV_HEADER_BYTES, offset + 4 + itemLength),
    });
    offset += 4 + itemLength;
  }
  return pdvs;
}

/** Largest PDV fragment that fits a peer's maximum P-DATA-TF length (its variable field). */
export function maxFragmentBytes(peerMaxPduLength: number): number {
  return peerMaxPduLength - PDV_HEADER_BYTES;
}

/**
 * Builds the P-DATA-TF PDUs that carry `payload` as one message part (command or dataset), each PDU
 * with one PDV of at most `maxFragment` bytes, all in one Buffer (PS3.8 Annex E). The last PDV has
 * the last-fragment bit; `markLast` = false leaves it clear (more fragments follow in a later call).
 */
export function encodePData(contextId: number, isCommand: boolean, payload: Uint8Array, maxFragment: number, markLast = true): Buffer {
  const fragments = Math.max(1, Math.ceil(payload.length / maxFragment));
  const out = Buffer.allocUnsafe(payload.length + fragments * (PDU_HEADER_BYTES + PDV_HEADER_BYTES));
  let at = 0;
  for (let i = 0; i < fragments; i++) {
    const start = i * maxFragment;
    const end = Math.min(payload.length, start + maxFragment);
    const isLast = i === fragments - 1 && markLast;
    at = writeOnePData(out, at, contextId, isCommand, isLast, payload, start, end);
  }
  return out;
}

function writeOnePData(out: Buffer, at: number, contextId: number, isCommand: boolean, isLast: boolean, payload: Uint8Array, start: number, end: number): number {
  const dataLength = end - start;
  out[at] = PduType.PData;
  out[at + 1] = 0;
  out.writeUInt32BE(dataLength + PDV_HEADER_BYTES, at + 2);
  out.writeUInt32BE(dataLength + 2, at + 6);
  out[at + 10] = contextId;
  out[at + 11] = (isCommand ? 0x01 : 0) | (isLast ? 0x02 : 0);
  out.set(payload.subarray(start, end), at + 12);
  return at + 12 + dataLength;
}
