/**
 * Lossless conversion of a stored dataset to Explicit (or Implicit) VR Little Endian, for a C-STORE
 * sub-operation whose peer did not accept the stored transfer syntax (issue 4 item 3): never a lossy
 * transcode. To Explicit VR Little Endian:
 *
 * - Deflated Explicit VR Little Endian (PS3.5 §A.5): the inflated stream is the answer, capped.
 * - Lossless encapsulated syntaxes (PS3.5 §A.4: the dataset is explicit VR little endian outside
 *   Pixel Data): every element is copied as stored, except the Pixel Data, which becomes native
 *   (PS3.5 §8.1.1), decoded one frame at a time in the decode pool, and what decoding changes.
 * - Explicit VR Big Endian (PS3.5 §A.3, retired): every header and value byte-swapped by VR, with
 *   the same lengths and sequence encoding (`transcode-swap.ts`), streamed.
 * - Implicit VR Little Endian (PS3.5 §A.1): each element gets its VR from the data dictionary
 *   (`transcode-vr.ts`).
 * - Lossy syntaxes are refused (see `transcodePlan`).
 *
 * Implicit VR Little Endian, the syntax every peer accepts, is made from the explicit form by
 * `transcode-vr.ts` too. What is produced is the dataset only: C-STORE carries no File Meta group
 * (PS3.10 §7.1).
 */
import { createInflateRaw } from 'node:zlib';
import { transferSyntaxOf, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, type TransferSyntax } from '../dicom/dictionary/transfer-syntaxes.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';
import { ByteSourceError, objectByteSource, type ByteSource } from './byte-source.js';
import type { DecodePool } from './decode-pool.js';
import { DEFAULT_MAX_INFLATED_DATASET_BYTES, readMeta } from './stored-object.js';
import { encapsulatedToNative, TranscodeStreamError } from './transcode-pixels.js';
import { sourceBytes, streamBytes } from './sequential-bytes.js';
import { bigEndianToLittleEndian } from './transcode-swap.js';
import { checkVrConversion, convertVr, type VrDirection } from './transcode-vr.js';

export { TranscodeStreamError };

export interface TranscodeOptions {
  /** Cap on an inflated deflated dataset: the ingest's `storage.maxInflatedBytes` (256 MiB default). */
  readonly maxInflatedBytes?: number;
}

type Plan = 'as-stored' | 'inflate' | 'decode-pixels' | 'swap' | 'add-vr';

/** How a dataset stored in `syntax` becomes Explicit VR Little Endian, or why it cannot. */
export function transcodePlan(syntax: TransferSyntax): Result<Plan> {
  if (syntax.uid === EXPLICIT_VR_LITTLE_ENDIAN) return ok('as-stored');
  // Before anything else: a lossy-capable syntax is never decoded for sending (issue 4 item 3).
  if (syntax.lossy) return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', `${syntax.uid} is lossy: never transcoded`));
  if (syntax.deflated) return ok('inflate');
  if (syntax.encapsulated) return ok('decode-pixels');
  if (syntax.explicitVr && !syntax.littleEndian) return ok('swap');
  if (syntax.uid === IMPLICIT_VR_LITTLE_ENDIAN) return ok('add-vr');
  return err(kakuteiError('DECODE_UNSUPPORTED', `${syntax.uid} to explicit VR little endian is not implemented`));
}

/** The dataset exactly as stored (after our preamble and File Meta group). */
async function* asStored(source: ByteSource, datasetOffset: number): AsyncGenerator<Uint8Array> {
  yield* source.stream(datasetOffset, source.sizeBytes) as AsyncIterable<Buffer>;
}

/** PS3.5 §A.5: the deflated bytes inflate to an explicit VR little endian dataset. Capped. */
async function* inflated(source: ByteSource, datasetOffset: number, maxBytes: number): AsyncGenerator<Uint8Array> {
  const input = source.stream(datasetOffset, source.sizeBytes);
  const inflater = createInflateRaw();
  input.on('error', (error) => inflater.destroy(error));
  input.pipe(inflater);
  let total = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new TranscodeStreamError(kakuteiError('DECOMPRESSION_BOMB', 'the inflated dataset exceeds its limit'));
      yield chunk;
    }
  } catch (error) {
    if (error instanceof TranscodeStreamError) throw error;
    throw new TranscodeStreamError(kakuteiError('DATASET_UNPARSEABLE', 'the deflated dataset does not inflate'));
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

/** A stored object opened for transcoding: its bytes, where its dataset starts and in which syntax. */
interface OpenedObject {
  readonly source: ByteSource;
  readonly datasetOffset: number;
  readonly syntax: TransferSyntax;
}

async function openObject(store: ObjectStore, key: ObjectKey): Promise<Result<OpenedObject>> {
  const opened = await objectByteSource(store, key);
  if (!opened.ok) return opened;
  const source = opened.value;
  const meta = await readMeta(source);
  if (!meta.ok) return meta;
  const syntax = transferSyntaxOf(meta.value.transferSyntaxUid);
  if (syntax === null) return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', 'unknown stored transfer syntax'));
  return ok({ source, datasetOffset: meta.value.datasetOffset, syntax });
}

/** The VR conversion of a stored dataset, its structure walked first (values skipped) so that a malformed object is refused as a value. */
async function vrConverted(object: OpenedObject, direction: VrDirection): Promise<Result<AsyncIterable<Uint8Array>>> {
  const problem = await checkVrConversion(sourceBytes(object.source, object.datasetOffset, true), direction);
  if (problem !== null) return err(problem);
  return ok(convertVr(sourceBytes(object.source, object.datasetOffset), direction));
}

async function explicitFrom(object: OpenedObject, pool: DecodePool, options: TranscodeOptions): Promise<Result<AsyncIterable<Uint8Array>>> {
  const plan = transcodePlan(object.syntax);
  if (!plan.ok) return plan;
  switch (plan.value) {
    case 'as-stored':
      return ok(asStored(object.source, object.datasetOffset));
    case 'inflate':
      return ok(inflated(object.source, object.datasetOffset, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_DATASET_BYTES));
    case 'decode-pixels':
      return await encapsulatedToNative(object.source, pool);
    case 'swap':
      return await bigEndianToLittleEndian(object.source, object.datasetOffset);
    case 'add-vr':
      return await vrConverted(object, 'to-explicit');
  }
}

/** The syntaxes a stored dataset can be converted to: Explicit VR Little Endian, and Implicit made from it. */
const TARGET_SYNTAXES: ReadonlySet<string> = new Set([EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]);

/** Whether a dataset stored in `storedSyntaxUid` can be converted to `targetSyntaxUid` without loss. */
export function canTranscode(storedSyntaxUid: string, targetSyntaxUid: string): boolean {
  const stored = transferSyntaxOf(storedSyntaxUid);
  return TARGET_SYNTAXES.has(targetSyntaxUid) && stored !== null && transcodePlan(stored).ok;
}

/**
 * The stored object at `key` as a dataset in `targetSyntaxUid`: Explicit VR Little Endian, or
 * Implicit VR Little Endian (made from the explicit form). Everything that can be checked before
 * the first byte is (the syntax, the structure, every frame's place, the first frame's decoding),
 * so that a refusal is a value; a failure later (a frame that does not decode, a bomb) makes the
 * stream throw a `TranscodeStreamError`.
 */
export async function transcodeStoredObject(
  store: ObjectStore,
  pool: DecodePool,
  key: ObjectKey,
  targetSyntaxUid: string,
  options: TranscodeOptions = {},
): Promise<Result<AsyncIterable<Uint8Array>>> {
  if (!TARGET_SYNTAXES.has(targetSyntaxUid)) {
    return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', `${targetSyntaxUid} is not a transcoding target`));
  }
  try {
    const opened = await openObject(store, key);
    if (!opened.ok) return opened;
    const object = opened.value;
    if (targetSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN) return await explicitFrom(object, pool, options);
    if (object.syntax.uid === IMPLICIT_VR_LITTLE_ENDIAN) return ok(asStored(object.source, object.datasetOffset));
    if (object.syntax.uid === EXPLICIT_VR_LITTLE_ENDIAN) return await vrConverted(object, 'to-implicit');
    const explicit = await explicitFrom(object, pool, options);
    return explicit.ok ? ok(convertVr(streamBytes(explicit.value), 'to-implicit')) : explicit;
  } catch (error) {
    if (error instanceof ByteSourceError) return err(kakuteiError('DATASET_TRUNCATED', error.message));
    throw error;
  }
}

/** The stored object at `key` as an Explicit VR Little Endian dataset (see `transcodeStoredObject`). */
export function transcodeToExplicitLittleEndian(store: ObjectStore, pool: DecodePool, key: ObjectKey, options: TranscodeOptions = {}): Promise<Result<AsyncIterable<Uint8Array>>> {
  return transcodeStoredObject(store, pool, key, EXPLICIT_VR_LITTLE_ENDIAN, options);
}
