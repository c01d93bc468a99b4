import type { Clock } from '../../clock/index.js';
import type { AuditEventInput } from '../events.js';
import { ALL_AUDIT_ACTIONS } from '../actions.js';

/** A clock that advances one second per reading, from a fixed start: deterministic event times. */
export function steppingClock(start = Date.parse('2024-05-01T09:30:00.000Z')): Clock {
  let next = start;
  return {
    now: () => {
      const now = new Date(next);
      next += 1000;
      return now;
    },
  };
}

/** Events of every action and actor kind, cycling; `i` makes each distinct. */
export function sampleEvent(i: number): AuditEventInput {
  const action = ALL_AUDIT_ACTIONS[i % ALL_AUDIT_ACTIONS.length] ?? 'view';
  const actors: AuditEventInput['actor'][] = [
    { kind: 'user', userId: `u-${i % 3}`, loginName: `tech${i % 3}`, displayName: '山田 太郎', roles: ['technologist'] },
    { kind: 'peer', aeTitle: 'MODALITY1', peerName: 'CT 1' },
    { kind: 'system', component: 'kakutei' },
    { kind: 'anonymous', attemptedLoginName: 'nobody' },
  ];
  return {
    action,
    outcome: i % 7 === 0 ? 4 : 0,
    actor: actors[i % actors.length] as AuditEventInput['actor'],
    source: { address: `192.0.2.${i % 250}`, userAgent: i % 2 === 0 ? 'Mozilla/5.0' : null },
    objects: [{ patientId: `PID-${i % 5}`, studyInstanceUid: `1.2.392.200036.9116.2.${i}`, instanceCount: i + 1 }],
    breakGlass: i % 11 === 0,
    maintenanceSessionId: i % 13 === 0 ? `m-${i}` : null,
    detail: { requestId: `r-${i}`, frames: i },
  };
}
