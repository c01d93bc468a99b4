import type { AuditAction } from '../audit/events.js';
import type { AuditEventRecord } from '../audit/record.js';
import { recordOfRow } from './audit-store.js';
import type { Database } from './database.js';

/**
 * What an auditor searches the trail by (issue 3 item 6: "who, when, from where, on which
 * information, did what"). Every field narrows the result; absent fields do not.
 */
export interface AuditSearchFilter {
  /** The actor's user id, or its login name (also matches failed logins naming it). */
  readonly user?: string | undefined;
  readonly patientId?: string | undefined;
  readonly studyInstanceUid?: string | undefined;
  /** Inclusive lower bound, ISO-8601 UTC. */
  readonly from?: Date | undefined;
  /** Exclusive upper bound, ISO-8601 UTC. */
  readonly to?: Date | undefined;
  readonly action?: AuditAction | undefined;
  /** Paging cursor: only events with a smaller `seq` (newest first). */
  readonly beforeSeq?: number | undefined;
  /** At most this many events (1–500). */
  readonly limit: number;
}

export interface AuditSearchPage {
  /** Newest first. */
  readonly events: AuditEventRecord[];
  /** `beforeSeq` for the next page, or null when this was the last one. */
  readonly nextBeforeSeq: number | null;
}

export type AuditSearch = (filter: AuditSearchFilter) => Promise<AuditSearchPage>;

const MAX_LIMIT = 500;

/**
 * Searches `audit_events`, newest first, keyset-paged by `seq` (stable while events are appended).
 * Patient and study go through `audit_event_objects`, whose rows exist for exactly that purpose.
 */
export function createAuditSearch(database: Database): AuditSearch {
  const { kysely } = database;
  return async (filter) => {
    const limit = Math.min(Math.max(Math.trunc(filter.limit), 1), MAX_LIMIT);
    let query = kysely.selectFrom('audit_events').selectAll();
    if (filter.user !== undefined) {
      const user = filter.user;
      query = query.where((eb) => eb.or([eb('actor_id', '=', user), eb.and([eb('actor_login', '=', user), eb('actor_kind', 'in', ['user', 'anonymous'])])]));
    }
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    // occurred_at is ISO-8601 UTC text of fixed shape: its order is time order.
    if (filter.from !== undefined) query = query.where('occurred_at', '>=', filter.from.toISOString());
    if (filter.to !== undefined) query = query.where('occurred_at', '<', filter.to.toISOString());
    if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
    if (filter.patientId !== undefined || filter.studyInstanceUid !== undefined) {
      const { patientId, studyInstanceUid } = filter;
      query = query.where('seq', 'in', (eb) => {
        let objects = eb.selectFrom('audit_event_objects').select('audit_event_objects.seq');
        if (patientId !== undefined) objects = objects.where('patient_id', '=', patientId);
        if (studyInstanceUid !== undefined) objects = objects.where('study_instance_uid', '=', studyInstanceUid);
        return objects;
      });
    }
    const rows = await query.orderBy('seq', 'desc').limit(limit + 1).execute();
    const events = rows.slice(0, limit).map(recordOfRow);
    const last = events.at(-1);
    return { events, nextBeforeSeq: rows.length > limit && last !== undefined ? last.seq : null };
  };
}
