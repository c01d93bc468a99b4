import type { AuditActor, AuditEventInput, AuditObject } from '../audit/index.js';
import type { RecordOutcome } from '../ingest/index.js';

interface StudyCounts {
  patientId: string | null;
  stored: number;
  duplicates: number;
  conflicts: number;
}

/**
 * What one association did, kept for its audit events (docs/AUDIT.md, granularity): the first
 * object of each study stored over the association is recorded by a `store` event committed in
 * the same transaction as that object; when the association ends, one `association` event gives
 * the counts per study. Identifiers only — never names.
 */
export class AssociationLedger {
  private readonly studies = new Map<string, StudyCounts>();
  private echoes = 0;
  private failures = 0;

  constructor(
    readonly associationId: string,
    readonly actor: AuditActor & { readonly kind: 'peer' },
    readonly peerAddress: string,
  ) {}

  /** Events to commit with a stored object: a `store` event for the first object of a study. */
  storeEventsFor(stored: { outcome: RecordOutcome; studyInstanceUid: string; seriesInstanceUid: string; patientId: string | null }, sopInstanceUid: string): AuditEventInput[] {
    if (this.studies.has(stored.studyInstanceUid)) return [];
    return [
      {
        action: 'store',
        outcome: 0,
        actor: this.actor,
        source: { address: this.peerAddress, userAgent: null },
        objects: [{ patientId: stored.patientId, studyInstanceUid: stored.studyInstanceUid, seriesInstanceUids: [stored.seriesInstanceUid], instanceCount: 1 }],
        breakGlass: false,
        detail: { via: 'dimse', associationId: this.associationId, firstSopInstanceUid: sopInstanceUid, outcome: stored.outcome.kind },
      },
    ];
  }

  stored(studyInstanceUid: string, patientId: string | null, outcome: RecordOutcome): void {
    const counts = this.studies.get(studyInstanceUid) ?? { patientId, stored: 0, duplicates: 0, conflicts: 0 };
    if (outcome.kind === 'stored') counts.stored++;
    else if (outcome.kind === 'duplicate') counts.duplicates++;
    else counts.conflicts++;
    this.studies.set(studyInstanceUid, counts);
  }

  echoed(): void {
    this.echoes++;
  }

  failed(): void {
    this.failures++;
  }

  /** The closing event; null when the association did nothing worth a line of its own. */
  summary(ending: 'released' | 'aborted'): AuditEventInput {
    const objects: AuditObject[] = [...this.studies].map(([studyInstanceUid, counts]) => ({
      patientId: counts.patientId,
      studyInstanceUid,
      instanceCount: counts.stored + counts.duplicates + counts.conflicts,
    }));
    let stored = 0;
    let duplicates = 0;
    let conflicts = 0;
    for (const counts of this.studies.values()) {
      stored += counts.stored;
      duplicates += counts.duplicates;
      conflicts += counts.conflicts;
    }
    return {
      action: 'association',
      outcome: this.failures > 0 || ending === 'aborted' ? 4 : 0,
      actor: this.actor,
      source: { address: this.peerAddress, userAgent: null },
      objects,
      breakGlass: false,
      detail: { via: 'dimse', associationId: this.associationId, ending, echoes: this.echoes, stored, duplicates, conflicts, failed: this.failures },
    };
  }
}
