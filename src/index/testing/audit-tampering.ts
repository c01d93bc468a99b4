import { sql } from 'kysely';
import type { Database } from '../database.js';

/**
 * What an attacker with the database owner's rights does first, for the tamper-detection tests:
 * remove the append-only triggers of migrations/0002-audit.ts.
 */
export async function dropAuditAppendOnlyTriggers(db: Database): Promise<void> {
  for (const table of ['audit_events', 'audit_event_objects']) {
    if (db.dialect === 'sqlite') {
      for (const operation of ['update', 'delete']) await sql.raw(`drop trigger ${table}_no_${operation}`).execute(db.kysely);
    } else {
      await sql.raw(`drop trigger ${table}_append_only on ${table}`).execute(db.kysely);
    }
  }
}
