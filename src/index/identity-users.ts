import type { Selectable, Transaction, Updateable } from 'kysely';
import { isRole, type Role } from '../auth/roles.js';
import type { NewSession, NewUser, SessionEndReason, SessionPatch, SessionRecord, TrainingRecord, UserPatch, UserRecord } from '../auth/ports.js';
import type { SessionStage } from '../auth/subjects.js';
import type { DatabaseSchema, UserSessionsTable, UsersTable } from './schema.js';

/** Users, training records and login sessions over SQL (the `IdentityTransaction` port, part 1). */
type Trx = Transaction<DatabaseSchema>;

export const idText = (id: number | string): string => String(id);
export const dateOf = (text: string): Date => new Date(text);
export const dateOrNull = (text: string | null): Date | null => (text === null ? null : new Date(text));
export const isoOrNull = (date: Date | null | undefined): string | null => (date === null || date === undefined ? null : date.toISOString());
const flag = (value: boolean): 0 | 1 => (value ? 1 : 0);

function userOf(row: Selectable<UsersTable>): UserRecord {
  return {
    id: idText(row.id),
    loginName: row.login_name,
    displayName: row.display_name,
    kana: row.kana,
    roles: row.roles.split(',').filter((r): r is Role => isRole(r)),
    passwordHash: row.password_hash,
    passwordChangedAt: dateOf(row.password_changed_at),
    mustChangePassword: row.must_change_password === 1,
    disabled: row.disabled === 1,
    failedLogins: Number(row.failed_logins),
    lockedUntil: dateOrNull(row.locked_until),
    totpSecret: row.totp_secret,
    totpEnabled: row.totp_enabled === 1,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    createdAt: dateOf(row.created_at),
    updatedAt: dateOf(row.updated_at),
  };
}

export async function countUsers(trx: Trx): Promise<number> {
  const row = await trx.selectFrom('users').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findUserByLogin(trx: Trx, loginName: string): Promise<UserRecord | null> {
  const row = await trx.selectFrom('users').selectAll().where('login_name', '=', loginName).executeTakeFirst();
  return row === undefined ? null : userOf(row);
}

export async function findUserById(trx: Trx, id: string): Promise<UserRecord | null> {
  if (!/^[0-9]{1,18}$/.test(id)) return null;
  const row = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : userOf(row);
}

export async function listUsers(trx: Trx): Promise<UserRecord[]> {
  const rows = await trx.selectFrom('users').selectAll().orderBy('id').execute();
  return rows.map(userOf);
}

export async function insertUser(trx: Trx, user: NewUser): Promise<UserRecord> {
  const at = user.at.toISOString();
  const row = await trx
    .insertInto('users')
    .values({
      login_name: user.loginName,
      display_name: user.displayName,
      kana: user.kana,
      roles: user.roles.join(','),
      password_hash: user.passwordHash,
      password_changed_at: at,
      must_change_password: flag(user.mustChangePassword),
      disabled: 0,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return userOf(row);
}

export async function updateUser(trx: Trx, id: string, patch: UserPatch): Promise<void> {
  const values: Updateable<UsersTable> = { updated_at: patch.updatedAt.toISOString() };
  if (patch.displayName !== undefined) values.display_name = patch.displayName;
  if (patch.kana !== undefined) values.kana = patch.kana;
  if (patch.roles !== undefined) values.roles = patch.roles.join(',');
  if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
  if (patch.passwordChangedAt !== undefined) values.password_changed_at = patch.passwordChangedAt.toISOString();
  if (patch.mustChangePassword !== undefined) values.must_change_password = flag(patch.mustChangePassword);
  if (patch.disabled !== undefined) values.disabled = flag(patch.disabled);
  if (patch.failedLogins !== undefined) values.failed_logins = patch.failedLogins;
  if (patch.lockedUntil !== undefined) values.locked_until = isoOrNull(patch.lockedUntil);
  if (patch.totpSecret !== undefined) values.totp_secret = patch.totpSecret;
  if (patch.totpEnabled !== undefined) values.totp_enabled = flag(patch.totpEnabled);
  if (patch.totpLastStep !== undefined) values.totp_last_step = patch.totpLastStep;
  await trx.updateTable('users').set(values).where('id', '=', id).execute();
}

export async function listTraining(trx: Trx, userId: string): Promise<TrainingRecord[]> {
  const rows = await trx.selectFrom('user_training').selectAll().where('user_fk', '=', userId).orderBy('id').execute();
  return rows.map((row) => ({ course: row.course, completedOn: row.completed_on, recordedAt: dateOf(row.recorded_at) }));
}

export async function insertTraining(trx: Trx, userId: string, record: TrainingRecord): Promise<void> {
  await trx
    .insertInto('user_training')
    .values({ user_fk: userId, course: record.course, completed_on: record.completedOn, recorded_at: record.recordedAt.toISOString() })
    .execute();
}

function sessionOf(row: Selectable<UserSessionsTable>): SessionRecord {
  return {
    id: idText(row.id),
    userId: idText(row.user_fk),
    csrfHash: row.csrf_hash,
    stage: row.stage as SessionStage,
    createdAt: dateOf(row.created_at),
    lastSeenAt: dateOf(row.last_seen_at),
    reauthenticatedAt: dateOrNull(row.reauthenticated_at),
    endedAt: dateOrNull(row.ended_at),
    endReason: row.end_reason,
    sourceAddress: row.source_address,
    userAgent: row.user_agent,
  };
}

export async function insertSession(trx: Trx, session: NewSession): Promise<string> {
  const at = session.at.toISOString();
  const row = await trx
    .insertInto('user_sessions')
    .values({
      token_hash: session.tokenHash,
      csrf_hash: session.csrfHash,
      user_fk: session.userId,
      stage: session.stage,
      created_at: at,
      last_seen_at: at,
      source_address: session.sourceAddress,
      user_agent: session.userAgent,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return idText(row.id);
}

export async function findSessionByTokenHash(trx: Trx, tokenHash: string): Promise<SessionRecord | null> {
  const row = await trx.selectFrom('user_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  return row === undefined ? null : sessionOf(row);
}

export async function updateSession(trx: Trx, id: string, patch: SessionPatch): Promise<void> {
  const values: Updateable<UserSessionsTable> = {};
  if (patch.stage !== undefined) values.stage = patch.stage;
  if (patch.lastSeenAt !== undefined) values.last_seen_at = patch.lastSeenAt.toISOString();
  if (patch.reauthenticatedAt !== undefined) values.reauthenticated_at = isoOrNull(patch.reauthenticatedAt);
  if (patch.endedAt !== undefined) values.ended_at = isoOrNull(patch.endedAt);
  if (patch.endReason !== undefined) values.end_reason = patch.endReason;
  if (Object.keys(values).length === 0) return;
  await trx.updateTable('user_sessions').set(values).where('id', '=', id).execute();
}

export async function endSessionsOfUser(trx: Trx, userId: string, reason: SessionEndReason, at: Date): Promise<number> {
  const result = await trx
    .updateTable('user_sessions')
    .set({ ended_at: at.toISOString(), end_reason: reason })
    .where('user_fk', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
