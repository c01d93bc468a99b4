/**
 * What the Query/Retrieve and Storage Commitment SCPs ask of the application. The network layer
 * parses and answers; the handlers decide what matches, what is sent and what is durably stored.
 * Nothing here is logged with patient data: identifiers are passed through, never logged.
 */
import type { DecodedIdentifier, IdentifierRecord } from '../dataset/identifier-codec.js';
import type { QueryModel } from './dimse-qr-messages.js';
import type { AssociationInfo, DimseResponseStatus, DimseServiceHandlers } from './handlers.js';
import type { DatasetSource } from './scu-dataset-writer.js';

export type QueryRetrieveLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** A C-FIND, C-MOVE or C-GET request, its identifier decoded (PS3.4 C.4.1.2.1, C.4.2.2.1, C.4.3.2.1). */
export interface QueryRequest {
  readonly sopClassUid: string;
  readonly queryModel: QueryModel;
  /** (0008,0052), checked against the model (PATIENT only in Patient Root). */
  readonly queryRetrieveLevel: QueryRetrieveLevel;
  readonly messageId: number;
  /** 0 medium, 1 high, 2 low (PS3.7 table 9.3-1). */
  readonly priority: number;
  /** Every key as sent: values split on `\`, wildcards and any SQL/LIKE metacharacters untouched. */
  readonly identifier: DecodedIdentifier;
  /** Transfer syntax of the presentation context (of the identifiers both ways). */
  readonly transferSyntaxUid: string;
}

/**
 * C-FIND: each yielded record becomes one pending response (0xFF00) with that identifier; the
 * generator's return value (if any) is the final status, else 0x0000. Return e.g. `{ status: 0xA700,
 * errorComment: 'too many matches' }` after the configured maximum. Records are pulled one at a
 * time as responses are written (backpressure); after a C-CANCEL the iterator's `return()` is
 * called (close the database cursor in `finally`) and 0xFE00 is answered. A thrown error ends the
 * C-FIND with the status of {@link statusOfHandlerError} (a `KakuteiError` code is mapped).
 */
export type FindResult = AsyncIterable<IdentifierRecord, DimseResponseStatus | undefined | void> | DimseResponseStatus;

/** One stored object to send by a C-STORE sub-operation. */
export interface InstanceToSend {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** The transfer syntax of the stored bytes. */
  readonly transferSyntaxUid: string;
  /** The stored dataset, without preamble and file meta group (PS3.10 §7.1), as received. */
  open(): AsyncIterable<Uint8Array>;
}

/** Where a C-MOVE destination (or a Storage Commitment requestor) listens. */
export interface RemoteAe {
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
}

export interface RetrieveHandlers {
  /**
   * The instances matching a C-MOVE/C-GET identifier, after access control (return a status to
   * refuse, e.g. 0xA900/0xC000 for a bad identifier, 0xA701 when the matches cannot be counted).
   */
  resolve(association: AssociationInfo, request: QueryRequest & { readonly kind: 'move' | 'get' }): Promise<readonly InstanceToSend[] | DimseResponseStatus>;
  /**
   * C-MOVE destination lookup among configured AEs (name, AE title, host, port). `null` → 0xA801
   * Move Destination unknown. Never derive host/port from the requestor's own address: a spoofed
   * destination would make us send images anywhere.
   */
  moveDestination(association: AssociationInfo, aeTitle: string): RemoteAe | null | Promise<RemoteAe | null>;
  /**
   * Seam for the codec work: the dataset converted losslessly to Explicit or Implicit VR Little
   * Endian (`targetTransferSyntaxUid`), for a peer that does not accept the stored transfer syntax.
   * `null` = unsupported (the sub-operation fails). Never a lossy transcode.
   */
  transcode?(instance: InstanceToSend, targetTransferSyntaxUid: string): Promise<DatasetSource | null>;
}

export interface CommitmentReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
}

/** Failure Reason (0008,1197) values of PS3.4 J.3.3.1.1 / PS3.7 C.5. */
export const CommitmentFailureReason = {
  ProcessingFailure: 0x0110,
  NoSuchObjectInstance: 0x0112,
  ResourceLimitation: 0x0213,
  ReferencedSopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  DuplicateTransactionUid: 0x0131,
} as const;

export interface CommitmentResult {
  readonly committed: readonly CommitmentReference[];
  readonly failed: readonly (CommitmentReference & { readonly reason: number })[];
}

export interface StorageCommitmentHandlers {
  /**
   * Confirms only objects that are durably stored (class and instance both matching); everything
   * else goes to `failed` (0x0112 no such object, 0x0110 processing failure). May take time: the
   * N-ACTION-RSP has been sent already. A throw reports every reference failed with 0x0110.
   */
  commit(association: AssociationInfo, request: { readonly transactionUid: string; readonly references: readonly CommitmentReference[] }): Promise<CommitmentResult>;
  /**
   * Where to send the N-EVENT-REPORT when it cannot go on the requesting association (closed by
   * then): the configured AE of the calling AE title. `null` → the report is dropped (logged).
   */
  reportDestination(association: AssociationInfo): RemoteAe | null | Promise<RemoteAe | null>;
  /**
   * Default true: report on the requesting association when it is still open and idle (else on a
   * new one). False: always a new association — for requestors (Orthanc, many modalities) that
   * release right after the N-ACTION-RSP and wait for the report on their own SCP.
   */
  readonly preferSameAssociation?: boolean;
  /** Called once per transaction with how the report went; for audit and logs. Must not throw. */
  reported?(event: CommitmentReportEvent): void;
}

export interface CommitmentReportEvent {
  readonly associationId: string;
  readonly transactionUid: string;
  readonly via: 'same-association' | 'new-association' | 'not-delivered';
  /** The N-EVENT-REPORT-RSP status, or null when none came. */
  readonly status: number | null;
  readonly committed: number;
  readonly failed: number;
}

/**
 * Every service handler of the DIMSE server. The query/retrieve/commitment members are optional: a
 * server without them answers those requests with 0x0122 (SOP class not supported) — accept their
 * SOP classes in `abstractSyntaxes` only when the handlers are given.
 */
export interface DimseApplicationHandlers extends DimseServiceHandlers {
  /** C-FIND, Patient Root and Study Root (PS3.4 C.4.1). */
  find?(association: AssociationInfo, request: QueryRequest): FindResult | Promise<FindResult>;
  /** C-MOVE and C-GET (PS3.4 C.4.2, C.4.3). */
  readonly retrieve?: RetrieveHandlers;
  /** Storage Commitment Push Model SCP (PS3.4 J). */
  readonly storageCommitment?: StorageCommitmentHandlers;
}
