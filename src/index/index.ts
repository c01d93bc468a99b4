export { openDatabase, isPostgresUrl, describeServer } from './database.js';
export type { Database, DatabaseTarget, IndexLogger, OpenDatabaseOptions } from './database.js';
export type { SqlDialectName } from './dialect.js';
export { migrateToLatest, migrationsFor, type MigrationReport } from './migrations/index.js';
export { createInstanceIndex } from './instance-index.js';
export type { IndexTransaction, RecordOptions, SqlInstanceIndex } from './instance-index.js';
export { IndexError } from './index-error.js';
export type { DatabaseSchema } from './schema.js';
export type {
  HeaderPatient,
  IndexReader,
  IndexedInstance,
  IndexedPatient,
  IndexedSeries,
  IndexedStudy,
  InstanceConflict,
  InstanceWithFaults,
  ListOptions,
  PatientMismatch,
} from './views.js';
export { appendAuditEvent, createSqlAuditStore, createStoredObjectCatalog, AUDIT_APPEND_LOCK_KEY } from './audit-store.js';
export type { SqlAuditStore, SqlAuditStoreOptions } from './audit-store.js';
export { runQuery, type QueryMatch, type QueryPage, type RunQueryOptions } from './query-run.js';
export { createAuditSearch, type AuditSearch, type AuditSearchFilter, type AuditSearchPage } from './audit-search.js';
export { findInstancesToRetrieve, findStoredInstances, MAX_RETRIEVE_INSTANCES, type RetrieveKeys, type StoredInstanceLocation } from './stored-instances.js';
