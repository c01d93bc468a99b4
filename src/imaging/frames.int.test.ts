import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureSet, runTool, type FixtureFile } from '../testing/fixtures/index.js';
import { openStoredObject, type StoredObject } from './stored-object.js';
import { frameStream, locateFrame, parseFrameList, readFrameBytes } from './frames.js';
import { memoryStore } from './test-support.js';

let dir = '';
let fixtures: FixtureFile[] = [];
const store = memoryStore();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kakutei-frames-'));
  fixtures = await makeFixtureSet(join(dir, 'set'));
  const mf = fixtures.find((f) => f.name === 'sc-multiframe-word-explicit-le')!;
  // Multi-frame JPEG lossless, several fragments per frame: with and without a Basic Offset Table.
  await runTool('dcmcjpeg', ['+e1', '+fs', '4', mf.path, join(dir, 'mf-fragmented-bot.dcm')]);
  await runTool('dcmcjpeg', ['+e1', '+fs', '4', '-ot', mf.path, join(dir, 'mf-fragmented-nobot.dcm')]);
  await runTool('dcmcjpeg', ['+e1', mf.path, join(dir, 'mf-one-per-frame.dcm')]);
});
after(async () => rm(dir, { recursive: true, force: true }));

async function open(path: string): Promise<StoredObject> {
  const key = await store.addFile(path);
  const opened = await openStoredObject(store, key);
  assert.ok(opened.ok, opened.ok ? '' : opened.error.code);
  return opened.value;
}

async function collect(stored: StoredObject, frame: number): Promise<Buffer> {
  const location = await locateFrame(stored, frame);
  assert.ok(location.ok, location.ok ? '' : location.error.code);
  const chunks: Buffer[] = [];
  for await (const c of frameStream(stored, location.value) as AsyncIterable<Buffer>) chunks.push(c);
  const streamed = Buffer.concat(chunks);
  const read = await readFrameBytes(stored, location.value);
  assert.ok(read.ok);
  assert.deepEqual(Buffer.from(read.value), streamed);
  return streamed;
}

/** DCMTK's view of the pixel data: `dcmdump +W` writes each value / fragment to `<file>.<n>.raw`. */
async function dcmtkRaw(path: string): Promise<Buffer[]> {
  const out = await mkdtemp(join(dir, 'raw-'));
  await runTool('dcmdump', ['+W', out, path]);
  const names = (await readdir(out)).filter((n) => n.endsWith('.raw'));
  const indexed = names.map((n) => ({ n, i: Number(/\.(\d+)\.raw$/.exec(n)?.[1] ?? -1) })).sort((a, b) => a.i - b.i);
  return Promise.all(indexed.map(({ n }) => readFile(join(out, n))));
}

test('native multi-frame frames are byte-equal to the pixel data DCMTK writes', async () => {
  const file = fixtures.find((f) => f.name === 'sc-multiframe-word-explicit-le')!;
  const stored = await open(file.path);
  const raws = await dcmtkRaw(file.path);
  const pixels = raws.find((r) => r.length === 8 * 128 * 128 * 2)!;
  for (let frame = 1; frame <= 8; frame++) {
    assert.deepEqual(await collect(stored, frame), pixels.subarray((frame - 1) * 32768, frame * 32768));
  }
});

test('encapsulated one-fragment-per-frame (RLE) frames equal DCMTK fragments', async () => {
  const file = fixtures.find((f) => f.name === 'us-multiframe-rgb-rle')!;
  const stored = await open(file.path);
  const raws = await dcmtkRaw(file.path);
  // raws[0] is the Basic Offset Table item.
  for (let frame = 1; frame <= 4; frame++) assert.deepEqual(await collect(stored, frame), raws[frame]);
});

test('several fragments per frame: Basic Offset Table and start-marker scan agree with one-per-frame', async () => {
  const reference = await open(join(dir, 'mf-one-per-frame.dcm'));
  const withTable = await open(join(dir, 'mf-fragmented-bot.dcm'));
  const withoutTable = await open(join(dir, 'mf-fragmented-nobot.dcm'));
  const fragments = withTable.tree.elements.find((e) => e.tag === 0x7fe00010)!.encapsulated!;
  assert.ok(fragments.fragments.length > 8, 'the fixture has several fragments per frame');
  assert.equal(fragments.basicOffsetTable.length, 8);
  for (let frame = 1; frame <= 8; frame++) {
    const expected = await collect(reference, frame);
    // A JPEG frame split into 4 KB fragments may end with a pad byte in its last fragment.
    const trim = (b: Buffer) => (b[b.length - 1] === 0 ? b.subarray(0, b.length - 1) : b);
    assert.deepEqual(trim(await collect(withTable, frame)), trim(expected));
    assert.deepEqual(trim(await collect(withoutTable, frame)), trim(expected));
  }
});

test('single-frame encapsulated objects give their fragments; absurd frame numbers are FRAME_NOT_FOUND', async () => {
  for (const name of ['ct-jpeg-lossless-sv1', 'mr-jpeg2000-lossless', 'ct-htj2k-lossless', 'mg-jpegls-lossless']) {
    const file = fixtures.find((f) => f.name === name)!;
    const stored = await open(file.path);
    const raws = await dcmtkRaw(file.path);
    assert.deepEqual(await collect(stored, 1), Buffer.concat(raws.slice(1)), name);
    for (const bad of [0, 2, -1, 1.5, 2 ** 40, Number.NaN]) {
      const r = await locateFrame(stored, bad);
      assert.ok(!r.ok && r.error.code === 'FRAME_NOT_FOUND', `${name} frame ${bad}`);
    }
  }
});

test('frame lists are parsed strictly', () => {
  assert.deepEqual(parseFrameList('1,3,2', 3), { ok: true, value: [1, 3, 2] });
  for (const bad of ['0', '4', '1,,2', 'a', '99999999999', '1;2', '']) {
    const r = parseFrameList(bad, 3);
    assert.ok(!r.ok, bad);
    assert.ok(r.error.code === 'FRAME_NOT_FOUND' || r.error.code === 'INVALID_REQUEST');
  }
  assert.equal(parseFrameList('0', 3).ok ? '' : (parseFrameList('0', 3) as { error: { code: string } }).error.code, 'FRAME_NOT_FOUND');
});
