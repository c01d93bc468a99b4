/**
 * Viewer compatibility (issue 4 item 5): what an OHIF DICOMweb data source does, through the
 * `dicomweb-client` library OHIF itself uses, against a real listening server with a bearer token.
 * In Node the library needs an XMLHttpRequest: the `xhr2` package provides one (devDependencies).
 * Covers the OHIF flags: `qidoSupportsIncludeField`, wildcard and fuzzy matching, bulk data URIs,
 * `/rendered`, `/thumbnail`, and STOW-RS then WADO-RS back with the dataset bit-equal.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, testDialects } from '../../index/testing/test-databases.js';
import { createHttpHarness, type HttpHarness } from '../testing/http-harness.js';
import { ctInstance } from '../testing/dicomweb-fixtures.js';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
interface Ids {
  studyInstanceUID: string;
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
}
/** The part of dicomweb-client's API this test uses (its own types target the browser). */
interface DicomWebClient {
  searchForStudies(options: { queryParams: Record<string, string | boolean> }): Promise<Json[]>;
  searchForInstances(options: { studyInstanceUID: string; queryParams?: Record<string, string> }): Promise<Json[]>;
  retrieveStudyMetadata(options: Ids): Promise<Json[]>;
  retrieveBulkData(options: { BulkDataURI: string }): Promise<ArrayBuffer[]>;
  retrieveInstanceFrames(options: Ids & { frameNumbers: number[] }): Promise<ArrayBuffer[]>;
  retrieveInstanceRendered(options: Ids & { mediaTypes?: { mediaType: string }[]; queryParams?: Record<string, string> }): Promise<ArrayBuffer | ArrayBuffer[]>;
  retrieveInstanceThumbnail(options: Ids & { mediaTypes?: { mediaType: string }[] }): Promise<ArrayBuffer | ArrayBuffer[]>;
  storeInstances(options: { datasets: ArrayBuffer[] }): Promise<unknown>;
  retrieveInstance(options: Ids): Promise<ArrayBuffer | ArrayBuffer[]>;
}

const require = createRequire(import.meta.url);

for (const { dialect, skip } of await testDialects()) describe(`dicomweb-client (the library OHIF uses) against a listening server (${dialect})`, { skip }, () => {
  let h: HttpHarness;
  let client: DicomWebClient;
  const first = ctInstance({ patientName: 'Tanaka^Hanako', patientId: 'P-OHIF-1' });

  before(async () => {
    (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= require('xhr2') as unknown;
    const { api } = require('dicomweb-client') as { api: { DICOMwebClient: new (options: { url: string; headers: Record<string, string> }) => DicomWebClient } };
    h = await createHttpHarness(await createTestDatabase(dialect));
    await h.addUser('ohif', ['technologist']);
    const token = (await h.login('ohif')).token;
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    client = new api.DICOMwebClient({ url: `http://127.0.0.1:${port}/dicomweb`, headers: { Authorization: `Bearer ${token}` } });
    await client.storeInstances({ datasets: [toArrayBuffer(first.file)] });
  });
  after(() => h.close());

  it('storeInstances then retrieveInstance: the dataset comes back bit-equal', async () => {
    const stowed = ctInstance({ patientId: 'P-OHIF-2' });
    await client.storeInstances({ datasets: [toArrayBuffer(stowed.file)] });
    const retrieved = singlePart(await client.retrieveInstance({ studyInstanceUID: stowed.studyInstanceUid, seriesInstanceUID: stowed.seriesInstanceUid, sopInstanceUID: stowed.sopInstanceUid }));
    assert.ok(retrieved.subarray(retrieved.length - stowed.dataset.length).equals(Buffer.from(stowed.dataset)));
  });

  it('searchForStudies with wildcard, fuzzy matching and includefield', async () => {
    const studies = await client.searchForStudies({ queryParams: { PatientName: 'tana*', fuzzymatching: true, includefield: '00081030,ModalitiesInStudy' } });
    assert.equal(studies.length, 1);
    const [study] = studies;
    assert.equal(study!['0020000D']!.Value![0], first.studyInstanceUid);
    assert.ok('00081030' in study!, 'includefield StudyDescription answered');
    assert.deepEqual(study['00080061']!.Value, ['CT']);
    const wildcard = await client.searchForStudies({ queryParams: { PatientID: 'P-OHIF-?' } });
    assert.equal(wildcard.length, 2);
  });

  it('retrieveStudyMetadata, then its BulkDataURI followed with retrieveBulkData', async () => {
    const [metadata] = await client.retrieveStudyMetadata({ studyInstanceUID: first.studyInstanceUid });
    const uri = metadata!['7FE00010']!.BulkDataURI;
    assert.ok(uri !== undefined);
    const [pixels] = await client.retrieveBulkData({ BulkDataURI: uri });
    assert.equal(pixels!.byteLength, 32);
  });

  it('retrieveInstanceFrames, retrieveInstanceRendered and retrieveInstanceThumbnail', async () => {
    const ids = { studyInstanceUID: first.studyInstanceUid, seriesInstanceUID: first.seriesInstanceUid, sopInstanceUID: first.sopInstanceUid };
    const [frame] = await client.retrieveInstanceFrames({ ...ids, frameNumbers: [1] });
    assert.ok(Buffer.from(frame!).equals(Buffer.from(first.dataset).subarray(first.dataset.length - 32)));
    // This client version hands single-part bodies back as a one-element array.
    const rendered = singlePart(await client.retrieveInstanceRendered({ ...ids, mediaTypes: [{ mediaType: 'image/jpeg' }] }));
    assert.deepEqual([...rendered.subarray(0, 2)], [0xff, 0xd8]);
    const thumbnail = singlePart(await client.retrieveInstanceThumbnail({ ...ids, mediaTypes: [{ mediaType: 'image/jpeg' }] }));
    assert.deepEqual([...thumbnail.subarray(0, 2)], [0xff, 0xd8]);
  });
});

function singlePart(body: ArrayBuffer | ArrayBuffer[]): Buffer {
  const part = Array.isArray(body) ? body[0] : body;
  assert.ok(part !== undefined, 'an empty response');
  return Buffer.from(part);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
