/**
 * Random access to a stored object's bytes without holding it: small reads go through a one-block
 * cache filled by `ObjectStore.getRange`, so walking a header costs a few range reads and skipping a
 * 1 GB pixel data value costs nothing. Reads larger than `maxReadBytes` are refused: callers stream
 * those with `stream()` instead of buffering them.
 */
import { Readable } from 'node:stream';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { ObjectKey, ObjectStore } from '../storage/object-store.js';

export interface ByteSource {
  readonly sizeBytes: number;
  /** Bytes [start, endExclusive); rejects (as an Error) past the end or above the read limit. */
  read(start: number, endExclusive: number): Promise<Uint8Array>;
  /** Bytes [start, endExclusive) as a stream, for values too large to buffer. */
  stream(start: number, endExclusive: number): Readable;
}

export class ByteSourceError extends Error {
  constructor(readonly reason: 'past-end' | 'too-large') {
    super(reason === 'past-end' ? 'read past the end of the object' : 'read larger than the buffer limit');
  }
}

export const DEFAULT_BLOCK_BYTES = 64 * 1024;
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

async function collect(stream: Readable, expected: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(expected);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (filled + chunk.length > expected) {
      stream.destroy();
      throw new ByteSourceError('past-end');
    }
    chunk.copy(out, filled);
    filled += chunk.length;
  }
  if (filled !== expected) throw new ByteSourceError('past-end');
  return out;
}

class StoreByteSource implements ByteSource {
  private blockStart = 0;
  private block: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly store: ObjectStore,
    private readonly key: ObjectKey,
    readonly sizeBytes: number,
    private readonly blockBytes: number,
    private readonly maxReadBytes: number,
  ) {}

  async read(start: number, endExclusive: number): Promise<Uint8Array> {
    if (start < 0 || endExclusive < start || endExclusive > this.sizeBytes) throw new ByteSourceError('past-end');
    const length = endExclusive - start;
    if (length > this.maxReadBytes) throw new ByteSourceError('too-large');
    const blockEnd = this.blockStart + this.block.length;
    if (start >= this.blockStart && endExclusive <= blockEnd) {
      return this.block.subarray(start - this.blockStart, endExclusive - this.blockStart);
    }
    if (length >= this.blockBytes) return collect(this.store.getRange(this.key, start, endExclusive), length);
    const fillEnd = Math.min(this.sizeBytes, start + this.blockBytes);
    this.block = await collect(this.store.getRange(this.key, start, fillEnd), fillEnd - start);
    this.blockStart = start;
    return this.block.subarray(0, length);
  }

  stream(start: number, endExclusive: number): Readable {
    return this.store.getRange(this.key, start, endExclusive);
  }
}

/** A byte source over one stored object; NOT_FOUND when the store has no such object. */
export async function objectByteSource(
  store: ObjectStore,
  key: ObjectKey,
  options: { readonly blockBytes?: number; readonly maxReadBytes?: number } = {},
): Promise<Result<ByteSource>> {
  const stat = await store.stat(key);
  if (stat === null) return err(kakuteiError('NOT_FOUND', 'no stored object under this key'));
  return ok(new StoreByteSource(store, key, stat.sizeBytes, options.blockBytes ?? DEFAULT_BLOCK_BYTES, options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES));
}

/** A byte source over bytes already in memory (an inflated deflated dataset, tests). */
export function bufferByteSource(bytes: Uint8Array, maxReadBytes = DEFAULT_MAX_READ_BYTES): ByteSource {
  return {
    sizeBytes: bytes.length,
    read(start, endExclusive) {
      if (start < 0 || endExclusive < start || endExclusive > bytes.length) return Promise.reject(new ByteSourceError('past-end'));
      if (endExclusive - start > maxReadBytes) return Promise.reject(new ByteSourceError('too-large'));
      return Promise.resolve(bytes.subarray(start, endExclusive));
    },
    stream(start, endExclusive) {
      const slice = bytes.subarray(start, endExclusive);
      return Readable.from([Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength)], { objectMode: false });
    },
  };
}

