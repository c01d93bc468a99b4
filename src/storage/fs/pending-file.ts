import { createHash, type Hash } from 'node:crypto';
import { dirname } from 'node:path';
import type { CommittedObject, ObjectKey, PendingObject } from '../object-store.js';
import { StorageError, errnoCodeOf, storageErrorFrom } from '../storage-error.js';
import { kakuteiError } from '../../errors/index.js';
import type { FsFile, FsOps } from './fs-ops.js';
import { objectPathOf, type StoreLayout } from './layout.js';
import { DIRECT_IO_ALIGNMENT, type BufferPool } from './buffer-pool.js';
import type { OpenedTempFile, TempFileReserve } from './temp-file-reserve.js';

export interface PendingFileContext {
  readonly ops: FsOps;
  readonly layout: StoreLayout;
  readonly buffers: BufferPool;
  /** Once this many bytes have reached the file through the page cache since the last flush, a write-back flush starts. */
  readonly writeBackBytes: number;
  /** Whether full buffers are written directly (O_DIRECT); turned off for good once the filesystem refuses. */
  readonly directWrites: { enabled: boolean };
  /** Where each object's temporary file comes from (created ahead where possible). */
  readonly tempFiles: TempFileReserve;
  /** Creates the key's fan-out directories if missing (each creation made durable). */
  ensureObjectDirs(key: ObjectKey): Promise<void>;
}

type State = 'writing' | 'failed' | 'committed' | 'discarded';

/**
 * One object being written to `tmp/`. Small chunks (a DIMSE PDV is often 16–64 KiB) are coalesced
 * into large buffers before reaching the disk: measured on this project's reference machine, one
 * write per 16 KiB chunk halves throughput compared with 1 MiB writes, because each
 * `FileHandle.write` is a thread-pool round trip. A full buffer is written behind the sender's back
 * while the next one fills (two buffers per object at most), so that when the last byte arrives
 * only the tail is left to write before the flush: a store that held the whole object until then
 * would add a full write to every acknowledgement. `write` resolves once the chunk is in a buffer,
 * or — when both buffers are busy — once the older one is in the file (backpressure).
 *
 * Large objects are also flushed as they arrive ("write-back"): once `writeBackBytes` have
 * reached the file, an fdatasync runs on the thread pool (one at a time) while the rest is still
 * on the wire, so the flush after the last byte has only the tail to put on disk. Measured here
 * over one association: 10 MB CR objects +24–32 % objects/s (the default threshold, and why it
 * spares CT slices, is in filesystem-store.ts). It is only a head start — durability rests on the
 * flush in `sync()`, which always follows the last write — but a failed write-back flush fails the
 * object: Linux reports a writeback error once per descriptor, so the later flush could succeed
 * over pages the kernel has already dropped.
 *
 * Full buffers are written directly (O_DIRECT) where the filesystem allows, through a second
 * descriptor: the bytes go from our (aligned) buffer to the device while the rest arrives, and
 * are neither copied into the page cache nor left there for the final flush. Measured on this
 * project's virtual machines, copying a new object into the page cache cost ≈ 1.4 ms of CPU per
 * 512 KiB (the guest's fresh memory is faulted in by the host), more than the rest of the
 * object's work; and the final fdatasync, with only the tail and the metadata left, fell from
 * 0.36–0.46 to 0.14 ms. The tail of an object (less than one block), and everything after an
 * unaligned write, goes through the page cache. Durability does not change: direct writes
 * reach the device's cache, and the fdatasync in `sync()` flushes it with the file's metadata.
 */
export function beginPendingFile(context: PendingFileContext, prefix: Uint8Array): Promise<PendingObject> {
  const { tempPath, opening } = context.tempFiles.take();
  // A file from the reserve is open already; otherwise it is opened while the caller goes on (the
  // sender's first bytes are usually on their way): every file operation is queued behind the
  // open, and a failed open fails the first of them.
  const opened = opening.catch((cause: unknown) => {
    throw storageErrorFrom('create temporary file', cause);
  });
  const pending = new PendingFile(context, tempPath, opened, prefix.length);
  // The prefix (preamble and file meta group) goes through the buffer too but is not hashed.
  void pending.appendUnhashed(prefix).catch(() => undefined);
  return Promise.resolve(pending);
}

class PendingFile implements PendingObject {
  private readonly hash: Hash = createHash('sha256');
  private buffer: Buffer | null = null;
  private bufferedBytes = 0;
  /** Where the next write goes in the file. */
  private nextPosition = 0;
  /** Writes issued and not yet done: a full buffer written behind, and at the end the tail. */
  private readonly writes = new Set<Promise<void>>();
  /** The first failed write or write-back flush: it fails the object. */
  private failure: StorageError | null = null;
  private fileOpen = false;
  private opened: FsFile | null = null;
  /** The same file opened for direct writes, or null (not possible here, or turned off). */
  private direct: FsFile | null = null;
  private state: State = 'writing';
  private syncing: Promise<void> | null = null;
  /** Bytes that reached the file since the last write-back flush started. */
  private unflushedBytes = 0;
  /** The write-back flush in flight (at most one). */
  private writingBack: Promise<void> | null = null;
  private commitStarted = false;
  private key: ObjectKey | null = null;
  /** Settles once the final flush is issued, or `sync()` ended without one (see `flushIssued`). */
  private settleIssued: () => void = () => undefined;
  private readonly issued = new Promise<void>((resolve) => (this.settleIssued = resolve));
  /** Serialises buffer and file operations even if a caller does not await each write. */
  private queue: Promise<void>;
  private cleanup: Promise<void> = Promise.resolve();
  contentBytes = 0;

  constructor(
    private readonly context: PendingFileContext,
    readonly tempPath: string,
    opening: Promise<OpenedTempFile>,
    readonly prefixBytes: number,
  ) {
    this.queue = opening.then(({ file, direct }) => {
      this.opened = file;
      this.direct = direct;
      this.fileOpen = true;
    });
  }

  /** The open file; only reached through the queue, which waits for the open. */
  private get file(): FsFile {
    if (this.opened === null) throw new StorageError(kakuteiError('STORAGE_IO', 'temporary file not open'));
    return this.opened;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'writing' || this.syncing !== null) return Promise.reject(this.notWritable());
    this.hash.update(chunk);
    this.contentBytes += chunk.length;
    return this.enqueue(() => this.append(chunk));
  }

  /** @internal Used once, for the prefix. */
  appendUnhashed(bytes: Uint8Array): Promise<void> {
    return this.enqueue(() => this.append(bytes));
  }

  flush(): Promise<void> {
    return this.enqueue(() => this.flushBuffer());
  }

  sync(): Promise<void> {
    if (this.syncing !== null) return this.syncing;
    if (this.state !== 'writing') return Promise.reject(this.notWritable());
    // 1. the bytes are on disk before any name points at them (commit links only after this).
    this.syncing = this.enqueue(async () => {
      await this.flushBuffer();
      try {
        const flushing = this.context.ops.syncData(this.file);
        this.settleIssued();
        await flushing;
        await this.writingBack;
      } catch (cause) {
        throw storageErrorFrom('fsync temporary file', cause);
      }
      this.throwIfFailed();
    });
    this.syncing.then(this.settleIssued, this.settleIssued);
    return this.syncing;
  }

  flushIssued(): Promise<void> {
    return this.issued;
  }

  contentKey(): ObjectKey {
    if (this.syncing === null) throw new StorageError(kakuteiError('STORAGE_IO', 'content key asked for before writing ended'));
    this.key ??= this.hash.digest('hex') as ObjectKey;
    return this.key;
  }

  async commit(): Promise<CommittedObject> {
    if (this.state !== 'writing' || this.commitStarted) throw this.notWritable();
    this.commitStarted = true;
    const { ops, layout } = this.context;
    // Ends writing (if the caller has not): from here on the key cannot change.
    const synced = this.sync();
    const key = this.contentKey();
    const finalPath = objectPathOf(layout, key);
    let step = 'fsync temporary file';
    try {
      // Order (each step depends on the one before for power-loss safety):
      // 1. the bytes are on disk before any name points at them;
      await synced;
      step = 'create object directories';
      await this.context.ensureObjectDirs(key);
      // 2. link(2) is exclusive: an existing object is never replaced. Same key = same content bytes.
      step = 'link object';
      let existed = false;
      try {
        await ops.link(this.tempPath, finalPath);
      } catch (cause) {
        if (errnoCodeOf(cause) !== 'EEXIST') throw cause;
        existed = true;
      }
      // 3. the new directory entry is durable. Also when it existed: a concurrent writer of the
      //    same content may not yet have synced it, and our caller is about to acknowledge.
      step = 'fsync object directory';
      await ops.fsyncDirectory(dirname(finalPath));
      const fileBytes = existed ? (await ops.stat(finalPath)).sizeBytes : this.prefixBytes + this.contentBytes;
      this.state = 'committed';
      // Closing the descriptor and removing the temporary name are not part of durability: they
      // leave the acknowledgement path (each is a thread-pool round trip). A crash before the
      // unlink leaves a second name in tmp/, removed at the next start.
      this.cleanup = this.closeAndUnlink();
      return { key, sha256: key, contentBytes: this.contentBytes, fileBytes, existed };
    } catch (cause) {
      this.state = 'failed';
      throw storageErrorFrom(step, cause);
    } finally {
      this.releaseBuffer();
    }
  }

  /** Settles when the temporary name is gone after a commit (tests and orderly shutdown wait on it). */
  settled(): Promise<void> {
    return this.cleanup;
  }

  private async closeAndUnlink(): Promise<void> {
    await Promise.all([this.closeFile(), this.context.ops.unlink(this.tempPath)]).then(
      () => undefined,
      () => undefined,
    );
  }

  async discard(): Promise<void> {
    if (this.state === 'committed') return this.cleanup;
    if (this.state === 'discarded') return;
    this.state = 'discarded';
    await this.queue.catch(() => undefined);
    await this.writesDone().catch(() => undefined);
    this.releaseBuffer();
    if (this.fileOpen) await this.closeFile().catch(() => undefined);
    try {
      await this.context.ops.unlink(this.tempPath);
    } catch (cause) {
      if (errnoCodeOf(cause) !== 'ENOENT') throw storageErrorFrom('remove temporary file', cause);
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.state !== 'writing') throw this.notWritable();
      return task();
    });
    // A failed write fails the object: later writes and commit are refused, discard still works.
    this.queue = run.catch(() => {
      if (this.state === 'writing') this.state = 'failed';
    });
    return run.catch((cause: unknown) => {
      throw storageErrorFrom('write temporary file', cause);
    });
  }

  private async append(bytes: Uint8Array): Promise<void> {
    this.throwIfFailed();
    const { buffers } = this.context;
    let offset = 0;
    while (offset < bytes.length) {
      const remaining = bytes.length - offset;
      if (this.bufferedBytes === 0 && remaining >= buffers.bufferBytes && this.direct === null) {
        // Through the page cache, a chunk at least as large as the buffer gains nothing from a copy
        // (awaited: the caller may reuse its chunk once we resolve). Direct writes need our aligned buffers.
        await this.writesDone();
        this.startWrite(offset === 0 ? bytes : bytes.subarray(offset));
        await this.writesDone();
        return;
      }
      this.buffer ??= buffers.take();
      const take = Math.min(this.buffer.length - this.bufferedBytes, remaining);
      this.buffer.set(bytes.subarray(offset, offset + take), this.bufferedBytes);
      this.bufferedBytes += take;
      offset += take;
      if (this.bufferedBytes === this.buffer.length) await this.writeBehind();
    }
  }

  /**
   * Hands the full buffer to a write that runs while the next buffer fills. Only one buffer is
   * written behind at a time: waiting for the one before is the backpressure.
   */
  private async writeBehind(): Promise<void> {
    await this.writesDone();
    const full = this.buffer!;
    const length = this.bufferedBytes;
    this.buffer = null;
    this.bufferedBytes = 0;
    this.startWrite(full.subarray(0, length), () => this.context.buffers.give(full));
  }

  /**
   * Writes are positional, so that after the last byte the tail goes to the file at once, beside
   * a full buffer still being written, instead of queueing behind it (and behind whatever the
   * event loop does meanwhile: the header is read then). A failure fails the object; it surfaces
   * at the next write, flush or commit.
   *
   * The whole blocks of an aligned buffer go directly to the device, the rest (a tail shorter
   * than a block) through the page cache; both are issued at once.
   */
  private startWrite(bytes: Uint8Array, whenWritten?: () => void): void {
    const position = this.nextPosition;
    this.nextPosition += bytes.length;
    const directBytes = this.directBytesOf(bytes, position);
    const parts: Promise<void>[] = [];
    if (directBytes > 0) parts.push(this.writeDirect(bytes.subarray(0, directBytes), position));
    if (directBytes < bytes.length) parts.push(this.writeThroughCache(bytes.subarray(directBytes), position + directBytes));
    const write: Promise<void> = Promise.all(parts).then(
      () => whenWritten?.(),
      (cause: unknown) => {
        this.failure ??= storageErrorFrom('write temporary file', cause);
      },
    );
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  /** How many leading bytes of a write can go directly to the device (whole blocks of an aligned buffer, at an aligned offset). */
  private directBytesOf(bytes: Uint8Array, position: number): number {
    if (this.direct === null || !this.context.directWrites.enabled) return 0;
    if (position % DIRECT_IO_ALIGNMENT !== 0 || !this.context.buffers.isAligned(bytes)) return 0;
    return bytes.length - (bytes.length % DIRECT_IO_ALIGNMENT);
  }

  private async writeDirect(bytes: Uint8Array, position: number): Promise<void> {
    try {
      await this.context.ops.write(this.direct!, bytes, position);
    } catch (cause) {
      // A filesystem that opens files for direct I/O but refuses a write of ours (an alignment it
      // needs beyond ours): the same bytes through the page cache, and no direct writes from now on.
      if (errnoCodeOf(cause) !== 'EINVAL') throw cause;
      this.context.directWrites.enabled = false;
      await this.writeThroughCache(bytes, position);
    }
  }

  private async writeThroughCache(bytes: Uint8Array, position: number): Promise<void> {
    await this.context.ops.write(this.file, bytes, position);
    this.reached(bytes.length);
  }

  /** Settles when no write is in flight; rejects if one failed. */
  private async writesDone(): Promise<void> {
    for (const write of this.writes) await write;
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Counts bytes that reached the page cache during receipt; starts a write-back flush when due. */
  private reached(length: number): void {
    this.unflushedBytes += length;
    if (this.writingBack !== null || this.syncing !== null || this.unflushedBytes < this.context.writeBackBytes) return;
    this.unflushedBytes = 0;
    this.writingBack = this.context.ops.syncData(this.file).then(
      () => {
        this.writingBack = null;
      },
      (cause: unknown) => {
        this.writingBack = null;
        this.failure ??= storageErrorFrom('fsync temporary file', cause);
      },
    );
  }

  /** Writes what is buffered (the tail) and waits until every write is done. */
  private async flushBuffer(): Promise<void> {
    if (this.buffer !== null && this.bufferedBytes > 0) {
      const length = this.bufferedBytes;
      this.bufferedBytes = 0;
      // The buffer goes back to the pool only at commit or discard, after every write is done.
      this.startWrite(this.buffer.subarray(0, length));
    }
    await this.writesDone();
  }

  private async closeFile(): Promise<void> {
    // Not while a flush still uses the descriptor (the number could be reused by the next open).
    await this.writingBack;
    this.fileOpen = false;
    const direct = this.direct;
    this.direct = null;
    if (direct !== null) await this.context.ops.close(direct).catch(() => undefined);
    await this.context.ops.close(this.file);
  }

  private releaseBuffer(): void {
    if (this.buffer !== null) this.context.buffers.give(this.buffer);
    this.buffer = null;
    this.bufferedBytes = 0;
  }

  private notWritable(): StorageError {
    return new StorageError(kakuteiError('STORAGE_IO', `object is ${this.state}`));
  }
}
