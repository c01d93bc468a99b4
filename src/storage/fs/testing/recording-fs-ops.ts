import type { FsOps } from '../fs-ops.js';

/** One recorded filesystem call: its name and the path(s) it acted on. */
export interface FsCall {
  readonly op: keyof FsOps;
  readonly path: string;
  readonly target?: string;
}

export interface RecordingFsOps {
  readonly ops: FsOps;
  readonly calls: FsCall[];
  /** Makes the next call of `op` (optionally on a path matching `pathIncludes`) fail with `errnoCode`. */
  failNext(op: keyof FsOps, errnoCode: string, pathIncludes?: string): void;
}

/** Wraps an `FsOps`, recording every call in order; for tests of durability ordering and failures. */
export function recordingFsOps(inner: FsOps): RecordingFsOps {
  const calls: FsCall[] = [];
  const failures: { op: keyof FsOps; errnoCode: string; pathIncludes: string | undefined }[] = [];
  const before = (op: keyof FsOps, path: string, target?: string): void => {
    calls.push(target === undefined ? { op, path } : { op, path, target });
    const index = failures.findIndex((f) => f.op === op && (f.pathIncludes === undefined || path.includes(f.pathIncludes)));
    if (index >= 0) {
      const [failure] = failures.splice(index, 1);
      throw Object.assign(new Error(`injected ${failure!.errnoCode}`), { code: failure!.errnoCode });
    }
  };
  const ops: FsOps = {
    async openExclusive(path, mode) {
      before('openExclusive', path);
      return inner.openExclusive(path, mode);
    },
    async openDirect(path) {
      before('openDirect', path);
      return inner.openDirect(path);
    },
    async write(file, data, position) {
      before('write', file.path);
      return inner.write(file, data, position);
    },
    async syncData(file) {
      before('syncData', file.path);
      return inner.syncData(file);
    },
    async close(file) {
      before('close', file.path);
      return inner.close(file);
    },
    async link(existingPath, newPath) {
      before('link', existingPath, newPath);
      return inner.link(existingPath, newPath);
    },
    async unlink(path) {
      before('unlink', path);
      return inner.unlink(path);
    },
    async mkdir(path, mode) {
      before('mkdir', path);
      return inner.mkdir(path, mode);
    },
    async fsyncDirectory(path) {
      before('fsyncDirectory', path);
      return inner.fsyncDirectory(path);
    },
    release() {
      return inner.release();
    },
    async readdir(path) {
      before('readdir', path);
      return inner.readdir(path);
    },
    async stat(path) {
      before('stat', path);
      return inner.stat(path);
    },
    async statfs(path) {
      before('statfs', path);
      return inner.statfs(path);
    },
    createReadStream(path, range) {
      before('createReadStream', path);
      return inner.createReadStream(path, range);
    },
  };
  return {
    ops,
    calls,
    failNext(op, errnoCode, pathIncludes) {
      failures.push({ op, errnoCode, pathIncludes });
    },
  };
}
