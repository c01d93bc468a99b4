/**
 * Opens a stored Part 10 object (our file meta group + the dataset as received, see
 * `storage/object-store.ts`) for reading: its meta group, its transfer syntax and its element tree.
 * A deflated dataset (PS3.5 §A.5) has no random access: it is inflated into memory under a cap.
 */
import { createInflateRaw } from 'node:zlib';
import { readFileMeta, type FileMeta } from '../dicom/part10/index.js';
import { transferSyntaxOf, type TransferSyntax } from '../dicom/dictionary/transfer-syntaxes.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';
import { bufferByteSource, objectByteSource, ByteSourceError, type ByteSource } from './byte-source.js';
import { readDatasetTree, type DatasetNode, type TreeLimits } from './dataset-tree.js';

export interface StoredObject {
  readonly meta: FileMeta;
  readonly transferSyntax: TransferSyntax;
  /** Reads the dataset: the object itself, or its inflated dataset when deflated. */
  readonly source: ByteSource;
  /** Where the dataset starts in `source`. */
  readonly datasetOffset: number;
  readonly tree: DatasetNode;
}

export interface OpenOptions {
  readonly limits?: Partial<TreeLimits>;
  /** Cap on an inflated deflated dataset (a decompression bomb otherwise). */
  readonly maxInflatedBytes?: number;
}

const META_PROBE_BYTES = [16 * 1024, 1024 * 1024];
export const DEFAULT_MAX_INFLATED_DATASET_BYTES = 256 * 1024 * 1024;

/** The File Meta group of a stored object, read from a 16 KiB prefix (1 MiB for a very long meta group). */
export async function readMeta(source: ByteSource): Promise<Result<FileMeta>> {
  let last: Result<FileMeta> = err(kakuteiError('DATASET_TRUNCATED', 'empty object'));
  for (const probe of META_PROBE_BYTES) {
    const length = Math.min(probe, source.sizeBytes);
    last = readFileMeta(await source.read(0, length));
    if (last.ok || last.error.code !== 'DATASET_TRUNCATED' || length === source.sizeBytes) return last;
  }
  return last;
}

async function inflate(source: ByteSource, offset: number, maxBytes: number): Promise<Result<Uint8Array>> {
  const inflater = createInflateRaw();
  const chunks: Buffer[] = [];
  let total = 0;
  const input = source.stream(offset, source.sizeBytes);
  input.pipe(inflater);
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        input.destroy();
        inflater.destroy();
        return err(kakuteiError('DECOMPRESSION_BOMB', 'the inflated dataset exceeds its limit'));
      }
      chunks.push(chunk);
    }
  } catch {
    return err(kakuteiError('DATASET_UNPARSEABLE', 'the deflated dataset does not inflate'));
  }
  return ok(Buffer.concat(chunks, total));
}

/** Opens the object at `key`: NOT_FOUND, a parse error code, or the object's structure. */
export async function openStoredObject(store: ObjectStore, key: ObjectKey, options: OpenOptions = {}): Promise<Result<StoredObject>> {
  const opened = await objectByteSource(store, key);
  if (!opened.ok) return opened;
  return openStoredSource(opened.value, options);
}

/** As `openStoredObject`, over any byte source holding a Part 10 file. */
export async function openStoredSource(fileSource: ByteSource, options: OpenOptions = {}): Promise<Result<StoredObject>> {
  try {
    const meta = await readMeta(fileSource);
    if (!meta.ok) return meta;
    const transferSyntax = transferSyntaxOf(meta.value.transferSyntaxUid);
    if (transferSyntax === null) return err(kakuteiError('TRANSFER_SYNTAX_NOT_SUPPORTED'));
    let source = fileSource;
    let datasetOffset = meta.value.datasetOffset;
    if (transferSyntax.deflated) {
      const inflated = await inflate(fileSource, datasetOffset, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_DATASET_BYTES);
      if (!inflated.ok) return inflated;
      source = bufferByteSource(inflated.value);
      datasetOffset = 0;
    }
    const syntax = { explicitVr: transferSyntax.explicitVr, littleEndian: transferSyntax.littleEndian };
    const tree = await readDatasetTree(source, datasetOffset, syntax, options.limits);
    if (!tree.ok) return tree;
    return ok({ meta: meta.value, transferSyntax, source, datasetOffset, tree: tree.value });
  } catch (error) {
    if (error instanceof ByteSourceError) return err(kakuteiError('DATASET_TRUNCATED', error.message));
    throw error;
  }
}
