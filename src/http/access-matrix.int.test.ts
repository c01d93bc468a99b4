/**
 * The access matrix (issue 3 item 3): every registered route called as every role and as an
 * anonymous caller, over a real SQLite database and the real services, asserting the status and
 * that exactly the expected audit event was written. Fails when a registered route is missing
 * from `ACCESS_MATRIX`, or the matrix names a route that does not exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../index/testing/test-databases.js';
import type { UserSubject } from '../auth/index.js';
import { ACCESS_MATRIX, SUBJECTS, expectationOf, type Subject } from './access-matrix.js';
import { routeKey } from './route.js';
import { SYSTEM, TEST_PASSWORD, createHttpHarness, type HttpHarness } from './testing/http-harness.js';
import { ctInstance, dicomParts, multipartBody } from './testing/dicomweb-fixtures.js';

const STUDY = '1.2.840.99.1';
/** One instance stored in STUDY, for the DICOMweb routes. */
const INSTANCE = ctInstance({ studyInstanceUid: STUDY, patientId: 'P-MATRIX' });

interface Call {
  readonly token: string | null;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

describe('access matrix: every route × every role (sqlite)', () => {
  let h: HttpHarness;
  const shared = new Map<Subject, string | null>();
  let target: string;
  let serial = 0;

  before(async () => {
    h = await createHttpHarness(await createTestDatabase('sqlite'));
    shared.set('anonymous', null);
    for (const subject of SUBJECTS) {
      if (subject === 'anonymous') continue;
      await h.addUser(`shared-${subject}`, [subject]);
      shared.set(subject, (await h.login(`shared-${subject}`)).token);
    }
    target = (await h.addUser('target', ['physician'])).id;
    await h.addUser('loginfixture', ['technologist']);
    await h.addStudy(STUDY, 'P-MATRIX');
    const receiver = await h.ingest.begin({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: INSTANCE.sopInstanceUid,
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      source: { via: 'import', callingAeTitle: null, calledAeTitle: null, peerAddress: null },
    });
    assert.ok(receiver.ok);
    await receiver.value.write(INSTANCE.dataset);
    assert.ok((await receiver.value.finish()).ok);
  });
  after(() => h.close());

  const next = (): number => ++serial;
  const fresh = async (role: string): Promise<{ id: string; token: string; loginName: string }> => {
    const loginName = `${role}-${next()}`;
    const user = await h.addUser(loginName, [role]);
    return { id: user.id, loginName, token: (await h.login(loginName)).token };
  };
  const subjectOf = async (token: string): Promise<UserSubject> => {
    const session = await h.services.sessions.authenticate(token);
    assert.ok(session.ok);
    return session.value.subject;
  };
  const openWindowOfFreshPhysician = async (): Promise<string> => {
    const physician = await fresh('physician');
    const opened = await h.services.breakGlass.open({ actor: await subjectOf(physician.token), source: SYSTEM.source }, { reason: 'fixture', purposeOfUse: 'BTG' });
    assert.ok(opened.ok);
    return opened.value.id;
  };
  const pendingMaintenance = async (): Promise<{ sessionId: string; token: string }> => {
    const engineer = await fresh('maintenance');
    const opened = await h.services.maintenance.open({ actor: await subjectOf(engineer.token), source: SYSTEM.source }, 'fixture work');
    assert.ok(opened.ok);
    return { sessionId: opened.value.id, token: engineer.token };
  };

  /** How to call each route as `subject` with a request that succeeds when the subject may. */
  async function prepare(key: string, subject: Subject): Promise<Call> {
    const token = shared.get(subject) ?? null;
    const role = subject === 'anonymous' ? null : subject;
    const asFresh = async (): Promise<string | null> => (role === null ? null : (await fresh(role)).token);
    switch (key) {
      case 'POST /api/session':
        return { token, url: '/api/session', body: { username: 'loginfixture', password: TEST_PASSWORD } };
      case 'DELETE /api/session':
        return { token: role === null ? null : (await h.login(`shared-${role}`)).token, url: '/api/session' };
      case 'POST /api/session/second-factor': {
        if (role === null) return { token: null, url: '/api/session/second-factor', body: { code: '000000' } };
        const loginName = `${role}-${next()}`;
        const code = await h.enrolTotp(await h.addUser(loginName, [role]));
        const waiting = await h.login(loginName);
        assert.equal(waiting.stage, 'second-factor-required');
        return { token: waiting.token, url: '/api/session/second-factor', body: { code: code() } };
      }
      case 'POST /api/session/reauthenticate':
        return { token, url: '/api/session/reauthenticate', body: { password: TEST_PASSWORD } };
      case 'POST /api/me/password':
        return { token: await asFresh(), url: '/api/me/password', body: { currentPassword: TEST_PASSWORD, newPassword: 'another long passphrase 2' } };
      case 'POST /api/me/totp/confirm': {
        const own = await asFresh();
        if (own === null) return { token: null, url: '/api/me/totp/confirm', body: { code: '000000' } };
        const response = await h.call('POST', '/api/me/totp', { token: own, body: {} });
        const { secret } = response.json<{ secret: string }>();
        const { base32Decode, totpAt } = await import('../auth/index.js');
        return { token: own, url: '/api/me/totp/confirm', body: { code: totpAt(base32Decode(secret)!, h.clock.now()) } };
      }
      case 'POST /api/users':
        return { token, url: '/api/users', body: { loginName: `created-${next()}`, roles: ['physician'], password: TEST_PASSWORD } };
      case 'PATCH /api/users/:userId':
        return { token, url: `/api/users/${target}`, body: { displayName: '新しい 表示名' } };
      case 'POST /api/users/:userId/password':
        return { token, url: `/api/users/${target}/password`, body: { password: 'a brand new passphrase' } };
      case 'POST /api/users/:userId/training':
        return { token, url: `/api/users/${target}/training`, body: { course: 'privacy', completedOn: '2025-01-01' } };
      case 'POST /api/peers':
        return { token, url: '/api/peers', body: { aeTitle: `AE${next()}`, services: ['echo', 'store'] } };
      case 'DELETE /api/peers/:aeTitle': {
        const aeTitle = `GONE${next()}`;
        assert.ok((await h.services.peers.add(SYSTEM, { aeTitle, services: ['echo'] })).ok);
        return { token, url: `/api/peers/${aeTitle}` };
      }
      case 'POST /api/break-glass':
        return { token: await asFresh(), url: '/api/break-glass', body: { reason: 'unconscious patient', purposeOfUse: 'ETREAT' } };
      case 'POST /api/break-glass/close': {
        const own = await asFresh();
        if (own !== null && ['technologist', 'chief-technologist', 'physician'].includes(subject)) {
          assert.ok((await h.services.breakGlass.open({ actor: await subjectOf(own), source: SYSTEM.source }, { reason: 'fixture', purposeOfUse: 'BTG' })).ok);
        }
        return { token: own, url: '/api/break-glass/close', body: {} };
      }
      case 'POST /api/break-glass/:breakGlassId/review':
        return { token, url: `/api/break-glass/${await openWindowOfFreshPhysician()}/review`, body: { note: 'justified' } };
      case 'POST /api/alerts/:alertId/acknowledge': {
        const windowId = await openWindowOfFreshPhysician();
        const alerts = await h.services.breakGlass.listAlerts(SYSTEM, { unacknowledgedOnly: true });
        assert.ok(alerts.ok);
        const alert = alerts.value.find((a) => a.breakGlassId === windowId);
        assert.ok(alert);
        return { token, url: `/api/alerts/${alert.id}/acknowledge`, body: {} };
      }
      case 'POST /api/maintenance':
        return { token: await asFresh(), url: '/api/maintenance', body: { description: 'replace disk 3' } };
      case 'POST /api/maintenance/:sessionId/approve':
      case 'POST /api/maintenance/:sessionId/reject': {
        const { sessionId } = await pendingMaintenance();
        return { token, url: `/api/maintenance/${sessionId}/${key.endsWith('approve') ? 'approve' : 'reject'}`, body: {} };
      }
      case 'POST /api/maintenance/:sessionId/close': {
        const pending = await pendingMaintenance();
        return { token: subject === 'maintenance' ? pending.token : token, url: `/api/maintenance/${pending.sessionId}/close`, body: {} };
      }
      case 'PUT /api/studies/:studyInstanceUid/confidentiality':
        return { token, url: `/api/studies/${STUDY}/confidentiality`, body: { confidentiality: 'normal' } };
      case 'PUT /api/studies/:studyInstanceUid/grants/:userId':
        // A grant that already exists changes nothing and is no event: start without it.
        await h.services.studyAccess.revoke(SYSTEM, STUDY, target);
        return { token, url: `/api/studies/${STUDY}/grants/${target}`, body: {} };
      case 'DELETE /api/studies/:studyInstanceUid/grants/:userId':
        assert.ok((await h.services.studyAccess.grant(SYSTEM, STUDY, target)).ok);
        return { token, url: `/api/studies/${STUDY}/grants/${target}` };
      case 'POST /dicomweb/studies':
      case 'POST /dicomweb/studies/:studyInstanceUid': {
        const { body, contentType } = multipartBody(dicomParts(ctInstance({ studyInstanceUid: STUDY, patientId: 'P-MATRIX' }).file));
        return { token, url: key.endsWith('studies') ? '/dicomweb/studies' : `/dicomweb/studies/${STUDY}`, body, headers: { 'content-type': contentType } };
      }
      default: {
        const [method, pattern] = key.split(' ') as [string, string];
        const url = pattern
          .replace(':userId', target)
          .replace(':studyInstanceUid', STUDY)
          .replace(':seriesInstanceUid', INSTANCE.seriesInstanceUid)
          .replace(':sopInstanceUid', INSTANCE.sopInstanceUid)
          .replace(':frameList', '1')
          .replace('/bulkdata/*', '/bulkdata/7FE00010');
        // Frame views are one event per study, session and minute: each call in its own session.
        if (pattern.includes('/frames/')) return { token: await asFresh(), url };
        assert.ok(!url.includes(':'), `no recipe for ${key}`);
        return { token, url, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) };
      }
    }
  }

  it('lists every registered route, and only those', () => {
    const registered = h.app.kakuteiRoutes.map(routeKey).sort();
    assert.deepEqual(registered, Object.keys(ACCESS_MATRIX).sort());
  });

  it('answers each subject as the matrix says, with exactly the expected audit event', async () => {
    const failures: string[] = [];
    for (const { method, url: pattern } of h.app.kakuteiRoutes) {
      const key = `${method} ${pattern}`;
      const row = ACCESS_MATRIX[key];
      if (row === undefined) continue; // reported by the test above
      for (const subject of SUBJECTS) {
        const expected = expectationOf(row[subject]);
        const call = await prepare(key, subject);
        const before = await h.head();
        const response = await h.call(method, call.url, { token: call.token, body: call.body, ...(call.headers === undefined ? {} : { headers: call.headers }) });
        const actions = (await h.eventsAfter(before)).map((event) => `${event.action}/${event.outcome}`);
        const wanted = expected.audit === null ? [] : [`${expected.audit}/${expected.status < 400 ? 0 : 4}`];
        if (response.statusCode !== expected.status || actions.join() !== wanted.join()) {
          failures.push(`${key} as ${subject}: got ${response.statusCode} [${actions.join(', ')}], want ${expected.status} [${wanted.join(', ')}] ${response.statusCode >= 400 ? response.body : ''}`);
        }
        if (response.statusCode >= 400) assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', key);
      }
    }
    assert.deepEqual(failures, []);
  });
});
