/**
 * The identity core over SQL, on SQLite and PostgreSQL: users and their audit snapshots, the
 * first-start admin, login rules (lockout and its expiry, generic failures, training, TOTP and
 * replay), sessions (idle and absolute timeouts, disabled users, logout, re-authentication, CSRF),
 * break-glass with its alert and review, maintenance sessions and their log, study confidentiality.
 * Time comes from an injected clock: nothing sleeps.
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AuditEventInput, AuditSource } from '../audit/events.js';
import { configSchema } from '../config/schema.js';
import type { Result } from '../errors/index.js';
import { createSqlAuditStore } from '../index/audit-store.js';
import { createIdentityStore } from '../index/identity-store.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../index/testing/test-databases.js';
import { createAuthServices, hotp, base32Decode, type ActingContext, type AuthServices, type AuthSettings, type UserSubject } from './index.js';
import { argon2idHasher } from './passwords.js';
import { totpStepAt } from './totp.js';

const SOURCE: AuditSource = { address: '192.0.2.10', userAgent: 'test' };
const CLI: ActingContext = { actor: { kind: 'system', component: 'test' }, source: SOURCE };
const PASSWORD = 'correct horse battery';

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code} ${result.error.detail ?? ''}`);
  return result.value;
}

function errorCode<T>(result: Result<T>): string {
  assert.equal(result.ok, false, 'expected a failure');
  return result.ok ? '' : result.error.code;
}

interface Harness {
  readonly services: AuthServices;
  readonly events: AuditEventInput[];
  readonly clock: { now(): Date; advance(ms: number): void };
  readonly settings: AuthSettings;
}

function harness(t: TestDatabase, overrides: Partial<AuthSettings> = {}): Harness {
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const events: AuditEventInput[] = [];
  const store = createIdentityStore(t.db, { auditSinkFor: () => ({ append: (event) => Promise.resolve(void events.push(event)) }) });
  const settings: AuthSettings = { ...configSchema.parse({}).auth, ...overrides };
  const services = createAuthServices({ store, clock, settings, hasher: argon2idHasher() }, { configuredPeers: [], openStorage: true });
  return { services, events, clock, settings };
}

async function addUser(h: Harness, loginName: string, roles: string[], extra: { mustChangePassword?: boolean } = {}) {
  return value(await h.services.users.createUser(CLI, { loginName, displayName: '山田 太郎', kana: 'ヤマダ タロウ', roles, password: PASSWORD, mustChangePassword: extra.mustChangePassword ?? false }));
}

async function loginAs(h: Harness, loginName: string, password = PASSWORD, totp?: string) {
  return h.services.sessions.login({ loginName, password, totp, source: SOURCE });
}

async function subjectOf(h: Harness, token: string): Promise<UserSubject> {
  return value(await h.services.sessions.authenticate(token, SOURCE)).subject;
}

for (const { dialect, skip } of await testDialects()) {
  describe(`identity and access control (${dialect})`, { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(dialect);
    });
    after(() => t.dispose());
    beforeEach(async () => {
      // Each test starts from no users; child tables first.
      for (const table of ['maintenance_log', 'maintenance_sessions', 'alerts', 'break_glass_windows', 'study_grants', 'user_sessions', 'user_training', 'dicom_peers'] as const) {
        await t.db.kysely.deleteFrom(table).execute();
      }
      await t.db.kysely.deleteFrom('users').execute();
    });

    it('creates users with a user-change snapshot event; a rename keeps the old snapshot', async () => {
      const h = harness(t);
      const user = await addUser(h, 'yamada', ['physician']);
      assert.equal(h.events.at(-1)?.action, 'user-change');
      assert.equal(h.events.at(-1)?.detail?.['targetDisplayName'], '山田 太郎');
      assert.equal(h.events.at(-1)?.detail?.['targetKana'], 'ヤマダ タロウ');
      value(await h.services.users.updateUser(CLI, user.id, { displayName: '佐藤 太郎', roles: ['physician', 'auditor'] }));
      const change = h.events.at(-1);
      assert.equal(change?.detail?.['previousDisplayName'], '山田 太郎');
      assert.equal(change?.detail?.['targetDisplayName'], '佐藤 太郎');
      assert.equal(change?.detail?.['targetRoles'], 'physician,auditor');
      assert.equal(h.events[0]?.detail?.['targetDisplayName'], '山田 太郎', 'the first event is unchanged');
      assert.equal(errorCode(await h.services.users.createUser(CLI, { loginName: 'yamada', roles: ['admin'], password: PASSWORD })), 'ALREADY_EXISTS');
      assert.equal(errorCode(await h.services.users.createUser(CLI, { loginName: 'x', roles: ['root'], password: PASSWORD })), 'INVALID_REQUEST');
      assert.equal(errorCode(await h.services.users.createUser(CLI, { loginName: 'short', roles: ['admin'], password: 'short' })), 'PASSWORD_POLICY');
    });

    it('a user without user:manage cannot create users', async () => {
      const h = harness(t);
      await addUser(h, 'doc', ['physician']);
      const login = value(await loginAs(h, 'doc'));
      const context: ActingContext = { actor: await subjectOf(h, login.token), source: SOURCE };
      assert.equal(errorCode(await h.services.users.createUser(context, { loginName: 'evil', roles: ['admin'], password: PASSWORD })), 'ACCESS_DENIED');
    });

    it('first start: admin with a one-time password in a 0600 file, forced to change it', async () => {
      const h = harness(t);
      const dataDir = await mkdtemp(join(tmpdir(), 'kakutei-auth-'));
      try {
        const created = await h.services.users.ensureInitialAdmin(dataDir);
        assert.ok(created.created);
        assert.equal(created.passwordFile, join(dataDir, 'initial-admin-password'));
        assert.equal((await stat(created.passwordFile)).mode & 0o777, 0o600);
        const password = (await readFile(created.passwordFile, 'utf8')).trim();
        assert.ok(password.length >= 32);
        assert.ok(!JSON.stringify(h.events).includes(password), 'the password is in no event');
        assert.deepEqual(await h.services.users.ensureInitialAdmin(dataDir), { created: false });

        const login = value(await loginAs(h, 'admin', password));
        assert.equal(login.mustChangePassword, true);
        const session = value(await h.services.sessions.authenticate(login.token));
        const context: ActingContext = { actor: session.subject, source: SOURCE };
        assert.equal(errorCode(await h.services.users.createUser(context, { loginName: 'x', roles: ['admin'], password: PASSWORD })), 'ACCESS_DENIED');
        assert.equal(value(await h.services.account.changePassword(session, password, 'a new long passphrase', SOURCE)).stage, 'active');
        const after = value(await h.services.sessions.authenticate(login.token));
        value(await h.services.users.createUser({ actor: after.subject, source: SOURCE }, { loginName: 'tech', roles: ['technologist'], password: PASSWORD }));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it('locks after N failures for M minutes, with generic failures, and unlocks after', async () => {
      const h = harness(t, { lockoutThreshold: 3, lockoutMinutes: 15 });
      await addUser(h, 'tech', ['technologist']);
      const unknown = await loginAs(h, 'nobody');
      for (let i = 0; i < 3; i++) assert.deepEqual(await loginAs(h, 'tech', 'wrong password!!'), unknown);
      assert.deepEqual(await loginAs(h, 'tech'), unknown, 'locked: the right password fails the same way');
      assert.equal(errorCode(unknown), 'AUTH_FAILED');
      const reasons = h.events.filter((e) => e.action === 'login').map((e) => e.detail?.['reason']);
      assert.deepEqual(reasons, ['unknown-user', 'bad-password', 'bad-password', 'bad-password', 'locked']);
      assert.deepEqual(h.events.find((e) => e.detail?.['reason'] === 'unknown-user')?.actor, { kind: 'anonymous', attemptedLoginName: 'nobody' });
      h.clock.advance(15 * 60_000 - 1);
      assert.equal((await loginAs(h, 'tech')).ok, false);
      h.clock.advance(1);
      assert.equal(value(await loginAs(h, 'tech')).stage, 'active');
    });

    it('ends sessions after the idle and the absolute timeout', async () => {
      const h = harness(t, { sessionIdleMinutes: 15, sessionAbsoluteMinutes: 60 });
      await addUser(h, 'tech', ['technologist']);
      const idle = value(await loginAs(h, 'tech'));
      h.clock.advance(14 * 60_000);
      value(await h.services.sessions.authenticate(idle.token));
      h.clock.advance(14 * 60_000);
      value(await h.services.sessions.authenticate(idle.token));
      h.clock.advance(15 * 60_000);
      assert.equal(errorCode(await h.services.sessions.authenticate(idle.token)), 'SESSION_EXPIRED');
      assert.equal(h.events.at(-1)?.action, 'session-expired');
      assert.equal(h.events.at(-1)?.detail?.['reason'], 'idle-timeout');

      const busy = value(await loginAs(h, 'tech'));
      for (let i = 0; i < 5; i++) {
        h.clock.advance(10 * 60_000);
        value(await h.services.sessions.authenticate(busy.token));
      }
      h.clock.advance(10 * 60_000);
      assert.equal(errorCode(await h.services.sessions.authenticate(busy.token)), 'SESSION_EXPIRED');
      assert.equal(h.events.at(-1)?.detail?.['reason'], 'absolute-timeout');
      assert.equal(errorCode(await h.services.sessions.authenticate('not a token')), 'SESSION_EXPIRED');
    });

    it('disabling a user ends its sessions; logout ends one; CSRF and re-authentication', async () => {
      const h = harness(t);
      const tech = await addUser(h, 'tech', ['technologist']);
      const first = value(await loginAs(h, 'tech'));
      const second = value(await loginAs(h, 'tech'));
      const session = value(await h.services.sessions.authenticate(first.token));
      assert.equal(h.services.sessions.verifyCsrf(session, first.csrfToken).ok, true);
      assert.equal(errorCode(h.services.sessions.verifyCsrf(session, second.csrfToken)), 'CSRF_INVALID');
      assert.equal(errorCode(h.services.sessions.verifyCsrf(session, undefined)), 'CSRF_INVALID');

      assert.equal(errorCode(h.services.sessions.requireRecentAuth(session)), 'REAUTHENTICATION_REQUIRED');
      assert.equal(errorCode(await h.services.sessions.reauthenticate(first.token, 'wrong password!!', undefined, SOURCE)), 'AUTH_FAILED');
      value(await h.services.sessions.reauthenticate(first.token, PASSWORD, undefined, SOURCE));
      const fresh = value(await h.services.sessions.authenticate(first.token));
      assert.equal(h.services.sessions.requireRecentAuth(fresh).ok, true);
      h.clock.advance(6 * 60_000);
      assert.equal(errorCode(h.services.sessions.requireRecentAuth(fresh)), 'REAUTHENTICATION_REQUIRED');

      value(await h.services.sessions.logout(first.token, SOURCE));
      assert.equal(h.events.at(-1)?.action, 'logout');
      assert.equal(errorCode(await h.services.sessions.authenticate(first.token)), 'SESSION_EXPIRED');
      value(await h.services.users.setDisabled(CLI, tech.id, true));
      assert.equal(errorCode(await h.services.sessions.authenticate(second.token)), 'SESSION_EXPIRED');
      assert.equal(errorCode(await loginAs(h, 'tech')), 'AUTH_FAILED');
      assert.equal(h.events.at(-1)?.detail?.['reason'], 'disabled');
    });

    it('refuses login without recorded training when the rule is on', async () => {
      const h = harness(t, { requireTraining: true, requiredTrainingCourses: ['security-2025'] });
      const user = await addUser(h, 'tech', ['technologist']);
      assert.equal(errorCode(await loginAs(h, 'tech')), 'AUTH_FAILED');
      assert.equal(h.events.at(-1)?.detail?.['reason'], 'training-missing');
      value(await h.services.users.recordTraining(CLI, user.id, { course: 'security-2025', completedOn: '2025-01-05' }));
      assert.equal(h.events.at(-1)?.detail?.['operation'], 'training');
      assert.equal(value(await loginAs(h, 'tech')).stage, 'active');
      assert.equal(errorCode(await h.services.users.recordTraining(CLI, user.id, { course: 'x', completedOn: '2025-13-01' })), 'INVALID_REQUEST');
    });

    it('TOTP: required per role, enrolment, login with a code, no replay', async () => {
      const h = harness(t, { totpRequiredForRoles: ['auditor'] });
      await addUser(h, 'aud', ['auditor']);
      const first = value(await loginAs(h, 'aud'));
      assert.equal(first.totpEnrolmentRequired, true);
      let session = value(await h.services.sessions.authenticate(first.token));
      assert.equal(errorCode(await h.services.breakGlass.listAlerts({ actor: session.subject, source: SOURCE }, { unacknowledgedOnly: false })), 'ACCESS_DENIED');
      const enrolment = value(await h.services.account.beginTotpEnrolment(session));
      const secret = base32Decode(enrolment.secret)!;
      const code = () => hotp(secret, totpStepAt(h.clock.now()));
      assert.equal(value(await h.services.account.confirmTotpEnrolment(session, code(), SOURCE)).stage, 'active');
      session = value(await h.services.sessions.authenticate(first.token));
      value(await h.services.breakGlass.listAlerts({ actor: session.subject, source: SOURCE }, { unacknowledgedOnly: false }));

      h.clock.advance(30_000);
      const withoutCode = value(await loginAs(h, 'aud'));
      assert.equal(withoutCode.totpRequired, true);
      const pending = value(await h.services.sessions.authenticate(withoutCode.token));
      const used = code();
      assert.equal(value(await h.services.account.completeSecondFactor(pending, used, SOURCE)).stage, 'active');
      assert.equal(errorCode(await loginAs(h, 'aud', PASSWORD, used)), 'AUTH_FAILED', 'a used code is refused');
      h.clock.advance(30_000);
      assert.equal(value(await loginAs(h, 'aud', PASSWORD, code())).stage, 'active');
      assert.equal(errorCode(await loginAs(h, 'aud', PASSWORD, '000000')), 'AUTH_FAILED');
    });

    it('break-glass: opens with a reason, grants restricted reading flagged, raises an alert, is reviewed', async () => {
      const h = harness(t, { breakGlassMinutes: 30 });
      await addUser(h, 'doc', ['physician']);
      await addUser(h, 'aud', ['auditor']);
      const doc = value(await loginAs(h, 'doc'));
      const docContext = async (): Promise<ActingContext> => ({ actor: await subjectOf(h, doc.token), source: SOURCE });
      assert.equal(errorCode(await h.services.breakGlass.open(await docContext(), { reason: 'ER', purposeOfUse: 'TREAT' })), 'INVALID_REQUEST');
      const window = value(await h.services.breakGlass.open(await docContext(), { reason: 'unconscious patient in ER', purposeOfUse: 'ETREAT' }));
      assert.equal(window.expiresAt.getTime() - window.openedAt.getTime(), 30 * 60_000);
      assert.equal(h.events.at(-1)?.action, 'break-glass-open');
      assert.equal(h.events.at(-1)?.breakGlass, true);
      const subject = await subjectOf(h, doc.token);
      assert.equal(subject.breakGlass?.id, window.id);
      const { decide } = await import('./policy.js');
      const restricted = { kind: 'study' as const, studyInstanceUid: '1.2', confidentiality: 'restricted' as const, grantedUserIds: [] };
      assert.deepEqual(decide(subject, 'study:read', restricted), { allow: true, breakGlass: true, maintenanceSessionId: null });
      for (const step of [14, 14]) {
        h.clock.advance(step * 60_000);
        assert.equal((await subjectOf(h, doc.token)).breakGlass?.id, window.id);
      }
      h.clock.advance(2 * 60_000);
      assert.equal((await subjectOf(h, doc.token)).breakGlass, null, 'the window expires');

      const aud = value(await loginAs(h, 'aud'));
      const audContext: ActingContext = { actor: await subjectOf(h, aud.token), source: SOURCE };
      const alerts = value(await h.services.breakGlass.listAlerts(audContext, { unacknowledgedOnly: true }));
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]?.breakGlassId, window.id);
      value(await h.services.breakGlass.acknowledgeAlert(audContext, alerts[0].id));
      assert.equal(value(await h.services.breakGlass.listAlerts(audContext, { unacknowledgedOnly: true })).length, 0);
      assert.equal(errorCode(await h.services.breakGlass.review(await docContext(), window.id, 'fine')), 'ACCESS_DENIED');
      const reviewed = value(await h.services.breakGlass.review(audContext, window.id, 'justified: emergency'));
      assert.ok(reviewed.reviewedAt);
      assert.equal(h.events.at(-1)?.action, 'break-glass-review');
      assert.equal(errorCode(await h.services.breakGlass.review(audContext, window.id, 'again')), 'STATE_CONFLICT');
    });

    it('maintenance: nothing before approval, logged actions inside, closing', async () => {
      const h = harness(t, { maintenanceRequiresApproval: true });
      await addUser(h, 'vendor', ['maintenance']);
      await addUser(h, 'boss', ['admin']);
      const vendor = value(await loginAs(h, 'vendor'));
      const boss = value(await loginAs(h, 'boss'));
      const vendorContext = async (): Promise<ActingContext> => ({ actor: await subjectOf(h, vendor.token), source: SOURCE });
      const bossContext: ActingContext = { actor: await subjectOf(h, boss.token), source: SOURCE };
      assert.equal(errorCode(await h.services.peers.add(await vendorContext(), { aeTitle: 'CT01', services: ['store'] })), 'ACCESS_DENIED');
      const session = value(await h.services.maintenance.open(await vendorContext(), 'replace CT gateway'));
      assert.equal(session.status, 'pending');
      assert.equal(h.events.at(-1)?.action, 'maintenance-open');
      assert.equal(errorCode(await h.services.peers.add(await vendorContext(), { aeTitle: 'CT01', services: ['store'] })), 'ACCESS_DENIED');
      assert.equal(value(await h.services.maintenance.decide(bossContext, session.id, true)).status, 'active');
      const inside = await vendorContext();
      value(await h.services.peers.add(inside, { aeTitle: 'CT01', services: ['store'] }));
      assert.equal(h.events.at(-1)?.maintenanceSessionId, session.id);
      value(await h.services.maintenance.recordAction(inside.actor as UserSubject, { action: 'peer:manage', detail: 'added CT01', source: SOURCE }));
      const log = value(await h.services.maintenance.readLog(bossContext, session.id));
      assert.deepEqual(log.map((e) => e.action), ['peer:manage']);
      assert.equal(errorCode(await h.services.maintenance.readLog(inside, null)), 'ACCESS_DENIED');
      value(await h.services.maintenance.close(inside, session.id));
      assert.equal(h.events.at(-1)?.action, 'maintenance-close');
      assert.equal((await subjectOf(h, vendor.token)).maintenance, null);
    });

    it('maintenance without approval is active at once', async () => {
      const h = harness(t, { maintenanceRequiresApproval: false });
      await addUser(h, 'vendor', ['maintenance']);
      const vendor = value(await loginAs(h, 'vendor'));
      const session = value(await h.services.maintenance.open({ actor: await subjectOf(h, vendor.token), source: SOURCE }, 'log collection'));
      assert.equal(session.status, 'active');
      assert.deepEqual((await subjectOf(h, vendor.token)).maintenance, { id: session.id, active: true });
    });

    it('peers: add, list, remove; unknown AEs may echo and store but not query', async () => {
      const h = harness(t);
      const unknown = await h.services.peers.identify({ aeTitle: 'ANY', address: '::ffff:198.51.100.7' });
      assert.deepEqual(unknown.services, ['echo', 'store']);
      assert.equal(unknown.registered, false);
      assert.equal(unknown.address, '198.51.100.7');
      value(await h.services.peers.add(CLI, { aeTitle: 'PACS', host: '127.0.0.1', port: 104, name: 'old PACS', services: ['query', 'retrieve', 'echo'] }));
      assert.equal(h.events.at(-1)?.action, 'peer-change');
      assert.equal(errorCode(await h.services.peers.add(CLI, { aeTitle: 'PACS', services: ['echo'] })), 'ALREADY_EXISTS');
      assert.equal(errorCode(await h.services.peers.add(CLI, { aeTitle: 'BAD\\AE', services: ['echo'] })), 'INVALID_REQUEST');
      assert.equal(errorCode(await h.services.peers.add(CLI, { aeTitle: 'X', services: ['delete'] })), 'INVALID_REQUEST');
      const known = await h.services.peers.identify({ aeTitle: 'PACS', address: '127.0.0.1' });
      assert.deepEqual([known.registered, known.peerName, [...known.services]], [true, 'old PACS', ['query', 'retrieve', 'echo']]);
      const spoofed = await h.services.peers.identify({ aeTitle: 'PACS', address: '203.0.113.9' });
      assert.equal(spoofed.registered, false);
      assert.equal(spoofed.addressMismatch, true);
      assert.deepEqual((await h.services.peers.list()).map((p) => [p.aeTitle, p.source]), [['PACS', 'database']]);
      value(await h.services.peers.remove(CLI, 'PACS'));
      assert.equal(errorCode(await h.services.peers.remove(CLI, 'PACS')), 'NOT_FOUND');
      assert.equal((await h.services.peers.identify({ aeTitle: 'PACS', address: '127.0.0.1' })).registered, false);
    });

    it('writes each change and its audit event in one transaction: both commit or neither', async () => {
      const clock = { now: () => new Date(Date.UTC(2025, 0, 6)) };
      const auditStore = createSqlAuditStore(t.db, { clock });
      const store = createIdentityStore(t.db, { auditSinkFor: (trx) => auditStore.sinkFor(trx) });
      const settings = configSchema.parse({}).auth;
      const services = createAuthServices({ store, clock, settings, hasher: argon2idHasher() }, { configuredPeers: [], openStorage: true });
      const eventsOf = async () => (await t.db.kysely.selectFrom('audit_events').select(['action', 'detail_json']).orderBy('seq').execute()).filter((e) => e.action === 'user-change');
      const before = (await eventsOf()).length;
      const created = value(await services.users.createUser(CLI, { loginName: 'atomic', roles: ['physician'], password: PASSWORD }));
      const events = await eventsOf();
      assert.equal(events.length, before + 1);
      assert.match(events.at(-1)?.detail_json ?? '', /"targetLoginName":"atomic"/);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.updateUser(created.id, { displayName: 'changed', updatedAt: clock.now() });
          await tx.audit.append({ action: 'user-change', outcome: 0, actor: { kind: 'system', component: 'test' }, source: SOURCE, objects: [], breakGlass: false });
          throw new Error('fails before commit');
        }),
        /fails before commit/,
      );
      assert.equal((await eventsOf()).length, before + 1, 'the event rolled back with the change');
      assert.equal((await services.users.getUser(created.id))?.displayName, 'atomic');
    });

    it('peers: openStorage false closes storage; configured peers count without the database', async () => {
      const h = harness(t);
      const store = createIdentityStore(t.db, { auditSinkFor: () => ({ append: () => Promise.resolve() }) });
      const configured = { aeTitle: 'MR01', host: null, port: 104, name: 'MR', services: ['echo', 'store'] as const, tlsCertificateSubject: 'CN=mr01' };
      const closed = createAuthServices({ store, clock: h.clock, settings: h.settings, hasher: argon2idHasher() }, { configuredPeers: [configured], openStorage: false });
      assert.deepEqual((await closed.peers.identify({ aeTitle: 'ANY', address: '10.0.0.1' })).services, []);
      assert.equal((await closed.peers.identify({ aeTitle: 'MR01 ', address: '10.0.0.1', certificateSubject: 'CN=mr01' })).registered, true);
      assert.equal((await closed.peers.identify({ aeTitle: 'MR01', address: '10.0.0.1', certificateSubject: 'CN=other' })).registered, false);
      assert.deepEqual((await closed.peers.list()).map((p) => [p.aeTitle, p.source]), [['MR01', 'config']]);
    });

    it('study confidentiality and grants, audited', async () => {
      const h = harness(t);
      await addUser(h, 'boss', ['admin']);
      const doc = await addUser(h, 'doc', ['physician']);
      const now = new Date().toISOString();
      const patient = await t.db.kysely.insertInto('patients').values({ patient_id: 'P1', issuer_of_patient_id: '', created_at: now }).returning('id').executeTakeFirstOrThrow();
      await t.db.kysely.insertInto('studies').values({ study_instance_uid: '1.2.3', patient_fk: patient.id, created_at: now, updated_at: now }).execute();
      assert.equal((await h.services.studyAccess.resourceOf('1.2.3'))?.confidentiality, 'normal');
      assert.equal(await h.services.studyAccess.resourceOf('9.9'), null);
      value(await h.services.studyAccess.setConfidentiality(CLI, '1.2.3', 'restricted'));
      assert.deepEqual(h.events.at(-1)?.objects, [{ patientId: 'P1', studyInstanceUid: '1.2.3' }]);
      value(await h.services.studyAccess.grant(CLI, '1.2.3', doc.id));
      const resource = await h.services.studyAccess.resourceOf('1.2.3', true);
      assert.deepEqual(resource, { kind: 'study', studyInstanceUid: '1.2.3', confidentiality: 'restricted', grantedUserIds: [doc.id], finalized: true });
      value(await h.services.studyAccess.revoke(CLI, '1.2.3', doc.id));
      assert.deepEqual((await h.services.studyAccess.resourceOf('1.2.3'))?.grantedUserIds, []);
      assert.equal(errorCode(await h.services.studyAccess.setConfidentiality(CLI, '1.2.3', 'secret')), 'INVALID_REQUEST');
      await t.db.kysely.deleteFrom('studies').execute();
      await t.db.kysely.deleteFrom('patients').execute();
    });
  });
}
