import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFileMetaHeader } from '../dicom/part10/index.js';
import { dciodvfyErrors, findTool, makeFixtureSet, MissingToolError, newUid, runTool, TS, type FixtureFile } from '../testing/fixtures/index.js';
import { scImage } from '../testing/fixtures/iods.js';
import { at, fd, fl, sq, ss, text, ul, us } from '../testing/fixtures/elements.js';
import { encodePart10 } from '../testing/fixtures/part10-writer.js';
import { grayscale16 } from '../testing/fixtures/pixels.js';
import { bufferByteSource } from './byte-source.js';
import { findElement } from './dataset-tree.js';
import { DecodePool } from './decode-pool.js';
import { openStoredSource } from './stored-object.js';
import { memoryStore } from './test-support.js';
import { transcodeStoredObject, transcodeToExplicitLittleEndian } from './transcode.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
/** Lossless fixtures and how DCMTK decodes each (null: compare with the generator's pixels). */
const LOSSLESS: Record<string, { tool: string; samplesPerFrame?: number } | { seed: number; rows: number; columns: number }> = {
  'ct-jpeg-lossless-sv1': { tool: 'dcmdjpeg' },
  'mg-jpegls-lossless': { tool: 'dcmdjpls' },
  'us-multiframe-rgb-rle': { tool: 'dcmdrle', samplesPerFrame: 120 * 160 },
  'mr-jpeg2000-lossless': { seed: 8, rows: 256, columns: 256 },
  'ct-htj2k-lossless': { seed: 9, rows: 256, columns: 256 },
  'cr-deflated': { seed: 3, rows: 320, columns: 256 },
};
const LOSSY = ['sc-jpeg-baseline', 'us-ybr-jpeg-baseline', 'mr-jpeg-extended', 'cr-jpegls-near-lossless', 'ct-jpeg2000-lossy'];

let dir = '';
let fixtures: FixtureFile[] = [];
let missingTool: string | null = null;
const store = memoryStore();
const pool = new DecodePool({ workers: 2, timeLimitMs: 30_000 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kakutei-transcode-'));
  try {
    fixtures = await makeFixtureSet(join(dir, 'set'));
  } catch (error) {
    if (!(error instanceof MissingToolError)) throw error;
    missingTool = error.tool;
  }
});
after(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

/** Under CI a missing DCMTK/dicom3tools tool fails; elsewhere the test is skipped, saying why. */
async function toolsPresent(t: { skip(message: string): void }, also: readonly string[] = []): Promise<boolean> {
  let missing = missingTool;
  for (const tool of also) if (missing === null && (await findTool(tool)) === null) missing = tool;
  if (missing === null) return true;
  if (process.env['CI'] === 'true') throw new Error(`missing tool: ${missing}`);
  t.skip(`missing tool: ${missing}`);
  return false;
}

function fixture(name: string): FixtureFile {
  const found = fixtures.find((f) => f.name === name);
  assert.ok(found, name);
  return found;
}

/** The transcoded dataset of a fixture, written as a Part 10 file for DCMTK and dicom3tools. */
async function transcodeToFile(file: FixtureFile, target = EXPLICIT_LE): Promise<{ path: string; bytes: Buffer; dataset: Buffer }> {
  const r = await transcodeStoredObject(store, pool, await store.addFile(file.path), target);
  assert.ok(r.ok, `${file.name}: ${r.ok ? '' : `${r.error.code} ${r.error.detail ?? ''}`}`);
  const chunks: Buffer[] = [];
  for await (const chunk of r.value) chunks.push(Buffer.from(chunk));
  const meta = buildFileMetaHeader({
    mediaStorageSopClassUid: file.sopClassUid,
    mediaStorageSopInstanceUid: file.sopInstanceUid,
    transferSyntaxUid: target,
    implementationClassUid: '2.25.1',
    implementationVersionName: 'KAKUTEI_TEST',
  });
  const dataset = Buffer.concat(chunks);
  const bytes = Buffer.concat([meta, dataset]);
  const path = join(dir, `${file.name}.transcoded-${target}.dcm`);
  await writeFile(path, bytes);
  return { path, bytes, dataset };
}

/** Native Pixel Data, Photometric Interpretation and Planar Configuration of a Part 10 file. */
async function nativePixels(bytes: Buffer): Promise<{ pixels: Buffer; photometric: string; planar: number; transferSyntaxUid: string }> {
  const opened = await openStoredSource(bufferByteSource(bytes));
  assert.ok(opened.ok, opened.ok ? '' : opened.error.code);
  const { tree, source, meta } = opened.value;
  const pixel = findElement(tree, 0x7fe00010);
  assert.ok(pixel !== undefined && pixel.encapsulated === null && pixel.length !== null);
  const value = Buffer.from(await source.read(pixel.valueOffset, pixel.valueOffset + pixel.length));
  const text = (tag: number) => Buffer.from(findElement(tree, tag)?.value ?? new Uint8Array()).toString('latin1').trim();
  const planarValue = findElement(tree, 0x00280006)?.value;
  return { pixels: value, photometric: text(0x00280004), planar: planarValue ? Buffer.from(planarValue).readUInt16LE(0) : 0, transferSyntaxUid: meta.transferSyntaxUid };
}

/** Colour-by-plane to colour-by-pixel (PS3.3 C.7.6.3.1.3), frame by frame. */
function interleave(planes: Buffer, frameSamples: number): Buffer {
  const out = Buffer.alloc(planes.length);
  const frameBytes = frameSamples * 3;
  for (let frame = 0; frame + frameBytes <= planes.length; frame += frameBytes) {
    for (let i = 0; i < frameSamples; i++) for (let c = 0; c < 3; c++) out[frame + 3 * i + c] = planes[frame + c * frameSamples + i]!;
  }
  return out;
}

test('lossless fixtures transcode to explicit VR LE with the pixels DCMTK decodes; dcmdump parses every one', async (t) => {
  if (!(await toolsPresent(t, ['dcmdump', 'dcmdjpeg', 'dcmdjpls', 'dcmdrle']))) return;
  for (const [name, reference] of Object.entries(LOSSLESS)) {
    const file = fixture(name);
    const ours = await transcodeToFile(file);
    const dump = await runTool('dcmdump', ['-E', ours.path]);
    assert.equal(dump.exitCode, 0, `${name}: ${dump.stderr}`);
    assert.doesNotMatch(dump.stderr, /^E:/m, name);
    const mine = await nativePixels(ours.bytes);
    if ('tool' in reference) {
      const decoded = join(dir, `${name}.dcmtk.dcm`);
      const run = await runTool(reference.tool, [file.path, decoded]);
      assert.equal(run.exitCode, 0, run.stderr);
      const theirs = await nativePixels(await readFile(decoded));
      assert.equal(mine.photometric, theirs.photometric, name);
      // DCMTK may choose colour-by-plane for the output (dcmdrle +pa); compare the same layout.
      const theirPixels = theirs.planar === mine.planar ? theirs.pixels : interleave(theirs.pixels, reference.samplesPerFrame ?? 0);
      assert.equal(mine.planar, 0, `${name}: decoded colour-by-pixel`);
      assert.ok(mine.pixels.equals(theirPixels), `${name}: pixel data differs from ${reference.tool}`);
    } else {
      const expected = grayscale16({ rows: reference.rows, columns: reference.columns, bitsStored: 12, seed: reference.seed });
      assert.ok(mine.pixels.equals(expected), `${name}: pixel data differs from the generator's`);
    }
  }
});

test('a transcoded CT passes dciodvfy without errors', async (t) => {
  if (!(await toolsPresent(t, ['dciodvfy']))) return;
  for (const name of ['ct-htj2k-lossless', 'ct-jpeg-lossless-sv1']) {
    const ours = await transcodeToFile(fixture(name));
    assert.deepEqual(await dciodvfyErrors(ours.path), [], name);
  }
});

test('lossy fixtures are refused, never decoded, for either target', async (t) => {
  if (!(await toolsPresent(t))) return;
  for (const name of LOSSY) {
    for (const target of [EXPLICIT_LE, IMPLICIT_LE]) {
      const r = await transcodeStoredObject(store, pool, await store.addFile(fixture(name).path), target);
      assert.ok(!r.ok && r.error.code === 'TRANSFER_SYNTAX_NOT_SUPPORTED', name);
    }
  }
  const other = await transcodeStoredObject(store, pool, await store.addFile(fixture('ct-explicit-le').path), TS.jpegLosslessSv1);
  assert.ok(!other.ok && other.error.code === 'TRANSFER_SYNTAX_NOT_SUPPORTED');
});

/** The dataset DCMTK's dcmconv writes (-F: no preamble or meta) with undefined lengths (-e) and no group lengths (-g). */
async function dcmconvDataset(path: string, option: '+ti' | '+te', name: string): Promise<Buffer> {
  const out = join(dir, `${name}.dcmconv${option}.dcm`);
  const run = await runTool('dcmconv', [option, '-e', '-g', '-F', path, out]);
  assert.equal(run.exitCode, 0, run.stderr);
  return readFile(out);
}

async function datasetIn(path: string, target: string): Promise<Buffer> {
  const r = await transcodeStoredObject(store, pool, await store.addFile(path), target);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.detail ?? ''}`);
  const chunks: Buffer[] = [];
  for await (const chunk of r.value) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

test('explicit and implicit VR little endian convert to each other byte for byte as dcmconv -e -g does', async (t) => {
  if (!(await toolsPresent(t, ['dcmconv']))) return;
  // A hand-built dataset with what the dictionary alone cannot tell: a private creator and a private
  // sequence, signed "US or SS" values, an overlay group, a group length and nested sequences.
  const hard = join(dir, 'vr-hard.dcm');
  await writeFile(hard, encodePart10([
    ul(0x00080000, 0),
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    text(0x00080018, 'UI', newUid()),
    sq(0x00081115, [text(0x0020000e, 'UI', newUid()), sq(0x00081140, [text(0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2'), text(0x00081155, 'UI', newUid())])]),
    text(0x00090010, 'LO', 'KAKUTEI TEST'),
    text(0x00091001, 'LO', 'private value'),
    sq(0x00091002, [text(0x00100010, 'PN', 'Nested^Name'), us(0x00280010, 4)], []),
    text(0x00100010, 'PN', 'Yamada^Taro'),
    us(0x00280002, 1), text(0x00280004, 'CS', 'MONOCHROME2'), us(0x00280010, 4), us(0x00280011, 4),
    us(0x00280100, 16), us(0x00280101, 12), us(0x00280102, 11), us(0x00280103, 1),
    ss(0x00280106, -100), ss(0x00280107, 200), ss(0x00280120, -2000),
    us(0x60000010, 4), us(0x60000011, 4), text(0x60000040, 'CS', 'G'), ss(0x60000050, 1, 1), us(0x60000100, 1), us(0x60000102, 0),
    { tag: 0x60003000, vr: 'OW' as const, value: Buffer.from([0x0f, 0x00]) },
    { tag: 0x7fe00010, vr: 'OW' as const, value: grayscale16({ rows: 4, columns: 4, bitsStored: 12, seed: 2 }) },
  ], EXPLICIT_LE));
  const sources = [...fixtures.filter((f) => f.transferSyntaxUid === EXPLICIT_LE || f.transferSyntaxUid === IMPLICIT_LE).map((f) => ({ name: f.name, path: f.path, syntax: f.transferSyntaxUid })), { name: 'vr-hard', path: hard, syntax: EXPLICIT_LE }];
  assert.ok(sources.some((s) => s.syntax === IMPLICIT_LE) && sources.length > 5);
  for (const source of sources) {
    const toImplicit = source.syntax === EXPLICIT_LE;
    const ours = await datasetIn(source.path, toImplicit ? IMPLICIT_LE : EXPLICIT_LE);
    assert.ok(ours.equals(await dcmconvDataset(source.path, toImplicit ? '+ti' : '+te', source.name)), `${source.name}: equals dcmconv`);
  }
  // And back: the implicit form of the hard dataset, as DCMTK wrote it, to explicit VR.
  const implicitHard = join(dir, 'vr-hard-implicit.dcm');
  assert.equal((await runTool('dcmconv', ['+ti', hard, implicitHard])).exitCode, 0);
  assert.ok((await datasetIn(implicitHard, EXPLICIT_LE)).equals(await dcmconvDataset(implicitHard, '+te', 'vr-hard-implicit')));
});

test('every lossless fixture reaches implicit VR LE as dcmconv makes it of our explicit form; a CT passes dciodvfy', async (t) => {
  if (!(await toolsPresent(t, ['dcmconv', 'dciodvfy']))) return;
  for (const name of [...Object.keys(LOSSLESS), 'mr-explicit-be']) {
    const file = fixture(name);
    const explicit = await transcodeToFile(file);
    const implicit = await transcodeToFile(file, IMPLICIT_LE);
    assert.ok(implicit.dataset.equals(await dcmconvDataset(explicit.path, '+ti', name)), `${name}: implicit form`);
    assert.ok((await nativePixels(implicit.bytes)).pixels.equals((await nativePixels(explicit.bytes)).pixels), `${name}: same pixels`);
  }
  const ct = await transcodeToFile(fixture('ct-htj2k-lossless'), IMPLICIT_LE);
  assert.deepEqual(await dciodvfyErrors(ct.path), []);
});

test('explicit VR big endian: byte-identical to the dataset of DCMTK dcmconv +te, and dcmdump parses it', async (t) => {
  if (!(await toolsPresent(t, ['dcmconv', 'dcmdump']))) return;
  const file = fixture('mr-explicit-be');
  const ours = await transcodeToFile(file);
  // -F: DCMTK writes the dataset alone (no preamble, no meta), which is what we produce. Its
  // default +e (explicit sequence lengths) and +g= (recalculated group lengths) change nothing
  // here: dcmconv +tb made the fixture with explicit lengths, and a swap keeps every length.
  const theirs = join(dir, 'mr-explicit-be.dcmconv.dcm');
  const run = await runTool('dcmconv', ['+te', '-F', file.path, theirs]);
  assert.equal(run.exitCode, 0, run.stderr);
  const theirBytes = await readFile(theirs);
  const dataset = ours.bytes.subarray(ours.bytes.length - theirBytes.length);
  assert.ok(theirBytes.equals(dataset), 'the dataset equals dcmconv +te -F byte for byte');
  // What precedes it is exactly our meta group: the whole dataset was compared, not a tail.
  assert.equal(ours.bytes.length - dataset.length, buildFileMetaHeader({ mediaStorageSopClassUid: file.sopClassUid, mediaStorageSopInstanceUid: file.sopInstanceUid, transferSyntaxUid: EXPLICIT_LE, implementationClassUid: '2.25.1', implementationVersionName: 'KAKUTEI_TEST' }).length);
  const dump = await runTool('dcmdump', ['-E', ours.path]);
  assert.equal(dump.exitCode, 0, dump.stderr);
  assert.doesNotMatch(dump.stderr, /^E:/m);
});

test('explicit VR big endian with nested sequences, AT, FD, FL, SS and multi-valued US: byte-identical to dcmconv +te', async (t) => {
  if (!(await toolsPresent(t, ['dcmconv']))) return;
  const words = Buffer.alloc(2 * 2 * 3);
  for (let i = 0; i < 6; i++) words.writeUInt16LE(0x0102 * (i + 1), 2 * i);
  const dataset = [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    text(0x00080018, 'UI', newUid()),
    sq(0x00209222, [us(0x00181310, 1, 2, 0xfffe, 4), at(0x00209165, 0x00100010, 0x7fe00010), sq(0x0040a730, [fd(0x0040a30a, Math.PI, -1e300), fl(0x00189010, 1.5)], [])]),
    us(0x00280002, 1),
    text(0x00280004, 'CS', 'MONOCHROME2'),
    us(0x00280010, 2),
    us(0x00280011, 3),
    us(0x00280100, 16),
    us(0x00280101, 16),
    us(0x00280102, 15),
    us(0x00280103, 1),
    ss(0x00281040, -5),
    ul(0x7fe00000, 12 + words.length),
    { tag: 0x7fe00010, vr: 'OW' as const, value: words },
  ];
  const little = join(dir, 'hand-built-le.dcm');
  const big = join(dir, 'hand-built-be.dcm');
  const theirs = join(dir, 'hand-built-dcmconv-le.dcm');
  await writeFile(little, encodePart10(dataset, EXPLICIT_LE));
  assert.equal((await runTool('dcmconv', ['+tb', little, big])).exitCode, 0);
  assert.equal((await runTool('dcmconv', ['+te', '-F', big, theirs])).exitCode, 0);
  const r = await transcodeToExplicitLittleEndian(store, pool, await store.addFile(big));
  assert.ok(r.ok, r.ok ? '' : r.error.code);
  const chunks: Buffer[] = [];
  for await (const chunk of r.value) chunks.push(Buffer.from(chunk));
  assert.ok(Buffer.concat(chunks).equals(await readFile(theirs)));
});

test('8-bit codestreams in 16-bit Bits Allocated are widened as DCMTK does (sign-extended when signed)', async (t) => {
  if (!(await toolsPresent(t, ['dcmcjpls', 'dcmdjpls', 'dcmcjpeg', 'dcmdjpeg']))) return;
  for (const signed of [false, true]) {
    const id = { sopInstanceUid: newUid(), seriesInstanceUid: newUid(), studyInstanceUid: newUid(), patientName: 'WIDEN^TEST', patientId: 'KKT-WIDEN' };
    const original = grayscale16({ rows: 64, columns: 64, bitsStored: 8, signed, seed: 5 });
    const base = join(dir, `widen-${signed}.dcm`);
    await writeFile(base, encodePart10(scImage(id, { rows: 64, columns: 64, bitsAllocated: 16, bitsStored: 8, signed, photometric: 'MONOCHROME2', pixels: original }), EXPLICIT_LE));
    for (const [encode, args, decode, uid] of [['dcmcjpls', ['+el'], 'dcmdjpls', TS.jpegLsLossless], ['dcmcjpeg', ['+e1'], 'dcmdjpeg', TS.jpegLosslessSv1]] as const) {
      const compressed = join(dir, `widen-${signed}-${encode}.dcm`);
      assert.equal((await runTool(encode, [...args, base, compressed])).exitCode, 0);
      const file: FixtureFile = { path: compressed, name: `widen-${signed}-${encode}`, modality: 'OT', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: id.sopInstanceUid, studyInstanceUid: id.studyInstanceUid, transferSyntaxUid: uid, lossy: false };
      const mine = await nativePixels((await transcodeToFile(file)).bytes);
      const decoded = join(dir, `widen-${signed}-${decode}.dcm`);
      assert.equal((await runTool(decode, [compressed, decoded])).exitCode, 0);
      assert.ok(mine.pixels.equals((await nativePixels(await readFile(decoded))).pixels), `${file.name} equals ${decode}`);
      assert.ok(mine.pixels.equals(original), `${file.name} equals the original`);
    }
  }
});
