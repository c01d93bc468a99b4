import { sql, type Transaction } from 'kysely';
import type { AuditEventInput } from '../audit/events.js';
import type { InstanceIndex, ReceivedInstance, RecordOutcome, RecordRequest } from '../ingest/ports.js';
import type { Database } from './database.js';
import { IndexError, isRetryableConflict } from './index-error.js';
import { CommitPrerequisiteFailed, DEFAULT_PATIENCE_MS, PrerequisiteStillPending, settleWithin } from './commit-prerequisite.js';
import { GroupCommitter } from './group-commit.js';
import { createIndexReader } from './reader.js';
import { ConcurrentInsert, recordInstance } from './record-instance.js';
import type { DatabaseSchema } from './schema.js';
import type { IndexReader } from './views.js';

export type IndexTransaction = Transaction<DatabaseSchema>;

export interface RecordOptions extends RecordRequest {
  /**
   * The seam for work that must commit together with the indexing — first of all the audit event
   * that records it (ARCHITECTURE: "changes and their events commit together"). Called inside the
   * same transaction once the outcome is known, before commit; if it throws, nothing is recorded.
   * It may run more than once when a concurrent writer forces a retry, so it must only write
   * through `trx`.
   */
  readonly inTransaction?: (trx: IndexTransaction, outcome: RecordOutcome) => Promise<void>;
}

export interface SqlInstanceIndex extends InstanceIndex, IndexReader {
  record(instance: ReceivedInstance, options?: RecordOptions): Promise<RecordOutcome>;
}

/**
 * A record's statements. `untilDurable` resolves once the object the row names is durable; work
 * that takes locks other writers wait for calls it first (a no-op where the commit is grouped).
 */
type RecordWork = (trx: IndexTransaction, untilDurable: () => Promise<void>) => Promise<RecordOutcome>;
const noWait = (): Promise<void> => Promise.resolve();

/**
 * Attempts per `record` call. Each retry follows a lost race against another association that
 * created the same patient, study, series or instance, and sees its committed rows; more than a
 * few in a row means something else is wrong.
 */
const MAX_ATTEMPTS = 5;

/** The index over SQL (SQLite or PostgreSQL). `close()` closes the database it was given. */
export interface InstanceIndexOptions {
  /** Where the audit events of `record` go, inside its transaction. Required when events are given. */
  readonly audit?: { appendInTransaction(trx: IndexTransaction, event: AuditEventInput): Promise<unknown> };
  /** How long a transaction waits for a record's `commitAfter` before setting it aside (tests shorten it). */
  readonly commitPatienceMs?: number;
}

export function createInstanceIndex(database: Database, indexOptions: InstanceIndexOptions = {}): SqlInstanceIndex {
  const { kysely } = database;
  const reader = createIndexReader(kysely);
  // SQLite: one writer, so records share commits (see group-commit.ts). PostgreSQL: a transaction
  // per record on the pool; the server itself groups concurrent commits' WAL flushes.
  const patienceMs = indexOptions.commitPatienceMs ?? DEFAULT_PATIENCE_MS;
  const grouped = database.dialect === 'sqlite' ? new GroupCommitter(kysely, { patienceMs }) : null;
  const runInTransaction = (work: RecordWork, commitAfter: Promise<unknown> | undefined): Promise<RecordOutcome> =>
    grouped !== null ? grouped.submit((trx) => work(trx, noWait), commitAfter) : transactionAfter(work, commitAfter);
  // PostgreSQL: the record's statements run while its object is flushed; COMMIT waits for it, as
  // long as the patience allows (see commit-prerequisite.ts). Concurrent transactions run beside
  // it, so what serialises writers across the server — the audit chain's lock — is taken only
  // once the object is durable (`untilDurable`), never held through a flush.
  const transactionAfter = async (work: RecordWork, commitAfter: Promise<unknown> | undefined): Promise<RecordOutcome> => {
    let durable = commitAfter === undefined;
    const untilDurable = async (): Promise<void> => {
      if (durable) return;
      const [state] = await settleWithin([commitAfter], patienceMs);
      if (state === 'waiting') throw new PrerequisiteStillPending();
      if (typeof state === 'object') throw new CommitPrerequisiteFailed(state.reason);
      durable = true;
    };
    try {
      return await kysely.transaction().execute(async (trx) => {
        const outcome = await work(trx, untilDurable);
        await untilDurable();
        return outcome;
      });
    } catch (cause) {
      if (!(cause instanceof PrerequisiteStillPending) || commitAfter === undefined) throw cause;
      await commitAfter.catch((reason: unknown) => Promise.reject(new CommitPrerequisiteFailed(reason)));
      return kysely.transaction().execute((trx) => work(trx, noWait));
    }
  };

  return {
    ...reader,

    async record(instance, options = {}) {
      // Handled from now on: it may fail before a transaction gets to wait for it.
      options.commitAfter?.catch(() => undefined);
      for (let attempt = 1; ; attempt++) {
        try {
          // One transaction, committed durably before the promise resolves (see database.ts).
          return await runInTransaction(async (trx, untilDurable) => {
            const outcome = await recordInstance(trx, instance);
            const events = options.auditEvents?.(outcome) ?? [];
            if (events.length > 0 && indexOptions.audit === undefined) throw new IndexError('AUDIT_UNAVAILABLE', 'audit events given to an index without an audit store');
            if (events.length > 0 || options.inTransaction !== undefined) await untilDurable();
            for (const event of events) await indexOptions.audit!.appendInTransaction(trx, event);
            if (options.inTransaction !== undefined) await options.inTransaction(trx, outcome);
            return outcome;
          }, options.commitAfter);
        } catch (cause) {
          // What the row waited for failed (e.g. the object's flush): the caller's failure, as it was.
          if (cause instanceof CommitPrerequisiteFailed) throw cause.reason;
          if (cause instanceof IndexError) throw cause;
          const retryable = cause instanceof ConcurrentInsert || isRetryableConflict(cause);
          if (!retryable || attempt >= MAX_ATTEMPTS) {
            throw new IndexError('INDEX_UNAVAILABLE', `cannot index SOP Instance ${instance.sopInstanceUid}`, { cause });
          }
        }
      }
    },

    async check() {
      try {
        await sql`select 1`.execute(kysely);
      } catch (cause) {
        throw new IndexError('INDEX_UNAVAILABLE', 'index does not answer', { cause });
      }
    },

    close() {
      return database.close();
    },
  };
}
