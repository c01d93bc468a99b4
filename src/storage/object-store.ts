import type { Readable } from 'node:stream';

/**
 * The storage seam the core owns (after Orthanc's blob area: put / get / range / delete). Objects are
 * addressed by the SHA-256 of their *content key bytes* (for DICOM: the dataset after the file meta
 * group). Keys are never built from attribute text. An object, once created, is never overwritten.
 */
export interface ObjectStore {
  readonly capabilities: StoreCapabilities;
  /**
   * Start writing a new object. `prefix` bytes (e.g. a Part 10 preamble and file meta group) are
   * written first and are NOT part of the content hash; every later `write` is hashed.
   */
  beginPut(prefix?: Uint8Array): Promise<PendingObject>;
  /** Whole stored file, prefix included. */
  get(key: ObjectKey): Readable;
  /** Bytes [start, endExclusive) of the stored file. */
  getRange(key: ObjectKey, start: number, endExclusive: number): Readable;
  stat(key: ObjectKey): Promise<{ readonly sizeBytes: number } | null>;
  /** Removal is a recorded, deliberate act of a later issue (disposal); never used by ingest. */
  delete(key: ObjectKey): Promise<void>;
  /** Free bytes where objects are written (for the free-space watermark). */
  freeBytes(): Promise<number>;
  /** Verifies the store is writable (for /healthz). */
  check(): Promise<void>;
  /** Releases what the store keeps open; pending objects must be settled first. */
  close(): Promise<void>;
}

export interface StoreCapabilities {
  readonly rangeReads: boolean;
  /** Creation fails rather than replacing an existing object. */
  readonly exclusiveCreate: boolean;
  /** A committed object survives power loss (fsync of file and directory). */
  readonly durableCommit: boolean;
}

/** A lowercase hex SHA-256 of the content bytes. */
export type ObjectKey = string & { readonly __brand: 'ObjectKey' };

export function isObjectKey(text: string): text is ObjectKey {
  return /^[0-9a-f]{64}$/.test(text);
}

export interface PendingObject {
  /** Resolves when the chunk is accepted; callers pause their source until it does (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  readonly contentBytes: number;
  /**
   * Path of the temporary file, readable before commit (e.g. to parse a long header). A store may
   * buffer accepted chunks: call `flush()` (when present) first, then the file holds every byte.
   */
  readonly tempPath: string;
  /** Writes buffered bytes to `tempPath`. Optional: a store that does not buffer need not have it. */
  flush?(): Promise<void>;
  /** Prefix length in bytes, so that `tempPath` content starts at this offset. */
  readonly prefixBytes: number;
  /**
   * Ends writing and makes the written bytes durable (no name points at them yet), so that a caller
   * can overlap the disk flush with its own work (e.g. reading the header) before `commit`. Calling
   * it again returns the same promise; `commit` calls it when the caller did not.
   */
  sync(): Promise<void>;
  /**
   * The content key (SHA-256 of the content bytes), known as soon as writing has ended — once
   * `sync()` or `commit()` was called — so that a caller can name the object (e.g. write its index
   * row) while it is still being made durable. Throws before then.
   */
  contentKey(): ObjectKey;
  /**
   * Settles once the flush `sync()` started has been handed to the disk (or `sync()` ended without
   * one); never rejects. The flush is issued from the caller's thread: long synchronous work begun
   * before this settles (e.g. SQL through a synchronous driver) holds the flush back, begun after
   * it overlaps the flush.
   */
  flushIssued(): Promise<void>;
  /**
   * Make the object durable under its content key: sync file → exclusive link/rename → fsync
   * directory. When an object with the same key already exists, the new bytes are discarded and
   * `existed` is true (same key means same content bytes).
   */
  commit(): Promise<CommittedObject>;
  /** Drop the temporary file; nothing is left behind. */
  discard(): Promise<void>;
}

export interface CommittedObject {
  readonly key: ObjectKey;
  readonly sha256: string;
  readonly contentBytes: number;
  readonly fileBytes: number;
  readonly existed: boolean;
}
