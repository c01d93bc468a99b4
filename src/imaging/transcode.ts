/**
 * Lossless conversion of a stored dataset to Explicit VR Little Endian, for a C-STORE sub-operation
 * whose peer did not accept the stored transfer syntax (issue 4 item 3): never a lossy transcode.
 *
 * - Deflated Explicit VR Little Endian (PS3.5 §A.5): the inflated stream is the answer, capped.
 * - Lossless encapsulated syntaxes (PS3.5 §A.4: the dataset is explicit VR little endian outside
 *   Pixel Data): every element is copied as stored, except the Pixel Data, which becomes native
 *   (PS3.5 §8.1.1), decoded one frame at a time in the decode pool, and what decoding changes.
 * - Explicit VR Big Endian (PS3.5 §A.3, retired): every header and value byte-swapped by VR, with
 *   the same lengths and sequence encoding (`transcode-swap.ts`), streamed.
 * - Lossy syntaxes are refused; implicit VR is not converted (see `transcodePlan`).
 *
 * What is produced is the dataset only: C-STORE carries no File Meta group (PS3.10 §7.1).
 */
import { createInflateRaw } from 'node:zlib';
import { readFileMeta, type FileMeta } from '../dicom/part10/index.js';
import { transferSyntaxOf, EXPLICIT_VR_LITTLE_ENDIAN, type TransferSyntax } from '../dicom/dictionary/transfer-syntaxes.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';
import { ByteSourceError, objectByteSource, type ByteSource } from './byte-source.js';
import type { DecodePool } from './decode-pool.js';
import { DEFAULT_MAX_INFLATED_DATASET_BYTES } from './stored-object.js';
import { encapsulatedToNative, TranscodeStreamError } from './transcode-pixels.js';
import { bigEndianToLittleEndian } from './transcode-swap.js';

export { TranscodeStreamError };

export interface TranscodeOptions {
  /** Cap on an inflated deflated dataset: the ingest's `storage.maxInflatedBytes` (256 MiB default). */
  readonly maxInflatedBytes?: number;
}

const META_PROBE_BYTES = [16 * 1024, 1024 * 1024];

async function readMeta(source: ByteSource): Promise<Result<FileMeta>> {
  let last: Result<FileMeta> = err(kakuteiError('DATASET_TRUNCATED', 'empty object'));
  for (const probe of META_PROBE_BYTES) {
    const length = Math.min(probe, source.sizeBytes);
    last = readFileMeta(await source.read(0, length));
    if (last.ok || last.error.code !== 'DATASET_TRUNCATED' || length === source.sizeBytes) return last;
  }
  return last;
}

type Plan = 'as-stored' | 'inflate' | 'decode-pixels' | 'swap';

/** How a dataset stored in `syntax` becomes Explicit VR Little Endian, or why it cannot. */
export function transcodePlan(syntax: TransferSyntax): Result<Plan> {
  if (syntax.uid === EXPLICIT_VR_LITTLE_ENDIAN) return ok('as-stored');
  // Before anything else: a lossy-capable syntax is never decoded for sending (issue 4 item 3).
  if (syntax.lossy) return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', `${syntax.uid} is lossy: never transcoded`));
  if (syntax.deflated) return ok('inflate');
  if (syntax.encapsulated) return ok('decode-pixels');
  if (syntax.explicitVr && !syntax.littleEndian) return ok('swap');
  // Implicit VR needs the data dictionary for every VR (private ones are unknowable: UN): not done yet.
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

/**
 * The stored object at `key` as an Explicit VR Little Endian dataset. Everything that can be checked
 * before the first byte is (the syntax, the structure, every frame's place, the first frame's
 * decoding), so that a refusal is a value; a failure later (a frame that does not decode, a bomb)
 * makes the stream throw a `TranscodeStreamError`.
 */
export async function transcodeToExplicitLittleEndian(
  store: ObjectStore,
  pool: DecodePool,
  key: ObjectKey,
  options: TranscodeOptions = {},
): Promise<Result<AsyncIterable<Uint8Array>>> {
  const opened = await objectByteSource(store, key);
  if (!opened.ok) return opened;
  const source = opened.value;
  try {
    const meta = await readMeta(source);
    if (!meta.ok) return meta;
    const syntax = transferSyntaxOf(meta.value.transferSyntaxUid);
    if (syntax === null) return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED', 'unknown stored transfer syntax'));
    const plan = transcodePlan(syntax);
    if (!plan.ok) return plan;
    switch (plan.value) {
      case 'as-stored':
        return ok(asStored(source, meta.value.datasetOffset));
      case 'inflate':
        return ok(inflated(source, meta.value.datasetOffset, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_DATASET_BYTES));
      case 'decode-pixels':
        return await encapsulatedToNative(source, pool);
      case 'swap':
        return await bigEndianToLittleEndian(source, meta.value.datasetOffset);
    }
  } catch (error) {
    if (error instanceof ByteSourceError) return err(kakuteiError('DATASET_TRUNCATED', error.message));
    throw error;
  }
}
