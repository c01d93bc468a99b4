import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { AuditEventStore, ChainHead, StoredObjectCatalog, StoredObjectRef } from '../audit/ports.js';
import type { AuditAction, AuditActor, AuditEventInput, AuditObject, AuditOutcome, AuditSink } from '../audit/events.js';
import { GENESIS_HASH, canonicalJson, chainHash, draftOf, type AuditEventDraft, type AuditEventRecord } from '../audit/record.js';
import type { Clock } from '../clock/index.js';
import type { Database } from './database.js';
import type { SqlDialectName } from './dialect.js';
import type { IndexTransaction } from './instance-index.js';
import type { AuditEventsTable, DatabaseSchema } from './schema.js';

/**
 * Key of the PostgreSQL transaction-level advisory lock that serialises appends ("KAKUTEI" → a
 * constant; any other user of advisory locks in this database must avoid it). Held from before the
 * head is read until commit, so two transactions never chain to the same predecessor. SQLite needs
 * none: it has one writer, and the group committer runs its transactions one at a time.
 */
export const AUDIT_APPEND_LOCK_KEY = 0x4b414b5554454an;

/**
 * Appends one event inside `trx`: the event commits or rolls back with the change it records
 * (ARCHITECTURE: "changes and their events commit together"). Within a transaction, appends must
 * be awaited one after another.
 */
export async function appendAuditEvent(trx: IndexTransaction, dialect: SqlDialectName, draft: AuditEventDraft): Promise<AuditEventRecord> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_APPEND_LOCK_KEY.toString())}::bigint)`.execute(trx);
  const head = await headOf(trx);
  const seq = head === null ? 1 : head.seq + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const record: AuditEventRecord = { ...draft, seq, prevHash, hash: chainHash(prevHash, { ...draft, seq }) };
  await trx.insertInto('audit_events').values(rowOf(record)).execute();
  const searchRows = searchRowsOf(record);
  if (searchRows.length > 0) await trx.insertInto('audit_event_objects').values(searchRows).execute();
  return record;
}

export interface SqlAuditStore extends AuditEventStore {
  /** Stamps (clock, new id) and appends `input` inside `trx`; returns the chained record. */
  appendInTransaction(trx: IndexTransaction, input: AuditEventInput): Promise<AuditEventRecord>;
  /** An `AuditSink` writing into `trx`, for code that takes a sink (e.g. ingest's record seam). */
  sinkFor(trx: IndexTransaction): AuditSink;
}

export interface SqlAuditStoreOptions {
  readonly clock: Clock;
  readonly newEventId?: () => string;
}

export function createSqlAuditStore(database: Database, options: SqlAuditStoreOptions): SqlAuditStore {
  const { kysely, dialect } = database;
  const draftOptions = options.newEventId === undefined ? { clock: options.clock } : { clock: options.clock, newEventId: options.newEventId };
  const appendInTransaction = (trx: IndexTransaction, input: AuditEventInput) => appendAuditEvent(trx, dialect, draftOf(input, draftOptions));
  return {
    append: (draft) => kysely.transaction().execute((trx) => appendAuditEvent(trx, dialect, draft)),
    head: () => headOf(kysely),
    async readFrom(fromSeq, limit) {
      const rows = await kysely.selectFrom('audit_events').selectAll().where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
      return rows.map(recordOfRow);
    },
    appendInTransaction,
    sinkFor: (trx) => ({ append: async (event) => void (await appendInTransaction(trx, event)) }),
  };
}

async function headOf(db: Kysely<DatabaseSchema>): Promise<ChainHead | null> {
  const row = await db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? null : { seq: Number(row.seq), hash: row.hash };
}

/** The instances and kept-aside conflicting objects, for `kakutei verify`. */
export function createStoredObjectCatalog(database: Database): StoredObjectCatalog {
  const { kysely } = database;
  return {
    async list(kind, afterRowId, limit): Promise<StoredObjectRef[]> {
      const table = kind === 'instance' ? 'instances' : 'instance_conflicts';
      let query = kysely.selectFrom(table).select(['id', 'sop_instance_uid', 'object_key', 'sha256']).orderBy('id').limit(limit);
      if (afterRowId !== null) query = query.where('id', '>', afterRowId);
      const rows = await query.execute();
      return rows.map((row) => ({ kind, rowId: String(row.id), sopInstanceUid: row.sop_instance_uid, objectKey: row.object_key, sha256: row.sha256 }));
    },
  };
}

function rowOf(record: AuditEventRecord): Insertable<AuditEventsTable> {
  const actor = actorColumns(record.actor);
  return {
    seq: record.seq,
    event_id: record.eventId,
    occurred_at: record.occurredAt,
    action: record.action,
    dicom_event_id: record.dicomEventId,
    dicom_event_type_code: record.dicomEventTypeCode,
    outcome: record.outcome,
    ...actor,
    source_address: record.source.address,
    source_user_agent: record.source.userAgent,
    break_glass: record.breakGlass ? 1 : 0,
    maintenance_session_id: record.maintenanceSessionId,
    objects_json: canonicalJson(record.objects),
    detail_json: canonicalJson(record.detail),
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

type ActorColumns = Pick<AuditEventsTable, 'actor_kind' | 'actor_id' | 'actor_login' | 'actor_name' | 'actor_roles'>;

function actorColumns(actor: AuditActor): ActorColumns {
  switch (actor.kind) {
    case 'user':
      return { actor_kind: 'user', actor_id: actor.userId, actor_login: actor.loginName, actor_name: actor.displayName, actor_roles: canonicalJson(actor.roles) };
    case 'peer':
      return { actor_kind: 'peer', actor_id: actor.aeTitle, actor_login: null, actor_name: actor.peerName, actor_roles: null };
    case 'system':
      return { actor_kind: 'system', actor_id: actor.component, actor_login: null, actor_name: null, actor_roles: null };
    case 'anonymous':
      return { actor_kind: 'anonymous', actor_id: null, actor_login: actor.attemptedLoginName, actor_name: null, actor_roles: null };
  }
}

/**
 * A row back to the record it was hashed from. Nothing is repaired or defaulted: a column that does
 * not fit its event's shape is carried into the record under `unexpected`, so that the recomputed
 * hash differs and verification reports the event as changed.
 */
export function recordOfRow(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    seq: Number(row.seq),
    eventId: row.event_id,
    occurredAt: row.occurred_at,
    action: row.action as AuditAction,
    dicomEventId: row.dicom_event_id,
    dicomEventTypeCode: row.dicom_event_type_code,
    outcome: Number(row.outcome) as AuditOutcome,
    actor: actorOfRow(row),
    source: { address: row.source_address, userAgent: row.source_user_agent },
    breakGlass: Number(row.break_glass) === 1 ? true : Number(row.break_glass) === 0 ? false : (row.break_glass as unknown as boolean),
    maintenanceSessionId: row.maintenance_session_id,
    objects: parseJson(row.objects_json) as AuditObject[],
    detail: parseJson(row.detail_json) as Record<string, string>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function actorOfRow(row: Selectable<AuditEventsTable>): AuditActor {
  const used = new Set<keyof ActorColumns>(['actor_kind']);
  let actor: AuditActor;
  switch (row.actor_kind) {
    case 'user':
      actor = { kind: 'user', userId: row.actor_id as string, loginName: row.actor_login as string, displayName: row.actor_name as string, roles: parseJson(row.actor_roles ?? 'null') as string[] };
      ['actor_id', 'actor_login', 'actor_name', 'actor_roles'].forEach((c) => used.add(c as keyof ActorColumns));
      break;
    case 'peer':
      actor = { kind: 'peer', aeTitle: row.actor_id as string, peerName: row.actor_name };
      used.add('actor_id').add('actor_name');
      break;
    case 'system':
      actor = { kind: 'system', component: row.actor_id as string };
      used.add('actor_id');
      break;
    case 'anonymous':
      actor = { kind: 'anonymous', attemptedLoginName: row.actor_login };
      used.add('actor_login');
      break;
    default:
      return { kind: row.actor_kind, unexpected: row } as unknown as AuditActor;
  }
  const unexpected = (['actor_id', 'actor_login', 'actor_name', 'actor_roles'] as const).filter((c) => !used.has(c) && row[c] !== null);
  return unexpected.length === 0 ? actor : ({ ...actor, unexpected: Object.fromEntries(unexpected.map((c) => [c, row[c]])) } as unknown as AuditActor);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparseable: text };
  }
}

function searchRowsOf(record: AuditEventRecord): { seq: number; patient_id: string | null; study_instance_uid: string | null }[] {
  const seen = new Set<string>();
  const rows: { seq: number; patient_id: string | null; study_instance_uid: string | null }[] = [];
  for (const object of record.objects) {
    if (object.patientId === null && object.studyInstanceUid === null) continue;
    const key = JSON.stringify([object.patientId, object.studyInstanceUid]);
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ seq: record.seq, patient_id: object.patientId, study_instance_uid: object.studyInstanceUid });
  }
  return rows;
}
