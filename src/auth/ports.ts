import type { AuditSink } from '../audit/events.js';
import type { Confidentiality } from './policy.js';
import type { Role } from './roles.js';
import type { PeerServiceName, SessionStage } from './subjects.js';

/**
 * The storage port the identity core owns; `src/index/identity-store.ts` implements it over SQL.
 * Every change runs inside `transaction`, whose `audit` sink appends to the audit trail in the SAME
 * transaction: the change and its event commit or roll back together (ARCHITECTURE invariants).
 * Ids are strings (64-bit integers in the database).
 */
export interface IdentityStore {
  transaction<T>(work: (tx: IdentityTransaction) => Promise<T>): Promise<T>;
}

export interface IdentityTransaction {
  readonly audit: AuditSink;

  countUsers(): Promise<number>;
  findUserByLogin(loginName: string): Promise<UserRecord | null>;
  findUserById(id: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  insertUser(user: NewUser): Promise<UserRecord>;
  updateUser(id: string, patch: UserPatch): Promise<void>;
  listTraining(userId: string): Promise<TrainingRecord[]>;
  insertTraining(userId: string, record: TrainingRecord): Promise<void>;

  insertSession(session: NewSession): Promise<string>;
  findSessionByTokenHash(tokenHash: string): Promise<SessionRecord | null>;
  updateSession(id: string, patch: SessionPatch): Promise<void>;
  /** Ends every open session of a user; returns how many. */
  endSessionsOfUser(userId: string, reason: SessionEndReason, at: Date): Promise<number>;

  listPeers(): Promise<PeerRecord[]>;
  insertPeer(peer: NewPeer): Promise<void>;
  deletePeer(aeTitle: string): Promise<boolean>;

  insertBreakGlass(window: NewBreakGlass): Promise<BreakGlassRecord>;
  findBreakGlass(id: string): Promise<BreakGlassRecord | null>;
  /** The window of a user open at `now` (not closed, not expired), if any. */
  findOpenBreakGlass(userId: string, now: Date): Promise<BreakGlassRecord | null>;
  listBreakGlass(filter: { readonly unreviewedOnly: boolean }): Promise<BreakGlassRecord[]>;
  updateBreakGlass(id: string, patch: BreakGlassPatch): Promise<void>;

  insertAlert(alert: NewAlert): Promise<AlertRecord>;
  findAlert(id: string): Promise<AlertRecord | null>;
  listAlerts(filter: { readonly unacknowledgedOnly: boolean }): Promise<AlertRecord[]>;
  acknowledgeAlert(id: string, userId: string, at: Date): Promise<void>;

  insertMaintenanceSession(session: NewMaintenanceSession): Promise<MaintenanceSessionRecord>;
  findMaintenanceSession(id: string): Promise<MaintenanceSessionRecord | null>;
  /** The user's pending or active maintenance session, if any. */
  findCurrentMaintenanceSession(userId: string): Promise<MaintenanceSessionRecord | null>;
  updateMaintenanceSession(id: string, patch: MaintenanceSessionPatch): Promise<void>;
  insertMaintenanceLog(entry: NewMaintenanceLogEntry): Promise<void>;
  listMaintenanceLog(filter: { readonly sessionId: string | null }): Promise<MaintenanceLogEntry[]>;

  /** A study's confidentiality and grants; null when no such study is indexed. */
  findStudyAccess(studyInstanceUid: string): Promise<StudyAccessRecord | null>;
  setStudyConfidentiality(studyInstanceUid: string, level: Confidentiality, at: Date): Promise<void>;
  /** false when the grant already existed. */
  insertStudyGrant(studyInstanceUid: string, userId: string, grantedBy: string, at: Date): Promise<boolean>;
  deleteStudyGrant(studyInstanceUid: string, userId: string): Promise<boolean>;
}

export interface UserRecord {
  readonly id: string;
  readonly loginName: string;
  readonly displayName: string;
  readonly kana: string | null;
  readonly roles: readonly Role[];
  readonly passwordHash: string;
  readonly passwordChangedAt: Date;
  readonly mustChangePassword: boolean;
  readonly disabled: boolean;
  readonly failedLogins: number;
  readonly lockedUntil: Date | null;
  /** Base32 TOTP secret; set at enrolment, `totpEnabled` once a first code confirmed it. */
  readonly totpSecret: string | null;
  readonly totpEnabled: boolean;
  readonly totpLastStep: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewUser {
  readonly loginName: string;
  readonly displayName: string;
  readonly kana: string | null;
  readonly roles: readonly Role[];
  readonly passwordHash: string;
  readonly mustChangePassword: boolean;
  readonly at: Date;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'displayName'
    | 'kana'
    | 'roles'
    | 'passwordHash'
    | 'passwordChangedAt'
    | 'mustChangePassword'
    | 'disabled'
    | 'failedLogins'
    | 'lockedUntil'
    | 'totpSecret'
    | 'totpEnabled'
    | 'totpLastStep'
  >
> & { readonly updatedAt: Date };

/** A completed required training (guideline §4 ⑬: users are trained before they use the system). */
export interface TrainingRecord {
  readonly course: string;
  /** Completion date, `YYYY-MM-DD`. */
  readonly completedOn: string;
  readonly recordedAt: Date;
}

export type SessionEndReason = 'logout' | 'idle-timeout' | 'absolute-timeout' | 'user-disabled' | 'password-changed';

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly csrfHash: string;
  readonly stage: SessionStage;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly reauthenticatedAt: Date | null;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
  readonly sourceAddress: string | null;
  readonly userAgent: string | null;
}

export interface NewSession {
  readonly tokenHash: string;
  readonly csrfHash: string;
  readonly userId: string;
  readonly stage: SessionStage;
  readonly at: Date;
  readonly sourceAddress: string | null;
  readonly userAgent: string | null;
}

export type SessionPatch = Partial<Pick<SessionRecord, 'stage' | 'lastSeenAt' | 'reauthenticatedAt' | 'endedAt' | 'endReason'>>;

export interface PeerRecord {
  readonly aeTitle: string;
  /** null = any address. */
  readonly host: string | null;
  readonly port: number | null;
  readonly name: string | null;
  readonly services: readonly PeerServiceName[];
  readonly tlsCertificateSubject: string | null;
}

export type NewPeer = PeerRecord & { readonly at: Date };

/** HL7 v3 PurposeOfUse: ETREAT (emergency treatment), BTG (break the glass). */
export type PurposeOfUse = 'ETREAT' | 'BTG';

export interface BreakGlassRecord {
  readonly id: string;
  readonly userId: string;
  readonly reason: string;
  readonly purposeOfUse: PurposeOfUse;
  readonly openedAt: Date;
  readonly expiresAt: Date;
  readonly closedAt: Date | null;
  readonly reviewedBy: string | null;
  readonly reviewedAt: Date | null;
  readonly reviewNote: string | null;
}

export type NewBreakGlass = Pick<BreakGlassRecord, 'userId' | 'reason' | 'purposeOfUse' | 'openedAt' | 'expiresAt'>;
export type BreakGlassPatch = Partial<Pick<BreakGlassRecord, 'closedAt' | 'reviewedBy' | 'reviewedAt' | 'reviewNote'>>;

export type AlertKind = 'break-glass-open';

export interface AlertRecord {
  readonly id: string;
  readonly kind: AlertKind;
  readonly raisedAt: Date;
  readonly userId: string | null;
  readonly breakGlassId: string | null;
  /** For admins and auditors; never patient data. */
  readonly message: string;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: Date | null;
}

export type NewAlert = Pick<AlertRecord, 'kind' | 'raisedAt' | 'userId' | 'breakGlassId' | 'message'>;

export type MaintenanceStatus = 'pending' | 'active' | 'closed' | 'rejected';

export interface MaintenanceSessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly description: string;
  readonly status: MaintenanceStatus;
  readonly requestedAt: Date;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  readonly closedAt: Date | null;
}

export type NewMaintenanceSession = Pick<MaintenanceSessionRecord, 'userId' | 'description' | 'status' | 'requestedAt'> &
  Partial<Pick<MaintenanceSessionRecord, 'approvedBy' | 'approvedAt'>>;
export type MaintenanceSessionPatch = Partial<Pick<MaintenanceSessionRecord, 'status' | 'approvedBy' | 'approvedAt' | 'closedAt'>>;

export interface MaintenanceLogEntry {
  readonly id: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly at: Date;
  /** What was done, e.g. the permission used or the route; never patient data. */
  readonly action: string;
  readonly detail: string | null;
}

export type NewMaintenanceLogEntry = Omit<MaintenanceLogEntry, 'id'>;

export interface StudyAccessRecord {
  readonly studyInstanceUid: string;
  readonly patientId: string | null;
  readonly confidentiality: Confidentiality;
  readonly grantedUserIds: readonly string[];
}
