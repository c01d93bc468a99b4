import { sql, type Kysely, type Transaction } from 'kysely';
import type { RecordOutcome } from '../ingest/ports.js';
import { CommitPrerequisiteFailed, DEFAULT_PATIENCE_MS, settleWithin, type PrerequisiteState } from './commit-prerequisite.js';
import type { DatabaseSchema } from './schema.js';

type Work = (trx: Transaction<DatabaseSchema>) => Promise<RecordOutcome>;

interface Pending {
  readonly work: Work;
  /** Settles when what the record's rows name is durable; the commit waits for it. */
  readonly commitAfter: Promise<unknown> | undefined;
  resolve(outcome: RecordOutcome): void;
  reject(cause: unknown): void;
}

/** Upper bound of records sharing one commit, so one slow batch cannot hold many associations. */
const MAX_GROUP_SIZE = 64;

/**
 * Group commit for SQLite. SQLite has one writer, and with synchronous=FULL every COMMIT waits for
 * an fsync of the WAL — on the main thread, since better-sqlite3 is synchronous. One commit per
 * object would cap the whole server at the disk's fsync rate and stall the event loop for each.
 * Instead, records that arrive while a commit is in progress are entered together in the next
 * transaction, each inside its own SAVEPOINT: a record that fails rolls back alone and is rejected;
 * the others commit. Every promise still resolves only after the commit that contains it is durable.
 * A lone caller gets a transaction of its own, exactly as without grouping.
 *
 * A record may come with `commitAfter` (the flush of the object its row names): its statements run
 * at once, while that flush is under way, and COMMIT waits until every such prerequisite of the
 * group has resolved — so no committed row ever names an object that could still be lost. Should
 * one reject, the whole transaction is rolled back, that record rejected with
 * `CommitPrerequisiteFailed`, and the others entered again in the next transaction (rare: the disk
 * failed a flush); one still pending after `patienceMs` is set aside the same way and entered
 * once it has resolved.
 */
export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private draining = false;

  private readonly patienceMs: number;

  constructor(
    private readonly kysely: Kysely<DatabaseSchema>,
    options: { readonly patienceMs?: number } = {},
  ) {
    this.patienceMs = options.patienceMs ?? DEFAULT_PATIENCE_MS;
  }

  submit(work: Work, commitAfter?: Promise<unknown>): Promise<RecordOutcome> {
    // Handled from now on: a prerequisite may fail before its group gets to wait for it.
    commitAfter?.catch(() => undefined);
    return new Promise<RecordOutcome>((resolve, reject) => this.enqueue({ work, commitAfter, resolve, reject }));
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    if (this.draining) return;
    this.draining = true;
    // better-sqlite3 runs a whole transaction without yielding to the event loop, so the group
    // is gathered first: setImmediate runs after the I/O callbacks of this loop turn, each of
    // which may submit a record.
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0, MAX_GROUP_SIZE));
    } finally {
      this.draining = false;
    }
  }

  private async commitGroup(group: readonly Pending[]): Promise<void> {
    const outcomes = new Map<Pending, RecordOutcome>();
    const refused = new Map<Pending, unknown>();
    const unmet = new Map<Pending, Exclude<PrerequisiteState, 'resolved'>>();
    try {
      await this.kysely.transaction().execute(async (trx) => {
        for (const pending of group) {
          await sql`savepoint record_instance`.execute(trx);
          try {
            outcomes.set(pending, await pending.work(trx));
            await sql`release savepoint record_instance`.execute(trx);
          } catch (cause) {
            outcomes.delete(pending);
            await sql`rollback to savepoint record_instance`.execute(trx);
            await sql`release savepoint record_instance`.execute(trx);
            refused.set(pending, cause);
          }
        }
        const recorded = [...outcomes.keys()];
        const states = await settleWithin(recorded.map((pending) => pending.commitAfter), this.patienceMs);
        states.forEach((state, i) => {
          if (state !== 'resolved') unmet.set(recorded[i]!, state);
        });
        // Rolls the whole transaction back: a released savepoint cannot be undone alone.
        if (unmet.size > 0) throw new Error('prerequisites unmet: rolled back');
      });
    } catch (cause) {
      if (unmet.size === 0) {
        // BEGIN or COMMIT failed: nothing of the group is durable.
        for (const pending of group) pending.reject(cause);
        return;
      }
      for (const [pending, state] of unmet) {
        if (state === 'waiting') this.setAside(pending);
        else pending.reject(new CommitPrerequisiteFailed(state.reason));
      }
      for (const [pending, reason] of refused) pending.reject(reason);
      // The others were rolled back with them: first in line for the next transaction, which
      // does not wait for their prerequisites again (already resolved).
      this.queue.unshift(...group.filter((pending) => outcomes.has(pending) && !unmet.has(pending)));
      return;
    }
    for (const pending of group) {
      const outcome = outcomes.get(pending);
      if (outcome !== undefined) pending.resolve(outcome);
      else pending.reject(refused.get(pending));
    }
  }

  /** A record whose prerequisite is slow goes back in line once it has settled, without waiting then. */
  private setAside(pending: Pending): void {
    pending.commitAfter!.then(
      () => this.enqueue({ ...pending, commitAfter: undefined }),
      (reason: unknown) => pending.reject(new CommitPrerequisiteFailed(reason)),
    );
  }
}
