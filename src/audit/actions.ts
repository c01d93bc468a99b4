import type { AuditAction } from './events.js';

/**
 * How each action is reported as a DICOM PS3.15 A.5.3 audit message: the EventID (codes of the
 * DCM coding scheme, PS3.16 CID 400), the EventTypeCode where A.5.3 asks for one (CID 401–403),
 * and the EventActionCode (A.5.1: C create, R read, U update, D delete, E execute).
 * The same table is written out in docs/AUDIT.md; a test keeps both in step.
 */
export interface DicomCode {
  readonly code: string;
  readonly meaning: string;
}

export interface AuditActionMapping {
  readonly eventId: DicomCode;
  readonly eventType: DicomCode | null;
  readonly eventActionCode: 'C' | 'R' | 'U' | 'D' | 'E';
}

const code = (value: string, meaning: string): DicomCode => ({ code: value, meaning });

export const EVENT_IDS = {
  applicationActivity: code('110100', 'Application Activity'),
  auditLogUsed: code('110101', 'Audit Log Used'),
  beginTransferring: code('110102', 'Begin Transferring DICOM Instances'),
  instancesAccessed: code('110103', 'DICOM Instances Accessed'),
  instancesTransferred: code('110104', 'DICOM Instances Transferred'),
  studyDeleted: code('110105', 'DICOM Study Deleted'),
  export: code('110106', 'Export'),
  import: code('110107', 'Import'),
  networkEntry: code('110108', 'Network Entry'),
  orderRecord: code('110109', 'Order Record'),
  patientRecord: code('110110', 'Patient Record'),
  query: code('110112', 'Query'),
  securityAlert: code('110113', 'Security Alert'),
  userAuthentication: code('110114', 'User Authentication'),
} as const;

export const EVENT_TYPES = {
  applicationStart: code('110120', 'Application Start'),
  applicationStop: code('110121', 'Application Stop'),
  login: code('110122', 'Login'),
  logout: code('110123', 'Logout'),
  nodeAuthentication: code('110126', 'Node Authentication'),
  emergencyOverrideStarted: code('110127', 'Emergency Override Started'),
  emergencyOverrideStopped: code('110138', 'Emergency Override Stopped'),
  networkConfiguration: code('110128', 'Network Configuration'),
  softwareConfiguration: code('110131', 'Software Configuration'),
  useOfRestrictedFunction: code('110132', 'Use of Restricted Function'),
  userSecurityAttributesChanged: code('110137', 'User security Attributes Changed'),
  localServiceOperationStarted: code('110141', 'Local Service Operation Started'),
  localServiceOperationStopped: code('110142', 'Local Service Operation Stopped'),
} as const;

const map = (eventId: DicomCode, eventActionCode: AuditActionMapping['eventActionCode'], eventType: DicomCode | null = null): AuditActionMapping => ({
  eventId,
  eventType,
  eventActionCode,
});

export const AUDIT_ACTIONS: Readonly<Record<AuditAction, AuditActionMapping>> = {
  login: map(EVENT_IDS.userAuthentication, 'E', EVENT_TYPES.login),
  logout: map(EVENT_IDS.userAuthentication, 'E', EVENT_TYPES.logout),
  'session-expired': map(EVENT_IDS.userAuthentication, 'E', EVENT_TYPES.logout),
  query: map(EVENT_IDS.query, 'E'),
  view: map(EVENT_IDS.instancesAccessed, 'R'),
  retrieve: map(EVENT_IDS.instancesTransferred, 'R'),
  store: map(EVENT_IDS.instancesTransferred, 'C'),
  export: map(EVENT_IDS.export, 'R'),
  import: map(EVENT_IDS.import, 'C'),
  delete: map(EVENT_IDS.studyDeleted, 'D'),
  'configuration-change': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.softwareConfiguration),
  'user-change': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.userSecurityAttributesChanged),
  'peer-change': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.networkConfiguration),
  'break-glass-open': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.emergencyOverrideStarted),
  'break-glass-close': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.emergencyOverrideStopped),
  'alert-acknowledge': map(EVENT_IDS.auditLogUsed, 'U'),
  'break-glass-review': map(EVENT_IDS.auditLogUsed, 'R'),
  'maintenance-open': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.localServiceOperationStarted),
  'maintenance-close': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.localServiceOperationStopped),
  'maintenance-action': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.useOfRestrictedFunction),
  'security-alert': map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.useOfRestrictedFunction),
  'application-start': map(EVENT_IDS.applicationActivity, 'E', EVENT_TYPES.applicationStart),
  'application-stop': map(EVENT_IDS.applicationActivity, 'E', EVENT_TYPES.applicationStop),
  association: map(EVENT_IDS.securityAlert, 'E', EVENT_TYPES.nodeAuthentication),
  'audit-log-used': map(EVENT_IDS.auditLogUsed, 'R'),
};

export const ALL_AUDIT_ACTIONS = Object.keys(AUDIT_ACTIONS) as AuditAction[];

export function isAuditAction(text: string): text is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, text);
}
