/**
 * Streaming decoder for a `multipart/related` request body (RFC 2387, RFC 2046 §5.1; PS3.18 8.6.1.2
 * for STOW-RS). Parts are handed out one at a time as streams, read lazily from the body: memory
 * holds one body chunk plus a delimiter, never a part. Bad boundaries, a missing final boundary,
 * long header blocks, too many parts and bodies past their limits end the decode with a code.
 */
import { Readable } from 'node:stream';
import { err, kakuteiError, ok, type KakuteiError, type Result } from '../errors/index.js';
import { isValidBoundary, parseMediaType, type MediaType } from './media-type.js';

export interface MultipartLimits {
  readonly maxParts: number;
  /** One part's header block (all lines). */
  readonly maxHeaderBytes: number;
  readonly maxPartBytes: number;
  readonly maxTotalBytes: number;
  /** Bytes tolerated before the first boundary (RFC 2046 preamble). */
  readonly maxPreambleBytes: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = {
  maxParts: 10_000,
  maxHeaderBytes: 16 * 1024,
  maxPartBytes: 4 * 1024 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  maxPreambleBytes: 64 * 1024,
};

export interface IncomingPart {
  readonly index: number;
  /** Header names lower-cased. */
  readonly headers: ReadonlyMap<string, string>;
  readonly mediaType: MediaType;
  /** Must be consumed (or left: the decoder drains it) before asking for the next part. */
  readonly body: Readable;
}

/** What the request's Content-Type says: the boundary and the `type` parameter (PS3.18 8.6.1.2). */
export function multipartRequestType(contentType: string | undefined): Result<{ readonly boundary: string; readonly type: string | null }> {
  if (contentType === undefined) return err(kakuteiError('MEDIA_TYPE_UNSUPPORTED', 'no Content-Type'));
  const parsed = parseMediaType(contentType);
  if (!parsed.ok) return parsed;
  if (parsed.value.essence !== 'multipart/related') return err(kakuteiError('MEDIA_TYPE_UNSUPPORTED', 'not multipart/related'));
  const boundary = parsed.value.parameters.get('boundary');
  if (boundary === undefined || !isValidBoundary(boundary)) return err(kakuteiError('MULTIPART_INVALID', 'missing or invalid boundary'));
  return ok({ boundary, type: parsed.value.parameters.get('type')?.toLowerCase() ?? null });
}

class BodyError extends Error {
  constructor(readonly error: KakuteiError) {
    super(error.detail ?? error.code);
  }
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Pull-based reader. `nextPart()` returns the next part, null after the close delimiter, or the
 * error that ended the body; after an error every call returns that error.
 */
export class MultipartReader {
  private buffer: Buffer = Buffer.alloc(0);
  private sourceDone = false;
  private totalBytes = 0;
  private parts = 0;
  private state: 'start' | 'headers' | 'body' | 'closed' = 'start';
  private failure: KakuteiError | null = null;
  private readonly delimiter: Buffer;
  private partBytes = 0;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(
    source: AsyncIterable<Uint8Array>,
    boundary: string,
    private readonly limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS,
  ) {
    this.source = source[Symbol.asyncIterator]();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  private fail(code: 'MULTIPART_INVALID' | 'MULTIPART_TOO_LARGE' | 'MEDIA_TYPE_UNSUPPORTED', detail: string): KakuteiError {
    this.failure ??= kakuteiError(code, detail);
    this.state = 'closed';
    return this.failure;
  }

  /** Appends one source chunk; false at the end of the source. */
  private async fill(): Promise<boolean> {
    if (this.sourceDone) return false;
    const next = await this.source.next();
    if (next.done === true) {
      this.sourceDone = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.totalBytes += chunk.length;
    if (this.totalBytes > this.limits.maxTotalBytes) throw new BodyError(this.fail('MULTIPART_TOO_LARGE', 'the body exceeds its limit'));
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  /** Finds the first delimiter; the body may start with it without the leading CRLF. */
  private async skipPreamble(): Promise<void> {
    const first = this.delimiter.subarray(2);
    for (;;) {
      if (this.buffer.length >= first.length && this.buffer.subarray(0, first.length).equals(first)) {
        this.buffer = this.buffer.subarray(first.length);
        return;
      }
      const at = this.buffer.indexOf(this.delimiter);
      if (at >= 0) {
        this.buffer = this.buffer.subarray(at + this.delimiter.length);
        return;
      }
      if (this.buffer.length > this.limits.maxPreambleBytes) throw new BodyError(this.fail('MULTIPART_INVALID', 'no boundary at the start of the body'));
      if (!(await this.fill())) throw new BodyError(this.fail('MULTIPART_INVALID', 'no boundary in the body'));
    }
  }

  /** After a delimiter: `--` closes the body; else optional padding then CRLF begins a part. */
  private async afterDelimiter(): Promise<'part' | 'close'> {
    while (this.buffer.length < 2) if (!(await this.fill())) throw new BodyError(this.fail('MULTIPART_INVALID', 'the body ends after a boundary'));
    if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
      this.state = 'closed';
      return 'close';
    }
    for (;;) {
      const crlf = this.buffer.indexOf(CRLF);
      if (crlf >= 0) {
        if (!/^[ \t]*$/.test(this.buffer.subarray(0, crlf).toString('latin1'))) throw new BodyError(this.fail('MULTIPART_INVALID', 'text after a boundary'));
        this.buffer = this.buffer.subarray(crlf + 2);
        return 'part';
      }
      if (this.buffer.length > 256) throw new BodyError(this.fail('MULTIPART_INVALID', 'text after a boundary'));
      if (!(await this.fill())) throw new BodyError(this.fail('MULTIPART_INVALID', 'the body ends after a boundary'));
    }
  }

  private async readHeaders(): Promise<Map<string, string>> {
    for (;;) {
      // A part without headers starts directly with CRLF (RFC 2046 §5.1.1).
      if (this.buffer.length >= 2 && this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) {
        this.buffer = this.buffer.subarray(2);
        return new Map();
      }
      const end = this.buffer.indexOf(HEADER_END);
      if (end >= 0 && end + 4 <= this.limits.maxHeaderBytes) {
        const block = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end + 4);
        const headers = new Map<string, string>();
        for (const line of block.split('\r\n')) {
          const colon = line.indexOf(':');
          const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
          if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new BodyError(this.fail('MULTIPART_INVALID', 'a malformed part header'));
          headers.set(name, line.slice(colon + 1).trim());
        }
        return headers;
      }
      if (this.buffer.length > this.limits.maxHeaderBytes) throw new BodyError(this.fail('MULTIPART_INVALID', 'part headers are too long'));
      if (!(await this.fill())) throw new BodyError(this.fail('MULTIPART_INVALID', 'the body ends inside part headers'));
    }
  }

  /** The next piece of the current part's body, or null at its end (the delimiter is consumed). */
  private async readBodyPiece(): Promise<Buffer | null> {
    if (this.failure !== null) throw new BodyError(this.failure);
    if (this.state !== 'body') return null;
    for (;;) {
      const at = this.buffer.indexOf(this.delimiter);
      if (at >= 0) {
        const piece = this.buffer.subarray(0, at);
        this.buffer = this.buffer.subarray(at + this.delimiter.length);
        this.state = 'headers';
        return this.count(piece);
      }
      // Keep what could be the start of a delimiter split across chunks.
      const safe = this.buffer.length - (this.delimiter.length - 1);
      if (safe > 0) {
        const piece = this.buffer.subarray(0, safe);
        this.buffer = this.buffer.subarray(safe);
        return this.count(piece);
      }
      if (!(await this.fill())) throw new BodyError(this.fail('MULTIPART_INVALID', 'the body ends without its final boundary'));
    }
  }

  private count(piece: Buffer): Buffer {
    this.partBytes += piece.length;
    if (this.partBytes > this.limits.maxPartBytes) throw new BodyError(this.fail('MULTIPART_TOO_LARGE', 'a part exceeds its limit'));
    return piece;
  }

  async nextPart(): Promise<Result<IncomingPart | null>> {
    try {
      if (this.failure !== null) return err(this.failure);
      if (this.state === 'start') {
        await this.skipPreamble();
        this.state = 'headers';
      }
      while (this.state === 'body') if ((await this.readBodyPiece()) === null) break;
      if (this.state === 'closed') return ok(null);
      if ((await this.afterDelimiter()) === 'close') return ok(null);
      if (++this.parts > this.limits.maxParts) return err(this.fail('MULTIPART_TOO_LARGE', 'too many parts'));
      const headers = await this.readHeaders();
      const mediaType = parseMediaType(headers.get('content-type') ?? 'text/plain');
      if (!mediaType.ok) return err(this.fail('MEDIA_TYPE_UNSUPPORTED', 'a part has a malformed Content-Type'));
      this.state = 'body';
      this.partBytes = 0;
      return ok({ index: this.parts - 1, headers, mediaType: mediaType.value, body: this.bodyStream() });
    } catch (error) {
      if (error instanceof BodyError) return err(error.error);
      return err(this.fail('MULTIPART_INVALID', 'the body could not be read'));
    }
  }

  private bodyStream(): Readable {
    const pieces = async function* (reader: MultipartReader): AsyncGenerator<Buffer> {
      for (;;) {
        const piece = await reader.readBodyPiece();
        if (piece === null) return;
        if (piece.length > 0) yield piece;
      }
    };
    return Readable.from(pieces(this), { objectMode: false });
  }
}

/** The code that ended a part body stream with an error, if it came from the decoder. */
export function multipartErrorOf(error: unknown): KakuteiError | null {
  return error instanceof BodyError ? error.error : null;
}
