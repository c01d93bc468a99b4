/**
 * Logins and sessions over HTTP (issue 3 items 2 and 8): generic failures and lockout, idle
 * timeout, disabled users, forced password change, TOTP, the cookie and its CSRF token, and an
 * access refused when it cannot be audited. Real SQLite database, real services; time comes from
 * the harness clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../index/testing/test-databases.js';
import { TEST_PASSWORD, createHttpHarness, type HttpHarness } from './testing/http-harness.js';

describe('HTTP sessions (sqlite)', () => {
  let h: HttpHarness;
  before(async () => {
    h = await createHttpHarness(await createTestDatabase('sqlite'), { settings: { lockoutThreshold: 3, lockoutMinutes: 15, sessionIdleMinutes: 15 } });
  });
  after(() => h.close());

  it('answers every login failure alike and locks the account after the threshold', async () => {
    await h.addUser('locky', ['physician']);
    const unknown = await h.call('POST', '/api/session', { body: { username: 'nobody', password: 'whatever it is' } });
    const wrong = await h.call('POST', '/api/session', { body: { username: 'locky', password: 'wrong password!' } });
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(unknown.json(), wrong.json());
    await h.call('POST', '/api/session', { body: { username: 'locky', password: 'wrong password!' } });
    const third = await h.head();
    await h.call('POST', '/api/session', { body: { username: 'locky', password: 'wrong password!' } });
    // Locked now: the right password fails too, with the same answer; the event says why.
    const locked = await h.call('POST', '/api/session', { body: { username: 'locky', password: TEST_PASSWORD } });
    assert.equal(locked.statusCode, 401);
    assert.deepEqual(locked.json(), unknown.json());
    const events = await h.eventsAfter(third);
    assert.deepEqual(
      events.map((e) => [e.action, e.outcome, e.detail['reason']]),
      [
        ['login', 4, 'bad-password'],
        ['login', 4, 'locked'],
      ],
    );
    h.clock.advance(16 * 60_000);
    assert.equal((await h.call('POST', '/api/session', { body: { username: 'locky', password: TEST_PASSWORD } })).statusCode, 200);
  });

  it('ends a session unused for the idle timeout, with a session-expired event', async () => {
    await h.addUser('idler', ['technologist']);
    const { token } = await h.login('idler');
    assert.equal((await h.call('GET', '/api/me', { token })).statusCode, 200);
    h.clock.advance(15 * 60_000);
    const before = await h.head();
    const expired = await h.call('GET', '/api/me', { token });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json<{ code: string }>().code, 'SESSION_EXPIRED');
    assert.deepEqual((await h.eventsAfter(before)).map((e) => [e.action, e.detail['reason']]), [['session-expired', 'idle-timeout']]);
  });

  it('ends the sessions of a user an admin disables, and refuses their logins', async () => {
    const user = await h.addUser('leaver', ['physician']);
    await h.addUser('boss', ['admin']);
    const { token } = await h.login('leaver');
    const admin = await h.login('boss');
    assert.equal((await h.call('POST', `/api/users/${user.id}/disable`, { token: admin.token, body: {} })).statusCode, 200);
    assert.equal((await h.call('GET', '/api/session', { token })).statusCode, 401);
    assert.equal((await h.call('POST', '/api/session', { body: { username: 'leaver', password: TEST_PASSWORD } })).statusCode, 401);
  });

  it('lets a login that must change its password do nothing else until it has', async () => {
    await h.addUser('newbie', ['physician'], { mustChangePassword: true });
    const login = await h.login('newbie');
    assert.equal(login.stage, 'password-change-required');
    const blocked = await h.call('POST', '/api/break-glass', { token: login.token, body: { reason: 'x', purposeOfUse: 'BTG' } });
    assert.equal(blocked.statusCode, 403);
    assert.equal(blocked.json<{ code: string }>().code, 'PASSWORD_CHANGE_REQUIRED');
    const changed = await h.call('POST', '/api/me/password', { token: login.token, body: { currentPassword: TEST_PASSWORD, newPassword: 'a much better passphrase' } });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(changed.json(), { stage: 'active' });
    assert.equal((await h.call('GET', '/api/session', { token: login.token })).json<{ stage: string }>().stage, 'active');
  });

  it('requires the TOTP code of an enrolled user, and refuses a wrong or replayed one', async () => {
    const user = await h.addUser('otp', ['physician']);
    const code = await h.enrolTotp(user);
    const waiting = await h.login('otp');
    assert.equal(waiting.stage, 'second-factor-required');
    assert.equal((await h.call('GET', '/api/studies/1.2.3', { token: waiting.token })).json<{ code: string }>().code, 'SECOND_FACTOR_REQUIRED');
    const wrong = await h.call('POST', '/api/session/second-factor', { token: waiting.token, body: { code: code() === '000000' ? '111111' : '000000' } });
    assert.equal(wrong.statusCode, 401);
    const good = code();
    assert.equal((await h.call('POST', '/api/session/second-factor', { token: waiting.token, body: { code: good } })).statusCode, 200);
    // The same code at once with the login: refused (RFC 6238 §5.2, one use per step).
    const replay = await h.call('POST', '/api/session', { body: { username: 'otp', password: TEST_PASSWORD, totp: good } });
    assert.equal(replay.statusCode, 401);
    h.clock.advance(30_000);
    const direct = await h.call('POST', '/api/session', { body: { username: 'otp', password: TEST_PASSWORD, totp: code() } });
    assert.equal(direct.json<{ stage: string }>().stage, 'active');
  });

  it('sets an HttpOnly SameSite=Strict cookie and requires the CSRF token with it on unsafe methods', async () => {
    await h.addUser('browser', ['physician']);
    const login = await h.login('browser');
    assert.match(login.setCookie, /^kakutei_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = login.setCookie.split(';')[0]!;
    assert.equal((await h.call('GET', '/api/me', { headers: { cookie } })).statusCode, 200);
    const body = { reason: 'trauma bay', purposeOfUse: 'ETREAT' };
    const before = await h.head();
    const forged = await h.call('POST', '/api/break-glass', { headers: { cookie }, body });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json<{ code: string }>().code, 'CSRF_INVALID');
    const wrongToken = await h.call('POST', '/api/break-glass', { headers: { cookie, 'x-csrf-token': 'not-the-token' }, body });
    assert.equal(wrongToken.statusCode, 403);
    assert.deepEqual((await h.eventsAfter(before)).map((e) => [e.action, e.detail['reason']]), [
      ['security-alert', 'csrf'],
      ['security-alert', 'csrf'],
    ]);
    const good = await h.call('POST', '/api/break-glass', { headers: { cookie, 'x-csrf-token': login.csrfToken }, body });
    assert.equal(good.statusCode, 201);
    // A bearer token needs no CSRF token: it is not sent by the browser on its own.
    assert.equal((await h.call('POST', '/api/break-glass/close', { token: login.token, body: {} })).statusCode, 204);
    const logout = await h.call('DELETE', '/api/session', { headers: { cookie, 'x-csrf-token': login.csrfToken } });
    assert.equal(logout.statusCode, 204);
    assert.match(String(logout.headers['set-cookie']), /Max-Age=0/);
  });

  it('refuses an access it cannot audit (503 AUDIT_UNAVAILABLE) and reports it in /healthz', async () => {
    await h.addUser('auditor1', ['auditor']);
    const { token } = await h.login('auditor1');
    h.auditBroken = true;
    try {
      const refused = await h.call('GET', '/api/audit', { token });
      assert.equal(refused.statusCode, 503);
      assert.equal(refused.json<{ code: string }>().code, 'AUDIT_UNAVAILABLE');
      assert.equal(refused.body.includes('"events"'), false);
      // A denial that cannot be recorded is refused the same way.
      assert.equal((await h.call('GET', '/api/users', { token })).statusCode, 503);
    } finally {
      h.auditBroken = false;
    }
    assert.equal((await h.call('GET', '/api/audit', { token })).statusCode, 200);
  });

  it('answers malformed input with a problem that names fields, never values', async () => {
    await h.addUser('typo', ['admin']);
    const { token } = await h.login('typo');
    const response = await h.call('POST', '/api/users', { token, body: { loginName: 'x', roles: ['surgeon'], password: 'ヤマダ タロウ secret' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = response.json<{ code: string; detail: string; type: string }>();
    assert.equal(problem.code, 'INVALID_REQUEST');
    assert.equal(problem.type, 'urn:kakutei:error:INVALID_REQUEST');
    assert.equal(problem.detail.includes('ヤマダ'), false);
    assert.equal(problem.detail.includes('surgeon'), false);
  });
});
