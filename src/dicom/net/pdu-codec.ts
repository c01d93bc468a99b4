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
 * Splits a P-DATA-TF body into PDVs (PS3.8 §9.3.5, Annex E.2). PDV data are views into the body,
 * which may come in pieces (the reads it arrived in): a PDV whose data spans pieces is returned as
 * one PDV per piece, in order, only the last with the last-fragment bit — the same message, cut
 * differently (a message may be fragmented anywhere). Refuses an empty PDU, a PDV shorter than its
 * 2-byte header or longer than what remains, and more than `maxEmptyPdvs` PDVs that carry no data
 * (a cheap flood that makes no progress).
 */
export function decodePData(body: Buffer | readonly Buffer[], maxEmptyPdvs: number): Pdv[] | PduDecodeError {
  const cursor = new PieceCursor(Buffer.isBuffer(body) ? [body] : body);
  if (cursor.remaining === 0) return malformed('P-DATA-TF without any PDV');
  const pdvs: Pdv[] = [];
  let empty = 0;
  while (cursor.remaining > 0) {
    if (cursor.remaining < PDV_HEADER_BYTES) return malformed('truncated PDV header');
    const header = cursor.take(PDV_HEADER_BYTES);
    const itemLength = header.readUInt32BE(0);
    if (itemLength < 2) return malformed('PDV item shorter than its header');
    if (itemLength - 2 > cursor.remaining) return malformed('PDV item longer than its PDU');
    const contextId = header.readUInt8(4);
    const control = header.readUInt8(5);
    if ((control & 0xfc) !== 0) return malformed('PDV message control header has reserved bits set');
    if (itemLength === 2 && ++empty > maxEmptyPdvs) return malformed('too many empty PDVs');
    const isCommand = (control & 0x01) !== 0;
    const isLast = (control & 0x02) !== 0;
    const data = cursor.views(itemLength - 2);
    if (data.length === 0) pdvs.push({ contextId, isCommand, isLast, data: EMPTY });
    data.forEach((piece, i) => pdvs.push({ contextId, isCommand, isLast: isLast && i === data.length - 1, data: piece }));
  }
  return pdvs;
}

const EMPTY = Buffer.alloc(0);

/** Reads across the pieces of a body without joining them. */
class PieceCursor {
  private index = 0;
  private offset = 0;
  remaining: number;

  constructor(private readonly pieces: readonly Buffer[]) {
    this.remaining = pieces.reduce((sum, piece) => sum + piece.length, 0);
  }

  /** `n` bytes in one Buffer: a view when they lie in one piece, else a copy (only PDV headers, 6 bytes). */
  take(n: number): Buffer {
    const parts = this.views(n);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  /** `n` bytes as views of the pieces they lie in; none when `n` is 0. */
  views(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const piece = this.pieces[this.index]!;
      const use = Math.min(piece.length - this.offset, left);
      if (use > 0) out.push(piece.subarray(this.offset, this.offset + use));
      this.offset += use;
      left -= use;
      if (this.offset === piece.length) {
        this.index++;
        this.offset = 0;
      }
    }
    this.remaining -= n;
    return out;
  }
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
