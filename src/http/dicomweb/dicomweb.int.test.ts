/**
 * DICOMweb over the real HTTP app, a real index (SQLite and PostgreSQL) and a real object store: STOW-RS then
 * WADO-RS back bit-equal, QIDO-RS at every level with the user's visibility, metadata and its bulk
 * data, frames, rendered and thumbnails, and the audit events each request leaves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { buildFileMetaHeader, readFileMeta } from '../../dicom/part10/index.js';
import { streamBytes } from '../../imaging/sequential-bytes.js';
import { convertVr } from '../../imaging/transcode-vr.js';
import { createTestDatabase, testDialects } from '../../index/testing/test-databases.js';
import { SYSTEM, createHttpHarness, type HttpHarness } from '../testing/http-harness.js';
import { CT_IMAGE_STORAGE, ctInstance, dicomParts, multipartBody, splitMultipart, type TestInstance } from '../testing/dicomweb-fixtures.js';

const IMPLICIT = '1.2.840.10008.1.2';

for (const { dialect, skip } of await testDialects()) describe(`DICOMweb (${dialect})`, { skip }, () => {
  let h: HttpHarness;
  let tech: string;
  let doctor: string;
  let granted: string;
  let grantedId: string;
  const study = ctInstance({ patientName: 'Yamada^Taro', patientId: 'P-DW-1' });
  const second = ctInstance({ studyInstanceUid: study.studyInstanceUid, seriesInstanceUid: study.seriesInstanceUid, patientId: 'P-DW-1', patientName: 'Yamada^Taro' });
  const secret = ctInstance({ patientName: 'Secret^Person', patientId: 'P-DW-VIP' });

  const stow = async (token: string, instances: readonly TestInstance[], url = '/dicomweb/studies') => {
    const { body, contentType } = multipartBody(dicomParts(...instances.map((i) => i.file)));
    return h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body });
  };
  const get = (token: string | null, url: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers } });

  before(async () => {
    h = await createHttpHarness(await createTestDatabase(dialect));
    await h.addUser('dw-tech', ['technologist']);
    await h.addUser('dw-doctor', ['physician']);
    grantedId = (await h.addUser('dw-granted', ['physician'])).id;
    tech = (await h.login('dw-tech')).token;
    doctor = (await h.login('dw-doctor')).token;
    granted = (await h.login('dw-granted')).token;
    const stored = await stow(tech, [study, second, secret]);
    assert.equal(stored.statusCode, 200, stored.body);
    assert.ok((await h.services.studyAccess.setConfidentiality(SYSTEM, secret.studyInstanceUid, 'restricted')).ok);
    assert.ok((await h.services.studyAccess.grant(SYSTEM, secret.studyInstanceUid, grantedId)).ok);
  });
  after(() => h.close());

  it('STOW-RS answers the stored instances with their Retrieve URLs, and one store event per study', async () => {
    const fresh = ctInstance();
    const before = await h.head();
    const response = await stow(tech, [fresh]);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/dicom\+json/);
    const body = response.json<Record<string, { Value: Record<string, { Value: string[] }>[] }>>();
    const item = body['00081199']!.Value[0]!;
    assert.equal(item['00081155']!.Value[0], fresh.sopInstanceUid);
    assert.match(item['00081190']!.Value[0]!, new RegExp(`/dicomweb/studies/${fresh.studyInstanceUid}/series/${fresh.seriesInstanceUid}/instances/${fresh.sopInstanceUid}$`));
    const events = await h.eventsAfter(before);
    assert.deepEqual(events.map((e) => e.action), ['store']);
    assert.equal(events[0]!.objects[0]!.studyInstanceUid, fresh.studyInstanceUid);
  });

  it('WADO-RS gives back each stored dataset bit for bit, in a Part 10 file with our meta group', async () => {
    for (const url of [
      `/dicomweb/studies/${study.studyInstanceUid}`,
      `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}`,
      `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${study.sopInstanceUid}`,
    ]) {
      const before = await h.head();
      const response = await get(doctor, url, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
      assert.equal(response.statusCode, 200, url);
      const parts = splitMultipart(response.rawPayload, String(response.headers['content-type']));
      const expected = url.endsWith(study.sopInstanceUid) ? [study] : [study, second];
      assert.equal(parts.length, expected.length);
      for (const part of parts) {
        assert.equal(part.body.subarray(128, 132).toString('latin1'), 'DICM');
        assert.ok(part.body.subarray(0, 128).every((b) => b === 0));
        const match = expected.find((i) => part.body.subarray(part.body.length - i.dataset.length).equals(Buffer.from(i.dataset)));
        assert.ok(match, 'a dataset came back changed');
      }
      const events = await h.eventsAfter(before);
      assert.deepEqual(events.map((e) => e.action), ['retrieve']);
      assert.equal(events[0]!.objects[0]!.instanceCount, expected.length);
    }
  });

  it('WADO-RS converts to the one transfer syntax a client asks for when it can, and answers 406 when it cannot', async () => {
    const url = `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}`;
    const asked = (syntax: string) => ({ accept: `multipart/related; type="application/dicom"; transfer-syntax=${syntax}` });
    // Stored in Explicit VR Little Endian: asked for it, as stored.
    const same = await get(doctor, url, asked('1.2.840.10008.1.2.1'));
    assert.equal(same.statusCode, 200, same.body);
    for (const part of splitMultipart(same.rawPayload, String(same.headers['content-type']))) {
      assert.ok([study, second].some((i) => part.body.subarray(part.body.length - i.dataset.length).equals(Buffer.from(i.dataset))));
    }
    // Implicit VR Little Endian: converted, each part saying so in its Content-Type and its meta group.
    const before = await h.head();
    const implicit = await get(doctor, url, asked('1.2.840.10008.1.2'));
    assert.equal(implicit.statusCode, 200, implicit.body);
    const parts = splitMultipart(implicit.rawPayload, String(implicit.headers['content-type']));
    assert.equal(parts.length, 2);
    for (const part of parts) {
      assert.match(part.headers, /Content-Type: application\/dicom; transfer-syntax=1\.2\.840\.10008\.1\.2\r?$/im);
      const meta = readFileMeta(part.body);
      assert.ok(meta.ok);
      assert.equal(meta.value.transferSyntaxUid, '1.2.840.10008.1.2');
      const original = [study, second].find((i) => i.sopInstanceUid === meta.value.sopInstanceUid)!;
      const expected: Buffer[] = [];
      for await (const chunk of convertVr(streamBytes(Readable.from([original.dataset])), 'to-implicit')) expected.push(Buffer.from(chunk));
      assert.ok(part.body.subarray(meta.value.datasetOffset).equals(Buffer.concat(expected)), 'the dataset in implicit VR');
    }
    const events = await h.eventsAfter(before);
    assert.deepEqual(events.map((e) => e.action), ['retrieve']);
    // A syntax that would need encoding (JPEG baseline): not acceptable, and nothing recorded.
    const afterImplicit = await h.head();
    const jpeg = await get(doctor, url, asked('1.2.840.10008.1.2.4.50'));
    assert.equal(jpeg.statusCode, 406, jpeg.body);
    assert.deepEqual(await h.eventsAfter(afterImplicit), []);
  });

  it('WADO-RS sends Explicit VR Little Endian by default (PS3.18 8.7.3), and the stored file for transfer-syntax=*', async () => {
    // An instance stored in Implicit VR Little Endian, which the standard keeps out of web services.
    const original = ctInstance({ patientId: 'P-DW-IMPLICIT' });
    const implicitChunks: Buffer[] = [];
    for await (const chunk of convertVr(streamBytes(Readable.from([original.dataset])), 'to-implicit')) implicitChunks.push(Buffer.from(chunk));
    const implicitDataset = Buffer.concat(implicitChunks);
    const meta = buildFileMetaHeader({ mediaStorageSopClassUid: CT_IMAGE_STORAGE, mediaStorageSopInstanceUid: original.sopInstanceUid, transferSyntaxUid: IMPLICIT, implementationClassUid: '1.2.3.4', implementationVersionName: 'TEST' });
    const stored = await stow(tech, [{ ...original, dataset: implicitDataset, file: Buffer.concat([Buffer.from(meta), implicitDataset]) }]);
    assert.equal(stored.statusCode, 200, stored.body);
    const url = `/dicomweb/studies/${original.studyInstanceUid}/series/${original.seriesInstanceUid}/instances/${original.sopInstanceUid}`;
    for (const accept of [undefined, '*/*', 'multipart/related; type="application/dicom"', 'application/dicom']) {
      const before = await h.head();
      const response = await get(doctor, url, accept === undefined ? {} : { accept });
      assert.equal(response.statusCode, 200, `${String(accept)}: ${response.body}`);
      const [part, ...rest] = splitMultipart(response.rawPayload, String(response.headers['content-type']));
      assert.equal(rest.length, 0);
      assert.match(part!.headers, /Content-Type: application\/dicom; transfer-syntax=1\.2\.840\.10008\.1\.2\.1\r?$/im, String(accept));
      const read = readFileMeta(part!.body);
      assert.ok(read.ok);
      assert.equal(read.value.transferSyntaxUid, '1.2.840.10008.1.2.1');
      assert.ok(part!.body.subarray(read.value.datasetOffset).equals(Buffer.from(original.dataset)), 'the dataset with its VRs back');
      const events = await h.eventsAfter(before);
      assert.deepEqual(events.map((e) => [e.action, e.detail['transferSyntax']]), [['retrieve', 'default']]);
    }
    // Explicit VR Little Endian as stored: the default sends the stored file, bit for bit.
    const explicit = await get(doctor, `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${study.sopInstanceUid}`);
    assert.equal(explicit.statusCode, 200);
    assert.ok(splitMultipart(explicit.rawPayload, String(explicit.headers['content-type']))[0]!.body.subarray(-study.dataset.length).equals(Buffer.from(study.dataset)));
    // `*`: the stored file, in its own syntax.
    const asStored = await get(doctor, url, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    const [storedPart] = splitMultipart(asStored.rawPayload, String(asStored.headers['content-type']));
    assert.match(storedPart!.headers, /Content-Type: application\/dicom; transfer-syntax=1\.2\.840\.10008\.1\.2\r?$/im);
    assert.ok(storedPart!.body.subarray(-implicitDataset.length).equals(implicitDataset));
  });

  it('QIDO-RS finds studies, series and instances at every level, with one query event', async () => {
    const before = await h.head();
    const studies = await get(doctor, '/dicomweb/studies?PatientName=yamada*&fuzzymatching=true&includefield=all');
    assert.equal(studies.statusCode, 200, studies.body);
    const found = studies.json<Record<string, { Value?: unknown[] }>[]>();
    assert.equal(found.length, 1);
    assert.equal(found[0]!['0020000D']!.Value![0], study.studyInstanceUid);
    assert.equal(found[0]!['00201208']!.Value![0], 2);
    assert.match(String(found[0]!['00081190']!.Value![0]), new RegExp(`/dicomweb/studies/${study.studyInstanceUid}$`));
    assert.deepEqual((await h.eventsAfter(before)).map((e) => e.action), ['query']);
    for (const [url, count] of [
      [`/dicomweb/series?StudyInstanceUID=${study.studyInstanceUid}`, 1],
      [`/dicomweb/instances?StudyInstanceUID=${study.studyInstanceUid}`, 2],
      [`/dicomweb/studies/${study.studyInstanceUid}/series`, 1],
      [`/dicomweb/studies/${study.studyInstanceUid}/instances`, 2],
      [`/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances?limit=1`, 1],
      [`/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances?limit=1&offset=1`, 1],
    ] as const) {
      const response = await get(doctor, url);
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      assert.equal(response.json<unknown[]>().length, count, url);
    }
  });

  it('QIDO-RS cut by the server maximum says so in Warning: 299', async () => {
    const limited = await createHttpHarness(await createTestDatabase(dialect), { dicomweb: { maxQueryMatches: 1 } });
    try {
      await limited.addUser('t', ['technologist']);
      const token = (await limited.login('t')).token;
      const { body, contentType } = multipartBody(dicomParts(ctInstance().file, ctInstance().file));
      assert.equal((await limited.app.inject({ method: 'POST', url: '/dicomweb/studies', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body })).statusCode, 200);
      const response = await limited.app.inject({ method: 'GET', url: '/dicomweb/studies', headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.json<unknown[]>().length, 1);
      assert.match(String(response.headers['warning']), /^299 .*: "The number of results exceeded the maximum supported by the server\. Additional results can be requested\."$/);
    } finally {
      await limited.close();
    }
  });

  it('a restricted study stays invisible to a physician without a grant, and answers like one that does not exist', async () => {
    const search = await get(doctor, `/dicomweb/studies?PatientID=P-DW-VIP`);
    assert.deepEqual(search.json(), []);
    const all = await get(doctor, '/dicomweb/studies');
    assert.ok(!all.body.includes(secret.studyInstanceUid));
    const byInstance = await get(doctor, `/dicomweb/instances?SOPInstanceUID=${secret.sopInstanceUid}`);
    assert.deepEqual(byInstance.json(), []);
    const missing = await get(doctor, `/dicomweb/studies/1.2.3.4.5.6.7/metadata`);
    for (const url of [`/dicomweb/studies/${secret.studyInstanceUid}`, `/dicomweb/studies/${secret.studyInstanceUid}/metadata`, `/dicomweb/studies/${secret.studyInstanceUid}/series/${secret.seriesInstanceUid}/instances/${secret.sopInstanceUid}/frames/1`]) {
      const hidden = await get(doctor, url);
      assert.equal(hidden.statusCode, 404);
      assert.equal(hidden.body, missing.body);
    }
    // The granted physician sees it, in QIDO and WADO alike.
    assert.equal((await get(granted, `/dicomweb/studies?PatientID=P-DW-VIP`)).json<unknown[]>().length, 1);
    assert.equal((await get(granted, `/dicomweb/studies/${secret.studyInstanceUid}/metadata`)).statusCode, 200);
  });

  it('metadata carries BulkDataURIs that lead to the element bytes, and frames come as stored', async () => {
    const base = `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${study.sopInstanceUid}`;
    const metadata = await get(doctor, `${base}/metadata`);
    assert.equal(metadata.statusCode, 200);
    const [instance] = metadata.json<Record<string, { BulkDataURI?: string; Value?: unknown[] }>[]>();
    assert.equal(instance!['00080018']!.Value![0], study.sopInstanceUid);
    const uri = instance!['7FE00010']!.BulkDataURI!;
    assert.ok(uri.endsWith(`${base}/bulkdata/7FE00010`), uri);
    const bulk = await get(doctor, new URL(uri).pathname);
    assert.equal(bulk.statusCode, 200, bulk.body);
    const pixels = splitMultipart(bulk.rawPayload, String(bulk.headers['content-type']))[0]!.body;
    assert.equal(pixels.length, 32);
    assert.ok(Buffer.from(study.dataset).subarray(study.dataset.length - 32).equals(pixels));
    const frames = await get(doctor, `${base}/frames/1`, { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' });
    assert.equal(frames.statusCode, 200, frames.body);
    const [frame] = splitMultipart(frames.rawPayload, String(frames.headers['content-type']));
    assert.match(frame!.headers, /transfer-syntax=1\.2\.840\.10008\.1\.2\.1/);
    assert.ok(frame!.body.equals(pixels));
  });

  it('frame requests of one viewing leave one view event per study, session and minute', async () => {
    const reader = (await h.login('dw-doctor')).token;
    const base = `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${study.sopInstanceUid}`;
    const before = await h.head();
    for (let i = 0; i < 3; i++) assert.equal((await get(reader, `${base}/frames/1`)).statusCode, 200);
    assert.equal((await get(reader, `${base}/frames/1/rendered`)).statusCode, 200);
    assert.deepEqual((await h.eventsAfter(before)).map((e) => e.action), ['view']);
    h.clock.advance(60_000);
    assert.equal((await get(reader, `${base}/frames/1`)).statusCode, 200);
    assert.deepEqual((await h.eventsAfter(before)).map((e) => e.action), ['view', 'view']);
  });

  it('renders JPEG and PNG, and thumbnails at every level', async () => {
    const base = `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${study.sopInstanceUid}`;
    const jpeg = await get(doctor, `${base}/rendered`, { accept: 'image/jpeg' });
    assert.equal(jpeg.statusCode, 200, jpeg.body);
    assert.equal(jpeg.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...jpeg.rawPayload.subarray(0, 2)], [0xff, 0xd8]);
    const png = await get(doctor, `${base}/rendered?window=100,200&viewport=64,64`, { accept: 'image/png' });
    assert.equal(png.statusCode, 200, png.body);
    assert.equal(png.rawPayload.subarray(1, 4).toString('latin1'), 'PNG');
    // The client's preference (q) decides, not the order it lists the types in; q=0 is a refusal.
    const preferred = await get(doctor, `${base}/rendered`, { accept: 'image/jpeg;q=0.5, image/png' });
    assert.equal(preferred.headers['content-type'], 'image/png');
    assert.equal((await get(doctor, `${base}/rendered`, { accept: 'image/jpeg;q=0' })).statusCode, 406);
    for (const url of [`/dicomweb/studies/${study.studyInstanceUid}/thumbnail`, `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/thumbnail`, `${base}/thumbnail`, `${base}/frames/1/thumbnail`]) {
      const thumbnail = await get(doctor, url);
      assert.equal(thumbnail.statusCode, 200, `${url}: ${thumbnail.body}`);
      assert.equal(thumbnail.headers['content-type'], 'image/jpeg');
    }
    const series = await get(doctor, `/dicomweb/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/rendered`);
    assert.equal(series.statusCode, 200);
    assert.equal(splitMultipart(series.rawPayload, String(series.headers['content-type'])).length, 2);
  });

  it('CORS: preflight answered for configured origins only; bearer tokens work cross-origin', async () => {
    const cors = await createHttpHarness(await createTestDatabase(dialect), { dicomweb: { corsOrigins: ['https://viewer.example'] } });
    try {
      const preflight = (origin: string) =>
        cors.app.inject({ method: 'OPTIONS', url: '/dicomweb/studies', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      const allowed = await preflight('https://viewer.example');
      assert.equal(allowed.statusCode, 204);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://viewer.example');
      assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
      assert.equal(allowed.headers['access-control-allow-credentials'], undefined);
      const refused = await preflight('https://evil.example');
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      await cors.addUser('c', ['physician']);
      const token = (await cors.login('c')).token;
      const search = await cors.app.inject({ method: 'GET', url: '/dicomweb/studies', headers: { origin: 'https://viewer.example', authorization: `Bearer ${token}` } });
      assert.equal(search.statusCode, 200);
      assert.equal(search.headers['access-control-allow-origin'], 'https://viewer.example');
      assert.match(String(search.headers['access-control-expose-headers']), /warning/);
    } finally {
      await cors.close();
    }
  });
});
