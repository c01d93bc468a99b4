/**
 * One TCP connection seen as a sequence of PDUs, processed strictly one at a time. While the handler
 * of a PDU is pending, the socket is paused: that is the backpressure that keeps memory bounded to
 * about one PDU plus one socket read, however slow the application is.
 */
import type { Socket } from 'node:net';
import { type PduReadError, PduReader } from './pdu-reader.js';
import type { RawPdu } from './pdu-types.js';

export interface PduConnectionCallbacks {
  /** Handles one PDU; a returned promise pauses the socket until it settles. Must not reject. */
  onPdu(pdu: RawPdu): void | Promise<void>;
  /** The byte stream cannot be cut into PDUs; nothing more is read. */
  onReadError(error: PduReadError): void;
  /** The socket closed (either side). Called once. */
  onClosed(): void;
  /** A handler rejected, which it must not do: logged by the owner, then the connection is destroyed. */
  onInternalError(error: unknown): void;
}

export class PduConnection {
  private readonly reader: PduReader;
  private readonly queue: RawPdu[] = [];
  private queueHead = 0;
  private draining: Promise<void> | null = null;
  private drainActive = false;
  private paused = false;
  private isClosed = false;
  private stopped = false;
  private closeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: Socket,
    maxPduLength: number,
    private readonly callbacks: PduConnectionCallbacks,
  ) {
    this.reader = new PduReader(maxPduLength);
    // Small PDUs (responses, A-RELEASE) must leave at once: Nagle + delayed ACK costs 40 ms each.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // 'close' follows; errors such as ECONNRESET are a normal way for a peer to go.
    });
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** True while a PDU handler is pending. */
  get busy(): boolean {
    return this.drainActive;
  }

  /** Bytes held for a partial PDU. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  /** Resolves once no PDU handler is pending. */
  async idle(): Promise<void> {
    while (this.drainActive && this.draining !== null) await this.draining;
  }

  /** Writes one or more complete PDUs held in one Buffer, with one `socket.write`. */
  send(pdus: Buffer): boolean {
    if (this.isClosed || this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(pdus);
  }

  /**
   * Sends a last PDU (A-ABORT, A-RELEASE-RP, A-ASSOCIATE-RJ), stops reading, and closes; if the
   * peer has not closed within `graceMs` the socket is destroyed (PS3.8 §9.2 ARTIM in Sta13).
   */
  sendAndClose(pdu: Buffer | null, graceMs: number): void {
    this.stopReading();
    if (this.isClosed) return;
    if (pdu !== null && !this.socket.destroyed && this.socket.writable) this.socket.end(pdu);
    else this.socket.end();
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), graceMs);
    this.closeTimer.unref();
  }

  destroy(): void {
    this.stopReading();
    this.socket.destroy();
  }

  /** Drops queued PDUs and ignores what comes next. */
  stopReading(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.queueHead = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    const { pdus, error } = this.reader.push(chunk);
    for (const pdu of pdus) this.queue.push(pdu);
    if (error !== null) {
      // Fail at once: what was queued before the bad bytes cannot matter any more.
      this.stopReading();
      this.callbacks.onReadError(error);
      return;
    }
    if (!this.drainActive && this.queue.length > this.queueHead) {
      const drained = this.drain();
      // drain() may finish synchronously when no handler returns a promise.
      this.draining = this.drainActive ? drained : null;
    }
  }

  private async drain(): Promise<void> {
    this.drainActive = true;
    try {
      while (!this.stopped && this.queueHead < this.queue.length) {
        const pdu = this.queue[this.queueHead++]!;
        const pending = this.callbacks.onPdu(pdu);
        if (pending !== undefined) {
          if (!this.paused) {
            this.paused = true;
            this.socket.pause();
          }
          await pending;
        }
      }
    } catch (error) {
      this.stopReading();
      this.callbacks.onInternalError(error);
      this.socket.destroy();
    } finally {
      this.queue.length = 0;
      this.queueHead = 0;
      this.drainActive = false;
      this.draining = null;
      if (this.paused && !this.isClosed) {
        this.paused = false;
        this.socket.resume();
      }
    }
  }

  private onSocketClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopReading();
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.callbacks.onClosed();
  }
}
