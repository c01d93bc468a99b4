import type { AuditEventDraft, AuditEventRecord } from './record.js';

/** The head of the chain: the last event's sequence number and hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * What the audit core needs from a database (implemented over SQL in src/index/audit-store.ts).
 * The store, not the core, assigns `seq` and links the hash: only it can read the head and append
 * under one lock, so that two writers never chain to the same predecessor.
 */
export interface AuditEventStore {
  /** Appends one event in a transaction of its own, committed durably before the promise resolves. */
  append(draft: AuditEventDraft): Promise<AuditEventRecord>;
  head(): Promise<ChainHead | null>;
  /** Events with `seq >= fromSeq`, in `seq` order, at most `limit`: as stored, not checked. */
  readFrom(fromSeq: number, limit: number): Promise<AuditEventRecord[]>;
}

/** One stored object to check: an instance's current object or a conflicting re-send kept aside. */
export interface StoredObjectRef {
  readonly kind: 'instance' | 'conflict';
  /** Database key of the row, as a decimal string; the catalog pages by it. */
  readonly rowId: string;
  readonly sopInstanceUid: string;
  readonly objectKey: string;
  /** Recorded SHA-256 of the dataset bytes (after the file meta group). */
  readonly sha256: string;
}

/** Lists what the index says is stored, in row order, so that a check can resume after `afterRowId`. */
export interface StoredObjectCatalog {
  list(kind: StoredObjectRef['kind'], afterRowId: string | null, limit: number): Promise<StoredObjectRef[]>;
}
