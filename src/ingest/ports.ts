import type { AuditEventInput } from '../audit/events.js';
import type { AttributeFault, InstanceAttributes } from '../dicom/dataset/instance-attributes.js';
import type { ObjectKey } from '../storage/object-store.js';

/** Where an object came from. Later issues add `dicomweb` and `import`. */
export interface ReceiptSource {
  readonly via: 'dimse' | 'dicomweb' | 'import';
  readonly callingAeTitle: string | null;
  readonly calledAeTitle: string | null;
  readonly peerAddress: string | null;
}

/** One received, durably stored object, ready to be entered in the index. */
export interface ReceivedInstance {
  readonly objectKey: ObjectKey;
  /** SHA-256 (hex) over the dataset bytes as received (after the file meta group). */
  readonly sha256: string;
  readonly datasetBytes: number;
  readonly fileBytes: number;
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly attributes: InstanceAttributes;
  readonly faults: readonly AttributeFault[];
  /** Lossy by transfer syntax or by Lossy Image Compression = 01 (guideline R6). */
  readonly lossy: boolean;
  readonly receivedAt: Date;
  readonly source: ReceiptSource;
}

/** Flags raised while indexing, listed for inspection. */
export type InstanceFlag = 'patient-mismatch' | 'lossy' | 'attribute-faults';

export type RecordOutcome =
  | { readonly kind: 'stored'; readonly instanceId: string; readonly flags: readonly InstanceFlag[] }
  /** Same SOP Instance UID, same dataset bytes: nothing new was added. */
  | { readonly kind: 'duplicate'; readonly instanceId: string }
  /** Same SOP Instance UID, different bytes: kept apart; the first stays current. */
  | { readonly kind: 'conflict'; readonly conflictId: string; readonly currentInstanceId: string };

export interface RecordRequest {
  /**
   * The audit events that record this change, known once the outcome is: appended in the same
   * transaction, so that the object and its event commit together or not at all.
   */
  readonly auditEvents?: (outcome: RecordOutcome) => readonly AuditEventInput[];
  /**
   * Settles once the object the row names is durable. The index may write the row meanwhile (so
   * that its SQL overlaps the object's disk flush) but commits only after this resolves — a
   * committed row never names an object that could still be lost — and commits nothing of the
   * record when it rejects: `record` then rejects with the same reason.
   */
  readonly commitAfter?: Promise<unknown>;
}

/**
 * The index as the ingest core needs it. Implementations commit durably (power-loss safe) before
 * `record` resolves. Every change and its audit events are made in one transaction.
 */
export interface InstanceIndex {
  record(instance: ReceivedInstance, request?: RecordRequest): Promise<RecordOutcome>;
  /** Throws when the index cannot commit (for /healthz). */
  check(): Promise<void>;
  close(): Promise<void>;
}
