/**
 * Reading a dataset front to back, the way the VR converters (`transcode-vr.ts`) walk it: small
 * exact reads for headers, values passed on in pieces without being gathered. Two sources: a stream
 * (the output of inflating, decoding pixels or swapping bytes, which can be read only once), and a
 * stored object (`ByteSource`), which can also be walked "dry" — values skipped, not read — so that
 * a malformed object is refused before the first byte leaves.
 */
import { ByteSourceError, type ByteSource } from './byte-source.js';

export interface SequentialBytes {
  /** Bytes consumed so far (positions count from the dataset's first byte). */
  readonly position: number;
  atEnd(): Promise<boolean>;
  /** The next `n` bytes, consumed; throws `SequenceEnded` when fewer are left. For headers: `n` is small. */
  read(n: number): Promise<Uint8Array>;
  /** The next `n` bytes in pieces, consumed (a dry walk consumes them without reading). */
  pass(n: number): AsyncIterable<Uint8Array>;
}

/** The bytes ended before a header or a value did. */
export class SequenceEnded extends Error {
  constructor() {
    super('the dataset ends inside an element');
    this.name = 'SequenceEnded';
  }
}

/** Over an async iterable read once (the pieces it yields must not be changed afterwards). */
export function streamBytes(input: AsyncIterable<Uint8Array>): SequentialBytes {
  return new StreamBytes(input[Symbol.asyncIterator]());
}

/** Over a stored object from `start` to its end; `dry` skips values instead of reading them. */
export function sourceBytes(source: ByteSource, start: number, dry = false): SequentialBytes {
  return new SourceBytes(source, start, dry);
}

class StreamBytes implements SequentialBytes {
  private readonly chunks: Uint8Array[] = [];
  private bufferedBytes = 0;
  private ended = false;
  position = 0;

  constructor(private readonly input: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.bufferedBytes < n && !this.ended) {
      const next = await this.input.next();
      if (next.done === true) {
        this.ended = true;
      } else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.bufferedBytes += next.value.length;
      }
    }
    return this.bufferedBytes >= n;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  async read(n: number): Promise<Uint8Array> {
    if (!(await this.fill(n))) throw new SequenceEnded();
    const first = this.chunks[0]!;
    if (first.length >= n) return this.consumeFirst(n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.consumeFirst(Math.min(this.chunks[0]!.length, n - filled));
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  async *pass(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill(1))) throw new SequenceEnded();
      const piece = this.consumeFirst(Math.min(this.chunks[0]!.length, left));
      left -= piece.length;
      yield piece;
    }
  }

  /** Takes `n` bytes (at most the first chunk) off the front. */
  private consumeFirst(n: number): Uint8Array {
    const first = this.chunks[0]!;
    const piece = first.subarray(0, n);
    if (n === first.length) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.bufferedBytes -= n;
    this.position += n;
    return piece;
  }
}

class SourceBytes implements SequentialBytes {
  private at: number;

  constructor(
    private readonly source: ByteSource,
    private readonly start: number,
    private readonly dry: boolean,
  ) {
    this.at = start;
  }

  get position(): number {
    return this.at - this.start;
  }

  atEnd(): Promise<boolean> {
    return Promise.resolve(this.at >= this.source.sizeBytes);
  }

  async read(n: number): Promise<Uint8Array> {
    if (this.at + n > this.source.sizeBytes) throw new SequenceEnded();
    try {
      const bytes = await this.source.read(this.at, this.at + n);
      this.at += n;
      return bytes;
    } catch (error) {
      if (error instanceof ByteSourceError) throw new SequenceEnded();
      throw error;
    }
  }

  async *pass(n: number): AsyncGenerator<Uint8Array> {
    const from = this.at;
    if (from + n > this.source.sizeBytes) throw new SequenceEnded();
    this.at += n;
    if (this.dry || n === 0) return;
    yield* this.source.stream(from, from + n) as AsyncIterable<Buffer>;
  }
}
