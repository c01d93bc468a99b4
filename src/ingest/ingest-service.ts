import { open } from 'node:fs/promises';
import type { AuditEventInput } from '../audit/events.js';
import type { Clock } from '../clock/index.js';
import { readInstanceHeader, lossyFlag, type HeaderReadResult } from '../dicom/dataset/index.js';
import type { AttributeFault, InstanceAttributes } from '../dicom/dataset/index.js';
import { buildFileMetaHeader } from '../dicom/part10/index.js';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../dicom/dictionary/index.js';
import type { KakuteiError, Result } from '../errors/index.js';
import { err, kakuteiError, ok } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { ObjectKey, ObjectStore, PendingObject } from '../storage/index.js';
import { HeaderBuffer } from './header-buffer.js';
import type { InstanceIndex, ReceiptSource, RecordOutcome } from './ports.js';
import { FreeSpaceGuard } from './free-space-guard.js';
import { InflateGuard } from './inflate-guard.js';
import { isValidUid } from './uids.js';

export interface IngestLimits {
  readonly headerBufferBytes: number;
  readonly maxHeaderBytes: number;
  readonly freeSpaceWatermarkBytes: number;
  /** A deflated dataset that inflates beyond this is refused as a decompression bomb. */
  readonly maxInflatedBytes: number;
}

export interface IngestDependencies {
  readonly store: ObjectStore;
  readonly index: InstanceIndex;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: IngestLimits;
  readonly implementation: { readonly classUid: string; readonly versionName: string };
  /** Character set to assume when a sender declares none but sends non-ASCII bytes. */
  readonly fallbackCharsetFor: (source: ReceiptSource) => string | null;
}

/** What the sender told us before the dataset (the C-STORE command, or a STOW part's metadata). */
export interface IngestRequest {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly source: ReceiptSource;
  /** The audit events recording this object, committed in the same transaction as its index row. */
  readonly auditEvents?: (stored: StoredSummary) => readonly AuditEventInput[];
}

/** What the audit needs of a stored object: identifiers only. */
export interface StoredSummary {
  readonly outcome: RecordOutcome;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string | null;
}

export interface IngestResult {
  readonly outcome: RecordOutcome;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly patientId: string | null;
  readonly faults: readonly AttributeFault[];
}

/** Receives one dataset as a stream; `finish` answers only once the object is durable and indexed. */
export interface ObjectReceiver {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<Result<IngestResult>>;
  abort(): Promise<void>;
}

/**
 * The ingest core: bytes in, durable object plus index row out. The received dataset is stored
 * bit for bit behind a file meta group we write ourselves; hashes cover the dataset only.
 * The order per object is: stream to a temp file (hashing as it comes) → fsync file (while the
 * header is read) → link into place → fsync directory → commit index row → answer (INTERFACES, issue 2).
 * The index row's statements run during the flush; only its COMMIT waits for the object.
 */
export class IngestService {
  private readonly freeSpace: FreeSpaceGuard;

  constructor(private readonly deps: IngestDependencies) {
    this.freeSpace = new FreeSpaceGuard(deps.store, deps.limits.freeSpaceWatermarkBytes, deps.clock);
  }

  async begin(request: IngestRequest): Promise<Result<ObjectReceiver>> {
    if (!isValidUid(request.sopInstanceUid) || !isValidUid(request.sopClassUid) || !isValidUid(request.transferSyntaxUid)) {
      return err(kakuteiError('UID_INVALID', 'command SOP Class, SOP Instance or Transfer Syntax UID'));
    }
    if (!(await this.freeSpace.hasRoom())) return err(kakuteiError('STORAGE_FULL'));
    const prefix = buildFileMetaHeader({
      mediaStorageSopClassUid: request.sopClassUid,
      mediaStorageSopInstanceUid: request.sopInstanceUid,
      transferSyntaxUid: request.transferSyntaxUid,
      implementationClassUid: this.deps.implementation.classUid,
      implementationVersionName: this.deps.implementation.versionName,
      ...(request.source.callingAeTitle === null ? {} : { sourceApplicationEntityTitle: request.source.callingAeTitle }),
    });
    let pending: PendingObject;
    try {
      pending = await this.deps.store.beginPut(prefix);
    } catch (cause) {
      this.deps.logger.error({ event: 'storage-error', err: cause }, 'cannot start writing an object');
      return err(kakuteiError('STORAGE_IO'));
    }
    return ok(new Receiver(this.deps, request, pending, this.freeSpace));
  }
}

class Receiver implements ObjectReceiver {
  private readonly head: HeaderBuffer;
  private readonly inflateGuard: InflateGuard | null;
  private settled = false;

  constructor(
    private readonly deps: IngestDependencies,
    private readonly request: IngestRequest,
    private readonly pending: PendingObject,
    private readonly freeSpace: FreeSpaceGuard,
  ) {
    this.head = new HeaderBuffer(deps.limits.headerBufferBytes);
    this.inflateGuard = request.transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN ? new InflateGuard(deps.limits.maxInflatedBytes) : null;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.head.append(chunk);
    if (this.inflateGuard === null) return this.pending.write(chunk);
    await Promise.all([this.pending.write(chunk), this.inflateGuard.write(chunk)]);
  }

  async abort(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.inflateGuard?.dispose();
    await this.pending.discard().catch((cause: unknown) => {
      this.deps.logger.warn({ event: 'storage-error', err: cause }, 'cannot discard a partial object');
    });
  }

  async finish(): Promise<Result<IngestResult>> {
    if (this.settled) return err(kakuteiError('STORAGE_IO', 'receiver already settled'));
    this.settled = true;
    const refused = async (error: KakuteiError): Promise<Result<IngestResult>> => {
      await this.pending.discard().catch(() => undefined);
      return err(error);
    };
    // The disk flush of the received bytes starts now and runs while the header is read: the two
    // are the longest steps after the last byte, and neither needs the other. A refused object
    // was synced for nothing, which costs only time.
    const synced = this.pending.sync();
    synced.catch(() => undefined); // awaited below, or settled by discard
    const inflated = await this.inflateGuard?.end();
    if (inflated !== undefined && inflated !== null) return refused(inflated);

    let header: Result<{ attributes: InstanceAttributes; faults: readonly AttributeFault[] }>;
    try {
      header = await this.readHeader();
    } catch (cause) {
      // Reading a long header back from the temporary file failed: refuse, and leave no temp file.
      this.deps.logger.error({ event: 'storage-error', err: cause, sopInstanceUid: this.request.sopInstanceUid }, 'cannot read the header back');
      return refused(kakuteiError('STORAGE_IO'));
    }
    if (!header.ok) return refused(header.error);
    const { attributes, faults } = header.value;
    const identity = checkIdentity(this.request, attributes);
    if (!identity.ok) return refused(identity.error);

    // The index row is written while the object is made durable (flush, link, directory fsync):
    // the SQL overlaps the disk, and the index commits only once the object is durable
    // (`commitAfter`), so what reaches the disk keeps its order — object, then row, then answer.
    const objectKey = this.pending.contentKey();
    const fileBytes = this.pending.prefixBytes + this.pending.contentBytes;
    const committed = this.pending.commit().then(
      (object) => object,
      async (cause: unknown) => {
        this.deps.logger.error({ event: 'storage-error', err: cause, sopInstanceUid: this.request.sopInstanceUid }, 'object not made durable');
        await this.pending.discard().catch(() => undefined);
        return null;
      },
    );
    // Not durable, or the same content already stored behind a file meta group of another length
    // (the row must give the stored file's size: entered again below).
    const durableAsNamed = committed.then((object) => {
      if (object === null || object.fileBytes !== fileBytes) throw new NotAsNamed();
    });
    // The SQL runs without yielding (better-sqlite3): begun before the flush is issued, it would
    // hold the flush back instead of overlapping it.
    await this.pending.flushIssued();
    let outcome: RecordOutcome;
    try {
      outcome = await this.record(attributes, faults, objectKey, fileBytes, durableAsNamed);
    } catch (cause) {
      const object = await committed;
      if (object === null) return err(kakuteiError('STORAGE_IO'));
      if (!(cause instanceof NotAsNamed)) return this.indexFailed(cause);
      try {
        outcome = await this.record(attributes, faults, object.key, object.fileBytes, undefined);
      } catch (again) {
        return this.indexFailed(again);
      }
    }
    const object = await committed;
    if (object !== null) this.freeSpace.consumed(object.fileBytes);
    return ok({
      outcome,
      sopInstanceUid: this.request.sopInstanceUid,
      studyInstanceUid: attributes.studyInstanceUid ?? '',
      patientId: attributes.patientId,
      faults,
    });
  }

  private record(
    attributes: InstanceAttributes,
    faults: readonly AttributeFault[],
    objectKey: ObjectKey,
    fileBytes: number,
    commitAfter: Promise<unknown> | undefined,
  ): Promise<RecordOutcome> {
    return this.deps.index.record(
      {
        objectKey,
        sha256: objectKey,
        datasetBytes: this.pending.contentBytes,
        fileBytes,
        transferSyntaxUid: this.request.transferSyntaxUid,
        sopClassUid: this.request.sopClassUid,
        sopInstanceUid: this.request.sopInstanceUid,
        attributes,
        faults,
        lossy: lossyFlag(attributes, this.request.transferSyntaxUid),
        receivedAt: this.deps.clock.now(),
        source: this.request.source,
      },
      {
        auditEvents: (recorded) =>
          this.request.auditEvents?.({
            outcome: recorded,
            studyInstanceUid: attributes.studyInstanceUid ?? '',
            seriesInstanceUid: attributes.seriesInstanceUid ?? '',
            patientId: attributes.patientId,
          }) ?? [],
        ...(commitAfter === undefined ? {} : { commitAfter }),
      },
    );
  }

  /** The object is durable but unindexed: not acknowledged. A retry finds the same content key. */
  private indexFailed(cause: unknown): Result<IngestResult> {
    this.deps.logger.error({ event: 'index-error', err: cause, sopInstanceUid: this.request.sopInstanceUid }, 'index commit failed');
    return err(kakuteiError('INDEX_UNAVAILABLE'));
  }

  private async readHeader(): Promise<Result<{ attributes: InstanceAttributes; faults: readonly AttributeFault[] }>> {
    const fallbackCharset = this.deps.fallbackCharsetFor(this.request.source);
    const parse = (bytes: Uint8Array, complete: boolean, datasetBytes?: number) =>
      readInstanceHeader({
        bytes,
        complete,
        transferSyntaxUid: this.request.transferSyntaxUid,
        fallbackCharset,
        maxInflatedBytes: this.deps.limits.maxInflatedBytes,
        ...(datasetBytes === undefined ? {} : { datasetBytes }),
      });
    const answer = (result: HeaderReadResult): Result<{ attributes: InstanceAttributes; faults: readonly AttributeFault[] }> =>
      result.ok ? ok({ attributes: result.attributes, faults: result.faults }) : err(result.needMoreBytes ? kakuteiError('DATASET_UNPARSEABLE') : result.error);
    // The whole dataset in memory: its first bytes usually hold the header, and the reader answers
    // from them as from the whole (pixel data shorter than declared is refused, not stored) —
    // without joining a whole image first. Otherwise, or for encapsulated pixel data, the whole.
    if (this.head.complete && this.head.keptBytes > QUICK_HEADER_BYTES) {
      const quick = parse(this.head.prefix(QUICK_HEADER_BYTES), false, this.head.keptBytes);
      if (!needsMoreBytes(quick)) return answer(quick);
    }
    const kept = this.head.view();
    let result = parse(kept.bytes, kept.complete);
    // A header longer than the in-memory prefix (e.g. thousands of per-frame functional groups):
    // read a longer prefix back from the temporary file, doubling up to the configured bound.
    let length = kept.bytes.length;
    let flushed = false;
    while (needsMoreBytes(result)) {
      if (length >= this.deps.limits.maxHeaderBytes || length >= this.pending.contentBytes) {
        return err(kakuteiError('DATASET_UNPARSEABLE', 'header longer than the configured maximum'));
      }
      // The store may still hold the latest chunks in its write buffer: the file has them only after a flush.
      if (!flushed) await this.pending.flush?.();
      flushed = true;
      length = Math.min(length * 2, this.deps.limits.maxHeaderBytes, this.pending.contentBytes);
      const prefix = await readPrefix(this.pending.tempPath, this.pending.prefixBytes, length);
      result = parse(prefix, prefix.length >= this.pending.contentBytes);
    }
    return answer(result);
  }
}

function needsMoreBytes(result: HeaderReadResult): boolean {
  return !result.ok && result.needMoreBytes;
}

/** How much of a dataset held whole is tried first for its header (most headers are a few KiB; a longer one falls back to the whole). */
const QUICK_HEADER_BYTES = 16 * 1024;

/** The object under a row's name is not durable as the row describes it: the row is not committed. */
class NotAsNamed extends Error {
  constructor() {
    super('object not durable as named');
    this.name = 'NotAsNamed';
  }
}

/** The dataset must be the object the command announced (BAD-INPUTS: SOP Instance UID differing). */
function checkIdentity(request: IngestRequest, attributes: InstanceAttributes): Result<true> {
  if (attributes.sopInstanceUid !== request.sopInstanceUid) return err(kakuteiError('SOP_INSTANCE_MISMATCH'));
  if (attributes.sopClassUid !== request.sopClassUid) return err(kakuteiError('SOP_CLASS_MISMATCH'));
  if (attributes.studyInstanceUid === null || !isValidUid(attributes.studyInstanceUid)) return err(kakuteiError('UID_INVALID', 'Study Instance UID'));
  if (attributes.seriesInstanceUid === null || !isValidUid(attributes.seriesInstanceUid)) return err(kakuteiError('UID_INVALID', 'Series Instance UID'));
  return ok(true);
}

async function readPrefix(path: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
