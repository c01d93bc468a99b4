/**
 * Cuts the byte stream of one connection into PDUs (PS3.8 §9.3.1) without trusting it: the type and
 * length are checked as soon as the 6-byte header is in, a declared length is never allocated ahead
 * of the bytes, and nothing larger than our advertised maximum is accepted.
 */
import { PDU_HEADER_BYTES, SMALL_PDU_BODY_BYTES } from './pdu-codec.js';
import { ASSOCIATE_FIXED_BYTES } from './associate-codec.js';
import { PduType, type RawPdu } from './pdu-types.js';

export type PduReadErrorKind =
  | 'unknown-pdu-type'
  | 'pdu-too-large'
  | 'pdu-length-invalid'
  /** The first bytes look like an HTTP request: someone pointed a browser or a proxy at the DICOM port. */
  | 'http-on-dicom-port'
  /** The first bytes look like a TLS ClientHello: a TLS client on a plain port. */
  | 'tls-on-dicom-port';

export interface PduReadError {
  readonly kind: PduReadErrorKind;
  readonly detail: string;
}

export interface PduReadResult {
  readonly pdus: RawPdu[];
  readonly error: PduReadError | null;
}

const HTTP_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE ', 'PRI '];

export class PduReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private pending: { type: number; length: number } | null = null;
  private seenAny = false;
  private failed = false;

  /**
   * @param maxPduLength largest accepted variable-field length, for any PDU type: the Maximum Length we
   *   advertise bounds P-DATA-TF (PS3.8 D.1); the same bound keeps A-ASSOCIATE PDUs finite.
   */
  constructor(private readonly maxPduLength: number) {}

  /** Bytes held while waiting for the rest of a PDU (for memory accounting and tests). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): PduReadResult {
    const pdus: RawPdu[] = [];
    if (this.failed) return { pdus, error: { kind: 'pdu-length-invalid', detail: 'reader already failed' } };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.pending === null) {
        if (this.buffered === 0) break;
        const firstByte = this.chunks[0]![0]!;
        if (!isKnownPduType(firstByte)) return this.fail(pdus, this.classifyUnknown());
        if (this.buffered < PDU_HEADER_BYTES) break;
        const header = this.take(PDU_HEADER_BYTES);
        const length = header.readUInt32BE(2);
        const lengthError = this.checkLength(firstByte, length);
        if (lengthError !== null) return this.fail(pdus, lengthError);
        this.pending = { type: firstByte, length };
        this.seenAny = true;
      }
      if (this.buffered < this.pending.length) break;
      pdus.push(new ReceivedPdu(this.pending.type, this.takePieces(this.pending.length)));
      this.pending = null;
    }
    return { pdus, error: null };
  }

  private fail(pdus: RawPdu[], error: PduReadError): PduReadResult {
    this.failed = true;
    this.chunks.length = 0;
    this.buffered = 0;
    return { pdus, error };
  }

  private checkLength(type: number, length: number): PduReadError | null {
    switch (type) {
      case PduType.AssociateRj:
      case PduType.ReleaseRq:
      case PduType.ReleaseRp:
      case PduType.Abort:
        // Fixed length 4 (PS3.8 §9.3.4, §9.3.6–9.3.8).
        return length === SMALL_PDU_BODY_BYTES ? null : { kind: 'pdu-length-invalid', detail: `PDU type ${type} with length ${length}` };
      case PduType.AssociateRq:
      case PduType.AssociateAc:
        if (length < ASSOCIATE_FIXED_BYTES) return { kind: 'pdu-length-invalid', detail: `A-ASSOCIATE with length ${length}` };
        break;
      case PduType.PData:
        // At least one PDV with its 4-byte length and 2-byte header (PS3.8 §9.3.5).
        if (length < 6) return { kind: 'pdu-length-invalid', detail: `P-DATA-TF with length ${length}` };
        break;
    }
    if (length > this.maxPduLength) return { kind: 'pdu-too-large', detail: `PDU type ${type} declares ${length} bytes, limit ${this.maxPduLength}` };
    return null;
  }

  private classifyUnknown(): PduReadError {
    const head = this.peek(Math.min(this.buffered, 8));
    if (!this.seenAny) {
      // TLS record: content type 22 (handshake), version major 3 (RFC 8446 §5.1).
      if (head[0] === 0x16 && (head.length < 2 || head[1] === 0x03)) return { kind: 'tls-on-dicom-port', detail: 'TLS handshake bytes on a plain DICOM port' };
      const text = head.toString('latin1');
      if (HTTP_METHODS.some((m) => m.startsWith(text) || text.startsWith(m))) return { kind: 'http-on-dicom-port', detail: 'HTTP request bytes on the DICOM port' };
    }
    return { kind: 'unknown-pdu-type', detail: `unknown PDU type 0x${head[0]!.toString(16).padStart(2, '0')}` };
  }

  /** Copies up to `n` leading bytes without consuming them. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }

  /**
   * Consumes `n` bytes as views of the chunks they lie in (no copy). Storescu's 128 KiB P-DATA
   * PDUs always span Node's 64 KiB reads: joining them cost 4–7 % of the event loop per CT slice.
   */
  private takePieces(n: number): Buffer[] {
    this.buffered -= n;
    const pieces: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= left) {
        pieces.push(chunk);
        this.chunks.shift();
        left -= chunk.length;
      } else {
        pieces.push(chunk.subarray(0, left));
        this.chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
    return pieces;
  }

  /** Consumes `n` bytes: a view of the first chunk when it holds them all (no copy), else one copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks[0]!;
      const use = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, use);
      at += use;
      if (use === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(use);
    }
    return out;
  }
}

export function isKnownPduType(type: number): boolean {
  return type >= PduType.AssociateRq && type <= PduType.Abort;
}

/** A PDU cut from the stream; its body is joined only if someone asks for it whole. */
class ReceivedPdu implements RawPdu {
  private joined: Buffer | null = null;

  constructor(
    readonly type: number,
    readonly pieces: readonly Buffer[],
  ) {}

  get body(): Buffer {
    this.joined ??= this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    return this.joined;
  }
}
