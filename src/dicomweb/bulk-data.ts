/**
 * WADO-RS bulk data (PS3.18 10.4.1.1.5): the bytes of one element, named by its tag path, streamed
 * from the stored object by range — never buffered. Bytes are as stored, labelled by
 * `bulkDataSyntaxOf`. Encapsulated or big endian Pixel Data is served frame by frame
 * (`imaging/frames.ts`), not here: `isPixelDataByFrame` tells the caller.
 */
import type { Readable } from 'node:stream';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/dictionary/transfer-syntaxes.js';
import type { StoredObject } from '../imaging/stored-object.js';
import { PIXEL_DATA } from '../imaging/dataset-tree.js';
import { resolveTagPath, type TagPath } from './tag-path.js';

export interface BulkData {
  readonly vr: string;
  readonly lengthBytes: number;
  readonly transferSyntaxUid: string;
  readonly stream: () => Readable;
}

/** Locates the element at `path` in an opened object. */
export function bulkDataOf(stored: StoredObject, path: TagPath): Result<BulkData> {
  const found = resolveTagPath(stored.tree, path);
  if (!found.ok) return found;
  const element = found.value;
  if (element.items !== null) return err(kakuteiError('NOT_FOUND', 'a sequence has no bulk data'));
  if (element.length === null) return err(kakuteiError('NOT_FOUND', 'encapsulated pixel data is retrieved by frame'));
  const start = element.valueOffset;
  const end = start + element.length;
  return ok({
    vr: element.vr,
    lengthBytes: element.length,
    transferSyntaxUid: stored.meta.transferSyntaxUid,
    stream: () => stored.source.stream(start, end),
  });
}

/**
 * Whether `path` names the object's own Pixel Data in a form web clients do not get as it is:
 * encapsulated, or big endian (PS3.18 keeps that syntax out of web services). Its bulk data is then
 * sent frame by frame, as the frames resource sends it.
 */
export function isPixelDataByFrame(stored: StoredObject, path: TagPath): boolean {
  if (path.length !== 1 || path[0]!.tag !== PIXEL_DATA) return false;
  const found = resolveTagPath(stored.tree, path);
  return found.ok && (found.value.encapsulated !== null || !stored.transferSyntax.littleEndian);
}

/**
 * The transfer syntax that labels native bytes of a stored object (bulk data, frames): little
 * endian whatever the dataset's VR encoding, so Explicit VR LE for implicit and deflated objects
 * (PS3.18 8.7.3.5.2); otherwise the stored syntax.
 */
export function bulkDataSyntaxOf(storedSyntaxUid: string): string {
  return storedSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN || storedSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN ? EXPLICIT_VR_LITTLE_ENDIAN : storedSyntaxUid;
}
