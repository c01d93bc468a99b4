/**
 * An association we request (SCU side): connect, propose presentation contexts, C-ECHO, C-STORE,
 * release. The peer is not trusted either: its PDUs pass the same bounded reader and decoders.
 * One operation at a time (Asynchronous Operations Window 1, PS3.7 D.3.3.3).
 */
import { connect as tcpConnect } from 'node:net';
import { type Result, err, ok } from '../../errors/codes.js';
import { decodeAssociateAc, encodeAssociateRq } from './associate-codec.js';
import { describe } from './dataset-sinks.js';
import type { DimseCommand } from './dimse-command.js';
import { encodeCancelRq, encodeNEventReportRq } from './dimse-qr-messages.js';
import { encodeEchoRq, encodeStoreRq, VERIFICATION_SOP_CLASS } from './dimse-messages.js';
import { type DimseResponseStatus, type NetLogger, SILENT_LOGGER } from './handlers.js';
import { isDecodeError } from './item-reader.js';
import type { AcceptedContext } from './negotiation.js';
import { PduConnection } from './pdu-connection.js';
import { decodeAbort, decodeAssociateRj, decodePData, encodeAbort, encodePData, encodeReleaseRq, maxFragmentBytes } from './pdu-codec.js';
import type { PduReadError } from './pdu-reader.js';
import { AbortReason, AbortSource, type AssociateAc, type AssociateRj, DICOM_APPLICATION_CONTEXT, MAX_PRESENTATION_CONTEXTS, PduType, type RawPdu, type RoleSelection } from './pdu-types.js';
import { type DatasetSource, DatasetWriter } from './scu-dataset-writer.js';
import { ResponseReader, type ScuResponse } from './scu-responses.js';
import { MAX_EMPTY_PDVS } from './dimse-limits.js';
import { isValidAeTitle } from './values.js';

export type { ScuResponse } from './scu-responses.js';

export interface ProposedContext {
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUids: readonly string[];
}

export interface ScuOptions {
  readonly host: string;
  readonly port: number;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
  /** At most 128; IDs are assigned 1, 3, 5, … in this order. */
  readonly presentationContexts: readonly ProposedContext[];
  readonly roleSelections?: readonly RoleSelection[];
  /** Maximum Length we advertise and accept. Default 256 KiB. */
  readonly maxPduBytes?: number;
  /** Largest P-DATA-TF we send even if the peer accepts more. Default 256 KiB. */
  readonly maxSendPduBytes?: number;
  /** From connect to A-ASSOCIATE-AC. Default 30 s. */
  readonly associateTimeoutMs?: number;
  /** From the end of a request to its response. Default 60 s. */
  readonly responseTimeoutMs?: number;
  readonly logger?: NetLogger;
}

export type ScuFailureKind = 'connect-failed' | 'rejected' | 'aborted' | 'closed' | 'timeout' | 'protocol' | 'no-presentation-context' | 'busy' | 'invalid-argument';

export interface ScuFailure {
  readonly kind: ScuFailureKind;
  readonly detail: string;
  /** The A-ASSOCIATE-RJ fields when `kind` is 'rejected'. */
  readonly rejection?: AssociateRj;
}

export interface StoreRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** Must be one accepted for `sopClassUid`; the bytes are sent as they are (no transcoding). */
  readonly transferSyntaxUid: string;
  /** The dataset without preamble and file meta group, in `transferSyntaxUid`. */
  readonly dataset: DatasetSource;
  readonly priority?: number;
  readonly moveOriginatorAeTitle?: string;
  readonly moveOriginatorMessageId?: number;
}

const MIN_PEER_PDU_BYTES = 1024;
const DEFAULT_PDU_BYTES = 256 * 1024;

type Settle = (result: Result<DimseCommand, ScuFailure>) => void;

export class ScuAssociation {
  private state: 'requesting' | 'established' | 'releasing' | 'closed' = 'requesting';
  private readonly connection: PduConnection;
  private accepted: AcceptedContext[] = [];
  private maxFragment = 0;
  private nextMessageId = 1;
  private pending: { messageId: number; settle: Settle; onResponse?: (response: ScuResponse) => boolean } | null = null;
  private readonly responses = new ResponseReader();
  private failure: ScuFailure | null = null;
  private onAssociated: ((result: Result<void, ScuFailure>) => void) | null = null;
  private onReleased: (() => void) | null = null;

  private constructor(private readonly options: ScuOptions) {
    const socket = tcpConnect({ host: options.host, port: options.port, noDelay: true });
    this.connection = new PduConnection(socket, options.maxPduBytes ?? DEFAULT_PDU_BYTES, {
      onPdu: (pdu) => this.onPdu(pdu),
      onReadError: (error: PduReadError) => this.protocolAbort(`${error.kind}: ${error.detail}`),
      onClosed: () => this.onClosed(),
      onInternalError: (error) => this.logger.error({ err: describe(error) }, 'internal error on an SCU association'),
    });
    socket.once('connect', () => socket.write(this.buildRequest()));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (this.state === 'requesting') this.fail({ kind: 'connect-failed', detail: error.code ?? error.name });
    });
  }

  /** Opens an association; resolves with it once the peer accepted (at least the A-ASSOCIATE-AC). */
  static async connect(options: ScuOptions): Promise<Result<ScuAssociation, ScuFailure>> {
    if (!isValidAeTitle(options.callingAeTitle) || !isValidAeTitle(options.calledAeTitle)) {
      return err({ kind: 'invalid-argument', detail: 'invalid AE title' });
    }
    if (options.presentationContexts.length < 1 || options.presentationContexts.length > MAX_PRESENTATION_CONTEXTS) {
      return err({ kind: 'invalid-argument', detail: 'between 1 and 128 presentation contexts are needed' });
    }
    const association = new ScuAssociation(options);
    const outcome = await new Promise<Result<void, ScuFailure>>((resolve) => {
      const timer = setTimeout(() => association.fail({ kind: 'timeout', detail: 'no answer to A-ASSOCIATE-RQ' }), options.associateTimeoutMs ?? 30_000);
      timer.unref();
      association.onAssociated = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
    });
    return outcome.ok ? ok(association) : err(outcome.error);
  }

  get acceptedContexts(): readonly AcceptedContext[] {
    return this.accepted;
  }

  async echo(): Promise<Result<DimseResponseStatus, ScuFailure>> {
    const context = this.accepted.find((c) => c.abstractSyntaxUid === VERIFICATION_SOP_CLASS);
    if (context === undefined) return err({ kind: 'no-presentation-context', detail: 'Verification was not accepted' });
    const started = this.startRequest();
    if (!started.ok) return started;
    const { messageId, response } = started.value;
    this.connection.send(encodePData(context.id, true, encodeEchoRq(messageId), this.maxFragment));
    return statusOf(await this.withTimeout(response));
  }

  async store(request: StoreRequest): Promise<Result<DimseResponseStatus, ScuFailure>> {
    const context = this.accepted.find((c) => c.abstractSyntaxUid === request.sopClassUid && c.transferSyntaxUid === request.transferSyntaxUid);
    if (context === undefined) return err({ kind: 'no-presentation-context', detail: 'no accepted context for this SOP class and transfer syntax' });
    const started = this.startRequest();
    if (!started.ok) return started;
    const { messageId, response } = started.value;
    const command = encodeStoreRq({
      messageId,
      sopClassUid: request.sopClassUid,
      sopInstanceUid: request.sopInstanceUid,
      ...(request.priority === undefined ? {} : { priority: request.priority }),
      ...(request.moveOriginatorAeTitle === undefined ? {} : { moveOriginatorAeTitle: request.moveOriginatorAeTitle }),
      ...(request.moveOriginatorMessageId === undefined ? {} : { moveOriginatorMessageId: request.moveOriginatorMessageId }),
    });
    this.connection.send(encodePData(context.id, true, command, this.maxFragment));
    let sent: boolean;
    try {
      sent = await new DatasetWriter(this.connection.socket, context.id, this.maxFragment, context.transferSyntaxUid).send(request.dataset);
    } catch (error) {
      // The dataset source failed: the peer has half a dataset, so only an abort can end it (PS3.8 §7.3).
      this.abort();
      return err({ kind: 'aborted', detail: `dataset source failed (${String(describe(error)['name'])})` });
    }
    if (!sent) return err(this.failure ?? { kind: 'closed', detail: 'connection closed while sending' });
    return statusOf(await this.withTimeout(response));
  }

  /**
   * N-EVENT-REPORT-RQ (PS3.7 §10.1.1) with its event information, e.g. a Storage Commitment report
   * sent by the SCP on an association it opened (PS3.4 J.3.3).
   */
  async nEventReport(request: { readonly sopClassUid: string; readonly sopInstanceUid: string; readonly eventTypeId: number; readonly dataset: Buffer }): Promise<Result<DimseResponseStatus, ScuFailure>> {
    const context = this.accepted.find((c) => c.abstractSyntaxUid === request.sopClassUid);
    if (context === undefined) return err({ kind: 'no-presentation-context', detail: 'SOP class not accepted' });
    const started = this.startRequest();
    if (!started.ok) return started;
    const { messageId, response } = started.value;
    const command = encodeNEventReportRq(messageId, request.sopClassUid, request.sopInstanceUid, request.eventTypeId);
    this.connection.send(Buffer.concat([encodePData(context.id, true, command, this.maxFragment), encodePData(context.id, false, request.dataset, this.maxFragment)]));
    return statusOf(await this.withTimeout(response));
  }

  /**
   * Sends a request with a dataset (C-FIND/C-MOVE/C-GET identifier, N-ACTION information) built by
   * `command(messageId)`, and collects every response up to the final one (not pending). After
   * `cancelAfterPending` pending responses a C-CANCEL-RQ is sent (PS3.7 §9.3.2.3).
   */
  async request(sopClassUid: string, command: (messageId: number) => Buffer, dataset: Buffer, cancelAfterPending?: number): Promise<Result<ScuResponse[], ScuFailure>> {
    const context = this.accepted.find((c) => c.abstractSyntaxUid === sopClassUid);
    if (context === undefined) return err({ kind: 'no-presentation-context', detail: 'SOP class not accepted' });
    const started = this.startRequest();
    if (!started.ok) return started;
    const { messageId, response } = started.value;
    const responses: ScuResponse[] = [];
    let pendingCount = 0;
    this.pending!.onResponse = (r) => {
      responses.push(r);
      const status = r.command.status ?? 0;
      const isPending = status === 0xff00 || status === 0xff01;
      if (isPending && ++pendingCount === cancelAfterPending) this.connection.send(encodePData(context.id, true, encodeCancelRq(messageId), this.maxFragment));
      return !isPending;
    };
    this.connection.send(Buffer.concat([encodePData(context.id, true, command(messageId), this.maxFragment), encodePData(context.id, false, dataset, this.maxFragment)]));
    const final = await this.withTimeout(response);
    return final.ok ? ok(responses) : final;
  }

  /** A-RELEASE (PS3.8 §7.2): resolves once the peer answered and the connection is closed. */
  async release(): Promise<Result<void, ScuFailure>> {
    if (this.state !== 'established' || this.pending !== null) {
      this.abort();
      return err(this.failure ?? { kind: 'protocol', detail: 'release while not idle; aborted' });
    }
    this.state = 'releasing';
    const released = new Promise<void>((resolve) => {
      this.onReleased = resolve;
    });
    const timer = setTimeout(() => this.connection.destroy(), this.options.responseTimeoutMs ?? 60_000);
    timer.unref();
    this.connection.send(encodeReleaseRq());
    await released;
    clearTimeout(timer);
    return this.failure === null ? ok(undefined) : err(this.failure);
  }

  /** A-ABORT (PS3.8 §7.3). */
  abort(): void {
    if (this.state === 'closed') return;
    this.fail({ kind: 'aborted', detail: 'aborted locally' });
  }

  private get logger(): NetLogger {
    return this.options.logger ?? SILENT_LOGGER;
  }

  private buildRequest(): Buffer {
    return encodeAssociateRq({
      protocolVersion: 1,
      calledAeTitle: this.options.calledAeTitle,
      callingAeTitle: this.options.callingAeTitle,
      applicationContextName: DICOM_APPLICATION_CONTEXT,
      presentationContexts: this.options.presentationContexts.map((c, i) => ({ id: 2 * i + 1, ...c })),
      userInformation: {
        maxPduLength: this.options.maxPduBytes ?? DEFAULT_PDU_BYTES,
        implementationClassUid: this.options.implementationClassUid,
        implementationVersionName: this.options.implementationVersionName,
        asyncOperationsWindow: null,
        roleSelections: this.options.roleSelections ?? [],
        extendedNegotiations: [],
        userIdentity: null,
        userIdentityServerResponse: null,
      },
    });
  }

  private startRequest(): Result<{ messageId: number; response: Promise<Result<DimseCommand, ScuFailure>> }, ScuFailure> {
    if (this.state !== 'established') return err(this.failure ?? { kind: 'closed', detail: 'association not established' });
    if (this.pending !== null) return err({ kind: 'busy', detail: 'another operation is in progress' });
    const messageId = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    const response = new Promise<Result<DimseCommand, ScuFailure>>((settle) => {
      this.pending = { messageId, settle };
    });
    return ok({ messageId, response });
  }

  private async withTimeout(response: Promise<Result<DimseCommand, ScuFailure>>): Promise<Result<DimseCommand, ScuFailure>> {
    const timer = setTimeout(() => this.fail({ kind: 'timeout', detail: 'no DIMSE response in time' }), this.options.responseTimeoutMs ?? 60_000);
    timer.unref();
    try {
      return await response;
    } finally {
      clearTimeout(timer);
    }
  }

  private onPdu(pdu: RawPdu): void {
    if (this.state === 'requesting') {
      if (pdu.type === PduType.AssociateAc) return this.onAccepted(pdu.body);
      if (pdu.type === PduType.AssociateRj) {
        const rj = decodeAssociateRj(pdu.body);
        if (isDecodeError(rj)) return this.protocolAbort(rj.detail);
        return this.fail({ kind: 'rejected', detail: `rejected: result ${rj.result} source ${rj.source} reason ${rj.reason}`, rejection: rj });
      }
    } else if (this.state === 'established' || this.state === 'releasing') {
      if (pdu.type === PduType.PData) return this.onPData(pdu.pieces);
      if (this.state === 'releasing' && pdu.type === PduType.ReleaseRp) {
        // PS3.8 §9.2 AR-3: the requestor closes the transport after A-RELEASE-RP.
        this.state = 'closed';
        return this.connection.destroy();
      }
    }
    if (pdu.type === PduType.Abort) {
      const abort = decodeAbort(pdu.body);
      const detail = isDecodeError(abort) ? 'peer aborted' : `peer aborted: source ${abort.source} reason ${abort.reason}`;
      this.failure = { kind: 'aborted', detail };
      return this.connection.destroy();
    }
    return this.protocolAbort(`unexpected PDU type ${pdu.type}`);
  }

  private onAccepted(body: Buffer): void {
    const ac = decodeAssociateAc(body);
    if (isDecodeError(ac)) return this.protocolAbort(ac.detail);
    const problem = this.adoptAccept(ac);
    if (problem !== null) return this.protocolAbort(problem);
    this.state = 'established';
    this.onAssociated?.(ok(undefined));
    this.onAssociated = null;
  }

  private adoptAccept(ac: AssociateAc): string | null {
    const peerMax = ac.userInformation.maxPduLength ?? 0;
    if (peerMax !== 0 && peerMax < MIN_PEER_PDU_BYTES) return 'peer maximum length too small';
    const ourMax = this.options.maxSendPduBytes ?? DEFAULT_PDU_BYTES;
    this.maxFragment = maxFragmentBytes(peerMax === 0 ? ourMax : Math.min(peerMax, ourMax));
    for (const result of ac.presentationContexts) {
      if (result.result !== 0) continue;
      const proposed = this.options.presentationContexts[(result.id - 1) / 2];
      if (result.id % 2 === 0 || proposed === undefined) return 'acceptance of a context we did not propose';
      if (!proposed.transferSyntaxUids.includes(result.transferSyntaxUid)) return 'accepted transfer syntax was not proposed';
      this.accepted.push({ id: result.id, abstractSyntaxUid: proposed.abstractSyntaxUid, transferSyntaxUid: result.transferSyntaxUid });
    }
    return null;
  }

  private onPData(body: readonly Buffer[]): void {
    const pdvs = decodePData(body, MAX_EMPTY_PDVS);
    if (isDecodeError(pdvs)) return this.protocolAbort(pdvs.detail);
    for (const pdv of pdvs) {
      if (!this.accepted.some((c) => c.id === pdv.contextId)) return this.protocolAbort('PDV on a context that was not accepted');
      const response = this.responses.push(pdv, (command) => this.isAwaited(command));
      if (response === null) continue;
      if (isDecodeError(response)) return this.protocolAbort(response.detail);
      this.deliver(response);
    }
  }

  /** A response (not a request) to the operation in progress. */
  private isAwaited(command: DimseCommand): boolean {
    const pending = this.pending;
    return pending !== null && (command.commandField & 0x8000) !== 0 && command.messageIdBeingRespondedTo === pending.messageId;
  }

  private deliver(response: ScuResponse): void {
    const pending = this.pending;
    if (pending === null) return;
    if (pending.onResponse !== undefined && !pending.onResponse(response)) return;
    this.pending = null;
    pending.settle(ok(response.command));
  }

  private protocolAbort(detail: string): void {
    this.logger.warn({ peer: `${this.options.host}:${this.options.port}`, detail }, 'SCU association aborted: protocol error');
    this.fail({ kind: 'protocol', detail }, AbortReason.InvalidPduParameterValue, AbortSource.ServiceProvider);
  }

  private fail(failure: ScuFailure, reason: number = AbortReason.NotSpecified, source: number = AbortSource.ServiceUser): void {
    this.failure ??= failure;
    if (this.state === 'established' || this.state === 'releasing') this.connection.sendAndClose(encodeAbort({ source, reason }), 2000);
    else this.connection.destroy();
    this.state = 'closed';
    this.settleAll();
  }

  private onClosed(): void {
    this.state = 'closed';
    this.settleAll();
  }

  private settleAll(): void {
    const failure = this.failure ?? { kind: 'closed' as const, detail: 'connection closed' };
    this.onAssociated?.(err(failure));
    this.onAssociated = null;
    const pending = this.pending;
    this.pending = null;
    pending?.settle(err(failure));
    this.onReleased?.();
    this.onReleased = null;
  }
}

function statusOf(result: Result<DimseCommand, ScuFailure>): Result<DimseResponseStatus, ScuFailure> {
  if (!result.ok) return result;
  const status = result.value.status;
  if (status === null) return err({ kind: 'protocol', detail: 'response without Status' });
  const comment = result.value.errorComment;
  return ok(comment === null || comment === '' ? { status } : { status, errorComment: comment });
}
