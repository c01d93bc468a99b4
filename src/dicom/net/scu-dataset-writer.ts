/**
 * Sends one dataset as P-DATA-TF PDUs (PS3.8 Annex E): fragments of at most the peer's Maximum
 * Length, one PDU per `socket.write`, waiting for 'drain' whenever the socket's buffer is full, so
 * that a large dataset read from a stream never piles up in memory.
 */
import type { Socket } from 'node:net';
import { encodePData } from './pdu-codec.js';

export type DatasetSource = Uint8Array | AsyncIterable<Uint8Array>;

export class DatasetWriter {
  constructor(
    private readonly socket: Socket,
    private readonly contextId: number,
    private readonly maxFragment: number,
  ) {}

  /** Resolves true when all was handed to the socket, false if the socket closed first. */
  async send(source: DatasetSource): Promise<boolean> {
    if (source instanceof Uint8Array) return this.sendBuffer(source);
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
    for await (const chunk of source) {
      if (chunk.length === 0) continue;
      held.push(chunk);
      heldBytes += chunk.length;
      while (heldBytes > this.maxFragment) {
        const joined = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
        if (!(await this.writePdu(joined.subarray(0, this.maxFragment), false))) return false;
        const rest = joined.subarray(this.maxFragment);
        held = [rest];
        heldBytes = rest.length;
      }
    }
    const last = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
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
