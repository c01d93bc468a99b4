/**
 * A record's `commitAfter`: the durability of the object its row names. The index writes the row
 * while the object is flushed, and commits only once that promise has resolved. The transaction
 * holds a connection meanwhile (SQLite's only one), so a flush that hangs — a failing disk — must
 * not hold it for long: past the patience, the record is rolled back and entered again once the
 * object is durable, without the overlap.
 */

/** How long an open transaction waits for a record's prerequisite. */
export const DEFAULT_PATIENCE_MS = 1000;

export type PrerequisiteState = 'resolved' | 'waiting' | { readonly reason: unknown };

/**
 * A record's `commitAfter` rejected: nothing of it was committed. Carries the reason unchanged, so
 * that the caller sees its own failure (e.g. the object's flush), not an index failure.
 */
export class CommitPrerequisiteFailed extends Error {
  constructor(readonly reason: unknown) {
    super('commit prerequisite failed', { cause: reason });
    this.name = 'CommitPrerequisiteFailed';
  }
}

/** A prerequisite still pending after the patience: the transaction is rolled back and run again later. */
export class PrerequisiteStillPending extends Error {
  constructor() {
    super('commit prerequisite still pending');
    this.name = 'PrerequisiteStillPending';
  }
}

/** What each prerequisite came to within `patienceMs` (all of them settled, or the patience ran out). */
export async function settleWithin(prerequisites: readonly (Promise<unknown> | undefined)[], patienceMs: number): Promise<PrerequisiteState[]> {
  const states: PrerequisiteState[] = prerequisites.map((p) => (p === undefined ? 'resolved' : 'waiting'));
  if (!states.includes('waiting')) return states;
  const waits = prerequisites.map(async (prerequisite, i) => {
    if (prerequisite === undefined) return;
    try {
      await prerequisite;
      states[i] = 'resolved';
    } catch (reason) {
      states[i] = { reason };
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, patienceMs)));
  await Promise.race([Promise.all(waits), patience]);
  clearTimeout(timer);
  return states;
}
