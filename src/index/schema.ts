import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * The index schema as Kysely sees it (tables snake_case, as created by `migrations/`).
 *
 * Conventions, the same on SQLite and PostgreSQL:
 * - ids are 64-bit integers (SQLite rowid alias, PostgreSQL identity). The drivers return them as
 *   numbers (better-sqlite3) or strings (pg, int8), so rows type them `number | string`; everything
 *   this module hands out converts them to strings.
 * - times (`created_at`, `received_at`, …) are ISO-8601 UTC text with milliseconds
 *   (`Date.prototype.toISOString`, e.g. `2024-05-01T09:30:00.000Z`): equal on both dialects, and
 *   ordered correctly by plain text comparison.
 * - booleans are integers 0/1 (SQLite has no boolean type and better-sqlite3 binds no JS booleans).
 * - DICOM values stay DICOM text (DA `YYYYMMDD`, TM `HHMMSS.FFFFFF`), so that C-FIND and QIDO
 *   range matching (PS3.4 C.2.2.2.5) is a text comparison; multi-valued numbers are backslash-joined.
 * - absent text is NULL, except `issuer_of_patient_id`, where absence is '' so that the unique key
 *   (patient_id, issuer) holds on both databases (NULLs are never equal in a unique index).
 */
export type DbId = ColumnType<number | string, never, never>;
export type DbRef = ColumnType<number | string, number | string, number | string>;
/** int8 on PostgreSQL comes back as a string. */
export type DbBigInt = ColumnType<number | string, number, number>;
export type DbFlag = 0 | 1;

export interface PatientsTable {
  id: DbId;
  /** NULL when the objects carried no Patient ID: such a patient is never merged with another. */
  patient_id: string | null;
  issuer_of_patient_id: string;
  name_alphabetic: string | null;
  name_ideographic: string | null;
  name_phonetic: string | null;
  /** Fuzzy-matching copies (migration 0004-query, src/query/normalize.ts). */
  name_alphabetic_norm: string | null;
  name_ideographic_norm: string | null;
  name_phonetic_norm: string | null;
  sex: string | null;
  birth_date: string | null;
  created_at: string;
}

export interface StudiesTable {
  id: DbId;
  study_instance_uid: string;
  patient_fk: DbRef;
  study_id: string | null;
  study_date: string | null;
  study_time: string | null;
  timezone_offset: string | null;
  accession_number: string | null;
  study_description: string | null;
  referring_physician_name_alphabetic: string | null;
  referring_physician_name_ideographic: string | null;
  referring_physician_name_phonetic: string | null;
  referring_physician_name_alphabetic_norm: string | null;
  referring_physician_name_ideographic_norm: string | null;
  referring_physician_name_phonetic_norm: string | null;
  requested_procedure_id: string | null;
  scheduled_procedure_step_id: string | null;
  created_at: string;
  updated_at: string;
  /** 'normal' | 'restricted' (migration 0003; R9.2): restricted studies need a grant or break-glass. */
  confidentiality: ColumnType<string, string | undefined, string>;
}

export interface SeriesTable {
  id: DbId;
  series_instance_uid: string;
  study_fk: DbRef;
  modality: string | null;
  series_number: number | null;
  series_date: string | null;
  series_time: string | null;
  series_description: string | null;
  body_part_examined: string | null;
  laterality: string | null;
  performing_physician_name_alphabetic: string | null;
  performing_physician_name_ideographic: string | null;
  performing_physician_name_phonetic: string | null;
  operators_name_alphabetic: string | null;
  operators_name_ideographic: string | null;
  operators_name_phonetic: string | null;
  performing_physician_name_alphabetic_norm: string | null;
  performing_physician_name_ideographic_norm: string | null;
  performing_physician_name_phonetic_norm: string | null;
  operators_name_alphabetic_norm: string | null;
  operators_name_ideographic_norm: string | null;
  operators_name_phonetic_norm: string | null;
  station_name: string | null;
  manufacturer: string | null;
  manufacturer_model_name: string | null;
  patient_position: string | null;
  created_at: string;
}

export interface InstancesTable {
  id: DbId;
  sop_instance_uid: string;
  series_fk: DbRef;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  instance_number: number | null;
  image_type: string | null;
  image_laterality: string | null;
  view_position: string | null;
  acquisition_date: string | null;
  acquisition_time: string | null;
  content_date: string | null;
  content_time: string | null;
  lossy: DbFlag;
  lossy_ratio: string | null;
  lossy_method: string | null;
  window_center: string | null;
  window_width: string | null;
  image_position_patient: string | null;
  image_orientation_patient: string | null;
  rows: number | null;
  columns: number | null;
  bits_allocated: number | null;
  bits_stored: number | null;
  samples_per_pixel: number | null;
  photometric_interpretation: string | null;
  number_of_frames: number | null;
  object_key: string;
  sha256: string;
  dataset_bytes: DbBigInt;
  file_bytes: DbBigInt;
  received_at: string;
  calling_ae_title: string | null;
  called_ae_title: string | null;
  peer_address: string | null;
  source_via: string;
  specific_character_set: string | null;
  /** The object's own patient identity, as received, whatever patient its study is filed under. */
  header_patient_id: string | null;
  header_issuer_of_patient_id: string | null;
  header_patient_name_alphabetic: string | null;
  header_patient_name_ideographic: string | null;
  header_patient_name_phonetic: string | null;
  header_patient_sex: string | null;
  header_patient_birth_date: string | null;
  has_faults: DbFlag;
  /** A later issue adds record versions and the foreign key. */
  record_version_id: string | null;
}

export interface InstanceFramesTable {
  instance_fk: DbRef;
  frame_number: number;
  image_position_patient: string | null;
  image_orientation_patient: string | null;
}

export interface InstanceConflictsTable {
  id: DbId;
  sop_instance_uid: string;
  current_instance_fk: DbRef;
  object_key: string;
  sha256: string;
  dataset_bytes: DbBigInt;
  transfer_syntax_uid: string;
  received_at: string;
  calling_ae_title: string | null;
  peer_address: string | null;
  resolved_at: string | null;
}

export interface AttributeFaultsTable {
  id: DbId;
  instance_fk: DbRef | null;
  conflict_fk: DbRef | null;
  code: string;
  tag: string | null;
  message: string;
}

export interface PatientMismatchesTable {
  id: DbId;
  study_fk: DbRef;
  instance_fk: DbRef;
  expected_patient_id: string | null;
  expected_issuer_of_patient_id: string;
  received_patient_id: string | null;
  received_issuer_of_patient_id: string;
  detected_at: string;
  resolved_at: string | null;
}

/** One event of the audit trail (migrations/0002-audit.ts; hashed as described in src/audit/record.ts). */
export interface AuditEventsTable {
  seq: DbBigInt;
  event_id: string;
  occurred_at: string;
  action: string;
  dicom_event_id: string;
  dicom_event_type_code: string | null;
  outcome: number;
  actor_kind: string;
  actor_id: string | null;
  actor_login: string | null;
  actor_name: string | null;
  /** JSON array of role names, users only. */
  actor_roles: string | null;
  source_address: string | null;
  source_user_agent: string | null;
  break_glass: DbFlag;
  maintenance_session_id: string | null;
  objects_json: string;
  detail_json: string;
  prev_hash: string;
  hash: string;
}

/** Search rows: one per patient/study an audit event touched. */
export interface AuditEventObjectsTable {
  seq: DbBigInt;
  patient_id: string | null;
  study_instance_uid: string | null;
}

/** Users (migration 0003-identity). `roles` is comma-separated role names. */
export interface UsersTable {
  id: DbId;
  login_name: string;
  display_name: string;
  kana: string | null;
  roles: string;
  password_hash: string;
  password_changed_at: string;
  must_change_password: DbFlag;
  disabled: DbFlag;
  failed_logins: ColumnType<number, number | undefined, number>;
  locked_until: string | null;
  totp_secret: string | null;
  totp_enabled: ColumnType<DbFlag, DbFlag | undefined, DbFlag>;
  totp_last_step: ColumnType<number | string | null, number | null | undefined, number | null>;
  created_at: string;
  updated_at: string;
}

export interface UserTrainingTable {
  id: DbId;
  user_fk: DbRef;
  course: string;
  completed_on: string;
  recorded_at: string;
}

/** Login sessions: SHA-256 of the token only, never the token. */
export interface UserSessionsTable {
  id: DbId;
  token_hash: string;
  csrf_hash: string;
  user_fk: DbRef;
  stage: string;
  created_at: string;
  last_seen_at: string;
  reauthenticated_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
  source_address: string | null;
  user_agent: string | null;
}

export interface DicomPeersTable {
  id: DbId;
  ae_title: string;
  host: string | null;
  port: number | null;
  name: string | null;
  /** Comma-separated: echo, store, query, retrieve, commit. */
  services: string;
  tls_certificate_subject: string | null;
  created_at: string;
}

export interface BreakGlassWindowsTable {
  id: DbId;
  user_fk: DbRef;
  reason: string;
  purpose_of_use: string;
  opened_at: string;
  expires_at: string;
  closed_at: string | null;
  reviewed_by_fk: DbRef | null;
  reviewed_at: string | null;
  review_note: string | null;
}

export interface AlertsTable {
  id: DbId;
  kind: string;
  raised_at: string;
  user_fk: DbRef | null;
  break_glass_fk: DbRef | null;
  message: string;
  acknowledged_by_fk: DbRef | null;
  acknowledged_at: string | null;
}

export interface MaintenanceSessionsTable {
  id: DbId;
  user_fk: DbRef;
  description: string;
  /** 'pending' | 'active' | 'closed' | 'rejected' */
  status: string;
  requested_at: string;
  approved_by_fk: DbRef | null;
  approved_at: string | null;
  closed_at: string | null;
}

export interface MaintenanceLogTable {
  id: DbId;
  session_fk: DbRef;
  user_fk: DbRef;
  at: string;
  action: string;
  detail: string | null;
}

export interface StudyGrantsTable {
  study_instance_uid: string;
  user_id: DbRef;
  granted_by: DbRef;
  granted_at: string;
}

export interface DatabaseSchema {
  patients: PatientsTable;
  studies: StudiesTable;
  series: SeriesTable;
  instances: InstancesTable;
  instance_frames: InstanceFramesTable;
  instance_conflicts: InstanceConflictsTable;
  attribute_faults: AttributeFaultsTable;
  patient_mismatches: PatientMismatchesTable;
  users: UsersTable;
  user_training: UserTrainingTable;
  user_sessions: UserSessionsTable;
  dicom_peers: DicomPeersTable;
  break_glass_windows: BreakGlassWindowsTable;
  alerts: AlertsTable;
  maintenance_sessions: MaintenanceSessionsTable;
  maintenance_log: MaintenanceLogTable;
  study_grants: StudyGrantsTable;
  audit_events: AuditEventsTable;
  audit_event_objects: AuditEventObjectsTable;
}

export type NewInstanceRow = Insertable<InstancesTable>;
export type InstanceRow = Selectable<InstancesTable>;
