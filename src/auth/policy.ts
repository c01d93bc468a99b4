import type { ErrorCode } from '../errors/index.js';
import { BREAK_GLASS_PERMISSIONS, MAINTENANCE_SESSION_PERMISSIONS, permissionsOfRoles, type Permission } from './permissions.js';
import type { PeerServiceName, PeerSubject, Subject, UserSubject } from './subjects.js';

/**
 * The one policy engine (issue 3 item 3): every HTTP route and every DIMSE service asks `decide`
 * before acting. Default deny: an action is allowed only when a rule below grants it.
 */

export type Confidentiality = 'normal' | 'restricted';
export const CONFIDENTIALITY_LEVELS: readonly Confidentiality[] = ['normal', 'restricted'];

/** A study being acted on, with what the policy needs to know about it. */
export interface StudyResource {
  readonly kind: 'study';
  readonly studyInstanceUid: string;
  readonly confidentiality: Confidentiality;
  /** Users granted this study (R9.2); relevant when it is restricted. */
  readonly grantedUserIds: readonly string[];
  /**
   * false while the study is not finalized (確定前). Absent until the records issue tracks
   * finalization: then only `study:read` applies.
   */
  readonly finalized?: boolean;
}

export type Resource = StudyResource;

export type DenyReason =
  /** The subject holds no permission for the action. */
  | 'no-permission'
  /** A restricted study without grant or break-glass: answer as if it did not exist. */
  | 'restricted'
  /** An unfinalized study for a subject who may read finalized ones only. */
  | 'unfinalized'
  | 'password-change-required'
  | 'second-factor-required'
  /** A maintenance account outside an active maintenance session. */
  | 'maintenance-session-required';

export type Decision =
  | {
      readonly allow: true;
      /** Done inside a break-glass window: flag the audit event (R9.13). */
      readonly breakGlass: boolean;
      /** Done inside a maintenance session: write it to the maintenance log. */
      readonly maintenanceSessionId: string | null;
    }
  | { readonly allow: false; readonly reason: DenyReason };

/** Actions that disclose a study's content or existence. */
const READING: ReadonlySet<Permission> = new Set(['study:read', 'study:query', 'study:retrieve', 'study:export', 'study:commit']);
/** Study actions that need no per-study access: a modality keeps sending to a restricted study. */
const WITHOUT_STUDY_ACCESS: ReadonlySet<Permission> = new Set(['study:store', 'study:import', 'study:set-confidentiality']);

export function decide(subject: Subject, action: Permission, resource?: Resource): Decision {
  return subject.kind === 'peer' ? decideForPeer(subject, action, resource) : decideForUser(subject, action, resource);
}

function decideForUser(subject: UserSubject, action: Permission, resource: Resource | undefined): Decision {
  if (subject.stage !== 'active') {
    if (action === 'session:own') return { allow: true, breakGlass: false, maintenanceSessionId: null };
    return { allow: false, reason: subject.stage === 'password-change-required' ? 'password-change-required' : 'second-factor-required' };
  }
  const held = new Set(permissionsOfRoles(subject.roles));
  const maintenanceActive = subject.maintenance?.active === true && subject.roles.includes('maintenance');
  if (maintenanceActive) for (const p of MAINTENANCE_SESSION_PERMISSIONS) held.add(p);
  const breakGlass = subject.breakGlass !== null && held.has('break-glass:open');
  if (breakGlass) for (const p of BREAK_GLASS_PERMISSIONS) held.add(p);

  if (!held.has(action)) {
    const onlyMaintenance = subject.roles.length > 0 && subject.roles.every((r) => r === 'maintenance');
    if (onlyMaintenance && !maintenanceActive && MAINTENANCE_SESSION_PERMISSIONS.includes(action)) {
      return { allow: false, reason: 'maintenance-session-required' };
    }
    return { allow: false, reason: 'no-permission' };
  }
  if (resource !== undefined && !WITHOUT_STUDY_ACCESS.has(action)) {
    if (resource.confidentiality !== 'normal' && !held.has('study:read-restricted') && !resource.grantedUserIds.includes(subject.userId)) {
      return { allow: false, reason: 'restricted' };
    }
    if (resource.finalized === false && READING.has(action) && !held.has('study:read-unfinalized')) {
      return { allow: false, reason: 'unfinalized' };
    }
  }
  return { allow: true, breakGlass, maintenanceSessionId: maintenanceActive ? (subject.maintenance?.id ?? null) : null };
}

/** The permission each DICOM service needs, and back. */
const SERVICE_PERMISSION: Readonly<Record<PeerServiceName, Permission>> = {
  echo: 'dicom:echo',
  store: 'study:store',
  query: 'study:query',
  retrieve: 'study:retrieve',
  commit: 'study:commit',
};

export function permissionOfPeerService(service: PeerServiceName): Permission {
  return SERVICE_PERMISSION[service];
}

function decideForPeer(subject: PeerSubject, action: Permission, resource: Resource | undefined): Decision {
  const allowed = subject.services.some((service) => SERVICE_PERMISSION[service] === action);
  if (!allowed) return { allow: false, reason: 'no-permission' };
  // Peers hold no per-study grants: a restricted study is invisible to DICOM query and retrieve.
  if (resource !== undefined && resource.confidentiality !== 'normal' && !WITHOUT_STUDY_ACCESS.has(action)) {
    return { allow: false, reason: 'restricted' };
  }
  return { allow: true, breakGlass: false, maintenanceSessionId: null };
}

/**
 * The error an edge answers with. A restricted study is NOT_FOUND, never ACCESS_DENIED, so that
 * the answer does not reveal that it exists (issue 3 item 8, IDOR).
 */
export function errorCodeOfDenial(reason: DenyReason): ErrorCode {
  switch (reason) {
    case 'restricted':
      return 'NOT_FOUND';
    case 'password-change-required':
      return 'PASSWORD_CHANGE_REQUIRED';
    case 'second-factor-required':
      return 'SECOND_FACTOR_REQUIRED';
    default:
      return 'ACCESS_DENIED';
  }
}

/**
 * Which studies a list query (QIDO-RS, C-FIND) may return for a subject — the filter the query
 * path compiles into SQL, so that restricted studies never appear in results, not even as counts.
 */
export interface StudyVisibility {
  /** 'all': every restricted study; 'granted': those granted to `userId`; 'none'. */
  readonly restricted: 'all' | 'granted' | 'none';
  readonly userId: string | null;
  /** May see studies not yet finalized. */
  readonly unfinalized: boolean;
  readonly breakGlass: boolean;
}

export function studyVisibility(subject: Subject): StudyVisibility {
  const probe = (finalized: boolean, confidentiality: Confidentiality, granted: readonly string[]): boolean =>
    decide(subject, 'study:query', { kind: 'study', studyInstanceUid: '', confidentiality, grantedUserIds: granted, finalized }).allow;
  const userId = subject.kind === 'user' ? subject.userId : null;
  const restricted = probe(true, 'restricted', []) ? 'all' : userId !== null && probe(true, 'restricted', [userId]) ? 'granted' : 'none';
  const decision = decide(subject, 'study:query');
  return {
    restricted,
    userId,
    unfinalized: probe(false, 'normal', []),
    breakGlass: decision.allow && decision.breakGlass,
  };
}
