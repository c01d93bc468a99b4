import type { Selectable, Transaction, Updateable } from 'kysely';
import type {
  AlertKind,
  AlertRecord,
  BreakGlassPatch,
  BreakGlassRecord,
  MaintenanceLogEntry,
  MaintenanceSessionPatch,
  MaintenanceSessionRecord,
  MaintenanceStatus,
  NewAlert,
  NewBreakGlass,
  NewMaintenanceLogEntry,
  NewMaintenanceSession,
  NewPeer,
  PeerRecord,
  PurposeOfUse,
  StudyAccessRecord,
} from '../auth/ports.js';
import type { Confidentiality } from '../auth/policy.js';
import { isPeerServiceName } from '../auth/subjects.js';
import { dateOf, dateOrNull, idText, isoOrNull } from './identity-users.js';
import type { AlertsTable, BreakGlassWindowsTable, DatabaseSchema, MaintenanceSessionsTable } from './schema.js';

/** Peers, break-glass, alerts, maintenance and study access over SQL (`IdentityTransaction`, part 2). */
type Trx = Transaction<DatabaseSchema>;

const isId = (id: string): boolean => /^[0-9]{1,18}$/.test(id);
const idOrNull = (id: number | string | null): string | null => (id === null ? null : idText(id));

export async function listPeers(trx: Trx): Promise<PeerRecord[]> {
  const rows = await trx.selectFrom('dicom_peers').selectAll().orderBy('ae_title').execute();
  return rows.map((row) => ({
    aeTitle: row.ae_title,
    host: row.host,
    port: row.port,
    name: row.name,
    services: row.services.split(',').filter(isPeerServiceName),
    tlsCertificateSubject: row.tls_certificate_subject,
  }));
}

export async function insertPeer(trx: Trx, peer: NewPeer): Promise<void> {
  await trx
    .insertInto('dicom_peers')
    .values({
      ae_title: peer.aeTitle,
      host: peer.host,
      port: peer.port,
      name: peer.name,
      services: peer.services.join(','),
      tls_certificate_subject: peer.tlsCertificateSubject,
      created_at: peer.at.toISOString(),
    })
    .execute();
}

export async function deletePeer(trx: Trx, aeTitle: string): Promise<boolean> {
  const result = await trx.deleteFrom('dicom_peers').where('ae_title', '=', aeTitle).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

function breakGlassOf(row: Selectable<BreakGlassWindowsTable>): BreakGlassRecord {
  return {
    id: idText(row.id),
    userId: idText(row.user_fk),
    reason: row.reason,
    purposeOfUse: row.purpose_of_use as PurposeOfUse,
    openedAt: dateOf(row.opened_at),
    expiresAt: dateOf(row.expires_at),
    closedAt: dateOrNull(row.closed_at),
    reviewedBy: idOrNull(row.reviewed_by_fk),
    reviewedAt: dateOrNull(row.reviewed_at),
    reviewNote: row.review_note,
  };
}

export async function insertBreakGlass(trx: Trx, window: NewBreakGlass): Promise<BreakGlassRecord> {
  const row = await trx
    .insertInto('break_glass_windows')
    .values({
      user_fk: window.userId,
      reason: window.reason,
      purpose_of_use: window.purposeOfUse,
      opened_at: window.openedAt.toISOString(),
      expires_at: window.expiresAt.toISOString(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return breakGlassOf(row);
}

export async function findBreakGlass(trx: Trx, id: string): Promise<BreakGlassRecord | null> {
  if (!isId(id)) return null;
  const row = await trx.selectFrom('break_glass_windows').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : breakGlassOf(row);
}

export async function findOpenBreakGlass(trx: Trx, userId: string, now: Date): Promise<BreakGlassRecord | null> {
  const row = await trx
    .selectFrom('break_glass_windows')
    .selectAll()
    .where('user_fk', '=', userId)
    .where('closed_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row === undefined ? null : breakGlassOf(row);
}

export async function listBreakGlass(trx: Trx, filter: { readonly unreviewedOnly: boolean }): Promise<BreakGlassRecord[]> {
  let query = trx.selectFrom('break_glass_windows').selectAll();
  if (filter.unreviewedOnly) query = query.where('reviewed_at', 'is', null);
  return (await query.orderBy('id', 'desc').execute()).map(breakGlassOf);
}

export async function updateBreakGlass(trx: Trx, id: string, patch: BreakGlassPatch): Promise<void> {
  const values: Updateable<BreakGlassWindowsTable> = {};
  if (patch.closedAt !== undefined) values.closed_at = isoOrNull(patch.closedAt);
  if (patch.reviewedBy !== undefined) values.reviewed_by_fk = patch.reviewedBy;
  if (patch.reviewedAt !== undefined) values.reviewed_at = isoOrNull(patch.reviewedAt);
  if (patch.reviewNote !== undefined) values.review_note = patch.reviewNote;
  if (Object.keys(values).length > 0) await trx.updateTable('break_glass_windows').set(values).where('id', '=', id).execute();
}

function alertOf(row: Selectable<AlertsTable>): AlertRecord {
  return {
    id: idText(row.id),
    kind: row.kind as AlertKind,
    raisedAt: dateOf(row.raised_at),
    userId: idOrNull(row.user_fk),
    breakGlassId: idOrNull(row.break_glass_fk),
    message: row.message,
    acknowledgedBy: idOrNull(row.acknowledged_by_fk),
    acknowledgedAt: dateOrNull(row.acknowledged_at),
  };
}

export async function insertAlert(trx: Trx, alert: NewAlert): Promise<AlertRecord> {
  const row = await trx
    .insertInto('alerts')
    .values({
      kind: alert.kind,
      raised_at: alert.raisedAt.toISOString(),
      user_fk: alert.userId,
      break_glass_fk: alert.breakGlassId,
      message: alert.message,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return alertOf(row);
}

export async function findAlert(trx: Trx, id: string): Promise<AlertRecord | null> {
  if (!isId(id)) return null;
  const row = await trx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : alertOf(row);
}

export async function listAlerts(trx: Trx, filter: { readonly unacknowledgedOnly: boolean }): Promise<AlertRecord[]> {
  let query = trx.selectFrom('alerts').selectAll();
  if (filter.unacknowledgedOnly) query = query.where('acknowledged_at', 'is', null);
  return (await query.orderBy('id', 'desc').execute()).map(alertOf);
}

export async function acknowledgeAlert(trx: Trx, id: string, userId: string, at: Date): Promise<void> {
  await trx.updateTable('alerts').set({ acknowledged_by_fk: userId, acknowledged_at: at.toISOString() }).where('id', '=', id).execute();
}

function maintenanceOf(row: Selectable<MaintenanceSessionsTable>): MaintenanceSessionRecord {
  return {
    id: idText(row.id),
    userId: idText(row.user_fk),
    description: row.description,
    status: row.status as MaintenanceStatus,
    requestedAt: dateOf(row.requested_at),
    approvedBy: idOrNull(row.approved_by_fk),
    approvedAt: dateOrNull(row.approved_at),
    closedAt: dateOrNull(row.closed_at),
  };
}

export async function insertMaintenanceSession(trx: Trx, session: NewMaintenanceSession): Promise<MaintenanceSessionRecord> {
  const row = await trx
    .insertInto('maintenance_sessions')
    .values({
      user_fk: session.userId,
      description: session.description,
      status: session.status,
      requested_at: session.requestedAt.toISOString(),
      approved_by_fk: session.approvedBy ?? null,
      approved_at: isoOrNull(session.approvedAt),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return maintenanceOf(row);
}

export async function findMaintenanceSession(trx: Trx, id: string): Promise<MaintenanceSessionRecord | null> {
  if (!isId(id)) return null;
  const row = await trx.selectFrom('maintenance_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : maintenanceOf(row);
}

export async function findCurrentMaintenanceSession(trx: Trx, userId: string): Promise<MaintenanceSessionRecord | null> {
  const row = await trx
    .selectFrom('maintenance_sessions')
    .selectAll()
    .where('user_fk', '=', userId)
    .where('status', 'in', ['pending', 'active'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row === undefined ? null : maintenanceOf(row);
}

export async function updateMaintenanceSession(trx: Trx, id: string, patch: MaintenanceSessionPatch): Promise<void> {
  const values: Updateable<MaintenanceSessionsTable> = {};
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.approvedBy !== undefined) values.approved_by_fk = patch.approvedBy;
  if (patch.approvedAt !== undefined) values.approved_at = isoOrNull(patch.approvedAt);
  if (patch.closedAt !== undefined) values.closed_at = isoOrNull(patch.closedAt);
  if (Object.keys(values).length > 0) await trx.updateTable('maintenance_sessions').set(values).where('id', '=', id).execute();
}

export async function insertMaintenanceLog(trx: Trx, entry: NewMaintenanceLogEntry): Promise<void> {
  await trx
    .insertInto('maintenance_log')
    .values({ session_fk: entry.sessionId, user_fk: entry.userId, at: entry.at.toISOString(), action: entry.action, detail: entry.detail })
    .execute();
}

export async function listMaintenanceLog(trx: Trx, filter: { readonly sessionId: string | null }): Promise<MaintenanceLogEntry[]> {
  let query = trx.selectFrom('maintenance_log').selectAll();
  if (filter.sessionId !== null) {
    if (!isId(filter.sessionId)) return [];
    query = query.where('session_fk', '=', filter.sessionId);
  }
  const rows = await query.orderBy('id').execute();
  return rows.map((row) => ({
    id: idText(row.id),
    sessionId: idText(row.session_fk),
    userId: idText(row.user_fk),
    at: dateOf(row.at),
    action: row.action,
    detail: row.detail,
  }));
}

export async function findStudyAccess(trx: Trx, studyInstanceUid: string): Promise<StudyAccessRecord | null> {
  const study = await trx
    .selectFrom('studies')
    .innerJoin('patients', 'patients.id', 'studies.patient_fk')
    .select(['studies.study_instance_uid', 'studies.confidentiality', 'patients.patient_id'])
    .where('studies.study_instance_uid', '=', studyInstanceUid)
    .executeTakeFirst();
  if (study === undefined) return null;
  const grants = await trx.selectFrom('study_grants').select('user_id').where('study_instance_uid', '=', studyInstanceUid).orderBy('user_id').execute();
  return {
    studyInstanceUid: study.study_instance_uid,
    patientId: study.patient_id,
    confidentiality: study.confidentiality === 'normal' ? 'normal' : 'restricted',
    grantedUserIds: grants.map((g) => idText(g.user_id)),
  };
}

export async function setStudyConfidentiality(trx: Trx, studyInstanceUid: string, level: Confidentiality, at: Date): Promise<void> {
  await trx
    .updateTable('studies')
    .set({ confidentiality: level, updated_at: at.toISOString() })
    .where('study_instance_uid', '=', studyInstanceUid)
    .execute();
}

export async function insertStudyGrant(trx: Trx, studyInstanceUid: string, userId: string, grantedBy: string, at: Date): Promise<boolean> {
  const existing = await trx
    .selectFrom('study_grants')
    .select('user_id')
    .where('study_instance_uid', '=', studyInstanceUid)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (existing !== undefined) return false;
  await trx
    .insertInto('study_grants')
    .values({ study_instance_uid: studyInstanceUid, user_id: userId, granted_by: grantedBy, granted_at: at.toISOString() })
    .execute();
  return true;
}

export async function deleteStudyGrant(trx: Trx, studyInstanceUid: string, userId: string): Promise<boolean> {
  const result = await trx.deleteFrom('study_grants').where('study_instance_uid', '=', studyInstanceUid).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
