/**
 * Access control over HTTP (issue 3 items 1, 4, 5, 6, 8): a restricted study answers exactly like
 * a missing one (IDOR); break-glass opens it, flags what is done, alerts admins and is reviewed by
 * an auditor; a maintenance account acts only in an approved session and every action lands in
 * the maintenance log; auditors search the trail, and the search is itself recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../index/testing/test-databases.js';
import { createHttpHarness, type HttpHarness } from './testing/http-harness.js';

const RESTRICTED = '1.2.392.1.1';
const MISSING = '1.2.392.1.2';
const NORMAL = '1.2.392.1.3';

interface AuditPage {
  events: { seq: number; action: string; breakGlass: boolean; maintenanceSessionId: string | null; objects: { studyInstanceUid: string | null }[]; detail: Record<string, unknown> }[];
  nextBeforeSeq: number | null;
}

describe('HTTP access control (sqlite)', () => {
  let h: HttpHarness;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  before(async () => {
    h = await createHttpHarness(await createTestDatabase('sqlite'));
    for (const [login, role] of [
      ['doc', 'physician'],
      ['er', 'physician'],
      ['chief', 'chief-technologist'],
      ['boss', 'admin'],
      ['aud', 'auditor'],
      ['eng', 'maintenance'],
    ] as const) {
      ids[login] = (await h.addUser(login, [role])).id;
      tokens[login] = (await h.login(login)).token;
    }
    await h.addStudy(RESTRICTED, 'P-VIP');
    await h.addStudy(NORMAL, 'P-NORMAL');
    const restricted = await h.call('PUT', `/api/studies/${RESTRICTED}/confidentiality`, { token: tokens['chief']!, body: { confidentiality: 'restricted' } });
    assert.equal(restricted.statusCode, 200);
  });
  after(() => h.close());

  it('answers a restricted study the caller may not see exactly like a study that does not exist', async () => {
    const before = await h.head();
    const hidden = await h.call('GET', `/api/studies/${RESTRICTED}`, { token: tokens['doc']! });
    const missing = await h.call('GET', `/api/studies/${MISSING}`, { token: tokens['doc']! });
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.body, missing.body);
    for (const header of ['content-type', 'content-length', 'cache-control', 'www-authenticate']) assert.equal(hidden.headers[header], missing.headers[header], header);
    assert.equal(hidden.body.includes('P-VIP'), false);
    // The auditor still learns of the attempt.
    const events = await h.eventsAfter(before);
    assert.deepEqual(events.map((e) => [e.action, e.outcome, e.detail['reason'], e.objects[0]?.studyInstanceUid]), [['security-alert', 4, 'restricted', RESTRICTED]]);
    assert.equal((await h.call('GET', `/api/studies/${NORMAL}`, { token: tokens['doc']! })).statusCode, 200);
  });

  it('shows a restricted study to a user granted it', async () => {
    assert.equal((await h.call('PUT', `/api/studies/${RESTRICTED}/grants/${ids['doc']!}`, { token: tokens['boss']!, body: {} })).statusCode, 200);
    const seen = await h.call('GET', `/api/studies/${RESTRICTED}`, { token: tokens['doc']! });
    assert.equal(seen.statusCode, 200);
    assert.equal(seen.json<{ patientId: string }>().patientId, 'P-VIP');
    assert.equal((await h.call('DELETE', `/api/studies/${RESTRICTED}/grants/${ids['doc']!}`, { token: tokens['boss']! })).statusCode, 200);
    assert.equal((await h.call('GET', `/api/studies/${RESTRICTED}`, { token: tokens['doc']! })).statusCode, 404);
  });

  it('break-glass: opens the study, flags the view, alerts admins, and is reviewed by an auditor', async () => {
    const er = tokens['er']!;
    const opened = await h.call('POST', '/api/break-glass', { token: er, body: { reason: 'unconscious patient, no ID', purposeOfUse: 'ETREAT' } });
    assert.equal(opened.statusCode, 201);
    const windowId = opened.json<{ id: string }>().id;
    const before = await h.head();
    assert.equal((await h.call('GET', `/api/studies/${RESTRICTED}`, { token: er })).statusCode, 200);
    const [view] = await h.eventsAfter(before);
    assert.equal(view?.action, 'view');
    assert.equal(view?.breakGlass, true);

    const alerts = (await h.call('GET', '/api/alerts?unacknowledgedOnly=true', { token: tokens['boss']! })).json<{ alerts: { id: string; breakGlassId: string }[] }>().alerts;
    const alert = alerts.find((a) => a.breakGlassId === windowId);
    assert.ok(alert, 'the admin sees the alert');
    assert.equal((await h.call('POST', `/api/alerts/${alert.id}/acknowledge`, { token: tokens['aud']!, body: {} })).statusCode, 204);
    assert.equal((await h.call('POST', `/api/alerts/${alert.id}/acknowledge`, { token: tokens['boss']!, body: {} })).statusCode, 409);

    const listed = (await h.call('GET', '/api/break-glass?unreviewedOnly=true', { token: tokens['aud']! })).json<{ windows: { id: string }[] }>().windows;
    assert.ok(listed.some((w) => w.id === windowId));
    const reviewed = await h.call('POST', `/api/break-glass/${windowId}/review`, { token: tokens['aud']!, body: { note: 'ER admission confirmed' } });
    assert.equal(reviewed.statusCode, 200);
    assert.equal((await h.call('POST', `/api/break-glass/${windowId}/review`, { token: tokens['aud']!, body: { note: 'again' } })).statusCode, 409);

    assert.equal((await h.call('POST', '/api/break-glass/close', { token: er, body: {} })).statusCode, 204);
    assert.equal((await h.call('GET', `/api/studies/${RESTRICTED}`, { token: er })).statusCode, 404);
  });

  it('maintenance: nothing before approval, every action logged inside the session, nothing after it closes', async () => {
    const eng = tokens['eng']!;
    const peersBefore = await h.call('GET', '/api/peers', { token: eng });
    assert.equal(peersBefore.statusCode, 403);
    const opened = await h.call('POST', '/api/maintenance', { token: eng, body: { description: 'replace the RAID controller' } });
    assert.equal(opened.statusCode, 201);
    const sessionId = opened.json<{ id: string; status: string }>().id;
    assert.equal(opened.json<{ status: string }>().status, 'pending');
    assert.equal((await h.call('GET', '/api/peers', { token: eng })).statusCode, 403);
    // Nobody approves their own session: an admin does.
    assert.equal((await h.call('POST', `/api/maintenance/${sessionId}/approve`, { token: tokens['boss']!, body: {} })).statusCode, 200);

    const before = await h.head();
    assert.equal((await h.call('GET', '/api/peers', { token: eng })).statusCode, 200);
    assert.equal((await h.call('POST', '/api/peers', { token: eng, body: { aeTitle: 'CT01', host: '192.0.2.7', services: ['store'] } })).statusCode, 201);
    const events = await h.eventsAfter(before);
    assert.deepEqual(
      events.map((e) => [e.action, e.maintenanceSessionId]),
      [
        ['maintenance-action', sessionId],
        ['maintenance-action', sessionId],
        ['peer-change', sessionId],
      ],
    );
    const log = await h.call('GET', `/api/maintenance/log?sessionId=${sessionId}`, { token: tokens['boss']! });
    assert.equal(log.statusCode, 200);
    assert.deepEqual(
      log.json<{ entries: { action: string }[] }>().entries.map((e) => e.action),
      ['GET /api/peers', 'POST /api/peers'],
    );
    assert.equal((await h.call('GET', '/api/maintenance/log', { token: eng })).statusCode, 403);

    assert.equal((await h.call('POST', `/api/maintenance/${sessionId}/close`, { token: eng, body: {} })).statusCode, 204);
    assert.equal((await h.call('GET', '/api/peers', { token: eng })).statusCode, 403);
  });

  it('lets an auditor search the trail by study, patient, user, action and time, page by page; the search is recorded', async () => {
    const aud = tokens['aud']!;
    const byStudy = (await h.call('GET', `/api/audit?studyInstanceUid=${RESTRICTED}&action=view`, { token: aud })).json<AuditPage>();
    assert.ok(byStudy.events.length >= 2);
    assert.ok(byStudy.events.every((e) => e.action === 'view' && e.objects.some((o) => o.studyInstanceUid === RESTRICTED)));
    const byPatient = (await h.call('GET', '/api/audit?patientId=P-NORMAL', { token: aud })).json<AuditPage>();
    assert.ok(byPatient.events.some((e) => e.action === 'view'));
    const byUser = (await h.call('GET', `/api/audit?user=er&action=break-glass-open`, { token: aud })).json<AuditPage>();
    assert.equal(byUser.events.length, 1);
    assert.equal(byUser.events[0]?.breakGlass, true);
    const future = (await h.call('GET', `/api/audit?from=${encodeURIComponent(new Date(h.clock.now().getTime() + 60_000).toISOString())}`, { token: aud })).json<AuditPage>();
    assert.deepEqual(future.events, []);

    const first = (await h.call('GET', '/api/audit?limit=2', { token: aud })).json<AuditPage>();
    assert.equal(first.events.length, 2);
    assert.ok(first.nextBeforeSeq !== null);
    const second = (await h.call('GET', `/api/audit?limit=2&beforeSeq=${first.nextBeforeSeq}`, { token: aud })).json<AuditPage>();
    assert.ok(second.events.every((e) => e.seq < first.nextBeforeSeq!));

    const searches = (await h.call('GET', `/api/audit?action=audit-log-used&user=aud&limit=500`, { token: aud })).json<AuditPage>();
    const ofStudy = searches.events.find((e) => e.objects.some((o) => o.studyInstanceUid === RESTRICTED));
    assert.ok(ofStudy, 'the search by study is itself an audit-log-used event naming the study');
    assert.equal(ofStudy.detail['log'], 'audit');
    assert.equal((await h.call('GET', '/api/audit?from=yesterday', { token: aud })).statusCode, 400);
  });
});
