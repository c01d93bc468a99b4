import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * Identity and access control (issue 3): users and their training records, login sessions (token
 * hashes only), DICOM peers, break-glass windows, alerts, maintenance sessions and their log, and
 * study confidentiality with per-study grants (R9.2). Conventions as in `schema.ts`: text times,
 * 0/1 flags. Audit events are not here: they live in the audit trail (migration 0002).
 */
export function identityMigration(dialect: SqlDialectName): Migration {
  const withId = <T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('users'))
        .addColumn('login_name', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('kana', 'text')
        // Comma-separated role names (a closed vocabulary without commas).
        .addColumn('roles', 'text', (c) => c.notNull())
        // PHC string of argon2id: parameters and salt travel with the hash.
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('password_changed_at', 'text', (c) => c.notNull())
        .addColumn('must_change_password', 'integer', (c) => c.notNull().check(isFlag('must_change_password')))
        .addColumn('disabled', 'integer', (c) => c.notNull().check(isFlag('disabled')))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'text')
        .addColumn('totp_secret', 'text')
        .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0).check(isFlag('totp_enabled')))
        .addColumn('totp_last_step', 'bigint')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await withId(db.schema.createTable('user_training'))
        .addColumn('user_fk', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('course', 'text', (c) => c.notNull())
        .addColumn('completed_on', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('user_training_user_idx').on('user_training').column('user_fk').execute();

      await withId(db.schema.createTable('user_sessions'))
        // SHA-256 of the bearer token: a stolen database yields no usable token.
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('csrf_hash', 'text', (c) => c.notNull())
        .addColumn('user_fk', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('reauthenticated_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('end_reason', 'text')
        .addColumn('source_address', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('user_sessions_user_idx').on('user_sessions').column('user_fk').execute();

      await withId(db.schema.createTable('dicom_peers'))
        .addColumn('ae_title', 'text', (c) => c.notNull().unique())
        .addColumn('host', 'text')
        .addColumn('port', 'integer')
        .addColumn('name', 'text')
        .addColumn('services', 'text', (c) => c.notNull())
        .addColumn('tls_certificate_subject', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await withId(db.schema.createTable('break_glass_windows'))
        .addColumn('user_fk', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('purpose_of_use', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('closed_at', 'text')
        .addColumn('reviewed_by_fk', 'bigint', (c) => c.references('users.id'))
        .addColumn('reviewed_at', 'text')
        .addColumn('review_note', 'text')
        .execute();
      await db.schema.createIndex('break_glass_windows_user_idx').on('break_glass_windows').column('user_fk').execute();

      await withId(db.schema.createTable('alerts'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('raised_at', 'text', (c) => c.notNull())
        .addColumn('user_fk', 'bigint', (c) => c.references('users.id'))
        .addColumn('break_glass_fk', 'bigint', (c) => c.references('break_glass_windows.id'))
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('acknowledged_by_fk', 'bigint', (c) => c.references('users.id'))
        .addColumn('acknowledged_at', 'text')
        .execute();
      await db.schema.createIndex('alerts_raised_at_idx').on('alerts').column('raised_at').execute();

      await withId(db.schema.createTable('maintenance_sessions'))
        .addColumn('user_fk', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('approved_by_fk', 'bigint', (c) => c.references('users.id'))
        .addColumn('approved_at', 'text')
        .addColumn('closed_at', 'text')
        .execute();
      await db.schema.createIndex('maintenance_sessions_user_idx').on('maintenance_sessions').column('user_fk').execute();

      await withId(db.schema.createTable('maintenance_log'))
        .addColumn('session_fk', 'bigint', (c) => c.notNull().references('maintenance_sessions.id'))
        .addColumn('user_fk', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('maintenance_log_session_idx').on('maintenance_log').column('session_fk').execute();

      await db.schema
        .alterTable('studies')
        .addColumn('confidentiality', 'text', (c) => c.notNull().defaultTo('normal').check(sql`confidentiality in ('normal', 'restricted')`))
        .execute();

      await db.schema
        .createTable('study_grants')
        .addColumn('study_instance_uid', 'text', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('granted_by', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('granted_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('study_grants_pkey', ['study_instance_uid', 'user_id'])
        .execute();
    },
    // No down migration: access records are part of the record.
  };
}

function isFlag(column: string) {
  return sql`${sql.ref(column)} in (0, 1)`;
}
