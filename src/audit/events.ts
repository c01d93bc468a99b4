/**
 * The vocabulary of the audit trail (guideline appendix 1 §4 ⑪, MHLW 7.1 B-1): who, when, from
 * where, on which information, did what, with what outcome. One event per request or association
 * per study touched; instance counts inside. Names, as snapshots, are part of the record (a later
 * change of a user's name never changes past events); patient names never are — IDs only.
 */

/** What happened. Each maps to a DICOM PS3.15 A.5 audit message in `AUDIT_ACTIONS` (actions.ts). */
export type AuditAction =
  | 'login'
  | 'logout'
  | 'session-expired'
  | 'query'
  | 'view'
  | 'retrieve'
  | 'store'
  | 'export'
  | 'import'
  | 'delete'
  | 'configuration-change'
  | 'user-change'
  | 'peer-change'
  | 'break-glass-open'
  | 'break-glass-close'
  | 'break-glass-review'
  | 'alert-acknowledge'
  | 'maintenance-open'
  | 'maintenance-close'
  | 'maintenance-action'
  | 'security-alert'
  | 'application-start'
  | 'application-stop'
  | 'association'
  /** An auditor read or searched the trail itself (PS3.15 A.5.3.2 Audit Log Used). */
  | 'audit-log-used';

/** PS3.15 A.5.1 EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export type AuditOutcome = 0 | 4 | 8 | 12;

export type AuditActor =
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly loginName: string;
      /** Display name at the time of the event (snapshot). */
      readonly displayName: string;
      readonly roles: readonly string[];
    }
  | { readonly kind: 'peer'; readonly aeTitle: string; readonly peerName: string | null }
  | { readonly kind: 'system'; readonly component: string }
  /** Someone not (yet) identified: a failed login names the attempted login name here. */
  | { readonly kind: 'anonymous'; readonly attemptedLoginName: string | null };

export interface AuditSource {
  /** Network address of the client or peer. */
  readonly address: string | null;
  /** HTTP User-Agent, or the DICOM calling AE's host description; null when unknown. */
  readonly userAgent: string | null;
}

/** One piece of information touched (a patient and optionally a study; counts, not lists). */
export interface AuditObject {
  readonly patientId: string | null;
  readonly studyInstanceUid: string | null;
  readonly seriesInstanceUids?: readonly string[];
  readonly instanceCount?: number;
}

export interface AuditEventInput {
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly actor: AuditActor;
  readonly source: AuditSource;
  readonly objects: readonly AuditObject[];
  /** Done inside a break-glass window (R9.13): flagged for review. */
  readonly breakGlass: boolean;
  /** Inside a maintenance session: its id (appendix 1 §4 ⑯). */
  readonly maintenanceSessionId?: string | null;
  /** Free-form, machine-readable detail; never patient names or secrets. */
  readonly detail?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * Where events go. Implementations that commit a change pass a sink bound to the change's own
 * transaction, so that the change and its event commit together (ARCHITECTURE invariants).
 */
export interface AuditSink {
  append(event: AuditEventInput): Promise<void>;
}
