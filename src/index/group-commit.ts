import { sql, type Kysely, type Transaction } from 'kysely';
import type { RecordOutcome } from '../ingest/ports.js';
import type { DatabaseSchema } from './schema.js';

type Work = (trx: Transaction<DatabaseSchema>) => Promise<RecordOutcome>;

interface Pending {
  readonly work: Work;
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
 */
export class GroupCommitter {
  private readonly queue: Pending[] = [];
  private draining = false;

  constructor(private readonly kysely: Kysely<DatabaseSchema>) {}

  submit(work: Work): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // better-sqlite3 runs a whole transaction without yielding to the event loop, so the group
      // is gathered first: setImmediate runs after the I/O callbacks of this loop turn, each of
      // which may submit a record.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0, MAX_GROUP_SIZE));
    } finally {
      this.draining = false;
    }
  }

  private async commitGroup(group: readonly Pending[]): Promise<void> {
    const settled: (() => void)[] = [];
    try {
      await this.kysely.transaction().execute(async (trx) => {
        for (const pending of group) {
          await sql`savepoint record_instance`.execute(trx);
          try {
            const outcome = await pending.work(trx);
            await sql`release savepoint record_instance`.execute(trx);
            settled.push(() => pending.resolve(outcome));
          } catch (cause) {
            await sql`rollback to savepoint record_instance`.execute(trx);
            await sql`release savepoint record_instance`.execute(trx);
            settled.push(() => pending.reject(cause));
          }
        }
      });
    } catch (cause) {
      // BEGIN or COMMIT failed: nothing of the group is durable.
      for (const pending of group) pending.reject(cause);
      return;
    }
    for (const settle of settled) settle();
  }
}
