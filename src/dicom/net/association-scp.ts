/**
 * One incoming connection, from the first byte to the close: the acceptor's part of the upper-layer
 * state machine (PS3.8 §9.2, table 9-10) reduced to Sta2 (awaiting A-ASSOCIATE-RQ), a short
 * deciding step, Sta6 (established) and Sta13 (awaiting close). Any PDU out of order → A-ABORT.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type AcceptorIdentity, buildAssociateAc, checkAssociateRq, sendLimitOf } from './association-acceptance.js';
import { decodeAssociateRq } from './associate-codec.js';
import { describe } from './dataset-sinks.js';
import { DimseReceiver } from './dimse-receiver.js';
import type { AssociationInfo, AssociationRequestInfo, DimseServiceHandlers, NetLogger, NetworkSecurityEventKind } from './handlers.js';
import type { DimseApplicationHandlers } from './query-handlers.js';
import { isDecodeError } from './item-reader.js';
import { type NegotiationPolicy, negotiatePresentationContexts } from './negotiation.js';
import { PduConnection } from './pdu-connection.js';
import { decodeAbort, encodeAbort, encodeAssociateRj, maxFragmentBytes } from './pdu-codec.js';
import type { PduReadError } from './pdu-reader.js';
import {
  AbortReason,
  AbortSource,
  type AssociateRj,
  type AssociateRq,
  PduType,
  type RawPdu,
  RejectReason,
  RejectResult,
  RejectSource,
} from './pdu-types.js';
import { isValidAeTitle } from './values.js';

export interface ScpConfig extends AcceptorIdentity {
  readonly artimMs: number;
  readonly idleMs: number;
  readonly policy: NegotiationPolicy;
  readonly handlers: DimseApplicationHandlers;
  readonly logger: NetLogger;
}

/** The server's limit bookkeeping: asked once per A-ASSOCIATE-RQ, released when the association ends. */
export interface Admission {
  tryAdmit(peerAddress: string): (() => void) | null;
}

type State = 'awaiting-rq' | 'deciding' | 'established' | 'closing' | 'closed';

export class ScpAssociation {
  private state: State = 'awaiting-rq';
  private readonly connection: PduConnection;
  private readonly artimTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastPduAt = Date.now();
  private info: AssociationInfo;
  private receiver: DimseReceiver | null = null;
  private releaseAdmission: (() => void) | null = null;
  private shutdownRequested = false;
  private validCalling: string | null = null;
  private readonly tlsCertificateSubject: string | null;
  private validCalled: string | null = null;

  constructor(
    socket: Socket,
    readonly associationId: string,
    private readonly config: ScpConfig,
    private readonly admission: Admission,
    private readonly onEnd: () => void,
  ) {
    this.info = {
      associationId,
      callingAeTitle: '',
      calledAeTitle: '',
      peerAddress: normalizeAddress(socket.remoteAddress),
      peerPort: socket.remotePort ?? 0,
    };
    this.tlsCertificateSubject = certificateSubjectOf(socket);
    this.connection = new PduConnection(socket, config.maxPduBytes, {
      onPdu: (pdu) => this.onPdu(pdu),
      onReadError: (error) => this.onReadError(error),
      onClosed: () => this.onClosed(),
      onInternalError: (error) => config.logger.error({ associationId, err: describe(error) }, 'internal error on a DICOM association'),
    });
    // ARTIM (PS3.8 §9.1.5): an A-ASSOCIATE-RQ must arrive within artimMs of the connection.
    this.artimTimer = setTimeout(() => this.onArtimTimeout(), config.artimMs);
    this.artimTimer.unref();
  }

  /** Stop: abort now if nothing is in progress, else after the current operation is answered. */
  shutdown(): void {
    this.shutdownRequested = true;
    if (this.state === 'established' && !this.connection.busy && !(this.receiver?.midMessage ?? false)) this.abortLocal('server shutting down');
    else if (this.state === 'awaiting-rq') this.connection.destroy();
  }

  destroy(): void {
    this.connection.destroy();
  }

  private onArtimTimeout(): void {
    if (this.state !== 'awaiting-rq') return;
    this.security('artim-timeout', 'no A-ASSOCIATE-RQ within the ARTIM timeout');
    this.connection.destroy();
  }

  private onIdleCheck(): void {
    if (this.state !== 'established') return;
    const quietMs = Date.now() - this.lastPduAt;
    const working = this.connection.busy || (this.receiver?.midMessage ?? false);
    if (working || quietMs < this.config.idleMs) {
      // The application is still working on a PDU (we paused the socket) or answering an operation
      // (a long C-FIND or C-MOVE, during which the peer rightly says nothing), or a PDU came lately:
      // check again when the idle period counted from the last PDU would end.
      const delayMs = working ? this.config.idleMs : this.config.idleMs - quietMs;
      this.idleTimer = setTimeout(() => this.onIdleCheck(), Math.max(1, delayMs));
      this.idleTimer.unref();
      return;
    }
    this.security('idle-timeout', 'no PDU within the idle timeout');
    this.abortLocal('idle timeout');
  }

  private onPdu(pdu: RawPdu): void | Promise<void> {
    this.lastPduAt = Date.now();
    switch (this.state) {
      case 'awaiting-rq':
        if (pdu.type === PduType.AssociateRq) return this.onAssociateRq(pdu.body);
        if (pdu.type === PduType.Abort) return this.connection.destroy();
        return this.protocolAbort('unexpected-pdu', `PDU type ${pdu.type} before A-ASSOCIATE-RQ`, AbortReason.UnexpectedPdu);
      case 'established':
        if (pdu.type === PduType.PData) return this.receiver!.onPData(pdu.pieces);
        if (pdu.type === PduType.ReleaseRq) return this.onReleaseRq();
        if (pdu.type === PduType.Abort) return this.onPeerAbort(pdu.body);
        return this.protocolAbort('unexpected-pdu', `PDU type ${pdu.type} on an established association`, AbortReason.UnexpectedPdu);
      default:
        // Sta13: whatever arrives is ignored until the transport closes (PS3.8 table 9-10, AA-6/AA-7).
        if (pdu.type === PduType.Abort) this.connection.destroy();
        return undefined;
    }
  }

  private onReadError(error: PduReadError): void {
    const inAssociation = this.state === 'established';
    this.security(error.kind, error.detail);
    if (error.kind === 'http-on-dicom-port' || error.kind === 'tls-on-dicom-port') {
      // Not a DICOM peer: an A-ABORT means nothing to it.
      this.connection.destroy();
      return;
    }
    const reason = error.kind === 'unknown-pdu-type' ? AbortReason.UnrecognizedPdu : AbortReason.InvalidPduParameterValue;
    this.sendAbortAndClose(reason, inAssociation ? error.detail : null);
  }

  private async onAssociateRq(body: Buffer): Promise<void> {
    clearTimeout(this.artimTimer);
    this.state = 'deciding';
    const rq = decodeAssociateRq(body);
    if (isDecodeError(rq)) {
      if (rq.kind === 'limit') {
        this.security('malformed-pdu', rq.detail);
        return this.reject({ result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason: RejectReason.User.NoReasonGiven });
      }
      return this.protocolAbort('malformed-pdu', rq.detail, AbortReason.InvalidPduParameterValue);
    }
    this.validCalling = isValidAeTitle(rq.callingAeTitle) ? rq.callingAeTitle : null;
    this.validCalled = isValidAeTitle(rq.calledAeTitle) ? rq.calledAeTitle : null;
    const refused = checkAssociateRq(rq, this.config);
    if (refused !== null) {
      if (refused.security !== null) this.security(refused.security.kind, refused.security.detail);
      return this.reject(refused.rejection);
    }
    this.info = { ...this.info, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle };
    const release = this.admission.tryAdmit(this.info.peerAddress);
    if (release === null) {
      this.security('association-limit', 'association limit reached');
      // PS3.8 table 9-21: transient, service provider (presentation), local limit exceeded.
      return this.reject({ result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.Presentation.LocalLimitExceeded });
    }
    this.releaseAdmission = release;
    const decision = await this.decide(rq);
    if (this.connection.closed) return;
    if (!decision.accept) return this.reject(decision);
    this.establish(rq);
  }

  private async decide(rq: AssociateRq): Promise<{ accept: true } | ({ accept: false } & AssociateRj)> {
    const request: AssociationRequestInfo = {
      ...this.info,
      implementationClassUid: rq.userInformation.implementationClassUid,
      implementationVersionName: rq.userInformation.implementationVersionName,
      proposedContexts: rq.presentationContexts,
      userIdentity: rq.userInformation.userIdentity,
      tlsCertificateSubject: this.tlsCertificateSubject,
    };
    try {
      return await this.config.handlers.acceptAssociation(request);
    } catch (error) {
      this.config.logger.error({ associationId: this.associationId, err: describe(error) }, 'acceptAssociation hook failed');
      return { accept: false, result: RejectResult.Transient, source: RejectSource.ServiceUser, reason: RejectReason.User.NoReasonGiven };
    }
  }

  private establish(rq: AssociateRq): void {
    if (this.shutdownRequested) {
      return this.reject({ result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.Presentation.TemporaryCongestion });
    }
    const outcome = negotiatePresentationContexts(rq.presentationContexts, rq.userInformation.roleSelections, this.config.policy);
    const ac = buildAssociateAc(rq, outcome, this.config);
    const sendMax = sendLimitOf(rq, this.config);
    this.receiver = new DimseReceiver({
      association: this.info,
      accepted: outcome.accepted,
      handlers: this.config.handlers,
      logger: this.config.logger,
      maxFragmentBytes: maxFragmentBytes(sendMax),
      socket: this.connection.socket,
      local: { aeTitle: this.config.aeTitle, implementationClassUid: this.config.implementationClassUid, implementationVersionName: this.config.implementationVersionName },
      requestorScpRoles: new Set(outcome.roleReplies.filter((r) => r.scpRole).map((r) => r.sopClassUid)),
      isOpen: () => !this.connection.closed && this.state === 'established',
      send: (pdus) => {
        this.connection.send(pdus);
      },
      protocolError: (detail) => this.protocolAbort('protocol-violation', detail, AbortReason.UnexpectedPduParameter),
      operationDone: () => {
        // Time spent by the application does not count as the peer's silence.
        this.lastPduAt = Date.now();
        if (this.shutdownRequested) this.abortLocal('server shutting down');
      },
    });
    this.state = 'established';
    this.connection.send(ac);
    this.lastPduAt = Date.now();
    this.idleTimer = setTimeout(() => this.onIdleCheck(), this.config.idleMs);
    this.idleTimer.unref();
    this.config.logger.info(
      { associationId: this.associationId, callingAeTitle: this.info.callingAeTitle, peerAddress: this.info.peerAddress, acceptedContexts: outcome.accepted.size },
      'association accepted',
    );
    this.emit({ kind: 'accepted', association: this.info, acceptedContexts: outcome.accepted.size });
  }

  private reject(rj: AssociateRj): void {
    this.state = 'closing';
    // A refused peer that keeps its socket open must not hold an association slot.
    this.releaseAdmission?.();
    this.releaseAdmission = null;
    this.config.logger.info({ associationId: this.associationId, peerAddress: this.info.peerAddress, ...rj }, 'association rejected');
    this.emit({ kind: 'rejected', associationId: this.associationId, peerAddress: this.info.peerAddress, ...rj });
    this.connection.sendAndClose(encodeAssociateRj(rj), this.config.artimMs);
  }

  private onReleaseRq(): void {
    if (this.receiver!.midMessage) return this.protocolAbort('protocol-violation', 'A-RELEASE-RQ in the middle of a message', AbortReason.UnexpectedPdu);
    this.state = 'closing';
    // A Storage Commitment report awaiting its response here goes on a new association instead.
    this.receiver!.releaseOutgoing();
    this.emit({ kind: 'released', association: this.info });
    this.config.logger.info({ associationId: this.associationId }, 'association released');
    this.connection.sendAndClose(Buffer.from([PduType.ReleaseRp, 0, 0, 0, 0, 4, 0, 0, 0, 0]), this.config.artimMs);
  }

  private onPeerAbort(body: Buffer): void {
    const abort = decodeAbort(body);
    const detail = isDecodeError(abort) ? 'A-ABORT' : `A-ABORT source ${abort.source} reason ${abort.reason}`;
    this.state = 'closing';
    this.emit({ kind: 'aborted', association: this.info, by: 'peer', detail });
    this.connection.destroy();
  }

  private protocolAbort(kind: NetworkSecurityEventKind, detail: string, reason: number): void {
    this.security(kind, detail);
    this.sendAbortAndClose(reason, detail);
  }

  private abortLocal(detail: string): void {
    this.sendAbortAndClose(AbortReason.NotSpecified, detail, AbortSource.ServiceUser);
  }

  private sendAbortAndClose(reason: number, detail: string | null, source: number = AbortSource.ServiceProvider): void {
    if (this.state === 'closed') return;
    const wasEstablished = this.state === 'established';
    this.state = 'closing';
    if (wasEstablished && detail !== null) this.emit({ kind: 'aborted', association: this.info, by: 'local', detail });
    this.connection.sendAndClose(encodeAbort({ source, reason }), Math.min(this.config.artimMs, 2000));
  }

  private onClosed(): void {
    const wasEstablished = this.state === 'established';
    this.state = 'closed';
    clearTimeout(this.artimTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (wasEstablished) this.emit({ kind: 'aborted', association: this.info, by: 'transport', detail: 'connection closed' });
    const receiver = this.receiver;
    void this.connection
      .idle()
      .then(() => receiver?.abortActive('association closed'))
      .finally(() => {
        this.releaseAdmission?.();
        this.releaseAdmission = null;
        this.onEnd();
      });
  }

  private security(kind: NetworkSecurityEventKind, detail: string): void {
    const event = {
      kind,
      detail,
      associationId: this.associationId,
      peerAddress: this.info.peerAddress,
      peerPort: this.info.peerPort,
      callingAeTitle: this.validCalling,
      calledAeTitle: this.validCalled,
    };
    this.config.logger.warn({ ...event, event: 'dicom-security' }, 'DICOM network security event');
    try {
      this.config.handlers.securityEvent(event);
    } catch (error) {
      this.config.logger.error({ associationId: this.associationId, err: describe(error) }, 'securityEvent handler threw');
    }
  }

  private emit(event: Parameters<NonNullable<DimseServiceHandlers['associationEvent']>>[0]): void {
    try {
      this.config.handlers.associationEvent?.(event);
    } catch (error) {
      this.config.logger.error({ associationId: this.associationId, err: describe(error) }, 'associationEvent handler threw');
    }
  }
}

export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The verified client certificate's subject as `K=V,K=V` (RFC 4514 order as given), or null. */
function certificateSubjectOf(socket: Socket): string | null {
  const tls = socket as Partial<TLSSocket>;
  if (tls.encrypted !== true || tls.authorized !== true || typeof tls.getPeerCertificate !== 'function') return null;
  const subject = tls.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
  if (subject === undefined) return null;
  return Object.entries(subject)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(',');
}
