import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJpeg2000 } from '../testing/fixtures/jpeg2000.js';
import { grayscale16 } from '../testing/fixtures/pixels.js';
import type { DecodeRequest } from './decode-frame.js';
import { DecodePool } from './decode-pool.js';

const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90';

function request(bytes: Uint8Array, changes: Partial<DecodeRequest> = {}): DecodeRequest {
  return {
    transferSyntaxUid: J2K_LOSSLESS, rows: 64, columns: 64, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12,
    pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME2', planarConfiguration: 0, bitOffset: 0, bytes, ...changes,
  };
}

/** A J2K main header (SOC + SIZ, ISO 15444-1 A.5.1) claiming `width` × `height`, then garbage. */
function craftedJ2k(width: number, height: number): Uint8Array {
  const b = Buffer.alloc(200, 0xab);
  b.writeUInt16BE(0xff4f, 0);
  b.writeUInt16BE(0xff51, 2);
  b.writeUInt16BE(41, 4); // Lsiz
  b.writeUInt16BE(0, 6); // Rsiz
  b.writeUInt32BE(width, 8);
  b.writeUInt32BE(height, 12);
  b.writeUInt32BE(0, 16);
  b.writeUInt32BE(0, 20);
  b.writeUInt32BE(width, 24);
  b.writeUInt32BE(height, 28);
  b.writeUInt32BE(0, 32);
  b.writeUInt32BE(0, 36);
  b.writeUInt16BE(1, 40); // Csiz
  b[42] = 11;
  b[43] = 1;
  b[44] = 1;
  return b;
}

test('hostile frames in the real decoder: refused with a code, the pool keeps decoding', async () => {
  const pool = new DecodePool({ workers: 2, timeLimitMs: 20_000 });
  try {
    const pixels = grayscale16({ rows: 64, columns: 64, bitsStored: 12, seed: 3 });
    const good = await encodeJpeg2000({ rows: 64, columns: 64, bitsStored: 12, samplesPerPixel: 1, signed: false, pixels });
    const outcomes = await Promise.all([
      // A codestream claiming 65535 × 65535 inside a 64 × 64 object: refused before the codec runs.
      pool.decode(request(craftedJ2k(65535, 65535))),
      // The same claim made by the object itself: refused by the output size limit.
      pool.decode(request(craftedJ2k(65535, 65535), { rows: 65535, columns: 65535 })),
      // A header that matches, then garbage.
      pool.decode(request(craftedJ2k(64, 64))),
      // Truncated codestream, garbage under every codec.
      pool.decode(request(good.subarray(0, 60))),
      pool.decode(request(Buffer.alloc(500, 0xff), { transferSyntaxUid: '1.2.840.10008.1.2.4.50' })),
      pool.decode(request(Buffer.from([0xff, 0xd8, 0xff, 0xc3, 0, 11, 16, 0, 64, 0, 64, 1, 1, 0x11, 0]), { transferSyntaxUid: '1.2.840.10008.1.2.4.70' })),
      pool.decode(request(Buffer.alloc(100, 0x33), { transferSyntaxUid: '1.2.840.10008.1.2.4.80' })),
      pool.decode(request(Buffer.alloc(100, 0x33), { transferSyntaxUid: '1.2.840.10008.1.2.4.201' })),
      pool.decode(request(Buffer.alloc(70, 0), { transferSyntaxUid: '1.2.840.10008.1.2.5' })),
      pool.decode(request(Buffer.alloc(10), { transferSyntaxUid: '1.2.840.10008.1.2.1' })),
      pool.decode(request(Buffer.alloc(10), { transferSyntaxUid: '1.2.840.10008.1.2.4.100' })),
    ]);
    const codes = outcomes.map((o) => (o.ok ? 'ok' : o.error.code));
    assert.deepEqual(codes, [
      'PIXEL_DATA_INVALID', 'DECODE_LIMIT_EXCEEDED', 'DECODE_FAILED', 'DECODE_FAILED', 'DECODE_FAILED', 'DECODE_FAILED',
      'DECODE_FAILED', 'DECODE_FAILED', 'DECODE_FAILED', 'PIXEL_DATA_INVALID', 'DECODE_UNSUPPORTED',
    ]);
    const after = await pool.decode(request(good));
    assert.ok(after.ok && Buffer.from(after.value.pixels).equals(pixels));
  } finally {
    await pool.close();
  }
});

/**
 * A worker that spins forever on byte 1, allocates without end on byte 2, exits on byte 3, and
 * otherwise answers with a 1×1 frame: the pool must kill, replace and carry on.
 */
const HOSTILE_WORKER = new URL(`data:text/javascript,${encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (job) => {
  const b = job.request.bytes[0];
  if (b === 1) for (;;) {}
  if (b === 2) { const hoard = []; for (;;) hoard.push(new Array(1e6).fill(Math.random())); }
  if (b === 3) process.exit(7);
  parentPort.postMessage({ id: job.id, ok: true, frame: { rows: 1, columns: 1, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8,
    pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME2', planarConfiguration: 0, pixels: new Uint8Array([b]) } });
});`)}`);

test('a worker that hangs, exhausts its heap or dies costs that worker only', async () => {
  const pool = new DecodePool({ workers: 2, timeLimitMs: 1500, maxHeapMb: 32, workerUrl: HOSTILE_WORKER, maxQueue: 4 });
  try {
    const [hang, hoard, die, fine] = await Promise.all([
      pool.decode(request(Uint8Array.of(1))),
      pool.decode(request(Uint8Array.of(2))),
      pool.decode(request(Uint8Array.of(3))),
      pool.decode(request(Uint8Array.of(9))),
    ]);
    assert.ok(!hang.ok && hang.error.code === 'DECODE_LIMIT_EXCEEDED');
    assert.ok(!hoard.ok && hoard.error.code === 'DECODE_LIMIT_EXCEEDED');
    assert.ok(!die.ok && die.error.code === 'DECODE_FAILED');
    assert.ok(fine.ok && fine.value.pixels[0] === 9);
    assert.ok(pool.stats().workersReplaced >= 3);
    const again = await pool.decode(request(Uint8Array.of(5)));
    assert.ok(again.ok && again.value.pixels[0] === 5);
  } finally {
    await pool.close();
  }
});

test('the queue is bounded', async () => {
  const pool = new DecodePool({ workers: 1, timeLimitMs: 1000, workerUrl: HOSTILE_WORKER, maxQueue: 1 });
  try {
    const results = await Promise.all([1, 4, 4, 4].map((b) => pool.decode(request(Uint8Array.of(b)))));
    const codes = results.map((r) => (r.ok ? 'ok' : r.error.code));
    assert.deepEqual(codes, ['DECODE_LIMIT_EXCEEDED', 'ok', 'DECODE_BUSY', 'DECODE_BUSY']);
  } finally {
    await pool.close();
  }
});
