/**
 * `multipart/related` responses (RFC 2387; PS3.18 8.7.3.3.2 for WADO-RS): parts are written as
 * they are produced, each body streamed, so a study of many gigabytes never sits in memory. The
 * boundary is random (128 bits): a part's content cannot be crafted to contain it.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export { multipartRequestType, MultipartReader, DEFAULT_MULTIPART_LIMITS, multipartErrorOf, type IncomingPart, type MultipartLimits } from './multipart-decode.js';

export interface OutgoingPart {
  /** e.g. `application/dicom`, `application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1`. */
  readonly contentType: string;
  /** Extra headers (`Content-Location`, …); names and values must be single-line ASCII. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Uint8Array | (() => Readable);
}

export function newBoundary(): string {
  return `kakutei-${randomBytes(16).toString('hex')}`;
}

/** The response Content-Type, e.g. `multipart/related; type="application/dicom"; boundary=…`. */
export function multipartContentType(type: string, boundary: string, extra: Readonly<Record<string, string>> = {}): string {
  const params = Object.entries(extra).map(([k, v]) => `; ${k}=${v}`).join('');
  return `multipart/related; type="${type}"${params}; boundary=${boundary}`;
}

/** PS3.18 8.7.3.5: the Content-Type of a frame or bulk data part in a stored transfer syntax. */
export function octetStreamPartType(transferSyntaxUid: string): string {
  return `application/octet-stream; transfer-syntax=${transferSyntaxUid}`;
}

function headerBlock(part: OutgoingPart, boundary: string, first: boolean): Buffer {
  const lines = [`${first ? '' : '\r\n'}--${boundary}`, `Content-Type: ${part.contentType}`];
  for (const [name, value] of Object.entries(part.headers ?? {})) {
    if (/[\r\n]/.test(name + value)) throw new Error('a header must be a single line');
    lines.push(`${name}: ${value}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Encodes parts, in order, as one multipart body stream. */
export function encodeMultipart(parts: Iterable<OutgoingPart> | AsyncIterable<OutgoingPart>, boundary: string): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    let first = true;
    for await (const part of parts) {
      yield headerBlock(part, boundary, first);
      first = false;
      if (part.body instanceof Uint8Array) {
        yield Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength);
      } else {
        for await (const chunk of part.body() as AsyncIterable<Buffer>) yield chunk;
      }
    }
    // An empty multipart still needs its opening delimiter (RFC 2046 §5.1.1 requires one part;
    // callers answer 204/404 instead of an empty body).
    yield Buffer.from(`${first ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1');
  }
  return Readable.from(generate(), { objectMode: false });
}
