/**
 * BAD-INPUTS.md for DICOMweb: every hostile or broken request is refused with a problem (or a
 * failed instance in the STOW response), nothing half-stored, and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, testDialects } from '../../index/testing/test-databases.js';
import { createHttpHarness, type HttpHarness } from '../testing/http-harness.js';
import { ctInstance, dicomParts, multipartBody } from '../testing/dicomweb-fixtures.js';

for (const { dialect, skip } of await testDialects()) describe(`DICOMweb bad inputs (${dialect})`, { skip }, () => {
  let h: HttpHarness;
  let token: string;
  const stored = ctInstance({ patientId: 'P-BAD-1' });
  const base = `/dicomweb/studies/${stored.studyInstanceUid}/series/${stored.seriesInstanceUid}/instances/${stored.sopInstanceUid}`;

  const post = (url: string, body: Buffer | string, contentType: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...headers }, payload: body });
  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const countInstances = async (): Promise<number> => Number((await h.db.db.kysely.selectFrom('instances').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const failureReasons = (body: string): number[] =>
    ((JSON.parse(body) as Record<string, { Value?: Record<string, { Value?: number[] }>[] }>)['00081198']?.Value ?? []).map((item) => item['00081197']!.Value![0]!);

  before(async () => {
    h = await createHttpHarness(await createTestDatabase(dialect), { dicomweb: { maxStowBytes: 256 * 1024, maxStowPartBytes: 128 * 1024, bodyIdleTimeoutMs: 300 } });
    await h.addUser('bad-tech', ['technologist']);
    token = (await h.login('bad-tech')).token;
    const { body, contentType } = multipartBody(dicomParts(stored.file));
    assert.equal((await post('/dicomweb/studies', body, contentType)).statusCode, 200);
  });
  after(() => h.close());

  it('STOW: a study UID in the path differing from the instance fails that instance (409), nothing stored', async () => {
    const other = ctInstance();
    const before = await countInstances();
    const { body, contentType } = multipartBody(dicomParts(other.file));
    const response = await post(`/dicomweb/studies/${stored.studyInstanceUid}`, body, contentType);
    assert.equal(response.statusCode, 409);
    assert.deepEqual(failureReasons(response.body), [0xa900]);
    assert.equal(await countInstances(), before);
    // One good, one of another study: 202, the good one stored.
    const good = ctInstance({ studyInstanceUid: stored.studyInstanceUid, patientId: 'P-BAD-1' });
    const mixed = multipartBody(dicomParts(good.file, ctInstance().file));
    const partial = await post(`/dicomweb/studies/${stored.studyInstanceUid}`, mixed.body, mixed.contentType);
    assert.equal(partial.statusCode, 202, partial.body);
    assert.equal(await countInstances(), before + 1);
  });

  it('STOW: bad boundaries, wrong media types and wrong part types are refused', async () => {
    const file = ctInstance().file;
    const { body } = multipartBody(dicomParts(file), 'right-boundary');
    assert.equal((await post('/dicomweb/studies', body, 'multipart/related; type="application/dicom"; boundary=wrong-boundary')).statusCode, 400);
    assert.equal((await post('/dicomweb/studies', body, 'multipart/related; type="application/dicom"')).statusCode, 400);
    assert.equal((await post('/dicomweb/studies', body, `multipart/related; type="application/dicom"; boundary=${'x'.repeat(200)}`)).statusCode, 400);
    const unterminated = body.subarray(0, body.length - 20);
    assert.equal((await post('/dicomweb/studies', unterminated, 'multipart/related; type="application/dicom"; boundary=right-boundary')).statusCode, 400);
    assert.equal((await post('/dicomweb/studies', '{"a":1}', 'application/json')).statusCode, 415);
    assert.equal((await post('/dicomweb/studies', body, 'multipart/related; type="application/dicom+json"; boundary=right-boundary')).statusCode, 415);
    assert.equal((await post('/dicomweb/studies', 'x', 'application/xml')).statusCode, 415);
    const wrongPart = multipartBody([{ contentType: 'text/html', body: Buffer.from('<script>') }, { contentType: 'application/dicom', body: Buffer.from('not dicom at all') }]);
    const response = await post('/dicomweb/studies', wrongPart.body, wrongPart.contentType);
    assert.equal(response.statusCode, 409);
    assert.deepEqual(failureReasons(response.body), [0xc000, 0xc000]);
  });

  it('STOW: an executable preamble is never stored, and is flagged', async () => {
    const preamble = Buffer.alloc(128);
    preamble.write('MZ\x90\x00', 'latin1');
    const polyglot = ctInstance({ preamble });
    const before = await h.head();
    const { body, contentType } = multipartBody(dicomParts(polyglot.file));
    assert.equal((await post('/dicomweb/studies', body, contentType)).statusCode, 200);
    assert.ok((await h.eventsAfter(before)).some((e) => e.action === 'security-alert'));
    const back = await h.app.inject({ method: 'GET', url: `/dicomweb/studies/${polyglot.studyInstanceUid}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(back.statusCode, 200);
    assert.ok(!back.rawPayload.includes(Buffer.from('MZ\x90\x00', 'latin1')));
  });

  it('STOW: huge bodies are refused (declared or streamed), and a stalled body is cut', async () => {
    const big = ctInstance({ pixelBytes: 200 * 1024 });
    const { body, contentType } = multipartBody(dicomParts(big.file));
    const before = await countInstances();
    assert.equal((await post('/dicomweb/studies', body, contentType)).statusCode, 413);
    const many = multipartBody(dicomParts(...Array.from({ length: 4 }, () => ctInstance({ pixelBytes: 100 * 1024 }).file)));
    assert.equal((await post('/dicomweb/studies', many.body, many.contentType)).statusCode, 413);
    assert.ok((await countInstances()) - before <= 2, 'stops at the limit');

    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/related; type="application/dicom"; boundary=slow\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--slo\r\n`);
      });
      let received = '';
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      socket.on('close', () => resolve(received));
      socket.on('error', () => undefined);
    });
    assert.ok(!closed.startsWith('HTTP/1.1 200'), 'a stalled body is never a success');
    assert.equal((await get('/dicomweb/studies')).statusCode, 200, 'the server keeps serving');
  });

  it('QIDO: absurd limit/offset, reversed ranges, unknown keywords and tags, LIKE metacharacters', async () => {
    for (const query of ['limit=0', 'limit=-1', 'limit=99999999999', 'offset=-5', 'limit=abc', 'fuzzymatching=maybe', 'NoSuchKeyword=1', 'PatientName=a&PatientName=b']) {
      const response = await get(`/dicomweb/studies?${query}`);
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    assert.equal((await get('/dicomweb/studies?limit=2147483647&offset=2147483647')).statusCode, 200);
    assert.equal((await get('/dicomweb/studies?StudyDate=20301231-20000101')).statusCode, 400, 'a reversed range is refused');
    const unknownTag = await get('/dicomweb/studies?00191010=x');
    assert.equal(unknownTag.statusCode, 200);
    assert.match(String(unknownTag.headers['warning']), /^299 /);
    for (const value of ['%25', '_', "'%20OR%201=1--", '%5C%25', 'P-BAD%25']) {
      const response = await get(`/dicomweb/studies?PatientID=${value}`);
      assert.equal(response.statusCode, 200, value);
      assert.deepEqual(response.json(), [], value);
    }
    assert.equal((await get('/dicomweb/studies?PatientID=P-BAD-*')).json<unknown[]>().length, 1);
  });

  it('WADO: absurd frame numbers, viewports, windows; path traversal and NUL', async () => {
    for (const [url, status] of [
      [`${base}/frames/0`, 404],
      [`${base}/frames/2`, 404],
      [`${base}/frames/99999999999`, 400],
      [`${base}/frames/1,abc`, 400],
      [`${base}/frames/${'1,'.repeat(1500)}1`, 400],
      [`${base}/frames/${'1,'.repeat(45)}1`, 200],
      [`${base}/rendered?viewport=100000,100000`, 400],
      [`${base}/rendered?viewport=0,10`, 400],
      [`${base}/rendered?window=1e300,1`, 400],
      [`${base}/rendered?window=10,0`, 400],
      [`${base}/rendered?window=10,20,CUBIC`, 400],
      [`${base}/rendered?quality=1000`, 400],
      [`${base}/rendered?accept=text/html`, 406], // none of the acceptable media types can be produced (RFC 9110 §15.5.7)
      [`${base}/bulkdata/..%2f..%2fetc%2fpasswd`, 400],
      [`${base}/bulkdata/7FE00010/0/00000000`, 404],
      [`${base}/bulkdata/00101010`, 404],
      [`/dicomweb/studies/..%2f..%2fetc/metadata`, 400],
      [`/dicomweb/studies/1.2.3%00/metadata`, 400],
      [`/dicomweb/studies/${stored.studyInstanceUid}/series/..%2F..%2F/metadata`, 400],
      [`/dicomweb/studies/${'1.'.repeat(40)}1`, 400],
    ] as const) {
      const response = await get(url);
      assert.equal(response.statusCode, status, `${url}: ${response.body}`);
      if (status !== 200) assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', url);
    }
  });

  it('access after logout is refused, with nothing disclosed', async () => {
    const session = await h.login('bad-tech');
    assert.equal((await h.app.inject({ method: 'GET', url: '/dicomweb/studies', headers: { authorization: `Bearer ${session.token}` } })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/session', headers: { authorization: `Bearer ${session.token}` } })).statusCode, 204);
    for (const url of ['/dicomweb/studies', `${base}/metadata`, `${base}/frames/1`]) {
      const response = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${session.token}` } });
      assert.equal(response.statusCode, 401, url);
      assert.ok(!response.body.includes(stored.studyInstanceUid));
    }
    const { body, contentType } = multipartBody(dicomParts(ctInstance().file));
    assert.equal((await h.app.inject({ method: 'POST', url: '/dicomweb/studies', headers: { authorization: `Bearer ${session.token}`, 'content-type': contentType }, payload: body })).statusCode, 401);
  });
});
