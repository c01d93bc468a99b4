/**
 * One long-running operation on an accepted association (C-FIND, C-MOVE, C-GET): what it may do on
 * the wire while the receiver keeps reading PDUs (for C-CANCEL, PS3.7 §9.3.2.3, and for the
 * C-STORE-RSPs of C-GET sub-operations, PS3.4 C.4.3.3). Writes wait for the socket to drain, so
 * the operation is paced by the peer: nothing is buffered beyond one message.
 */
import type { Socket } from 'node:net';
import type { DimseCommand } from './dimse-command.js';
import type { AssociationInfo, NetLogger } from './handlers.js';
import type { AcceptedContext } from './negotiation.js';
import { encodePData } from './pdu-codec.js';
import { type DatasetSource, DatasetWriter } from './scu-dataset-writer.js';

/** What the receiver lends an operation. */
export interface ChannelLink {
  readonly association: AssociationInfo;
  readonly accepted: ReadonlyMap<number, AcceptedContext>;
  /** Abstract syntaxes for which the requestor accepted to act as SCP (role selection, PS3.7 D.3.3.4). */
  readonly requestorScpRoles: ReadonlySet<string>;
  readonly socket: Socket;
  readonly maxFragmentBytes: number;
  readonly logger: NetLogger;
  /** The local AE, for associations the operation opens (C-MOVE). */
  readonly local: LocalAeIdentity;
  isOpen(): boolean;
  /** Message IDs of requests we send on this association (C-STORE sub-operations of a C-GET). */
  nextMessageId(): number;
}

export interface LocalAeIdentity {
  readonly aeTitle: string;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
}

/** The last response of an operation, sent by the receiver (which then accepts the next request). */
export interface FinalResponse {
  readonly command: Buffer;
  readonly dataset?: Buffer | undefined;
}

export type CancelReason = 'cancel' | 'closed';

export class OperationChannel {
  private cancelReason: CancelReason | null = null;
  private readonly waiting = new Map<number, (command: DimseCommand | null) => void>();
  private readonly cancelWaiters: (() => void)[] = [];

  constructor(
    readonly link: ChannelLink,
    readonly contextId: number,
    readonly request: DimseCommand,
  ) {}

  get messageId(): number {
    return this.request.messageId ?? 0;
  }

  /** Why the operation must stop, or null: C-CANCEL received, or the association ended. */
  get cancelled(): CancelReason | null {
    return this.cancelReason;
  }

  cancel(reason: CancelReason): void {
    if (this.cancelReason === 'closed') return;
    this.cancelReason = reason;
    if (reason === 'closed') for (const settle of [...this.waiting.values()]) settle(null);
    for (const wake of this.cancelWaiters.splice(0)) wake();
  }

  /** Resolves when the operation is cancelled; for racing a slow handler. */
  whenCancelled(): Promise<void> {
    if (this.cancelReason !== null) return Promise.resolve();
    return new Promise((resolve) => this.cancelWaiters.push(resolve));
  }

  /** Sends one message (command and optional dataset); resolves false if the association is gone. */
  async send(contextId: number, command: Buffer, dataset?: Buffer): Promise<boolean> {
    if (!this.link.isOpen()) return false;
    const pdus = encodePData(contextId, true, command, this.link.maxFragmentBytes);
    const all = dataset === undefined ? pdus : Buffer.concat([pdus, encodePData(contextId, false, dataset, this.link.maxFragmentBytes)]);
    this.link.socket.write(all);
    return drained(this.link.socket);
  }

  /** Sends a command, then a dataset streamed from `source` (C-STORE sub-operation of a C-GET). */
  async sendStreamed(contextId: number, command: Buffer, source: DatasetSource): Promise<boolean> {
    if (!(await this.send(contextId, command))) return false;
    const transferSyntaxUid = this.link.accepted.get(contextId)?.transferSyntaxUid ?? '';
    return new DatasetWriter(this.link.socket, contextId, this.link.maxFragmentBytes, transferSyntaxUid).send(source);
  }

  /** Waits for the peer's response to our request `messageId`; null on timeout or close. */
  awaitResponse(messageId: number, timeoutMs: number): Promise<DimseCommand | null> {
    if (!this.link.isOpen()) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      timer.unref();
      const settle = (command: DimseCommand | null): void => {
        clearTimeout(timer);
        this.waiting.delete(messageId);
        resolve(command);
      };
      this.waiting.set(messageId, settle);
    });
  }

  /** A response from the peer; false when nothing awaited it (a protocol violation). */
  deliver(command: DimseCommand): boolean {
    const settle = command.messageIdBeingRespondedTo === null ? undefined : this.waiting.get(command.messageIdBeingRespondedTo);
    if (settle === undefined) return false;
    settle(command);
    return true;
  }
}

/** Resolves true once the socket can take more, false if it closed first. */
export function drained(socket: Socket): Promise<boolean> {
  if (socket.destroyed || !socket.writable) return Promise.resolve(false);
  if (!socket.writableNeedDrain) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onDrain = (): void => {
      socket.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      socket.off('drain', onDrain);
      resolve(false);
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}
