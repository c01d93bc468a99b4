/**
 * HTTPS (issue 3 item 2): with a certificate configured the API is served over TLS 1.2 or later
 * only, and the session cookie is Secure and `__Host-` prefixed. The certificate is self-signed,
 * made by `openssl` for this test (the test fails under CI when openssl is missing).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../index/testing/test-databases.js';
import { connect } from 'node:tls';
import { TEST_PASSWORD, createHttpHarness, type HttpHarness } from './testing/http-harness.js';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const missing = openssl.status === 0 ? null : 'openssl is not installed';
if (missing !== null && process.env['CI'] === 'true') throw new Error(`${missing}: required under CI`);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('HTTPS', { skip: missing ?? false }, () => {
  let dir: string;
  let cert: Buffer;
  let h: HttpHarness;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kakutei-https-'));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    cert = await readFile(join(dir, 'cert.pem'));
    h = await createHttpHarness(await createTestDatabase('sqlite'), { https: { cert, key: await readFile(join(dir, 'key.pem')) } });
    await h.addUser('tls-user', ['physician']);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { host: '127.0.0.1', port, method, path, ca: cert, maxVersion: 'TLSv1.2', headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  it('logs in over TLS 1.2 and sets a Secure __Host- cookie that authenticates', async () => {
    const login = await call('POST', '/api/session', {}, { username: 'tls-user', password: TEST_PASSWORD });
    assert.equal(login.status, 200);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /^__Host-kakutei_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    assert.match(String(login.headers['strict-transport-security']), /max-age=/);
    const me = await call('GET', '/api/me', { cookie: setCookie.split(';')[0]! });
    assert.equal(me.status, 200);
    // The plain-HTTP cookie name means nothing over HTTPS.
    const token = (JSON.parse(login.body) as { token: string }).token;
    assert.equal((await call('GET', '/api/me', { cookie: `kakutei_session=${token}` })).status, 401);
  });

  it('refuses TLS 1.1 and older', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    assert.notEqual(outcome, 'connected');
  });
});
