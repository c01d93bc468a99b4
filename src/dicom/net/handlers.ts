/**
 * What the DIMSE server asks of the application (the composition root): one decision hook per
 * association, one handler per DIMSE service, and sinks for security and association events.
 * Nothing here carries patient data: only AE titles, addresses, UIDs and statuses.
 */
import type { PresentationContextProposal, UserIdentityRequest } from './pdu-types.js';

export interface AssociationInfo {
  readonly associationId: string;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly peerAddress: string;
  readonly peerPort: number;
}

/** What the requestor asked for, handed to {@link DimseServiceHandlers.acceptAssociation}. */
export interface AssociationRequestInfo {
  readonly associationId: string;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly implementationClassUid: string | null;
  readonly implementationVersionName: string | null;
  readonly proposedContexts: readonly PresentationContextProposal[];
  /** User Identity Negotiation (PS3.7 D.3.3.7), if proposed. Holds credentials: never log it. */
  readonly userIdentity: UserIdentityRequest | null;
  /** Subject of the peer's verified TLS client certificate (e.g. `CN=CT01,O=Hospital`); null without TLS or certificate. */
  readonly tlsCertificateSubject: string | null;
}

/**
 * Accept, or reject with the A-ASSOCIATE-RJ fields of PS3.8 table 9-21 (e.g. an unknown calling AE:
 * result 1 permanent, source 1 service user, reason 3 calling AE title not recognized).
 */
export type AssociationDecision =
  | { readonly accept: true }
  | { readonly accept: false; readonly result: number; readonly source: number; readonly reason: number };

export interface CStoreRequestInfo {
  readonly messageId: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** The transfer syntax of the presentation context, i.e. of the dataset bytes. */
  readonly transferSyntaxUid: string;
  /** 0 medium, 1 high, 2 low (PS3.7 table 9.3-1). */
  readonly priority: number;
  readonly moveOriginatorAeTitle: string | null;
  readonly moveOriginatorMessageId: number | null;
}

export interface DimseResponseStatus {
  readonly status: number;
  /** At most 64 characters, no patient data (sent to the peer as Error Comment, LO). */
  readonly errorComment?: string;
}

/**
 * Receives one C-STORE dataset as it arrives. Calls are strictly sequential: `write`* then exactly
 * one of `end` or `abort` (after a failed `write` or `end`, `abort` may still follow, so it must be
 * idempotent).
 */
export interface IncomingDataset {
  /**
   * Called with each dataset PDV fragment in order (zero-length fragments are not passed). The
   * socket is paused until the promise resolves. The fragment is a view into the received PDU: keep
   * it only until the promise resolves, or copy it.
   */
  write(fragment: Uint8Array): Promise<void>;
  /** After the last fragment: resolve with the status to send (0x0000 only after the object is durable). */
  end(): Promise<DimseResponseStatus>;
  /** Association aborted/closed mid-dataset, or a `write`/`end` failed: discard everything. Must not throw. */
  abort(reason: string): Promise<void>;
}

export type NetworkSecurityEventKind =
  | 'unknown-pdu-type'
  | 'pdu-too-large'
  | 'pdu-length-invalid'
  | 'http-on-dicom-port'
  | 'tls-on-dicom-port'
  | 'malformed-pdu'
  | 'unexpected-pdu'
  | 'association-rejected'
  | 'association-limit'
  | 'connection-limit'
  | 'artim-timeout'
  | 'idle-timeout'
  | 'protocol-violation'
  | 'tls-handshake-failed';

/** Something hostile or broken happened on the network. Contains no patient data. */
export interface NetworkSecurityEvent {
  readonly kind: NetworkSecurityEventKind;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly associationId: string;
  /** Valid AE titles only (null when absent or not valid, so that hostile bytes never reach logs). */
  readonly callingAeTitle: string | null;
  readonly calledAeTitle: string | null;
  /** For operators: our own words, never peer-supplied text. */
  readonly detail: string;
}

export type AssociationEvent =
  | { readonly kind: 'accepted'; readonly association: AssociationInfo; readonly acceptedContexts: number }
  | { readonly kind: 'rejected'; readonly associationId: string; readonly peerAddress: string; readonly result: number; readonly source: number; readonly reason: number }
  | { readonly kind: 'released'; readonly association: AssociationInfo }
  | { readonly kind: 'aborted'; readonly association: AssociationInfo; readonly by: 'peer' | 'local' | 'transport'; readonly detail: string };

export interface DimseServiceHandlers {
  /** Allow-list hook: called after our own checks (AE title syntax, called AE, limits) pass. */
  acceptAssociation(request: AssociationRequestInfo): AssociationDecision | Promise<AssociationDecision>;
  echo(association: AssociationInfo): DimseResponseStatus | Promise<DimseResponseStatus>;
  /** Return a status instead of a sink to refuse the object; its dataset is then read and dropped. */
  beginStore(association: AssociationInfo, request: CStoreRequestInfo): IncomingDataset | DimseResponseStatus | Promise<IncomingDataset | DimseResponseStatus>;
  /** Malformed PDU, refused association, hostile bytes. Must not throw. */
  securityEvent(event: NetworkSecurityEvent): void;
  /** Opened/released/aborted, for logging. Must not throw. */
  associationEvent?(event: AssociationEvent): void;
}

type LogFn = (fields: Record<string, unknown>, message?: string) => void;

/** The part of a pino logger we use; log lines carry IDs, AE titles and UIDs, never patient data. */
export interface NetLogger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

export const SILENT_LOGGER: NetLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * The DIMSE status carried by a handler's error: a `KakuteiError`-like `{ code }` is mapped by the
 * caller; an object with a numeric `dimseStatus` or `status` is used as is; anything else → 0xA700.
 */
export function statusOfHandlerError(error: unknown, mapCode: (code: string) => number | null): DimseResponseStatus {
  if (typeof error === 'object' && error !== null) {
    const e = error as { dimseStatus?: unknown; status?: unknown; code?: unknown };
    if (typeof e.dimseStatus === 'number') return { status: e.dimseStatus };
    if (typeof e.code === 'string') {
      const mapped = mapCode(e.code);
      if (mapped !== null) return { status: mapped, errorComment: e.code };
    }
    if (typeof e.status === 'number' && e.status >= 0 && e.status <= 0xffff && e.status !== 0) return { status: e.status };
  }
  return { status: 0xa700 };
}
