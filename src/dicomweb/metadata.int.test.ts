import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFixtureSet, makeLargeMultiframe, type FixtureFile } from '../testing/fixtures/index.js';
import { memoryStore } from '../imaging/test-support.js';
import { openStoredObject } from '../imaging/stored-object.js';
import type { ObjectKey } from '../storage/object-store.js';
import { bulkDataOf } from './bulk-data.js';
import type { TagPath } from './tag-path.js';
import { readInstanceMetadata, type DicomJsonElement, type DicomJsonObject } from './metadata.js';
import { formatTagPath, parseTagPath } from './tag-path.js';

let dir = '';
let fixtures: FixtureFile[] = [];
const store = memoryStore();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kakutei-metadata-'));
  fixtures = await makeFixtureSet(join(dir, 'set'));
});
after(async () => rm(dir, { recursive: true, force: true }));

async function openBulkData(key: ObjectKey, path: TagPath) {
  const opened = await openStoredObject(store, key);
  assert.ok(opened.ok);
  return bulkDataOf(opened.value, path);
}

const uri = (path: Parameters<typeof formatTagPath>[0]) => `/bulk/${formatTagPath(path)}`;

/** PS3.18 F.2 structure: keys are 8 hex digits, each element has a vr and at most one value form. */
function checkStructure(object: DicomJsonObject): void {
  for (const [key, element] of Object.entries(object)) {
    assert.match(key, /^[0-9A-F]{8}$/);
    assert.match(element.vr, /^[A-Z]{2}$/);
    const forms = ['Value', 'InlineBinary', 'BulkDataURI'].filter((f) => f in element);
    assert.ok(forms.length <= 1, key);
    if (element.vr === 'SQ' && element.Value !== undefined) for (const item of element.Value) checkStructure(item as DicomJsonObject);
    if (element.Value !== undefined) assert.ok(Array.isArray(element.Value) && element.Value.length > 0, key);
  }
}

async function metadataOf(name: string): Promise<DicomJsonObject> {
  const key = await store.addFile(fixtures.find((f) => f.name === name)!.path);
  const r = await readInstanceMetadata(store, key, { bulkDataUri: uri });
  assert.ok(r.ok, r.ok ? '' : r.error.code);
  return r.value;
}

test('every fixture gives well-formed DICOM JSON with its UIDs, numbers as numbers and Pixel Data as bulk data', async () => {
  for (const file of fixtures) {
    const json = await metadataOf(file.name);
    checkStructure(json);
    assert.deepEqual(json['00080018']?.Value, [file.sopInstanceUid], file.name);
    assert.deepEqual(json['0020000D']?.Value, [file.studyInstanceUid], file.name);
    if (file.modality !== 'SR') {
      assert.equal(json['7FE00010']?.BulkDataURI, '/bulk/7FE00010', file.name);
      assert.equal(typeof json['00280010']?.Value?.[0], 'number', file.name);
    }
  }
  const ct = await metadataOf('ct-explicit-le');
  assert.deepEqual(ct['00281053'], { vr: 'DS', Value: [1] });
  const signed = await metadataOf('ct-implicit-le-signed');
  assert.equal(signed['00280103']?.vr, 'US', 'implicit VR resolved from the dictionary');
  assert.deepEqual(signed['00280103']?.Value, [1]);
  const sr = await metadataOf('sr-basic-text');
  assert.equal(sr['0040A730']?.vr, 'SQ', 'the SR content sequence is present');
  checkStructure(sr);
});

test('Japanese person names decode into their component groups', async () => {
  for (const file of fixtures.filter((f) => f.expected !== undefined && !f.name.includes('undeclared'))) {
    const json = await metadataOf(file.name);
    const name = json['00100010']?.Value?.[0] as Record<string, string>;
    if (file.expected?.patientNameIdeographic !== undefined) assert.equal(name['Ideographic'], file.expected.patientNameIdeographic, file.name);
    if (file.expected?.patientNamePhonetic !== undefined) assert.equal(name['Phonetic'], file.expected.patientNamePhonetic, file.name);
    if (file.expected?.patientNameAlphabetic !== undefined) assert.equal(name['Alphabetic'], file.expected.patientNameAlphabetic, file.name);
  }
});

test('private tags, small binary values inline, bulk data streams by tag path', async () => {
  const { encodePart10 } = await import('../testing/fixtures/part10-writer.js');
  const { text, us, sq } = await import('../testing/fixtures/elements.js');
  const big = Buffer.alloc(5000, 7);
  const dataset = [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    text(0x00080018, 'UI', '1.2.3.4.5'),
    text(0x00090010, 'LO', 'KAKUTEI TEST'),
    { tag: 0x00091001, vr: 'OB' as const, value: Buffer.from([1, 2, 3, 4]) },
    { tag: 0x00091002, vr: 'OB' as const, value: big },
    sq(0x00540016, [text(0x00181072, 'TM', '101010'), { tag: 0x00091003, vr: 'UN' as const, value: Buffer.from('ab') }]),
    us(0x00280010, 1),
  ];
  const key = store.add(encodePart10(dataset, '1.2.840.10008.1.2.1'));
  const r = await readInstanceMetadata(store, key, { bulkDataUri: uri });
  assert.ok(r.ok);
  assert.deepEqual(r.value['00090010'], { vr: 'LO', Value: ['KAKUTEI TEST'] });
  assert.deepEqual(r.value['00091001'], { vr: 'OB', InlineBinary: Buffer.from([1, 2, 3, 4]).toString('base64') });
  assert.deepEqual(r.value['00091002'], { vr: 'OB', BulkDataURI: '/bulk/00091002' });
  const item = (r.value['00540016']!.Value as DicomJsonObject[])[0]!;
  assert.deepEqual(item['00181072'], { vr: 'TM', Value: ['101010'] });
  assert.equal((item['00091003'] as DicomJsonElement).InlineBinary, Buffer.from('ab').toString('base64'));
  const path = parseTagPath('00091002');
  assert.ok(path.ok);
  const bulk = await openBulkData(key, path.value);
  assert.ok(bulk.ok);
  const chunks: Buffer[] = [];
  for await (const c of bulk.value.stream() as AsyncIterable<Buffer>) chunks.push(c);
  assert.deepEqual(Buffer.concat(chunks), big);
  const nested = parseTagPath('00540016/0/00181072');
  assert.ok(nested.ok);
  assert.ok((await openBulkData(key, nested.value)).ok);
  for (const bad of ['00540016/1/00181072', '7FE00010', '00540016']) {
    const p = parseTagPath(bad);
    assert.ok(p.ok);
    assert.equal(((await openBulkData(key, p.value)) as { error: { code: string } }).error.code, 'NOT_FOUND', bad);
  }
  for (const bad of ['', '0054001', '00540016/x/00181072', '00540016/0', '../etc', '00540016/0/00181072/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010/0/00100010']) {
    assert.ok(!parseTagPath(bad).ok, bad);
  }
});

test('a large multi-frame object: metadata reads its header only', async () => {
  const path = await makeLargeMultiframe(join(dir, 'large'), 64 * 1024 * 1024);
  const key = await store.addFile(path);
  store.reads.calls = 0;
  store.reads.bytes = 0;
  const r = await readInstanceMetadata(store, key, { bulkDataUri: uri });
  assert.ok(r.ok);
  assert.equal(r.value['7FE00010']?.BulkDataURI, '/bulk/7FE00010');
  assert.ok(store.reads.bytes < 1024 * 1024, `read ${store.reads.bytes} bytes of a 64 MB object`);
});

test('truncated and lying objects are refused with a code', async () => {
  const file = await import('node:fs/promises').then((fs) => fs.readFile(fixtures.find((f) => f.name === 'ct-explicit-le')!.path));
  for (const [bytes, code] of [
    [file.subarray(0, 100), 'DATASET_TRUNCATED'],
    [file.subarray(0, file.length - 1000), 'DATASET_TRUNCATED'],
    [Buffer.concat([file.subarray(0, 132), Buffer.from('garbage garbage garbage')]), 'DATASET_UNPARSEABLE'],
  ] as const) {
    const r = await readInstanceMetadata(store, store.add(bytes));
    assert.ok(!r.ok, code);
    assert.ok(r.error.code === code || r.error.code.startsWith('DATASET_'), `${code}: ${r.error.code}`);
  }
});
