/**
 * Issue 4 item 3, end to end: a C-MOVE to a storescp that accepts only uncompressed transfer
 * syntaxes (its default, `+x=`). What is stored losslessly compressed arrives decoded to Explicit VR
 * Little Endian with the right pixels (HTJ2K included: DCMTK 3.6.7 knows no HTJ2K at all), what is
 * stored uncompressed arrives unchanged, and lossy objects are never decoded: their sub-operations fail.
 * And to a storescp that accepts Implicit VR Little Endian alone (+xi), as the oldest peers do:
 * everything lossless arrives in implicit VR, as DCMTK's own dcmconv would write it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileMeta } from '../dicom/part10/index.js';
import { bufferByteSource, findElement, openStoredSource } from '../imaging/index.js';
import { run } from '../testing/dcmtk.js';
import { grayscale16 } from '../testing/fixtures/pixels.js';
import { startRetrieveRig, type RetrieveRig } from '../testing/retrieve-rig.js';
import { hasTool, requireTools } from '../testing/tools.js';

const TOOLS = ['movescu', 'storescp', 'storescu', 'echoscu', 'dcmconv', 'dcmcjpeg', 'dcmcjpls', 'dcmcrle', 'dcmdjpeg', 'dcmdjpls', 'dcmdrle'];
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
/** Stored losslessly compressed (or deflated): how to get the reference pixels. */
const TRANSCODED: Record<string, { readonly tool: string } | { readonly seed: number; readonly rows: number; readonly columns: number }> = {
  'ct-htj2k-lossless': { seed: 9, rows: 256, columns: 256 },
  'mr-jpeg2000-lossless': { seed: 8, rows: 256, columns: 256 },
  'cr-deflated': { seed: 3, rows: 320, columns: 256 },
  'ct-jpeg-lossless-sv1': { tool: 'dcmdjpeg' },
  'mg-jpegls-lossless': { tool: 'dcmdjpls' },
  'us-multiframe-rgb-rle': { tool: 'dcmdrle' },
};
const AS_STORED = ['ct-explicit-le', 'ct-implicit-le-signed', 'mr-explicit-be', 'sc-multiframe-word-explicit-le'];
const LOSSY = ['sc-jpeg-baseline', 'us-ybr-jpeg-baseline', 'mr-jpeg-extended', 'cr-jpegls-near-lossless', 'ct-jpeg2000-lossy'];

function datasetOf(bytes: Buffer): { sopInstanceUid: string; transferSyntaxUid: string; dataset: Buffer } {
  const meta = readFileMeta(bytes);
  if (!meta.ok) throw new Error('not a Part 10 file');
  return { sopInstanceUid: meta.value.sopInstanceUid, transferSyntaxUid: meta.value.transferSyntaxUid, dataset: bytes.subarray(meta.value.datasetOffset) };
}

/** The native Pixel Data value of a Part 10 file. */
async function nativePixels(bytes: Buffer): Promise<Buffer> {
  const opened = await openStoredSource(bufferByteSource(bytes));
  assert.ok(opened.ok, opened.ok ? '' : opened.error.code);
  const pixel = findElement(opened.value.tree, 0x7fe00010);
  assert.ok(pixel !== undefined && pixel.encapsulated === null && pixel.length !== null, 'native Pixel Data');
  return Buffer.from(await opened.value.source.read(pixel.valueOffset, pixel.valueOffset + pixel.length));
}

describe('C-MOVE to a peer that accepts only uncompressed syntaxes', () => {
  let rig: RetrieveRig | null = null;

  before(async () => {
    if (!TOOLS.every(hasTool)) return;
    // storescp's default accepts the uncompressed syntaxes only; +xi, implicit VR little endian alone.
    rig = await startRetrieveRig({
      name: 'transcode',
      destinations: [{ aeTitle: 'STORESCP', accepts: 'uncompressed' }, { aeTitle: 'OLDPACS', accepts: 'implicit' }],
      send: (fixtures) => fixtures.filter((f) => f.studyInstanceUid === fixtures.find((g) => g.name === 'ct-explicit-le')!.studyInstanceUid),
    });
  });
  after(async () => {
    await rig?.close();
  });

  /** Moves the fixture study to `destination`; what arrived there, by SOP Instance UID. */
  async function moveStudyTo(destination: string): Promise<Map<string, ReturnType<typeof datasetOf> & { path: string }>> {
    const { server, destinations } = rig!;
    const study = rig!.fixture('ct-explicit-le').studyInstanceUid;
    const moved = await run('movescu', ['-v', '-aet', 'VIEWER', '-aec', 'KAKUTEI', '-aem', destination, '-S', '-k', '0008,0052=STUDY', '-k', `0020,000D=${study}`, '127.0.0.1', String(server.dicomPort)]);
    const output = moved.stdout + moved.stderr;
    // The lossy sub-operations fail: B000, sub-operations complete with one or more failures.
    assert.match(output, /SubOperationsCompleteOneOrMoreFailures|B000/i, output);
    const dir = destinations.get(destination)!.dir;
    return new Map(readdirSync(dir).map((name) => {
      const parsed = datasetOf(readFileSync(join(dir, name)));
      return [parsed.sopInstanceUid, { ...parsed, path: join(dir, name) }] as const;
    }));
  }

  it('sends lossless objects decoded to explicit VR LE with their pixels, uncompressed ones as stored, lossy ones never', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const received = await moveStudyTo('STORESCP');
    const byName = (name: string) => rig!.fixture(name);
    for (const [name, reference] of Object.entries(TRANSCODED)) {
      const arrived = received.get(byName(name).sopInstanceUid);
      assert.ok(arrived !== undefined, `${name} arrived`);
      assert.equal(arrived.transferSyntaxUid, EXPLICIT_LE, name);
      const pixels = await nativePixels(readFileSync(arrived.path));
      let expected: Buffer;
      if ('tool' in reference) {
        const decoded = join(rig!.work, `${name}.dcmtk.dcm`);
        assert.equal((await run(reference.tool, [byName(name).path, decoded])).code, 0);
        expected = await nativePixels(readFileSync(decoded));
      } else {
        expected = grayscale16({ rows: reference.rows, columns: reference.columns, bitsStored: 12, seed: reference.seed });
      }
      assert.ok(pixels.equals(expected), `${name}: the pixels that arrived are the original ones`);
    }
    for (const name of AS_STORED) {
      const arrived = received.get(byName(name).sopInstanceUid);
      assert.ok(arrived?.dataset.equals(datasetOf(readFileSync(byName(name).path)).dataset), `${name} arrived unchanged`);
    }
    for (const name of LOSSY) assert.ok(!received.has(byName(name).sopInstanceUid), `${name} was not decoded to be sent`);
    const refused = rig!.server.logs.filter((entry) => entry['event'] === 'transcode-refused').map((entry) => entry['sopInstanceUid']);
    for (const name of LOSSY) assert.ok(refused.includes(byName(name).sopInstanceUid), `${name}: refusal logged`);
  });

  it('sends everything lossless to a peer that accepts only implicit VR LE, as dcmconv +ti would write it', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const received = await moveStudyTo('OLDPACS');
    const byName = (name: string) => rig!.fixture(name);
    for (const name of [...Object.keys(TRANSCODED), ...AS_STORED]) {
      const arrived = received.get(byName(name).sopInstanceUid);
      assert.ok(arrived !== undefined, `${name} arrived`);
      assert.equal(arrived.transferSyntaxUid, IMPLICIT_LE, name);
    }
    // What was stored uncompressed arrives as DCMTK converts it (undefined lengths, no group lengths).
    for (const name of AS_STORED) {
      const converted = join(rig!.work, `${name}.dcmconv-ti.dcm`);
      assert.equal((await run('dcmconv', ['+ti', '-e', '-g', '-F', byName(name).path, converted])).code, 0);
      assert.ok(received.get(byName(name).sopInstanceUid)!.dataset.equals(readFileSync(converted)), `${name}: as dcmconv +ti writes it`);
    }
    const ct = received.get(byName('ct-htj2k-lossless').sopInstanceUid)!;
    assert.ok((await nativePixels(readFileSync(ct.path))).equals(grayscale16({ rows: 256, columns: 256, bitsStored: 12, seed: 9 })), 'HTJ2K decoded, in implicit VR');
    for (const name of LOSSY) assert.ok(!received.has(byName(name).sopInstanceUid), `${name} was not decoded to be sent`);
  });
});
