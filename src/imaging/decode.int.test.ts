import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureSet, runTool, type FixtureFile } from '../testing/fixtures/index.js';
import { grayscale16 } from '../testing/fixtures/pixels.js';
import { DecodePool } from './decode-pool.js';
import { decodeStoredFrame } from './decode-stored.js';
import { openStoredObject, type StoredObject } from './stored-object.js';
import { memoryStore } from './test-support.js';

let dir = '';
let fixtures: FixtureFile[] = [];
const store = memoryStore();
const pool = new DecodePool({ workers: 2, timeLimitMs: 30_000 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kakutei-decode-'));
  fixtures = await makeFixtureSet(join(dir, 'set'));
});
after(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<StoredObject> {
  const opened = await openStoredObject(store, await store.addFile(path));
  assert.ok(opened.ok, opened.ok ? '' : opened.error.code);
  return opened.value;
}

async function decodeAll(path: string): Promise<Buffer[]> {
  const stored = await open(path);
  const frames: Buffer[] = [];
  for (let n = 1; ; n++) {
    const r = await decodeStoredFrame(pool, stored, n);
    if (!r.ok && r.error.code === 'FRAME_NOT_FOUND') return frames;
    assert.ok(r.ok, `${path} frame ${n}: ${r.ok ? '' : `${r.error.code} ${r.error.detail ?? ''}`}`);
    frames.push(Buffer.from(r.value.pixels));
  }
}

const DECOMPRESSORS: Record<string, string> = {
  'ct-jpeg-lossless-sv1': 'dcmdjpeg',
  'mg-jpegls-lossless': 'dcmdjpls',
  'us-multiframe-rgb-rle': 'dcmdrle',
};

test('lossless fixtures decode to exactly the pixels DCMTK decodes', async () => {
  for (const [name, tool] of Object.entries(DECOMPRESSORS)) {
    const file = fixtures.find((f) => f.name === name)!;
    const reference = join(dir, `${name}.native.dcm`);
    await runTool(tool, [file.path, reference]);
    const ours = await decodeAll(file.path);
    const theirs = await decodeAll(reference);
    assert.ok(ours.length >= 1);
    assert.equal(ours.length, theirs.length, name);
    ours.forEach((frame, i) => assert.ok(frame.equals(theirs[i]!), `${name} frame ${i + 1} differs`));
  }
});

test('JPEG 2000 and HTJ2K lossless decode to the fixture generator pixels', async () => {
  for (const [name, seed] of [['mr-jpeg2000-lossless', 8], ['ct-htj2k-lossless', 9]] as const) {
    const [frame] = await decodeAll(fixtures.find((f) => f.name === name)!.path);
    assert.ok(frame!.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed })), name);
  }
});

test('native little, big endian and implicit VR decode to the same kind of samples', async () => {
  const little = await decodeAll(fixtures.find((f) => f.name === 'ct-explicit-le')!.path);
  assert.ok(little[0]!.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 0 })));
  const big = await decodeAll(fixtures.find((f) => f.name === 'mr-explicit-be')!.path);
  assert.ok(big[0]!.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 2 })));
  const signed = await decodeAll(fixtures.find((f) => f.name === 'ct-implicit-le-signed')!.path);
  assert.ok(signed[0]!.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 16, seed: 1, signed: true })));
  const deflated = await decodeAll(fixtures.find((f) => f.name === 'cr-deflated')!.path);
  assert.ok(deflated[0]!.equals(grayscale16({ rows: 320, columns: 256, bitsStored: 12, seed: 3 })));
});

test('lossy fixtures decode (baseline, YBR, near-lossless, JPEG 2000 9/7); 12-bit extended is unsupported', async () => {
  for (const name of ['sc-jpeg-baseline', 'us-ybr-jpeg-baseline', 'cr-jpegls-near-lossless', 'ct-jpeg2000-lossy']) {
    const frames = await decodeAll(fixtures.find((f) => f.name === name)!.path);
    assert.equal(frames.length, 1, name);
  }
  const stored = await open(fixtures.find((f) => f.name === 'mr-jpeg-extended')!.path);
  const r = await decodeStoredFrame(pool, stored, 1);
  assert.ok(!r.ok && r.error.code === 'DECODE_UNSUPPORTED');
});

test('rendered and thumbnail of real fixtures: 16-bit CT, YBR JPEG, multi-frame RLE colour', async () => {
  const { renderStoredFrame, renderStoredThumbnail } = await import('./rendered.js');
  const { parseRenderParameters } = await import('./render-parameters.js');
  const png = parseRenderParameters({ accept: 'image/png', viewport: '100,100' });
  assert.ok(png.ok);
  for (const [name, frame, channelsPerPixel] of [['ct-explicit-le', 1, 1], ['us-ybr-jpeg-baseline', 1, 3], ['us-multiframe-rgb-rle', 3, 3], ['ct-htj2k-lossless', 1, 1]] as const) {
    const stored = await open(fixtures.find((f) => f.name === name)!.path);
    const r = await renderStoredFrame(pool, stored, frame, png.value);
    assert.ok(r.ok, `${name}: ${r.ok ? '' : r.error.code}`);
    assert.equal(r.value.contentType, 'image/png');
    assert.ok(r.value.width <= 100 && r.value.height <= 100 && Math.max(r.value.width, r.value.height) === 100);
    assert.equal(r.value.bytes[25], channelsPerPixel === 1 ? 0 : 2, 'PNG colour type');
    const jpeg = parseRenderParameters({});
    assert.ok(jpeg.ok);
    const thumb = await renderStoredThumbnail(pool, stored, frame, jpeg.value);
    assert.ok(thumb.ok && thumb.value.bytes[0] === 0xff && thumb.value.bytes[1] === 0xd8 && thumb.value.width <= 128);
  }
  const stored = await open(fixtures.find((f) => f.name === 'us-multiframe-rgb-rle')!.path);
  const absurd = await renderStoredFrame(pool, stored, 99, png.value);
  assert.ok(!absurd.ok && absurd.error.code === 'FRAME_NOT_FOUND');
});
