/**
 * The DIMSE side of an accepted association (SCP): reassembles command fragments (bounded), routes
 * dataset fragments to the operation's sink, and answers. One operation at a time, in order
 * (Asynchronous Operations Window 1, PS3.7 D.3.3.3).
 */
import { type DatasetSink, describe, discardingSink, handlerSink, mapErrorCode, sanitizeStatus } from './dataset-sinks.js';
import { CommandField, type DimseCommand, decodeCommand, hasDataset } from './dimse-command.js';
import { DimseStatus, encodeEchoRsp, encodeStoreRsp, encodeUnrecognizedRsp, isRequestWithResponse } from './dimse-messages.js';
import { type AssociationInfo, type DimseResponseStatus, type DimseServiceHandlers, type IncomingDataset, type NetLogger, statusOfHandlerError } from './handlers.js';
import { isDecodeError } from './item-reader.js';
import type { AcceptedContext } from './negotiation.js';
import { decodePData, encodePData } from './pdu-codec.js';
import type { Pdv } from './pdu-types.js';
import { isValidUid } from './values.js';

/** A command set is a few hundred bytes; 64 KiB leaves room for any N-service and bounds a command that never ends. */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** PDVs without data allowed per PDU and per message before we call it a flood. */
export const MAX_EMPTY_PDVS = 64;

export interface DimseReceiverContext {
  readonly association: AssociationInfo;
  readonly accepted: ReadonlyMap<number, AcceptedContext>;
  readonly handlers: DimseServiceHandlers;
  readonly logger: NetLogger;
  /** Largest PDV fragment the peer accepts (its Maximum Length less the PDV header). */
  readonly maxFragmentBytes: number;
  /** False once the transport is gone: what is still queued in the current PDU is not processed. */
  isOpen(): boolean;
  /** Writes complete PDUs (one write). */
  send(pdus: Buffer): void;
  /** A protocol violation: the owner aborts the association (PS3.8 §9.2, AA-8). */
  protocolError(detail: string): void;
  /** An operation was answered (used to finish a graceful shutdown). */
  operationDone(): void;
}

interface Operation {
  readonly contextId: number;
  readonly command: DimseCommand;
  readonly sink: DatasetSink;
  readonly respond: (status: DimseResponseStatus) => Buffer;
}

export class DimseReceiver {
  private commandParts: Buffer[] = [];
  private commandBytes = 0;
  private commandContextId = -1;
  private current: Operation | null = null;
  private emptyPdvs = 0;
  private failed = false;

  constructor(private readonly ctx: DimseReceiverContext) {}

  /** True while a command or a dataset is incomplete. */
  get midMessage(): boolean {
    return this.current !== null || this.commandParts.length > 0;
  }

  async onPData(body: Buffer): Promise<void> {
    const pdvs = decodePData(body, MAX_EMPTY_PDVS);
    if (isDecodeError(pdvs)) return this.fail(pdvs.detail);
    for (const pdv of pdvs) {
      // A dataset whose association ended part-way is discarded by abortActive(), never completed.
      if (this.failed || !this.ctx.isOpen()) return;
      const pending = this.onPdv(pdv);
      if (pending !== undefined) await pending;
    }
  }

  /** The association ended: a dataset in progress is discarded by its sink. Call after the last PDU settled. */
  async abortActive(reason: string): Promise<void> {
    const op = this.current;
    this.current = null;
    this.commandParts = [];
    if (op !== null) await op.sink.abort(reason);
  }

  private fail(detail: string): void {
    this.failed = true;
    this.ctx.protocolError(detail);
  }

  private onPdv(pdv: Pdv): void | Promise<void> {
    if (!this.ctx.accepted.has(pdv.contextId)) return this.fail('PDV on a presentation context that was not accepted');
    if (pdv.data.length === 0 && ++this.emptyPdvs > MAX_EMPTY_PDVS) return this.fail('too many empty PDVs in one message');
    return pdv.isCommand ? this.onCommandFragment(pdv) : this.onDatasetFragment(pdv);
  }

  private onCommandFragment(pdv: Pdv): void | Promise<void> {
    if (this.current !== null) return this.fail('command fragment while a dataset is incomplete');
    if (this.commandParts.length > 0 && pdv.contextId !== this.commandContextId) return this.fail('command fragments on different presentation contexts');
    this.commandBytes += pdv.data.length;
    if (this.commandBytes > MAX_COMMAND_BYTES) return this.fail('command set exceeds its size limit');
    this.commandContextId = pdv.contextId;
    this.commandParts.push(pdv.data);
    if (!pdv.isLast) return undefined;
    const bytes = this.commandParts.length === 1 ? this.commandParts[0]! : Buffer.concat(this.commandParts, this.commandBytes);
    this.commandParts = [];
    this.commandBytes = 0;
    const command = decodeCommand(bytes);
    if (isDecodeError(command)) return this.fail(command.detail);
    return this.startOperation(pdv.contextId, command);
  }

  private onDatasetFragment(pdv: Pdv): void | Promise<void> {
    const op = this.current;
    if (op === null) return this.fail('dataset fragment without a command');
    if (pdv.contextId !== op.contextId) return this.fail('dataset fragment on another presentation context than its command');
    const written = pdv.data.length > 0 ? op.sink.write(pdv.data) : undefined;
    if (!pdv.isLast) return written;
    return written === undefined ? this.finish(op) : written.then(() => this.finish(op));
  }

  private async finish(op: Operation): Promise<void> {
    const status = await op.sink.end();
    this.current = null;
    this.emptyPdvs = 0;
    this.ctx.send(encodePData(op.contextId, true, op.respond(status), this.ctx.maxFragmentBytes));
    this.ctx.operationDone();
  }

  private answerNow(contextId: number, response: Buffer): void {
    this.emptyPdvs = 0;
    this.ctx.send(encodePData(contextId, true, response, this.ctx.maxFragmentBytes));
    this.ctx.operationDone();
  }

  private startOperation(contextId: number, command: DimseCommand): void | Promise<void> {
    const field = command.commandField;
    if (field === CommandField.CCancelRq) {
      // Nothing is pending that a C-CANCEL could stop (we perform one operation at a time).
      if (hasDataset(command)) return this.fail('C-CANCEL with a dataset');
      return undefined;
    }
    if (!isRequestWithResponse(field)) return this.fail('unexpected DIMSE response from the requestor');
    if (command.messageId === null) return this.fail('DIMSE request without Message ID');
    if (field === CommandField.CEchoRq) return this.startEcho(contextId, command);
    if (field === CommandField.CStoreRq) return this.startStore(contextId, command);
    const respond = (): Buffer => encodeUnrecognizedRsp(command);
    if (hasDataset(command)) {
      this.current = { contextId, command, sink: discardingSink({ status: DimseStatus.UnrecognizedOperation }), respond };
      return undefined;
    }
    return this.answerNow(contextId, respond());
  }

  private async startEcho(contextId: number, command: DimseCommand): Promise<void> {
    if (hasDataset(command)) {
      this.current = { contextId, command, sink: discardingSink({ status: DimseStatus.CannotUnderstand }), respond: (s) => encodeEchoRsp(command, s.status) };
      return;
    }
    let status: DimseResponseStatus;
    try {
      status = sanitizeStatus(await this.ctx.handlers.echo(this.ctx.association));
    } catch (error) {
      this.ctx.logger.warn({ associationId: this.ctx.association.associationId, err: describe(error) }, 'C-ECHO handler failed');
      status = { status: DimseStatus.ProcessingFailure };
    }
    this.answerNow(contextId, encodeEchoRsp(command, status.status));
  }

  private async startStore(contextId: number, command: DimseCommand): Promise<void> {
    const respond = (s: DimseResponseStatus): Buffer => encodeStoreRsp(command, s.status, s.errorComment);
    const accepted = this.ctx.accepted.get(contextId)!;
    if (!hasDataset(command)) return this.answerNow(contextId, respond({ status: DimseStatus.CannotUnderstand, errorComment: 'C-STORE without a dataset' }));
    const refuse = (status: DimseResponseStatus): void => {
      this.current = { contextId, command, sink: discardingSink(status), respond };
    };
    const sopClassUid = command.affectedSopClassUid;
    const sopInstanceUid = command.affectedSopInstanceUid;
    if (sopClassUid === null || sopClassUid !== accepted.abstractSyntaxUid) {
      // PS3.4 B.2.3: the SOP class must be the one negotiated for this presentation context.
      return refuse({ status: DimseStatus.SopClassNotSupported, errorComment: 'SOP class differs from the presentation context' });
    }
    if (sopInstanceUid === null || !isValidUid(sopInstanceUid)) return refuse({ status: DimseStatus.CannotUnderstand, errorComment: 'UID_INVALID' });
    let sink: DatasetSink;
    try {
      const begun = await this.ctx.handlers.beginStore(this.ctx.association, {
        messageId: command.messageId ?? 0,
        sopClassUid,
        sopInstanceUid,
        transferSyntaxUid: accepted.transferSyntaxUid,
        priority: command.priority ?? 0,
        moveOriginatorAeTitle: command.moveOriginatorAeTitle,
        moveOriginatorMessageId: command.moveOriginatorMessageId,
      });
      sink = isIncomingDataset(begun) ? handlerSink(begun, this.ctx.logger, this.ctx.association.associationId) : discardingSink(sanitizeStatus(begun));
    } catch (error) {
      this.ctx.logger.warn({ associationId: this.ctx.association.associationId, err: describe(error) }, 'C-STORE beginStore failed');
      sink = discardingSink(statusOfHandlerError(error, mapErrorCode));
    }
    this.current = { contextId, command, sink, respond };
  }
}

function isIncomingDataset(value: unknown): value is IncomingDataset {
  return typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function';
}
