import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from './permissions.js';
import { decide, errorCodeOfDenial, studyVisibility, type StudyResource } from './policy.js';
import { ROLES, type Role } from './roles.js';
import type { PeerSubject, UserSubject } from './subjects.js';

const user = (roles: Role[], extra: Partial<UserSubject> = {}): UserSubject => ({
  kind: 'user',
  userId: '7',
  loginName: 'u',
  displayName: 'U',
  roles,
  stage: 'active',
  breakGlass: null,
  maintenance: null,
  ...extra,
});

const study = (extra: Partial<StudyResource> = {}): StudyResource => ({
  kind: 'study',
  studyInstanceUid: '1.2.3',
  confidentiality: 'normal',
  grantedUserIds: [],
  ...extra,
});

/** The expected matrix, written out independently of ROLE_PERMISSIONS: a change to either fails here. */
const EXPECTED: Readonly<Record<Role, readonly Permission[]>> = {
  technologist: ['session:own', 'study:read', 'study:read-unfinalized', 'study:query', 'study:retrieve', 'study:store', 'study:import', 'study:finalize', 'break-glass:open'],
  'chief-technologist': [
    'session:own', 'study:read', 'study:read-unfinalized', 'study:query', 'study:retrieve', 'study:store', 'study:import', 'study:finalize', 'break-glass:open',
    'study:export', 'study:delete', 'study:set-confidentiality', 'maintenance-log:read',
  ],
  physician: ['session:own', 'study:read', 'study:query', 'study:retrieve', 'study:export', 'break-glass:open'],
  admin: ['session:own', 'user:manage', 'peer:manage', 'config:manage', 'maintenance:approve', 'maintenance-log:read', 'alerts:read', 'study:set-confidentiality'],
  auditor: ['session:own', 'audit:read', 'alerts:read', 'break-glass:review', 'maintenance-log:read'],
  maintenance: ['session:own', 'maintenance:open'],
};

describe('policy: every role × every permission', () => {
  for (const role of ROLES) {
    it(`${role}`, () => {
      for (const permission of PERMISSIONS) {
        const decision = decide(user([role]), permission);
        assert.equal(decision.allow, EXPECTED[role].includes(permission), `${role} ${permission}`);
      }
      assert.deepEqual([...ROLE_PERMISSIONS[role]].sort(), [...EXPECTED[role]].sort());
    });
  }

  it('denies by default: no role, unknown role', () => {
    for (const permission of PERMISSIONS) {
      assert.deepEqual(decide(user([]), permission), { allow: false, reason: 'no-permission' });
      assert.equal(decide(user(['root' as Role]), permission).allow, false);
    }
  });

  it('an unfinished login may only manage its own session', () => {
    const pending = user(['admin'], { stage: 'password-change-required' });
    assert.equal(decide(pending, 'session:own').allow, true);
    assert.deepEqual(decide(pending, 'user:manage'), { allow: false, reason: 'password-change-required' });
    assert.equal(errorCodeOfDenial('password-change-required'), 'PASSWORD_CHANGE_REQUIRED');
    assert.deepEqual(decide(user(['admin'], { stage: 'second-factor-required' }), 'user:manage'), { allow: false, reason: 'second-factor-required' });
  });
});

describe('policy: restricted and unfinalized studies', () => {
  it('a restricted study is invisible without a grant, and the denial maps to NOT_FOUND', () => {
    const decision = decide(user(['physician']), 'study:read', study({ confidentiality: 'restricted' }));
    assert.deepEqual(decision, { allow: false, reason: 'restricted' });
    assert.equal(errorCodeOfDenial('restricted'), 'NOT_FOUND');
  });

  it('a grant opens it to that user only', () => {
    const granted = study({ confidentiality: 'restricted', grantedUserIds: ['7'] });
    assert.deepEqual(decide(user(['physician']), 'study:read', granted), { allow: true, breakGlass: false, maintenanceSessionId: null });
    assert.equal(decide(user(['physician'], { userId: '8' }), 'study:read', granted).allow, false);
  });

  it('break-glass opens restricted and unfinalized studies, flagged', () => {
    const inWindow = user(['physician'], { breakGlass: { id: '1', expiresAt: new Date(0) } });
    assert.deepEqual(decide(inWindow, 'study:read', study({ confidentiality: 'restricted', finalized: false })), { allow: true, breakGlass: true, maintenanceSessionId: null });
    // Everything done in the window is flagged, normal studies too.
    assert.deepEqual(decide(inWindow, 'study:query', study()), { allow: true, breakGlass: true, maintenanceSessionId: null });
    // It grants reading, not deleting.
    assert.equal(decide(inWindow, 'study:delete', study()).allow, false);
    // A role without break-glass:open gains nothing from a window.
    assert.equal(decide(user(['auditor'], { breakGlass: { id: '1', expiresAt: new Date(0) } }), 'study:read', study()).allow, false);
  });

  it('physicians read finalized studies only; technologists read unfinalized ones', () => {
    assert.deepEqual(decide(user(['physician']), 'study:read', study({ finalized: false })), { allow: false, reason: 'unfinalized' });
    assert.equal(decide(user(['physician']), 'study:read', study({ finalized: true })).allow, true);
    assert.equal(decide(user(['technologist']), 'study:read', study({ finalized: false })).allow, true);
  });

  it('list visibility follows the same rules', () => {
    assert.deepEqual(studyVisibility(user(['physician'])), { restricted: 'granted', userId: '7', unfinalized: false, breakGlass: false });
    assert.deepEqual(studyVisibility(user(['physician'], { breakGlass: { id: '1', expiresAt: new Date(0) } })), { restricted: 'all', userId: '7', unfinalized: true, breakGlass: true });
    assert.equal(studyVisibility(user(['admin'])).restricted, 'none');
  });
});

describe('policy: maintenance accounts', () => {
  it('hold nothing outside an active maintenance session', () => {
    assert.deepEqual(decide(user(['maintenance']), 'study:query'), { allow: false, reason: 'maintenance-session-required' });
    assert.equal(decide(user(['maintenance'], { maintenance: { id: '3', active: false } }), 'study:query').allow, false);
  });

  it('act inside an active one, each decision naming the session', () => {
    const active = user(['maintenance'], { maintenance: { id: '3', active: true } });
    assert.deepEqual(decide(active, 'config:manage'), { allow: true, breakGlass: false, maintenanceSessionId: '3' });
    assert.equal(decide(active, 'user:manage').allow, false);
    assert.equal(decide(active, 'audit:read').allow, false);
  });
});

describe('policy: DICOM peers', () => {
  const peer = (services: PeerSubject['services']): PeerSubject => ({
    kind: 'peer',
    aeTitle: 'CT01',
    address: '10.0.0.1',
    certificateSubject: null,
    peerName: null,
    registered: false,
    services,
  });

  it('maps services to permissions, default deny', () => {
    const open = peer(['echo', 'store']);
    assert.equal(decide(open, 'dicom:echo').allow, true);
    assert.equal(decide(open, 'study:store').allow, true);
    assert.equal(decide(open, 'study:query').allow, false);
    assert.equal(decide(open, 'study:retrieve').allow, false);
    assert.equal(decide(peer([]), 'dicom:echo').allow, false);
    for (const permission of PERMISSIONS) {
      if (!['dicom:echo', 'study:store'].includes(permission)) assert.equal(decide(open, permission).allow, false, permission);
    }
  });

  it('never shows restricted studies to peers, but lets them keep storing to one', () => {
    const registered = peer(['query', 'retrieve', 'store']);
    assert.deepEqual(decide(registered, 'study:query', study({ confidentiality: 'restricted' })), { allow: false, reason: 'restricted' });
    assert.equal(decide(registered, 'study:store', study({ confidentiality: 'restricted' })).allow, true);
  });
});
