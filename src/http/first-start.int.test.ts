/**
 * First start of the real server process (issue 3 item 1): with no users it creates `admin` with a
 * one-time password in `<dataDir>/initial-admin-password` (mode 0600), logs the file's path and
 * never the password, and the first login with it must change the password before anything else.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKakuteiProcess, type KakuteiProcess } from '../testing/server-process.js';

describe('first start of the server process', () => {
  let dataDir: string;
  let server: KakuteiProcess;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kakutei-first-start-'));
    server = await startKakuteiProcess({ dataDir });
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  it('writes the one-time password to an owner-only file and logs only its path', async () => {
    const file = join(dataDir, 'initial-admin-password');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const password = (await readFile(file, 'utf8')).trim();
    assert.ok(password.length >= 24);
    const announcement = server.logs.find((line) => line['event'] === 'initial-admin');
    assert.equal(announcement?.['passwordFile'], file);
    assert.equal(JSON.stringify(server.logs).includes(password), false, 'the password is never logged');
  });

  it('forces a password change at the first login, then works', async () => {
    const password = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
    const login = await api('POST', '/api/session', null, { username: 'admin', password });
    assert.equal(login.status, 200);
    assert.equal(login.json['stage'], 'password-change-required');
    const token = String(login.json['token']);
    const blocked = await api('GET', '/api/users', token);
    assert.equal(blocked.status, 403);
    assert.equal(blocked.json['code'], 'PASSWORD_CHANGE_REQUIRED');
    const changed = await api('POST', '/api/me/password', token, { currentPassword: password, newPassword: 'a fresh and long passphrase' });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal(changed.json['stage'], 'active');
    const users = await api('GET', '/api/users', token);
    assert.equal(users.status, 200);
    assert.deepEqual((users.json['users'] as { loginName: string }[]).map((u) => u.loginName), ['admin']);
    assert.equal((await api('GET', '/api/openapi.json', null)).json['openapi'], '3.1.0');
  });
});
