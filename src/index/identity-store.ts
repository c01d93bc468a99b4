import type { Transaction } from 'kysely';
import type { AuditSink } from '../audit/events.js';
import type { IdentityStore, IdentityTransaction } from '../auth/ports.js';
import type { Database } from './database.js';
import * as access from './identity-access.js';
import * as users from './identity-users.js';
import type { DatabaseSchema } from './schema.js';

/** Builds the audit sink that appends inside a given transaction (audit-store.ts provides it). */
export type TransactionalAuditSinkFactory = (trx: Transaction<DatabaseSchema>) => AuditSink;

export interface IdentityStoreOptions {
  /**
   * The audit trail bound to the change's own transaction: a user change and its `user-change`
   * event commit or roll back together (ARCHITECTURE invariants).
   */
  readonly auditSinkFor: TransactionalAuditSinkFactory;
}

/** The identity core's storage port (`src/auth/ports.ts`) over SQLite or PostgreSQL. */
export function createIdentityStore(database: Database, options: IdentityStoreOptions): IdentityStore {
  return {
    transaction: (work) => database.kysely.transaction().execute((trx) => work(bindTransaction(trx, options.auditSinkFor(trx)))),
  };
}

function bindTransaction(trx: Transaction<DatabaseSchema>, audit: AuditSink): IdentityTransaction {
  return {
    audit,
    countUsers: () => users.countUsers(trx),
    findUserByLogin: (loginName) => users.findUserByLogin(trx, loginName),
    findUserById: (id) => users.findUserById(trx, id),
    listUsers: () => users.listUsers(trx),
    insertUser: (user) => users.insertUser(trx, user),
    updateUser: (id, patch) => users.updateUser(trx, id, patch),
    listTraining: (userId) => users.listTraining(trx, userId),
    insertTraining: (userId, record) => users.insertTraining(trx, userId, record),
    insertSession: (session) => users.insertSession(trx, session),
    findSessionByTokenHash: (hash) => users.findSessionByTokenHash(trx, hash),
    updateSession: (id, patch) => users.updateSession(trx, id, patch),
    endSessionsOfUser: (userId, reason, at) => users.endSessionsOfUser(trx, userId, reason, at),
    listPeers: () => access.listPeers(trx),
    insertPeer: (peer) => access.insertPeer(trx, peer),
    deletePeer: (aeTitle) => access.deletePeer(trx, aeTitle),
    insertBreakGlass: (window) => access.insertBreakGlass(trx, window),
    findBreakGlass: (id) => access.findBreakGlass(trx, id),
    findOpenBreakGlass: (userId, now) => access.findOpenBreakGlass(trx, userId, now),
    listBreakGlass: (filter) => access.listBreakGlass(trx, filter),
    updateBreakGlass: (id, patch) => access.updateBreakGlass(trx, id, patch),
    insertAlert: (alert) => access.insertAlert(trx, alert),
    findAlert: (id) => access.findAlert(trx, id),
    listAlerts: (filter) => access.listAlerts(trx, filter),
    acknowledgeAlert: (id, userId, at) => access.acknowledgeAlert(trx, id, userId, at),
    insertMaintenanceSession: (session) => access.insertMaintenanceSession(trx, session),
    findMaintenanceSession: (id) => access.findMaintenanceSession(trx, id),
    findCurrentMaintenanceSession: (userId) => access.findCurrentMaintenanceSession(trx, userId),
    updateMaintenanceSession: (id, patch) => access.updateMaintenanceSession(trx, id, patch),
    insertMaintenanceLog: (entry) => access.insertMaintenanceLog(trx, entry),
    listMaintenanceLog: (filter) => access.listMaintenanceLog(trx, filter),
    findStudyAccess: (uid) => access.findStudyAccess(trx, uid),
    setStudyConfidentiality: (uid, level, at) => access.setStudyConfidentiality(trx, uid, level, at),
    insertStudyGrant: (uid, userId, grantedBy, at) => access.insertStudyGrant(trx, uid, userId, grantedBy, at),
    deleteStudyGrant: (uid, userId) => access.deleteStudyGrant(trx, uid, userId),
  };
}
