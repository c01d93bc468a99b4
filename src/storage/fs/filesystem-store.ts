import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectKey, ObjectStore, PendingObject, StoreCapabilities } from '../object-store.js';
import { errnoCodeOf, storageErrorFrom } from '../storage-error.js';
import { BufferPool } from './buffer-pool.js';
import { nodeFsOps, type FsOps } from './fs-ops.js';
import { fanOutDirs, objectDirOf, objectPathOf, storeLayout, TEMP_SUFFIX, newTempPath, type StoreLayout } from './layout.js';
import { beginPendingFile, type PendingFileContext } from './pending-file.js';
import { TempFileReserve } from './temp-file-reserve.js';

export interface FilesystemStoreOptions {
  /** Directory holding `tmp/` and `sha256/`; created if missing. */
  readonly rootDir: string;
  /** Filesystem calls; `nodeFsOps()` unless a test injects a recording or failing layer. */
  readonly fsOps?: FsOps;
  /** Size of each of an object's (at most two) write buffers, in bytes (default 256 KiB). */
  readonly writeBufferBytes?: number;
  /** Bytes of an object written through the page cache before it is flushed while still arriving (default 1 MiB). */
  readonly writeBackBytes?: number;
  /**
   * Write full buffers directly to the device (O_DIRECT) where the filesystem allows (default
   * true; see pending-file.ts). Off: everything goes through the page cache.
   */
  readonly directWrites?: boolean;
  /** Temporary files created ahead of the objects that will use them (default 2; see temp-file-reserve.ts). */
  readonly reservedTempFiles?: number;
  /**
   * Remove what a crash left in `tmp/` when opening (default true). False for a process that opens
   * a running server's store beside it (`kakutei verify`): the files there are that server's
   * objects being written and its reserve.
   */
  readonly removeStaleTempFiles?: boolean;
}

const FILE_MODE = 0o640;
const DIR_MODE = 0o750;
const DEFAULT_WRITE_BUFFER_BYTES = 256 * 1024;
// Objects up to 1 MiB (a CT or MR slice) keep one flush, after their last byte. With 256 KiB a CT
// slice gained 6 % objects/s on this project's virtio disk, but its write-back flush is then often
// still running at the last byte, and the final flush waits for a second journal commit: where a
// flush is slow (a spinning disk, ~10 ms) that doubles the wait of every slice. Larger objects
// spend longer on the wire than a flush takes, and gain the most (10 MB CR: +24–32 %).
const DEFAULT_WRITE_BACK_BYTES = 1024 * 1024;
const MAX_IDLE_BUFFERS = 8;
const DEFAULT_RESERVED_TEMP_FILES = 2;

const CAPABILITIES: StoreCapabilities = { rangeReads: true, exclusiveCreate: true, durableCommit: true };

/** The filesystem store, which can also say which files in its `tmp/` are kept in reserve. */
export interface FilesystemObjectStore extends ObjectStore {
  /** Names of the empty temporary files created ahead for the next objects (removed at close). */
  reservedTempFileNames(): string[];
}

/**
 * The object store on a local (or shared POSIX) filesystem. Opening it creates the layout and
 * (unless `removeStaleTempFiles` is false) removes whatever a crash left in `tmp/`: those objects
 * were never acknowledged, so their senders will retry. Note for a later issue (several server
 * processes on shared storage): each process will then need its own `tmp/` subdirectory, or this
 * clean-up would remove a neighbour's writes.
 */
export async function createFilesystemStore(options: FilesystemStoreOptions): Promise<FilesystemObjectStore> {
  const ops = options.fsOps ?? nodeFsOps();
  const layout = storeLayout(options.rootDir);
  const knownDirs = new Set<string>();
  try {
    await ensureDirectoryPath(ops, layout.rootDir, knownDirs);
    await ensureDirectory(ops, layout.tmpDir, knownDirs);
    await ensureDirectory(ops, layout.objectsDir, knownDirs);
    // The 256 fan-out directories at once, their parent synced once (not once per directory).
    let created = false;
    for (const dir of fanOutDirs(layout)) created = (await makeDirectory(ops, dir, knownDirs)) || created;
    if (created) await ops.fsyncDirectory(layout.objectsDir);
    if (options.removeStaleTempFiles ?? true) await removeStaleTempFiles(ops, layout);
  } catch (cause) {
    throw storageErrorFrom('open store', cause);
  }
  const buffers = new BufferPool(options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES, MAX_IDLE_BUFFERS, { aligned: options.directWrites ?? true });
  // Only with buffers that can be aligned (a test's 64-byte buffers cannot).
  const directWrites = { enabled: buffers.alignsBuffers };
  const tempFiles = new TempFileReserve({ ops, layout, fileMode: FILE_MODE, directWrites }, options.reservedTempFiles ?? DEFAULT_RESERVED_TEMP_FILES);
  const context: PendingFileContext = {
    ops,
    layout,
    buffers,
    writeBackBytes: options.writeBackBytes ?? DEFAULT_WRITE_BACK_BYTES,
    directWrites,
    tempFiles,
    async ensureObjectDirs(key) {
      // Made at open; made again only if an operator removed one while we run.
      await ensureDirectory(ops, objectDirOf(layout, key), knownDirs);
    },
  };
  return new FilesystemStore(ops, layout, context);
}

class FilesystemStore implements FilesystemObjectStore {
  readonly capabilities = CAPABILITIES;

  constructor(
    private readonly ops: FsOps,
    private readonly layout: StoreLayout,
    private readonly context: PendingFileContext,
  ) {}

  beginPut(prefix?: Uint8Array): Promise<PendingObject> {
    return beginPendingFile(this.context, prefix ?? new Uint8Array(0));
  }

  get(key: ObjectKey): Readable {
    return this.ops.createReadStream(objectPathOf(this.layout, key));
  }

  getRange(key: ObjectKey, start: number, endExclusive: number): Readable {
    const path = objectPathOf(this.layout, key);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endExclusive) || start < 0 || endExclusive < start) {
      throw new RangeError('byte range must be 0 <= start <= endExclusive');
    }
    // fs.createReadStream cannot express an empty range (its end is inclusive).
    if (endExclusive === start) return Readable.from([]);
    return this.ops.createReadStream(path, { start, endInclusive: endExclusive - 1 });
  }

  async stat(key: ObjectKey): Promise<{ readonly sizeBytes: number } | null> {
    const path = objectPathOf(this.layout, key);
    try {
      const stats = await this.ops.stat(path);
      return { sizeBytes: stats.sizeBytes };
    } catch (cause) {
      if (errnoCodeOf(cause) === 'ENOENT') return null;
      throw storageErrorFrom('stat object', cause);
    }
  }

  async delete(key: ObjectKey): Promise<void> {
    const path = objectPathOf(this.layout, key);
    try {
      await this.ops.unlink(path);
      await this.ops.fsyncDirectory(dirname(path));
    } catch (cause) {
      if (errnoCodeOf(cause) === 'ENOENT') return;
      throw storageErrorFrom('delete object', cause);
    }
  }

  async freeBytes(): Promise<number> {
    try {
      return (await this.ops.statfs(this.layout.objectsDir)).freeBytes;
    } catch (cause) {
      throw storageErrorFrom('statfs', cause);
    }
  }

  reservedTempFileNames(): string[] {
    return this.context.tempFiles.reservedPaths().map((path) => basename(path));
  }

  async close(): Promise<void> {
    await this.context.tempFiles.close();
    await this.ops.release();
  }

  /** Creates, syncs and removes a probe file in `tmp/`: proves the store is writable right now. */
  async check(): Promise<void> {
    const probePath = newTempPath(this.layout);
    try {
      const file = await this.ops.openExclusive(probePath, FILE_MODE);
      try {
        await this.ops.write(file, new Uint8Array([0x6b]), 0);
        await this.ops.syncData(file);
      } finally {
        await this.ops.close(file);
      }
      await this.ops.unlink(probePath);
    } catch (cause) {
      await this.ops.unlink(probePath).catch(() => undefined);
      throw storageErrorFrom('check store', cause);
    }
  }
}

/** mkdir of one directory, its parent not synced: true when it was created. */
async function makeDirectory(ops: FsOps, dir: string, knownDirs: Set<string>): Promise<boolean> {
  if (knownDirs.has(dir)) return false;
  let created = true;
  try {
    await ops.mkdir(dir, DIR_MODE);
  } catch (cause) {
    if (errnoCodeOf(cause) !== 'EEXIST') throw cause;
    created = false;
  }
  knownDirs.add(dir);
  return created;
}

/** mkdir of one directory; when it is created, its parent is synced so the new entry survives power loss. */
async function ensureDirectory(ops: FsOps, dir: string, knownDirs: Set<string>): Promise<void> {
  if (knownDirs.has(dir)) return;
  try {
    await ops.mkdir(dir, DIR_MODE);
    await ops.fsyncDirectory(dirname(dir));
  } catch (cause) {
    if (errnoCodeOf(cause) !== 'EEXIST') throw cause;
  }
  knownDirs.add(dir);
}

/** The root and any missing ancestors, outermost first (an operator may point at a fresh path). */
async function ensureDirectoryPath(ops: FsOps, dir: string, knownDirs: Set<string>): Promise<void> {
  const parent = dirname(dir);
  if (parent !== dir) {
    try {
      await ops.stat(parent);
    } catch (cause) {
      if (errnoCodeOf(cause) !== 'ENOENT') throw cause;
      await ensureDirectoryPath(ops, parent, knownDirs);
    }
  }
  await ensureDirectory(ops, dir, knownDirs);
}

async function removeStaleTempFiles(ops: FsOps, layout: StoreLayout): Promise<void> {
  let removed = false;
  for (const name of await ops.readdir(layout.tmpDir)) {
    // Only files this store names; anything else in tmp/ is not ours to judge.
    if (!name.endsWith(TEMP_SUFFIX)) continue;
    try {
      await ops.unlink(join(layout.tmpDir, name));
      removed = true;
    } catch (cause) {
      if (errnoCodeOf(cause) !== 'ENOENT') throw cause;
    }
  }
  if (removed) await ops.fsyncDirectory(layout.tmpDir);
}
