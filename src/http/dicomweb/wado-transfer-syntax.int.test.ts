/**
 * Which transfer syntax WADO-RS answers in (PS3.18 8.7.3, 8.7.8.2), over real compressed objects
 * made by DCMTK: Explicit VR Little Endian by default — instances converted, frames decoded — unless
 * the object is held only in lossy form; the stored bytes for `transfer-syntax=*`. SQLite only: the
 * index plays no part in the choice (the other DICOMweb suites run on both dialects).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { readFileMeta } from '../../dicom/part10/index.js';
import { createTestDatabase } from '../../index/testing/test-databases.js';
import { makeFixtureSet, MissingToolError, type FixtureFile } from '../../testing/fixtures/index.js';
import { grayscale16, rgb8 } from '../../testing/fixtures/pixels.js';
import { createHttpHarness, type HttpHarness } from '../testing/http-harness.js';
import { dicomParts, multipartBody, splitMultipart } from '../testing/dicomweb-fixtures.js';

const EXPLICIT = '1.2.840.10008.1.2.1';
const STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const FRAMES_STORED = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const NAMES = ['ct-jpeg-lossless-sv1', 'sc-jpeg-baseline', 'us-multiframe-rgb-rle', 'mr-explicit-be'] as const;
type Name = (typeof NAMES)[number];

describe('WADO-RS transfer syntaxes over DCMTK-made objects', () => {
  let dir = '';
  let h: HttpHarness;
  let token = '';
  let missingTool: string | null = null;
  const fixtures = new Map<Name, FixtureFile & { bytes: Buffer }>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-wado-ts-'));
    h = await createHttpHarness(await createTestDatabase('sqlite'));
    await h.addUser('wado-ts', ['technologist']);
    token = (await h.login('wado-ts')).token;
    let set: FixtureFile[];
    try {
      set = await makeFixtureSet(join(dir, 'set'));
    } catch (error) {
      if (!(error instanceof MissingToolError)) throw error;
      missingTool = error.tool;
      return;
    }
    for (const name of NAMES) {
      const fixture = set.find((f) => f.name === name)!;
      fixtures.set(name, { ...fixture, bytes: await readFile(fixture.path) });
    }
    const { body, contentType } = multipartBody(dicomParts(...[...fixtures.values()].map((f) => f.bytes)));
    const stored = await h.app.inject({ method: 'POST', url: '/dicomweb/studies', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body });
    assert.equal(stored.statusCode, 200, stored.body);
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Under CI a missing DCMTK tool fails; elsewhere the test is skipped, saying why. */
  const present = (t: TestContext): boolean => {
    if (missingTool === null) return true;
    if (process.env['CI'] === 'true') throw new Error(`missing tool: ${missingTool}`);
    t.skip(`missing tool: ${missingTool}`);
    return false;
  };
  const instanceUrl = (f: FixtureFile) => `/dicomweb/studies/${f.studyInstanceUid}/series/${seriesOf(f)}/instances/${f.sopInstanceUid}`;
  const seriesUids = new Map<string, string>();
  const seriesOf = (f: FixtureFile) => seriesUids.get(f.sopInstanceUid)!;
  const get = async (url: string, accept?: string) => {
    const response = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...(accept === undefined ? {} : { accept }) } });
    return { response, parts: response.statusCode === 200 ? splitMultipart(response.rawPayload, String(response.headers['content-type'])) : [] };
  };
  const fixture = async (name: Name) => {
    const f = fixtures.get(name)!;
    if (!seriesUids.has(f.sopInstanceUid)) {
      const found = await h.app.inject({ method: 'GET', url: `/dicomweb/instances?SOPInstanceUID=${f.sopInstanceUid}&includefield=0020000E`, headers: { authorization: `Bearer ${token}` } });
      const rows = found.json<Record<string, { Value: string[] }>[]>();
      seriesUids.set(f.sopInstanceUid, rows[0]!['0020000E']!.Value[0]!);
    }
    return f;
  };
  const labelOf = (headers: string) => /Content-Type: [^;\r\n]+; transfer-syntax=([0-9.]+)/i.exec(headers)?.[1];

  it('instances: lossless ones converted to Explicit VR Little Endian by default, lossy ones as stored', async (t) => {
    if (!present(t)) return;
    for (const name of ['ct-jpeg-lossless-sv1', 'us-multiframe-rgb-rle', 'mr-explicit-be'] as const) {
      const f = await fixture(name);
      const { response, parts } = await get(instanceUrl(f));
      assert.equal(response.statusCode, 200, `${name}: ${response.body}`);
      assert.equal(labelOf(parts[0]!.headers), EXPLICIT, name);
      const meta = readFileMeta(parts[0]!.body);
      assert.ok(meta.ok && meta.value.transferSyntaxUid === EXPLICIT, name);
      if (name === 'ct-jpeg-lossless-sv1') {
        // Pixel Data is the dataset's last element: the original samples, uncompressed.
        const pixels = grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 4 });
        assert.ok(parts[0]!.body.subarray(-pixels.length).equals(pixels), 'the decoded pixels');
      }
    }
    const lossy = await fixture('sc-jpeg-baseline');
    const { parts } = await get(instanceUrl(lossy));
    assert.equal(labelOf(parts[0]!.headers), lossy.transferSyntaxUid);
    const storedMeta = readFileMeta(lossy.bytes);
    assert.ok(storedMeta.ok);
    assert.ok(parts[0]!.body.subarray(-(lossy.bytes.length - storedMeta.value.datasetOffset)).equals(lossy.bytes.subarray(storedMeta.value.datasetOffset)), 'the lossy dataset as received');
  });

  it('instances: transfer-syntax=* gives each dataset as received, in its own syntax', async (t) => {
    if (!present(t)) return;
    for (const name of NAMES) {
      const f = await fixture(name);
      const { parts } = await get(instanceUrl(f), STORED);
      assert.equal(labelOf(parts[0]!.headers), f.transferSyntaxUid, name);
      const meta = readFileMeta(f.bytes);
      assert.ok(meta.ok);
      assert.ok(parts[0]!.body.subarray(-(f.bytes.length - meta.value.datasetOffset)).equals(f.bytes.subarray(meta.value.datasetOffset)), name);
    }
  });

  it('frames: decoded by default (the pixels that were compressed), as stored for transfer-syntax=*', async (t) => {
    if (!present(t)) return;
    const ct = await fixture('ct-jpeg-lossless-sv1');
    const decoded = await get(`${instanceUrl(ct)}/frames/1`);
    assert.equal(decoded.response.statusCode, 200, decoded.response.body);
    assert.equal(labelOf(decoded.parts[0]!.headers), EXPLICIT);
    assert.ok(decoded.parts[0]!.body.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 4 })), 'the original pixels');
    const named = await get(`${instanceUrl(ct)}/frames/1`, `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT}`);
    assert.ok(named.parts[0]!.body.equals(decoded.parts[0]!.body));
    const stored = await get(`${instanceUrl(ct)}/frames/1`, FRAMES_STORED);
    assert.equal(labelOf(stored.parts[0]!.headers), ct.transferSyntaxUid);
    assert.deepEqual([...stored.parts[0]!.body.subarray(0, 2)], [0xff, 0xd8], 'a JPEG codestream');

    // Big endian (retired, and not for web services): swapped to little endian by default.
    const big = await fixture('mr-explicit-be');
    const swapped = await get(`${instanceUrl(big)}/frames/1`);
    assert.equal(labelOf(swapped.parts[0]!.headers), EXPLICIT);
    assert.ok(swapped.parts[0]!.body.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 2 })), 'little endian samples');
    const asStored = await get(`${instanceUrl(big)}/frames/1`, FRAMES_STORED);
    assert.equal(labelOf(asStored.parts[0]!.headers), big.transferSyntaxUid);
    const bulk = await get(`${instanceUrl(big)}/bulkdata/7FE00010`);
    assert.equal(labelOf(bulk.parts[0]!.headers), EXPLICIT, 'its Pixel Data bulk data as well');
    assert.ok(bulk.parts[0]!.body.equals(swapped.parts[0]!.body));

    const rle = await fixture('us-multiframe-rgb-rle');
    const frames = await get(`${instanceUrl(rle)}/frames/3,1`);
    assert.equal(frames.response.statusCode, 200, frames.response.body);
    assert.equal(frames.parts.length, 2);
    for (const part of frames.parts) {
      assert.equal(labelOf(part.headers), EXPLICIT);
      assert.equal(part.body.length, 120 * 160 * 3);
    }
    assert.ok(frames.parts[0]!.body.equals(rgb8(120, 160, 2)) && frames.parts[1]!.body.equals(rgb8(120, 160, 0)), 'frame 3 then frame 1, as generated');
  });

  it('bulk data of encapsulated Pixel Data (its BulkDataURI in the metadata): every frame, as the frames resource sends them', async (t) => {
    if (!present(t)) return;
    const ct = await fixture('ct-jpeg-lossless-sv1');
    const metadata = await h.app.inject({ method: 'GET', url: `${instanceUrl(ct)}/metadata`, headers: { authorization: `Bearer ${token}` } });
    const uri = metadata.json<Record<string, { BulkDataURI?: string }>[]>()[0]!['7FE00010']!.BulkDataURI!;
    const path = uri.startsWith('/') ? uri : new URL(uri).pathname;
    const decoded = await get(path);
    assert.equal(decoded.response.statusCode, 200, decoded.response.body);
    assert.equal(decoded.parts.length, 1);
    assert.equal(labelOf(decoded.parts[0]!.headers), EXPLICIT);
    assert.ok(decoded.parts[0]!.body.equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 4 })));
    const stored = await get(path, FRAMES_STORED);
    assert.equal(labelOf(stored.parts[0]!.headers), ct.transferSyntaxUid);
    assert.deepEqual([...stored.parts[0]!.body.subarray(0, 2)], [0xff, 0xd8]);
    const rle = await fixture('us-multiframe-rgb-rle');
    const frames = await get(`${instanceUrl(rle)}/bulkdata/7FE00010`);
    const expected = await get(`${instanceUrl(rle)}/frames/1,2,3,4`);
    assert.equal(frames.parts.length, 4);
    frames.parts.forEach((part, i) => assert.ok(part.body.equals(expected.parts[i]!.body), `frame ${i + 1}`));
  });

  it('frames: a lossy object\'s come as stored by default, and a request for them decoded is not acceptable', async (t) => {
    if (!present(t)) return;
    const lossy = await fixture('sc-jpeg-baseline');
    const { response, parts } = await get(`${instanceUrl(lossy)}/frames/1`);
    assert.equal(response.statusCode, 200);
    assert.equal(labelOf(parts[0]!.headers), lossy.transferSyntaxUid);
    const refused = await get(`${instanceUrl(lossy)}/frames/1`, `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT}`);
    assert.equal(refused.response.statusCode, 406);
  });
});
