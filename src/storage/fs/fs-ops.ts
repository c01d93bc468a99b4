import * as fs from 'node:fs';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { mkdir, readdir, stat, statfs } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { errnoCodeOf } from '../storage-error.js';

/** An open file, known to the store only by the path it was opened with (for recording and errors). */
export interface FsFile {
  readonly path: string;
}

/**
 * Every filesystem call the filesystem store makes, so that a test can record the exact sequence
 * (the durability order of a commit is an invariant) or inject a failure (disk full, EIO).
 * The default, `nodeFsOps()`, is `node:fs/promises`.
 */
export interface FsOps {
  /** Creates a new file for writing; fails with EEXIST if it exists (O_CREAT | O_EXCL). */
  openExclusive(path: string, mode: number): Promise<FsFile>;
  /**
   * Opens an existing file a second time for direct writes (O_DIRECT: from our memory to the
   * device, not through the page cache); null when the filesystem does not do direct I/O (EINVAL,
   * e.g. tmpfs on older kernels). What is written through it is durable, like the rest, only
   * after `syncData` on either descriptor (fdatasync flushes the file's metadata and the device's
   * cache).
   */
  openDirect(path: string): Promise<FsFile | null>;
  /** Writes all of `data` at `position` (pwrite(2): writes at different positions may overlap in time). */
  write(file: FsFile, data: Uint8Array, position: number): Promise<void>;
  /**
   * fdatasync(2): the file's bytes, and the metadata needed to read them back (its size), are on
   * stable storage. Timestamps are not flushed: nothing here depends on them, and skipping them
   * saves an inode write on every object.
   */
  syncData(file: FsFile): Promise<void>;
  close(file: FsFile): Promise<void>;
  /** Hard link; fails with EEXIST rather than replacing `newPath` (POSIX link(2)). */
  link(existingPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates one directory (not recursive); fails with EEXIST when it exists. */
  mkdir(path: string, mode: number): Promise<void>;
  /** fsync(2) on a directory, making the entries created or removed in it durable. */
  fsyncDirectory(path: string): Promise<void>;
  /** Closes what the operations keep open between calls (directory descriptors). */
  release(): Promise<void>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<{ readonly sizeBytes: number; readonly isFile: boolean }>;
  statfs(path: string): Promise<{ readonly freeBytes: number }>;
  /** A stream of the file's bytes, `endInclusive` as in `fs.createReadStream`. */
  createReadStream(path: string, range?: { readonly start: number; readonly endInclusive: number }): Readable;
}

class NodeFile implements FsFile {
  constructor(
    readonly path: string,
    readonly fd: number,
  ) {}
}

function fdOf(file: FsFile): number {
  if (!(file instanceof NodeFile)) throw new TypeError('file was not opened by nodeFsOps');
  return file.fd;
}

/**
 * The callback API on plain descriptors: measured here, `FileHandle` promises cost about twice the
 * main-thread time per call, and a stored object makes six such calls on the acknowledgement path.
 */
function call<T>(run: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => (error === null ? resolve(value as T) : reject(error)));
  });
}

export function nodeFsOps(): FsOps {
  // Directory descriptors stay open for the life of the store: fsync of a fan-out directory is then
  // one thread-pool round trip instead of three (open, fsync, close) on every acknowledgement.
  const directories = new Map<string, Promise<number>>();
  const directoryFd = (path: string): Promise<number> => {
    let fd = directories.get(path);
    if (fd === undefined) {
      fd = call<number>((done) => fs.open(path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY, done));
      directories.set(path, fd);
      fd.catch(() => directories.delete(path));
    }
    return fd;
  };
  return {
    async openExclusive(path, mode) {
      const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
      return new NodeFile(path, await call<number>((done) => fs.open(path, flags, mode, done)));
    },
    async openDirect(path) {
      const flags = fsConstants.O_WRONLY | fsConstants.O_DIRECT;
      try {
        return new NodeFile(path, await call<number>((done) => fs.open(path, flags, done)));
      } catch (cause) {
        if (errnoCodeOf(cause) === 'EINVAL') return null;
        throw cause;
      }
    },
    async write(file, data, position) {
      const fd = fdOf(file);
      let offset = 0;
      // write(2) may write fewer bytes than asked (signals, quotas): continue until all are written.
      while (offset < data.length) {
        const bytesWritten = await call<number>((done) => fs.write(fd, data, offset, data.length - offset, position + offset, done));
        if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
        offset += bytesWritten;
      }
    },
    syncData(file) {
      const fd = fdOf(file);
      return call<void>((done) => fs.fdatasync(fd, done));
    },
    close(file) {
      const fd = fdOf(file);
      return call<void>((done) => fs.close(fd, done));
    },
    link(existingPath, newPath) {
      return call<void>((done) => fs.link(existingPath, newPath, done));
    },
    unlink(path) {
      return call<void>((done) => fs.unlink(path, done));
    },
    async mkdir(path, mode) {
      await mkdir(path, { mode });
    },
    async fsyncDirectory(path) {
      const fd = await directoryFd(path);
      await call<void>((done) => fs.fsync(fd, done));
    },
    async release() {
      const fds = [...directories.values()];
      directories.clear();
      await Promise.all(fds.map((fd) => fd.then((n) => call<void>((done) => fs.close(n, done))).catch(() => undefined)));
    },
    async readdir(path) {
      return readdir(path);
    },
    async stat(path) {
      const stats = await stat(path);
      return { sizeBytes: stats.size, isFile: stats.isFile() };
    },
    async statfs(path) {
      const stats = await statfs(path);
      return { freeBytes: stats.bavail * stats.bsize };
    },
    createReadStream(path, range) {
      return range === undefined ? createReadStream(path) : createReadStream(path, { start: range.start, end: range.endInclusive });
    },
  };
}
