/**
 * What the acceptor decides about an A-ASSOCIATE-RQ by itself, before the application is asked:
 * the checks of PS3.8 table 9-21 in their order, and the A-ASSOCIATE-AC it answers with once the
 * presentation contexts are negotiated. Pure functions: the association applies their outcome.
 */
import { encodeAssociateAc } from './associate-codec.js';
import type { NetworkSecurityEventKind } from './handlers.js';
import { type NegotiationOutcome, checkContextIds } from './negotiation.js';
import { type AssociateRj, type AssociateRq, DICOM_APPLICATION_CONTEXT, RejectReason, RejectResult, RejectSource } from './pdu-types.js';
import { isValidAeTitle } from './values.js';

/** Peers advertising a smaller Maximum Length are not worth talking to (DCMTK's floor is 4096). */
const MIN_PEER_PDU_BYTES = 1024;

export interface AcceptorIdentity {
  readonly aeTitle: string;
  /** 'exact': the called AE title must be ours (else reject, reason 7); 'any': accept any. */
  readonly calledAeTitleCheck: 'exact' | 'any';
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
  /** The Maximum Length we advertise and accept (PS3.8 D.1). */
  readonly maxPduBytes: number;
  /** Largest P-DATA-TF we send, even if the peer accepts more (0 in its request = no limit). */
  readonly maxSendPduBytes: number;
}

/** A refusal, and the security event it is worth when it is one (a malformed or foreign request). */
export interface Refusal {
  readonly rejection: AssociateRj;
  readonly security: { readonly kind: NetworkSecurityEventKind; readonly detail: string } | null;
}

const refusal = (reason: number, source: number, security: Refusal['security'] = null): Refusal => ({
  rejection: { result: RejectResult.Permanent, source, reason },
  security,
});

/** Our own checks, in the order of PS3.8 table 9-21; null when the request may go on. */
export function checkAssociateRq(rq: AssociateRq, acceptor: AcceptorIdentity): Refusal | null {
  if ((rq.protocolVersion & 0x0001) === 0) return refusal(RejectReason.Acse.ProtocolVersionNotSupported, RejectSource.ServiceProviderAcse);
  if (rq.applicationContextName !== DICOM_APPLICATION_CONTEXT) return refusal(RejectReason.User.ApplicationContextNotSupported, RejectSource.ServiceUser);
  if (!isValidAeTitle(rq.callingAeTitle)) {
    return refusal(RejectReason.User.CallingAeNotRecognized, RejectSource.ServiceUser, { kind: 'association-rejected', detail: 'invalid calling AE title' });
  }
  if (!isValidAeTitle(rq.calledAeTitle) || (acceptor.calledAeTitleCheck === 'exact' && rq.calledAeTitle !== acceptor.aeTitle)) {
    return refusal(RejectReason.User.CalledAeNotRecognized, RejectSource.ServiceUser, { kind: 'association-rejected', detail: 'called AE title is not ours' });
  }
  const idProblem = checkContextIds(rq.presentationContexts);
  const peerMax = rq.userInformation.maxPduLength;
  if (idProblem !== null || (peerMax !== null && peerMax !== 0 && peerMax < MIN_PEER_PDU_BYTES)) {
    return refusal(RejectReason.User.NoReasonGiven, RejectSource.ServiceUser, { kind: 'malformed-pdu', detail: idProblem ?? 'peer maximum length too small' });
  }
  return null;
}

/** The A-ASSOCIATE-AC for `rq` once its presentation contexts are negotiated. */
export function buildAssociateAc(rq: AssociateRq, outcome: NegotiationOutcome, acceptor: AcceptorIdentity): Buffer {
  return encodeAssociateAc({
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: outcome.results,
    userInformation: {
      maxPduLength: acceptor.maxPduBytes,
      implementationClassUid: acceptor.implementationClassUid,
      implementationVersionName: acceptor.implementationVersionName,
      // PS3.7 D.3.3.3: we perform one operation at a time; say so when asked.
      asyncOperationsWindow: rq.userInformation.asyncOperationsWindow === null ? null : { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
      roleSelections: outcome.roleReplies,
      extendedNegotiations: [],
      userIdentity: null,
      userIdentityServerResponse: null,
    },
  });
}

/** The largest P-DATA-TF we send: the peer's Maximum Length within our own bound (0 = none). */
export function sendLimitOf(rq: AssociateRq, acceptor: AcceptorIdentity): number {
  const peerMax = rq.userInformation.maxPduLength ?? 0;
  return peerMax === 0 ? acceptor.maxSendPduBytes : Math.min(peerMax, acceptor.maxSendPduBytes);
}
