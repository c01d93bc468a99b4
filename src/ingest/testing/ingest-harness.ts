/**
 * Real parts for the ingest integration tests: a filesystem object store in a fresh temporary
 * directory and an `IngestService` over it and the index the test brings (the test opens the
 * database, so that this helper imports no adapter — see .dependency-cruiser.cjs). Objects are sent
 * the way the DIMSE layer sends them: begin, the dataset in PDV-sized pieces, finish.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Clock } from '../../clock/index.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../config/index.js';
import { err, type Result } from '../../errors/index.js';
import { silentLogger } from '../../log/index.js';
import { createFilesystemStore, type FsOps, type ObjectStore } from '../../storage/index.js';
import { IngestService, type IngestLimits, type IngestRequest, type IngestResult } from '../ingest-service.js';
import type { InstanceIndex, ReceiptSource } from '../ports.js';

/** Kakutei's own identity, as the composition root passes it (src/server/start-server.ts). */
export const TEST_IMPLEMENTATION = { classUid: IMPLEMENTATION_CLASS_UID, versionName: IMPLEMENTATION_VERSION_NAME } as const;

/** The configuration defaults (src/config/schema.ts), the watermark off so a full test disk cannot fail a test. */
export const DEFAULT_TEST_LIMITS: IngestLimits = {
  headerBufferBytes: 4 * 1024 * 1024,
  maxHeaderBytes: 256 * 1024 * 1024,
  freeSpaceWatermarkBytes: 0,
  maxInflatedBytes: 256 * 1024 * 1024,
};

export const RECEIVED_AT = new Date('2024-05-01T09:30:00.000Z');
const fixedClock: Clock = { now: () => RECEIVED_AT };

export interface ServiceOptions {
  readonly limits?: Partial<IngestLimits>;
  readonly fallbackCharsetFor?: (source: ReceiptSource) => string | null;
}

export interface IngestHarness {
  /** Root of the object store (holds `tmp/` and `sha256/`). */
  readonly storeDir: string;
  readonly store: ObjectStore;
  /** A service with the default limits and no fallback character set. */
  readonly ingest: IngestService;
  /** Another service over the same store and index. */
  service(options?: ServiceOptions): IngestService;
  /** Committed object files, relative to the store root. */
  objectFiles(): Promise<string[]>;
  /** Files in the store's `tmp/` directory, but for those kept in reserve for the next objects. */
  tempFiles(): Promise<string[]>;
  /** The whole stored file of an object key (64 hex). */
  readObject(key: string): Promise<Buffer>;
  dispose(): Promise<void>;
}

/** `fsOps`: the store's filesystem calls, for a test that records them or injects failures. */
export async function createIngestHarness(index: InstanceIndex, options: { readonly fsOps?: FsOps } = {}): Promise<IngestHarness> {
  const storeDir = await mkdtemp(join(tmpdir(), 'kakutei-ingest-'));
  const store = await createFilesystemStore({ rootDir: storeDir, ...(options.fsOps === undefined ? {} : { fsOps: options.fsOps }) });
  const service = (options: ServiceOptions = {}) =>
    new IngestService({
      store,
      index,
      clock: fixedClock,
      logger: silentLogger(),
      limits: { ...DEFAULT_TEST_LIMITS, ...options.limits },
      implementation: TEST_IMPLEMENTATION,
      fallbackCharsetFor: options.fallbackCharsetFor ?? (() => null),
    });
  return {
    storeDir,
    store,
    ingest: service(),
    service,
    objectFiles: async () => (await filesUnder(join(storeDir, 'sha256'))).map((path) => relative(storeDir, path)),
    // The empty files the store creates ahead for the next objects are not any object's leftovers.
    tempFiles: async () => {
      const reserved = new Set(store.reservedTempFileNames());
      return (await readdir(join(storeDir, 'tmp'))).filter((name) => !reserved.has(name));
    },
    readObject: (key) => readFile(join(storeDir, 'sha256', key.slice(0, 2), key)),
    dispose: () => rm(storeDir, { recursive: true, force: true }),
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out.sort();
}

export function dimseRequest(fields: { sopInstanceUid: string; sopClassUid?: string; transferSyntaxUid?: string; callingAeTitle?: string | null }): IngestRequest {
  return {
    sopInstanceUid: fields.sopInstanceUid,
    sopClassUid: fields.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: fields.transferSyntaxUid ?? '1.2.840.10008.1.2.1',
    source: { via: 'dimse', callingAeTitle: fields.callingAeTitle === undefined ? 'MODALITY1' : fields.callingAeTitle, calledAeTitle: 'KAKUTEI', peerAddress: '192.0.2.10' },
  };
}

/** PDV-like pieces, cycling through `sizes` (bytes); the last piece is whatever remains. */
export function* piecesOf(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? bytes.length);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

/** Odd and even sizes around the usual PDV lengths: a single byte, a tag split in two, 16 KiB. */
export const MIXED_PIECES: readonly number[] = [1, 3, 127, 16 * 1024, 2, 4093, 64 * 1024 - 6];

/** begin → write every piece → finish, as the DIMSE receiver does. A refusal at `begin` is returned as is. */
export async function sendObject(service: IngestService, request: IngestRequest, dataset: Uint8Array, sizes: readonly number[] = MIXED_PIECES): Promise<Result<IngestResult>> {
  const begun = await service.begin(request);
  if (!begun.ok) return err(begun.error);
  for (const piece of piecesOf(dataset, sizes)) await begun.value.write(piece);
  return begun.value.finish();
}

/**
 * The text values of the file meta group (PS3.10 §7.1: explicit VR little endian), by element
 * number, e.g. 0x0012 → Implementation Class UID. Trailing NUL and space padding removed.
 */
export function fileMetaValues(file: Uint8Array): Map<number, string> {
  const values = new Map<number, string>();
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let position = 132;
  while (position + 8 <= file.length && view.getUint16(position, true) === 0x0002) {
    const elementNumber = view.getUint16(position + 2, true);
    const vr = String.fromCharCode(file[position + 4]!, file[position + 5]!);
    const long = vr === 'OB' || vr === 'UN' || vr === 'UT' || vr === 'UR';
    const length = long ? view.getUint32(position + 8, true) : view.getUint16(position + 6, true);
    const start = position + (long ? 12 : 8);
    values.set(elementNumber, Buffer.from(file.subarray(start, start + length)).toString('latin1').replace(/[\0 ]+$/, ''));
    position = start + length;
  }
  return values;
}
