/** Test helpers for imaging and DICOMweb: an in-memory object store over files. Tests only. */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';

export interface MemoryStore extends ObjectStore {
  add(bytes: Uint8Array): ObjectKey;
  addFile(path: string): Promise<ObjectKey>;
  /** Number of getRange calls and bytes they returned, to prove reads stay small. */
  readonly reads: { calls: number; bytes: number };
}

export function memoryStore(): MemoryStore {
  const objects = new Map<string, Buffer>();
  const reads = { calls: 0, bytes: 0 };
  const find = (key: ObjectKey): Buffer => {
    const found = objects.get(key);
    if (found === undefined) throw new Error('no such object');
    return found;
  };
  const store: MemoryStore = {
    capabilities: { rangeReads: true, exclusiveCreate: true, durableCommit: false },
    reads,
    add(bytes) {
      const key = createHash('sha256').update(bytes).digest('hex') as ObjectKey;
      objects.set(key, Buffer.from(bytes));
      return key;
    },
    async addFile(path) {
      return store.add(await readFile(path));
    },
    beginPut() {
      return Promise.reject(new Error('read-only test store'));
    },
    get(key) {
      return Readable.from([find(key)]);
    },
    getRange(key, start, endExclusive) {
      const slice = find(key).subarray(start, endExclusive);
      reads.calls++;
      reads.bytes += slice.length;
      return Readable.from([slice]);
    },
    stat(key) {
      const found = objects.get(key);
      return Promise.resolve(found === undefined ? null : { sizeBytes: found.length });
    },
    delete(key) {
      objects.delete(key);
      return Promise.resolve();
    },
    freeBytes: () => Promise.resolve(1e12),
    check: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return store;
}
