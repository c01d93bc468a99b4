import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * The audit trail (issue 3; guideline appendix 1 §4 ⑪): `audit_events`, an append-only hash chain
 * keyed by `seq` (1, 2, 3, … with no gaps — assigned by the appender under a lock, never by an
 * identity column, which may skip numbers on rollback), and `audit_event_objects`, one row per
 * patient/study an event touched, so that auditors search by patient or study with an index.
 * Triggers refuse UPDATE and DELETE: the application never changes an event. (Someone with the
 * database owner's rights can drop them; `kakutei verify` and the signed checkpoints catch that.)
 */
export function auditMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('dicom_event_id', 'text', (c) => c.notNull())
        .addColumn('dicom_event_type_code', 'text')
        .addColumn('outcome', 'integer', (c) => c.notNull().check(sql`outcome in (0, 4, 8, 12)`))
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_login', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('actor_roles', 'text')
        .addColumn('source_address', 'text')
        .addColumn('source_user_agent', 'text')
        .addColumn('break_glass', 'integer', (c) => c.notNull().check(sql`break_glass in (0, 1)`))
        .addColumn('maintenance_session_id', 'text')
        .addColumn('objects_json', 'text', (c) => c.notNull())
        .addColumn('detail_json', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      for (const column of ['occurred_at', 'actor_id', 'action'] as const) {
        await db.schema.createIndex(`audit_events_${column}_idx`).on('audit_events').column(column).execute();
      }

      await db.schema
        .createTable('audit_event_objects')
        .addColumn('seq', 'bigint', (c) => c.notNull().references('audit_events.seq'))
        .addColumn('patient_id', 'text')
        .addColumn('study_instance_uid', 'text')
        .execute();
      for (const column of ['seq', 'patient_id', 'study_instance_uid'] as const) {
        await db.schema.createIndex(`audit_event_objects_${column}_idx`).on('audit_event_objects').column(column).execute();
      }

      for (const statement of appendOnlyTriggers(dialect)) await sql.raw(statement).execute(db);
    },
    // No down migration: an audit trail is never dropped.
  };
}

function appendOnlyTriggers(dialect: SqlDialectName): string[] {
  const tables = ['audit_events', 'audit_event_objects'];
  if (dialect === 'sqlite') {
    return tables.flatMap((table) =>
      ['update', 'delete'].map(
        (operation) => `create trigger ${table}_no_${operation} before ${operation} on ${table} begin select raise(abort, '${table} is append-only'); end`,
      ),
    );
  }
  return [
    `create function kakutei_audit_append_only() returns trigger language plpgsql as $$
       begin raise exception '% is append-only', tg_table_name; end $$`,
    ...tables.map((table) => `create trigger ${table}_append_only before update or delete on ${table} for each row execute function kakutei_audit_append_only()`),
  ];
}
