/**
 * The HTTP side on PostgreSQL (the access matrix runs on SQLite): login, a change with its event in
 * the same transaction, a study view recorded before the answer, the IDOR answer, the audit
 * search and the maintenance log. Skipped when the test server is unreachable (fails under CI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, testDialects } from '../index/testing/test-databases.js';
import { createHttpHarness, type HttpHarness } from './testing/http-harness.js';

const postgres = (await testDialects()).find((d) => d.dialect === 'postgres');

describe('HTTP API smoke (postgres)', { skip: postgres?.skip ?? 'no PostgreSQL dialect' }, () => {
  let h: HttpHarness;
  before(async () => {
    h = await createHttpHarness(await createTestDatabase('postgres'));
  });
  after(() => h?.close());

  it('logs in, changes, views, hides a restricted study, and finds it all in the trail', async () => {
    await h.addUser('pg-admin', ['admin']);
    await h.addUser('pg-chief', ['chief-technologist']);
    await h.addUser('pg-aud', ['auditor']);
    const admin = (await h.login('pg-admin')).token;
    const chief = (await h.login('pg-chief')).token;
    const auditor = (await h.login('pg-aud')).token;

    const created = await h.call('POST', '/api/users', { token: admin, body: { loginName: 'pg-doc', roles: ['physician'], password: 'a fine long passphrase' } });
    assert.equal(created.statusCode, 201);
    await h.addStudy('1.2.3.4', 'P-PG');
    await h.addStudy('1.2.3.5', 'P-PG-VIP');
    assert.equal((await h.call('PUT', '/api/studies/1.2.3.5/confidentiality', { token: admin, body: { confidentiality: 'restricted' } })).statusCode, 200);
    assert.equal((await h.call('GET', '/api/studies/1.2.3.4', { token: chief })).statusCode, 200);
    const hidden = await h.call('GET', '/api/studies/1.2.3.5', { token: chief });
    const missing = await h.call('GET', '/api/studies/1.2.3.6', { token: chief });
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.body, missing.body);

    const search = await h.call('GET', '/api/audit?patientId=P-PG', { token: auditor });
    assert.equal(search.statusCode, 200);
    assert.deepEqual(
      search.json<{ events: { action: string }[] }>().events.map((e) => e.action),
      ['view'],
    );
    const changes = await h.call('GET', '/api/audit?action=user-change&user=pg-admin', { token: auditor });
    assert.equal(changes.json<{ events: unknown[] }>().events.length, 1);
    assert.equal((await h.call('GET', '/api/maintenance/log', { token: auditor })).statusCode, 200);
  });
});
