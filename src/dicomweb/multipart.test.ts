import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { encodeMultipart, multipartContentType, multipartRequestType, MultipartReader, newBoundary, octetStreamPartType, type MultipartLimits } from './multipart.js';
import { DEFAULT_MULTIPART_LIMITS } from './multipart-decode.js';
import { classifyPreamble, neutralizePreamble, PreambleGuard } from './preamble.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Re-chunks a buffer into pieces of random sizes, as a network would. */
async function* chunked(bytes: Buffer, maxChunk = 7000): AsyncGenerator<Buffer> {
  await Promise.resolve();
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + Math.floor(Math.random() * maxChunk);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function decodeAll(body: Buffer, boundary: string, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS, maxChunk = 7000) {
  const reader = new MultipartReader(chunked(body, maxChunk), boundary, limits);
  const parts: { type: string; headers: ReadonlyMap<string, string>; bytes: Buffer }[] = [];
  for (;;) {
    const next = await reader.nextPart();
    if (!next.ok) return { error: next.error.code, parts };
    if (next.value === null) return { error: null, parts };
    const bytes = await bytesOf(next.value.body).catch(() => null);
    if (bytes === null) {
      const after = await reader.nextPart();
      return { error: after.ok ? 'no error' : after.error.code, parts };
    }
    parts.push({ type: next.value.mediaType.essence, headers: next.value.headers, bytes });
  }
}

test('encode → decode round trip: random sizes, content full of boundary-like bytes', async () => {
  const boundary = newBoundary();
  const contents = [0, 1, 2, 17, 4096, 65537, 300_000].map((n) => {
    const b = randomBytes(n);
    // Sprinkle near-delimiters: CRLF--, the boundary without CRLF, the boundary minus its last byte.
    const lure = Buffer.from(`\r\n--${boundary.slice(0, -1)}X--${boundary}\r\n--\r\n`, 'latin1');
    for (let at = 0; at + lure.length < n; at += 997) lure.copy(b, at);
    return b;
  });
  const body = await bytesOf(encodeMultipart(contents.map((c, i) => ({
    contentType: i % 2 === 0 ? 'application/dicom' : octetStreamPartType('1.2.840.10008.1.2.1'),
    headers: { 'Content-Location': `/x/${i}` },
    body: i % 3 === 0 ? c : () => Readable.from(chunked(c, 999)),
  })), boundary));
  for (const maxChunk of [1, 13, 7000, 1 << 20]) {
    const decoded = await decodeAll(body, boundary, DEFAULT_MULTIPART_LIMITS, maxChunk);
    assert.equal(decoded.error, null);
    assert.equal(decoded.parts.length, contents.length);
    decoded.parts.forEach((p, i) => {
      assert.deepEqual(p.bytes, contents[i]);
      assert.equal(p.headers.get('content-location'), `/x/${i}`);
      assert.equal(p.type, i % 2 === 0 ? 'application/dicom' : 'application/octet-stream');
    });
  }
});

test('request Content-Type: boundary and type are parsed strictly', () => {
  const good = multipartRequestType(multipartContentType('application/dicom', 'abc-123'));
  assert.deepEqual(good, { ok: true, value: { boundary: 'abc-123', type: 'application/dicom' } });
  assert.deepEqual(multipartRequestType('multipart/related; boundary="a b"; type=application/dicom'), { ok: true, value: { boundary: 'a b', type: 'application/dicom' } });
  const refusals: [string | undefined, string][] = [
    [undefined, 'MEDIA_TYPE_UNSUPPORTED'],
    ['application/dicom', 'MEDIA_TYPE_UNSUPPORTED'],
    ['multipart/related', 'MULTIPART_INVALID'],
    ['multipart/related; boundary=', 'MEDIA_TYPE_UNSUPPORTED'],
    [`multipart/related; boundary=${'x'.repeat(71)}`, 'MULTIPART_INVALID'],
    ['multipart/related; boundary="ends with space "', 'MULTIPART_INVALID'],
    ['multipart/related; boundary="unterminated', 'MEDIA_TYPE_UNSUPPORTED'],
    ['multipart/related; boundary=a; boundary=b', 'MEDIA_TYPE_UNSUPPORTED'],
    [`multipart/related; boundary=a; x="${'y'.repeat(2000)}"`, 'MEDIA_TYPE_UNSUPPORTED'],
  ];
  for (const [text, code] of refusals) {
    const r = multipartRequestType(text);
    assert.ok(!r.ok && r.error.code === code, `${text}: ${r.ok ? 'accepted' : r.error.code}`);
  }
});

test('decoder refusals: missing final boundary, no boundary, long headers, too many parts, too large', async () => {
  const b = 'BOUNDARY';
  const part = (content: string) => `--${b}\r\nContent-Type: application/dicom\r\n\r\n${content}\r\n`;
  const cases: [string, string, Partial<MultipartLimits>?][] = [
    [`${part('abc')}`, 'MULTIPART_INVALID'], // ends after a part, no close delimiter
    [`--${b}\r\nContent-Type: application/dicom\r\n\r\nabc`, 'MULTIPART_INVALID'], // ends inside a part
    ['no boundary here at all', 'MULTIPART_INVALID'],
    [`--${b}\r\nContent-Type: application/dicom\r\nX-Long: ${'h'.repeat(20_000)}\r\n\r\nabc\r\n--${b}--`, 'MULTIPART_INVALID'],
    [`--${b}\r\nbroken header line\r\n\r\nabc\r\n--${b}--`, 'MULTIPART_INVALID'],
    [`--${b}\r\nContent-Type: not a type\r\n\r\nabc\r\n--${b}--`, 'MEDIA_TYPE_UNSUPPORTED'],
    [`--${b}junk\r\n\r\nabc\r\n--${b}--`, 'MULTIPART_INVALID'],
    [`${part('a')}${part('b')}${part('c')}--${b}--`, 'MULTIPART_TOO_LARGE', { maxParts: 2 }],
    [`${part('x'.repeat(5000))}--${b}--`, 'MULTIPART_TOO_LARGE', { maxPartBytes: 1000 }],
    [`${part('x'.repeat(5000))}--${b}--`, 'MULTIPART_TOO_LARGE', { maxTotalBytes: 1000 }],
    [`${'p'.repeat(100_000)}\r\n${part('a')}--${b}--`, 'MULTIPART_INVALID'], // endless preamble
  ];
  for (const [body, code, limits] of cases) {
    const decoded = await decodeAll(Buffer.from(body, 'latin1'), b, { ...DEFAULT_MULTIPART_LIMITS, ...limits });
    assert.equal(decoded.error, code, body.slice(0, 60));
  }
  // A well-formed body with a preamble and an epilogue decodes.
  const fine = await decodeAll(Buffer.from(`preamble\r\n${part('one')}${part('two')}--${b}--\r\nepilogue`, 'latin1'), b);
  assert.equal(fine.error, null);
  assert.deepEqual(fine.parts.map((p) => p.bytes.toString()), ['one', 'two']);
});

test('an endless body is cut at its limit without buffering it', async () => {
  const b = 'B';
  async function* endless(): AsyncGenerator<Buffer> {
    await Promise.resolve();
    yield Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`);
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (;;) yield chunk;
  }
  const reader = new MultipartReader(endless(), b, { ...DEFAULT_MULTIPART_LIMITS, maxPartBytes: 64 << 20 });
  const first = await reader.nextPart();
  assert.ok(first.ok && first.value !== null);
  // Drain without keeping what arrives: only the reader's own buffering counts against memory.
  const drain = async (body: AsyncIterable<Buffer>): Promise<number> => {
    let total = 0;
    for await (const chunk of body) total += chunk.length;
    return total;
  };
  const before = process.memoryUsage().rss;
  await assert.rejects(drain(first.value.body as AsyncIterable<Buffer>));
  assert.ok(process.memoryUsage().rss - before < 48 << 20, 'memory stayed bounded');
  const next = await reader.nextPart();
  assert.ok(!next.ok && next.error.code === 'MULTIPART_TOO_LARGE');
});

function part10Head(preamble: Buffer): Buffer {
  return Buffer.concat([preamble, Buffer.from('DICM'), Buffer.from([2, 0, 0, 0, 0x55, 0x4c, 4, 0])]);
}

test('executable preambles are zeroed, TIFF kept, non-Part-10 refused', async () => {
  const pad = (head: number[]) => Buffer.concat([Buffer.from(head), Buffer.alloc(128 - head.length, 0x90)]);
  const cases: [Buffer, string, boolean][] = [
    [Buffer.alloc(128), 'zero', false],
    [pad([0x4d, 0x5a]), 'executable', true],
    [pad([0x7f, 0x45, 0x4c, 0x46]), 'executable', true],
    [pad([0xcf, 0xfa, 0xed, 0xfe]), 'executable', true],
    [pad([0xca, 0xfe, 0xba, 0xbe]), 'executable', true],
    [pad([0x49, 0x49, 0x2a, 0x00]), 'tiff', false],
    [pad([0x4d, 0x4d, 0x00, 0x2a]), 'tiff', false],
    [pad([0x23, 0x21]), 'other', true],
  ];
  for (const [preamble, kind, zeroed] of cases) {
    assert.equal(classifyPreamble(preamble), kind);
    const head = part10Head(Buffer.from(preamble));
    const r = neutralizePreamble(head);
    assert.deepEqual(r, { ok: true, value: { kind, zeroed } });
    assert.equal(head.subarray(0, 128).every((x) => x === 0), kind === 'zero' || zeroed);
    // Through the stream guard, in tiny chunks.
    let seen: unknown = null;
    const guarded = await bytesOf(Readable.from(chunked(part10Head(Buffer.from(preamble)), 5)).pipe(new PreambleGuard((result) => { seen = result; })));
    assert.deepEqual(guarded, head);
    assert.deepEqual(seen, r);
  }
  assert.equal((neutralizePreamble(Buffer.alloc(100)) as { error: { code: string } }).error.code, 'DATASET_TRUNCATED');
  assert.equal((neutralizePreamble(Buffer.alloc(140)) as { error: { code: string } }).error.code, 'DATASET_UNPARSEABLE');
  await assert.rejects(bytesOf(Readable.from([Buffer.alloc(50)]).pipe(new PreambleGuard(() => undefined))));
});
