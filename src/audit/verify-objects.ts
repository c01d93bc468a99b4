import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readFileMeta } from '../dicom/part10/index.js';
import type { ObjectKey, ObjectStore } from '../storage/index.js';
import { isObjectKey } from '../storage/index.js';
import type { StoredObjectCatalog, StoredObjectRef } from './ports.js';

/**
 * Checks every stored object against the SHA-256 the index recorded for it: the hash covers the
 * dataset only, after the file meta group (PS3.10 §7.1), which Kakutei writes itself. Files are
 * streamed; only the first bytes are held, to find where the dataset starts.
 *
 *   object <sha> (SOP <uid>) changed      the bytes no longer hash to the recorded value
 *   object <sha> (SOP <uid>) missing      no file for the key
 *   object <sha> (SOP <uid>) unreadable   the file meta group cannot be read
 */
export interface ObjectCursor {
  readonly kind: StoredObjectRef['kind'];
  readonly afterRowId: string | null;
}

export interface VerifyObjectsOptions {
  readonly resumeFrom?: ObjectCursor | null;
  readonly onProblem: (line: string) => void;
  /** After each page: where to resume, and how many objects were checked so far by this run. */
  readonly onProgress?: (cursor: ObjectCursor, checked: number) => void | Promise<void>;
  readonly pageSize?: number;
}

/** The file meta group is short; this much is read to find its end. */
const META_PROBE_BYTES = 64 * 1024;

export async function verifyStoredObjects(catalog: StoredObjectCatalog, store: ObjectStore, options: VerifyObjectsOptions): Promise<number> {
  const pageSize = options.pageSize ?? 500;
  const kinds: StoredObjectRef['kind'][] = ['instance', 'conflict'];
  let checked = 0;
  let kindIndex = options.resumeFrom === undefined || options.resumeFrom === null ? 0 : kinds.indexOf(options.resumeFrom.kind);
  let after = options.resumeFrom?.afterRowId ?? null;
  for (; kindIndex < kinds.length; kindIndex++, after = null) {
    const kind = kinds[kindIndex] as StoredObjectRef['kind'];
    for (;;) {
      const page = await catalog.list(kind, after, pageSize);
      if (page.length === 0) break;
      for (const ref of page) {
        const problem = await checkObject(store, ref);
        if (problem !== null) options.onProblem(`object ${ref.sha256} (SOP ${ref.sopInstanceUid}) ${problem}`);
        checked++;
      }
      after = (page[page.length - 1] as StoredObjectRef).rowId;
      await options.onProgress?.({ kind, afterRowId: after }, checked);
    }
  }
  return checked;
}

async function checkObject(store: ObjectStore, ref: StoredObjectRef): Promise<'changed' | 'missing' | 'unreadable' | null> {
  if (!isObjectKey(ref.objectKey)) return 'unreadable';
  const key: ObjectKey = ref.objectKey;
  const stat = await store.stat(key);
  if (stat === null) return 'missing';
  const head = await readAll(store.getRange(key, 0, Math.min(stat.sizeBytes, META_PROBE_BYTES)));
  const meta = readFileMeta(head);
  if (!meta.ok) return 'unreadable';
  const hash = createHash('sha256');
  try {
    for await (const chunk of store.getRange(key, meta.value.datasetOffset, stat.sizeBytes)) hash.update(chunk as Uint8Array);
  } catch {
    return 'unreadable';
  }
  return hash.digest('hex') === ref.sha256 ? null : 'changed';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
