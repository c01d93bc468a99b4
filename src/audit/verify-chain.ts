import type { Checkpoint } from './checkpoint.js';
import type { AuditEventStore } from './ports.js';
import { GENESIS_HASH, chainHash, type AuditEventRecord } from './record.js';

/**
 * Verification of the audit chain (issue 3 §6): every hash recomputed from the stored columns
 * (record.ts gives the canonical form), `seq` continuity, each link to its predecessor, and the
 * chain against signed checkpoints kept outside the database. Problems are reported one line
 * each, naming the events:
 *
 *   audit: event 17 changed                           content no longer matches its hash
 *   audit: event 18 removed / events 18..20 removed   a gap in seq
 *   audit: events 20..21 reordered                    authentic events found at other positions
 *   audit: event 30 differs from checkpoint …          the chain was rewritten (hashes recomputed)
 *   audit: chain truncated after 30 (checkpoint has 41)
 */
export interface ChainVerification {
  /** Events checked by this run. */
  readonly eventsChecked: number;
  readonly lastSeq: number;
  readonly lastHash: string;
}

export interface VerifyChainOptions {
  /** Resume after this event (its stored hash is the expected link of the next one). */
  readonly resumeAfter?: { readonly seq: number; readonly hash: string } | null;
  /** Signature-checked checkpoints to hold the chain against. */
  readonly checkpoints?: readonly Checkpoint[];
  readonly onProblem: (line: string) => void;
  /** Called after each page with the last verified event, e.g. to save progress. */
  readonly onProgress?: (lastSeq: number, lastHash: string) => void | Promise<void>;
  readonly pageSize?: number;
}

/** How far from its position a moved event is looked for before it is called changed. */
const REORDER_WINDOW = 256;

export async function verifyAuditChain(store: Pick<AuditEventStore, 'readFrom'>, options: VerifyChainOptions): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? 1000;
  const checkpointsBySeq = new Map<number, Checkpoint[]>();
  for (const checkpoint of options.checkpoints ?? []) {
    checkpointsBySeq.set(checkpoint.seq, [...(checkpointsBySeq.get(checkpoint.seq) ?? []), checkpoint]);
  }
  let expectedSeq = (options.resumeAfter?.seq ?? 0) + 1;
  let previousHash = options.resumeAfter?.hash ?? GENESIS_HASH;
  let previousSuspect = false;
  let checked = 0;
  let moved: number[] = [];
  const flushMoved = (): void => {
    if (moved.length === 0) return;
    const low = Math.min(...moved);
    const high = Math.max(...moved);
    options.onProblem(low === high ? `audit: event ${low} reordered` : `audit: events ${low}..${high} reordered`);
    moved = [];
  };

  for (;;) {
    const page = await store.readFrom(expectedSeq, pageSize);
    if (page.length === 0) break;
    for (const event of page) {
      checked++;
      if (event.seq !== expectedSeq) {
        flushMoved();
        const last = event.seq - 1;
        options.onProblem(last === expectedSeq ? `audit: event ${expectedSeq} removed` : `audit: events ${expectedSeq}..${last} removed`);
        previousSuspect = true;
      }
      const selfConsistent = hashOf(event, event.seq) === event.hash;
      if (!selfConsistent) {
        const origin = originalPosition(event);
        if (origin !== null) {
          moved.push(event.seq, origin);
        } else {
          flushMoved();
          options.onProblem(`audit: event ${event.seq} changed`);
        }
        previousSuspect = true;
      } else {
        if (!previousSuspect && event.prevHash !== previousHash) {
          // Both events hash correctly, yet do not link: the previous one was rewritten with its
          // hash recomputed (and this one was not).
          options.onProblem(`audit: event ${event.seq - 1} changed (its hash was recomputed)`);
        }
        if (moved.length > 0 && event.prevHash === previousHash) flushMoved();
        previousSuspect = false;
      }
      for (const checkpoint of checkpointsBySeq.get(event.seq) ?? []) {
        if (checkpoint.hash !== event.hash) {
          options.onProblem(`audit: event ${event.seq} differs from the checkpoint of ${checkpoint.time} (chain rewritten at or before ${event.seq})`);
        }
      }
      previousHash = event.hash;
      expectedSeq = event.seq + 1;
    }
    const last = page[page.length - 1] as AuditEventRecord;
    await options.onProgress?.(last.seq, last.hash);
  }
  flushMoved();

  const lastSeq = expectedSeq - 1;
  const beyond = [...checkpointsBySeq.keys()].filter((seq) => seq > lastSeq);
  if (beyond.length > 0) options.onProblem(`audit: chain truncated after ${lastSeq} (checkpoint has ${Math.max(...beyond)})`);
  return { eventsChecked: checked, lastSeq, lastHash: previousHash };
}

function hashOf(event: AuditEventRecord, seq: number): string | null {
  try {
    return chainHash(event.prevHash, { ...event, seq });
  } catch {
    return null;
  }
}

/** The position where this event's content hashes to its stored hash, if near; else null. */
function originalPosition(event: AuditEventRecord): number | null {
  for (let distance = 1; distance <= REORDER_WINDOW; distance++) {
    for (const seq of [event.seq - distance, event.seq + distance]) {
      if (seq >= 1 && hashOf(event, seq) === event.hash) return seq;
    }
  }
  return null;
}
