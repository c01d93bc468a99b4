/**
 * The DIMSE side of an accepted association (SCP): reassembles command fragments (bounded), routes
 * dataset fragments to the operation's sink, and answers. One operation at a time, in order
 * (Asynchronous Operations Window 1, PS3.7 D.3.3.3).
 */
import type { Socket } from 'node:net';
import { type SameAssociationReporter, startCommitment } from './commitment-scp.js';
import { type DatasetSink, collectingSink, describe, discardingSink, handlerSink, mapErrorCode, sanitizeStatus } from './dataset-sinks.js';
import { CommandAssembler } from './command-assembler.js';
import { CommandField, type DimseCommand, hasDataset } from './dimse-command.js';
import { DimseStatus, encodeEchoRsp, encodeStoreRsp, encodeUnrecognizedRsp, isRequestWithResponse } from './dimse-messages.js';
import { QueryRetrieveSopClass, STORAGE_COMMITMENT_PUSH_SOP_CLASS, encodeFindRsp, encodeNActionRsp, encodeRetrieveRsp } from './dimse-qr-messages.js';
import { runFind } from './find-scp.js';
import { type AssociationInfo, type DimseResponseStatus, type IncomingDataset, type NetLogger, statusOfHandlerError } from './handlers.js';
import { type FinalResponse, type LocalAeIdentity, OperationChannel } from './operation-channel.js';
import type { DimseApplicationHandlers } from './query-handlers.js';
import { runRetrieve } from './retrieve-scp.js';
import { isDecodeError } from './item-reader.js';
import type { AcceptedContext } from './negotiation.js';
import { decodePData, encodePData } from './pdu-codec.js';
import type { Pdv } from './pdu-types.js';
import { isValidUid } from './values.js';

import { MAX_COMMAND_BYTES, MAX_EMPTY_PDVS } from './dimse-limits.js';
export { MAX_COMMAND_BYTES, MAX_EMPTY_PDVS };
/**
 * A C-FIND/C-MOVE/C-GET identifier or N-ACTION information larger than this is read and dropped,
 * and refused with 0xA700 (a UID list of ~15 000 UIDs fits).
 */
export const MAX_REQUEST_DATASET_BYTES = 1024 * 1024;

export interface DimseReceiverContext {
  readonly association: AssociationInfo;
  readonly accepted: ReadonlyMap<number, AcceptedContext>;
  readonly handlers: DimseApplicationHandlers;
  readonly logger: NetLogger;
  /** Largest PDV fragment the peer accepts (its Maximum Length less the PDV header). */
  readonly maxFragmentBytes: number;
  readonly socket: Socket;
  readonly local: LocalAeIdentity;
  /** Abstract syntaxes for which we accepted the requestor's SCP role (C-GET storage, PS3.4 C.4.3). */
  readonly requestorScpRoles: ReadonlySet<string>;
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
  /** For requests whose dataset starts a service (C-FIND, C-MOVE, C-GET, N-ACTION): called instead of answering. */
  readonly start?: (dataset: Buffer) => void;
}

export class DimseReceiver {
  private readonly commands = new CommandAssembler();
  private current: Operation | null = null;
  private emptyPdvs = 0;
  private failed = false;
  /** The requestor's long-running operation (C-FIND/C-MOVE/C-GET) while it runs. */
  private active: OperationChannel | null = null;
  /** Our own requests on this association (N-EVENT-REPORT) awaiting the peer's response. */
  private readonly outgoing = new Map<number, (command: DimseCommand | null) => void>();
  private ownMessageId = 0;

  constructor(private readonly ctx: DimseReceiverContext) {}

  /** True while a command or a dataset is incomplete, or an operation is being answered. */
  get midMessage(): boolean {
    return this.current !== null || this.commands.inProgress || this.active !== null;
  }

  /** A-RELEASE-RQ or close: our own requests will get no answer on this association. */
  releaseOutgoing(): void {
    for (const settle of [...this.outgoing.values()]) settle(null);
  }

  /** Lets the Storage Commitment task send its N-EVENT-REPORT here (PS3.4 J.3.3). */
  readonly reporter: SameAssociationReporter = {
    request: async (contextId, command, dataset, timeoutMs) => {
      if (!this.ctx.isOpen() || this.midMessage || this.failed) return 'unavailable';
      const messageId = this.nextOwnMessageId();
      const response = new Promise<DimseCommand | null>((resolve) => {
        const timer = setTimeout(() => settle(null), timeoutMs);
        timer.unref();
        const settle = (c: DimseCommand | null): void => {
          clearTimeout(timer);
          this.outgoing.delete(messageId);
          resolve(c);
        };
        this.outgoing.set(messageId, settle);
      });
      this.ctx.send(Buffer.concat([encodePData(contextId, true, command(messageId), this.ctx.maxFragmentBytes), encodePData(contextId, false, dataset, this.ctx.maxFragmentBytes)]));
      return (await response) ?? 'unavailable';
    },
  };

  private nextOwnMessageId(): number {
    this.ownMessageId = (this.ownMessageId % 0xffff) + 1;
    return this.ownMessageId;
  }

  async onPData(body: readonly Buffer[]): Promise<void> {
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
    this.active?.cancel('closed');
    this.releaseOutgoing();
    const op = this.current;
    this.current = null;
    this.commands.reset();
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
    const command = this.commands.push(pdv);
    if (command === null) return undefined;
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
    if (op.start !== undefined && status.status === DimseStatus.Success) return op.start(Buffer.from(op.sink.collected?.() ?? Buffer.alloc(0)));
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
      if (hasDataset(command)) return this.fail('C-CANCEL with a dataset');
      // PS3.7 §9.3.2.3: a C-CANCEL for anything but the operation in progress (e.g. one already answered) is ignored.
      if (this.active !== null && command.messageIdBeingRespondedTo === this.active.messageId) this.active.cancel('cancel');
      return undefined;
    }
    if (!isRequestWithResponse(field)) return this.onPeerResponse(command);
    if (command.messageId === null) return this.fail('DIMSE request without Message ID');
    // PS3.7 D.3.3.3: we negotiate one outstanding operation; a second one is a protocol violation.
    if (this.active !== null) return this.fail('request while another operation is in progress');
    if (field === CommandField.CEchoRq) return this.startEcho(contextId, command);
    if (field === CommandField.CStoreRq) return this.startStore(contextId, command);
    if (serviceOfContext(this.ctx.accepted.get(contextId)!.abstractSyntaxUid) === field) return this.startService(contextId, command);
    const respond = (): Buffer => encodeUnrecognizedRsp(command);
    if (hasDataset(command)) {
      this.current = { contextId, command, sink: discardingSink({ status: DimseStatus.UnrecognizedOperation }), respond };
      return undefined;
    }
    return this.answerNow(contextId, respond());
  }

  private onPeerResponse(command: DimseCommand): void {
    if (hasDataset(command)) return this.fail('DIMSE response with a dataset from the requestor');
    const id = command.messageIdBeingRespondedTo;
    const own = id === null ? undefined : this.outgoing.get(id);
    if (own !== undefined) return own(command);
    if (this.active?.deliver(command) === true) return undefined;
    return this.fail('unexpected DIMSE response from the requestor');
  }

  /** C-FIND, C-MOVE, C-GET, N-ACTION: read the (bounded) dataset, then run the service detached. */
  private startService(contextId: number, command: DimseCommand): void {
    const respond = (s: DimseResponseStatus): Buffer => refusalOf(command, s);
    if (!hasDataset(command)) return this.answerNow(contextId, respond({ status: DimseStatus.CannotUnderstand, errorComment: 'request without its dataset' }));
    const start = (dataset: Buffer): void => {
      if (command.commandField === CommandField.NActionRq) return this.startCommitmentService(contextId, command, dataset);
      const channel = new OperationChannel(this.linkFor(), contextId, command);
      this.active = channel;
      const field = command.commandField;
      const running = field === CommandField.CFindRq ? runFind(channel, this.ctx.handlers, dataset) : runRetrieve(channel, this.ctx.handlers, dataset, field === CommandField.CGetRq ? 'get' : 'move');
      void running
        .catch((error: unknown): FinalResponse => {
          this.ctx.logger.error({ associationId: this.ctx.association.associationId, err: describe(error) }, 'DIMSE service failed');
          return { command: respond({ status: DimseStatus.ProcessingFailure }) };
        })
        .then((final) => {
          // The final response and the end of the operation happen together, before any next PDU is read.
          this.active = null;
          if (this.ctx.isOpen() && channel.cancelled !== 'closed') {
            const pdus = encodePData(contextId, true, final.command, this.ctx.maxFragmentBytes);
            this.ctx.send(final.dataset === undefined ? pdus : Buffer.concat([pdus, encodePData(contextId, false, final.dataset, this.ctx.maxFragmentBytes)]));
          }
          this.ctx.operationDone();
        });
    };
    this.current = { contextId, command, sink: collectingSink(MAX_REQUEST_DATASET_BYTES), respond, start };
  }

  private startCommitmentService(contextId: number, command: DimseCommand, dataset: Buffer): void {
    const handlers = this.ctx.handlers.storageCommitment;
    if (handlers === undefined) return this.answerNow(contextId, refusalOf(command, { status: DimseStatus.SopClassNotSupported }));
    const { response, report } = startCommitment(
      { association: this.ctx.association, context: this.ctx.accepted.get(contextId)!, handlers, logger: this.ctx.logger, local: this.ctx.local, reporter: this.reporter },
      command,
      dataset,
    );
    this.answerNow(contextId, response);
    // Detached: the report may outlive this association (it then goes on a new one).
    if (report !== null) void report();
  }

  private linkFor(): OperationChannel['link'] {
    return {
      association: this.ctx.association,
      accepted: this.ctx.accepted,
      requestorScpRoles: this.ctx.requestorScpRoles,
      socket: this.ctx.socket,
      maxFragmentBytes: this.ctx.maxFragmentBytes,
      logger: this.ctx.logger,
      local: this.ctx.local,
      isOpen: () => this.ctx.isOpen() && !this.failed,
      nextMessageId: () => this.nextOwnMessageId(),
    };
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

/** The request a presentation context's SOP class is for (PS3.4 C.4, J.3); other requests are unrecognized (0x0211). */
function serviceOfContext(abstractSyntaxUid: string): number | null {
  if (abstractSyntaxUid === STORAGE_COMMITMENT_PUSH_SOP_CLASS) return CommandField.NActionRq;
  switch (abstractSyntaxUid) {
    case QueryRetrieveSopClass.PatientRootFind:
    case QueryRetrieveSopClass.StudyRootFind:
      return CommandField.CFindRq;
    case QueryRetrieveSopClass.PatientRootMove:
    case QueryRetrieveSopClass.StudyRootMove:
      return CommandField.CMoveRq;
    case QueryRetrieveSopClass.PatientRootGet:
    case QueryRetrieveSopClass.StudyRootGet:
      return CommandField.CGetRq;
    default:
      return null;
  }
}

function refusalOf(command: DimseCommand, status: DimseResponseStatus): Buffer {
  switch (command.commandField) {
    case CommandField.CFindRq:
      return encodeFindRsp(command, status.status, false, status.errorComment);
    case CommandField.NActionRq:
      return encodeNActionRsp(command, status.status, command.affectedSopClassUid ?? '', '', null, status.errorComment);
    default:
      return encodeRetrieveRsp(command, status.status, undefined, false, status.errorComment);
  }
}

function isIncomingDataset(value: unknown): value is IncomingDataset {
  return typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function';
}
