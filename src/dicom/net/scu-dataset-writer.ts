/**
 * Sends one dataset as P-DATA-TF PDUs (PS3.8 Annex E): fragments of at most the peer's Maximum
 * Length, one PDU per `socket.write`, waiting for 'drain' whenever the socket's buffer is full, so
 * that a large dataset read from a stream never piles up in memory.
 */
import type { Socket } from 'node:net';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../dictionary/index.js';
import { encodePData } from './pdu-codec.js';

export type DatasetSource = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * A deflated dataset is a deflate stream, which may end on an odd byte (DCMTK's `dcmconv +td`
 * writes such files, and we store what we receive bit for bit). DCMTK refuses a PDV of odd length
 * and aborts the association, so such a dataset is sent with one trailing NUL byte: a deflate
 * decoder stops at the stream's final block and ignores it, and every DICOM value is of even
 * length. DCMTK's own storescu pads such a file the same way (seen here: the dataset it sent was
 * the file's plus one NUL), as does PixelMed. Other transfer syntaxes are sent exactly as stored.
 */
function padsOddLength(transferSyntaxUid: string): boolean {
  return transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN;
}

const PAD = new Uint8Array([0]);

export class DatasetWriter {
  private readonly maxFragment: number;
  private readonly padOddLength: boolean;

  constructor(
    private readonly socket: Socket,
    private readonly contextId: number,
    maxFragment: number,
    transferSyntaxUid: string,
  ) {
    // Even fragments: only the last one can then be odd, and one pad byte still fits in it.
    this.maxFragment = Math.max(2, maxFragment - (maxFragment % 2));
    this.padOddLength = padsOddLength(transferSyntaxUid);
  }

  /** Resolves true when all was handed to the socket, false if the socket closed first. */
  async send(source: DatasetSource): Promise<boolean> {
    if (source instanceof Uint8Array) return this.sendBuffer(this.padOddLength && source.length % 2 === 1 ? Buffer.concat([source, PAD]) : source);
    return this.sendStream(source);
  }

  private async sendBuffer(data: Uint8Array): Promise<boolean> {
    if (data.length === 0) return this.writePdu(new Uint8Array(0), true);
    for (let start = 0; start < data.length; start += this.maxFragment) {
      const end = Math.min(data.length, start + this.maxFragment);
      if (!(await this.writePdu(data.subarray(start, end), end === data.length))) return false;
    }
    return true;
  }

  /**
   * Re-cuts the stream into full fragments; the last fragment is held back until the stream ends so
   * that it can carry the last-fragment bit.
   */
  private async sendStream(source: AsyncIterable<Uint8Array>): Promise<boolean> {
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    let totalBytes = 0;
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      held.push(chunk);
      heldBytes += chunk.length;
      totalBytes += chunk.length;
      while (heldBytes > this.maxFragment) {
        const joined = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
        if (!(await this.writePdu(joined.subarray(0, this.maxFragment), false))) return false;
        const rest = joined.subarray(this.maxFragment);
        held = [rest];
        heldBytes = rest.length;
      }
    }
    if (this.padOddLength && totalBytes % 2 === 1) held.push(PAD);
    const last = held.length === 1 ? held[0]! : Buffer.concat(held);
    return this.writePdu(last, true);
  }

  private async writePdu(fragment: Uint8Array, isLast: boolean): Promise<boolean> {
    if (this.socket.destroyed || !this.socket.writable) return false;
    const pdu = encodePData(this.contextId, false, fragment, Math.max(1, fragment.length), isLast);
    if (this.socket.write(pdu)) return true;
    return new Promise<boolean>((resolve) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        resolve(true);
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        resolve(false);
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }
}
