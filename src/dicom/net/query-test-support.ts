/**
 * For this folder's query/retrieve tests only: an in-memory archive of a few objects behind the
 * C-FIND, C-MOVE/C-GET and Storage Commitment handler interfaces. Matching here is deliberately
 * naive (single value, `*`/`?` wildcards, UID lists): the real query model lives in src/query.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { DecodedIdentifier, IdentifierRecord } from '../dataset/identifier-codec.js';
import type { AssociationInfo, DimseResponseStatus } from './handlers.js';
import type { CommitmentResult, FindResult, InstanceToSend, QueryRequest, RemoteAe, RetrieveHandlers, StorageCommitmentHandlers } from './query-handlers.js';
import { CommitmentFailureReason } from './query-handlers.js';
import { QueryRetrieveSopClass, STORAGE_COMMITMENT_PUSH_SOP_CLASS } from './dimse-qr-messages.js';
import { CT_IMAGE_STORAGE, EXPLICIT_LE, RecordingHandlers, SECONDARY_CAPTURE, buildPart10 } from './test-support.js';

export const QR_SOP_CLASSES = [...Object.values(QueryRetrieveSopClass), STORAGE_COMMITMENT_PUSH_SOP_CLASS, '1.2.840.10008.1.1', CT_IMAGE_STORAGE, SECONDARY_CAPTURE];

/** A port free right now (for a peer we start: storescp, Orthanc). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const address = probe.address();
  await new Promise<void>((r) => probe.close(() => r()));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

export interface ArchivedObject {
  readonly patient: { readonly PatientName: string; readonly PatientID: string; readonly PatientBirthDate: string; readonly PatientSex: string };
  readonly study: { readonly StudyInstanceUID: string; readonly StudyDate: string; readonly AccessionNumber: string; readonly StudyID: string; readonly StudyDescription: string };
  readonly series: { readonly SeriesInstanceUID: string; readonly Modality: string; readonly SeriesNumber: string };
  readonly instance: { readonly SOPInstanceUID: string; readonly SOPClassUID: string; readonly InstanceNumber: string };
  readonly transferSyntaxUid: string;
  readonly dataset: Buffer;
}

const ROOT = '1.2.826.0.1.3680043.10.1467.77';

export function makeArchive(): ArchivedObject[] {
  const out: ArchivedObject[] = [];
  const patients = [
    { PatientName: '山田^太郎=ヤマダ^タロウ', PatientID: 'P1', PatientBirthDate: '19700101', PatientSex: 'M' },
    { PatientName: 'DOE^JOHN', PatientID: 'P2', PatientBirthDate: '19800202', PatientSex: 'M' },
  ];
  patients.forEach((patient, p) => {
    const studies = p === 0 ? 2 : 1;
    for (let s = 0; s < studies; s++) {
      const study = { StudyInstanceUID: `${ROOT}.${p}.${s}`, StudyDate: `2024010${s + 1}`, AccessionNumber: `ACC${p}${s}`, StudyID: `S${s}`, StudyDescription: 'CT CHEST' };
      const series = { SeriesInstanceUID: `${ROOT}.${p}.${s}.1`, Modality: 'CT', SeriesNumber: '1' };
      for (let i = 0; i < 2; i++) {
        const uid = `${ROOT}.${p}.${s}.1.${i + 1}`;
        out.push({
          patient,
          study,
          series,
          instance: { SOPInstanceUID: uid, SOPClassUID: CT_IMAGE_STORAGE, InstanceNumber: String(i + 1) },
          transferSyntaxUid: EXPLICIT_LE,
          dataset: buildPart10(CT_IMAGE_STORAGE, uid, 2000 + 100 * i, { study: study.StudyInstanceUID, series: series.SeriesInstanceUID }).dataset,
        });
      }
    }
  });
  return out;
}

/** `*` and `?` wildcards, compared on the whole value (PS3.4 C.2.2.2.4), case-sensitive. */
function matchesValue(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'su');
  return re.test(value);
}

const LEVEL_KEYS = { PATIENT: 'patient', STUDY: 'study', SERIES: 'series', IMAGE: 'instance' } as const;
const LEVEL_UNIQUE = { PATIENT: 'PatientID', STUDY: 'StudyInstanceUID', SERIES: 'SeriesInstanceUID', IMAGE: 'SOPInstanceUID' } as const;

function attributesOf(o: ArchivedObject): Record<string, string> {
  return { ...o.patient, ...o.study, ...o.series, ...o.instance };
}

export function matches(identifier: DecodedIdentifier, o: ArchivedObject): boolean {
  const attributes = attributesOf(o);
  for (const element of identifier.elements.values()) {
    if (element.keyword === null || element.values.length === 0 || element.keyword === 'QueryRetrieveLevel' || element.keyword === 'SpecificCharacterSet') continue;
    const value = attributes[element.keyword];
    if (value === undefined) continue;
    // PN: a pattern matches any component group (alphabetic, ideographic, phonetic).
    const candidates = element.vr === 'PN' ? [value, ...value.split('=')] : [value];
    if (!element.values.some((pattern) => candidates.some((c) => matchesValue(pattern, c)))) return false;
  }
  return true;
}

export class ArchiveHandlers extends RecordingHandlers {
  readonly finds: QueryRequest[] = [];
  readonly retrieves: (QueryRequest & { kind: 'move' | 'get' })[] = [];
  readonly commits: { transactionUid: string; references: readonly { sopClassUid: string; sopInstanceUid: string }[] }[] = [];
  readonly destinations = new Map<string, RemoteAe>();
  readonly commitmentDestination: { value: RemoteAe | null } = { value: null };
  /** Set to yield this many matches without end (for C-CANCEL tests); the finally flag shows the iterator was closed. */
  endless: { count: number; closed: boolean } | null = null;
  maxMatches = Number.POSITIVE_INFINITY;
  preferSameAssociation = true;

  constructor(readonly archive: ArchivedObject[]) {
    super();
  }

  find(_association: AssociationInfo, request: QueryRequest): FindResult {
    this.finds.push(request);
    if (this.endless !== null) return this.endlessMatches(this.endless);
    return this.matchesOf(request);
  }

  private async *endlessMatches(state: { count: number; closed: boolean }): AsyncGenerator<IdentifierRecord, undefined> {
    try {
      for (;;) {
        state.count++;
        await Promise.resolve();
        yield { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: `${ROOT}.9.${state.count}` };
      }
    } finally {
      state.closed = true;
    }
  }

  private async *matchesOf(request: QueryRequest): AsyncGenerator<IdentifierRecord, DimseResponseStatus | undefined> {
    const level = request.queryRetrieveLevel;
    const seen = new Set<string>();
    let sent = 0;
    for (const o of this.archive) {
      if (!matches(request.identifier, o)) continue;
      const attributes = attributesOf(o);
      const unique = attributes[LEVEL_UNIQUE[level]]!;
      if (seen.has(unique)) continue;
      seen.add(unique);
      if (sent >= this.maxMatches) return { status: 0xa700, errorComment: 'too many matches' };
      sent++;
      const record: Record<string, string | null> = { QueryRetrieveLevel: level };
      const levelAttributes: Record<string, string> = o[LEVEL_KEYS[level]];
      for (const element of request.identifier.elements.values()) {
        if (element.keyword === null || element.keyword === 'QueryRetrieveLevel' || element.keyword === 'SpecificCharacterSet') continue;
        // Keys of this level and above (Patient/Study keys in a Study Root C-FIND at series level are not returned here).
        record[element.keyword] = attributes[element.keyword] ?? null;
      }
      record[LEVEL_UNIQUE[level]] = levelAttributes[LEVEL_UNIQUE[level]] ?? unique;
      await Promise.resolve();
      yield record;
    }
    return undefined;
  }

  readonly retrieve: RetrieveHandlers = {
    resolve: (_association, request) => {
      this.retrieves.push(request);
      const instances: InstanceToSend[] = this.archive
        .filter((o) => matches(request.identifier, o))
        .map((o) => ({
          sopClassUid: o.instance.SOPClassUID,
          sopInstanceUid: o.instance.SOPInstanceUID,
          transferSyntaxUid: o.transferSyntaxUid,
          open: async function* () {
            // In chunks, as a file read would give them.
            for (let at = 0; at < o.dataset.length; at += 1000) {
              await Promise.resolve();
              yield o.dataset.subarray(at, at + 1000);
            }
          },
        }));
      return Promise.resolve(instances);
    },
    moveDestination: (_association, aeTitle) => this.destinations.get(aeTitle) ?? null,
  };

  get storageCommitment(): StorageCommitmentHandlers {
    return {
      preferSameAssociation: this.preferSameAssociation,
      commit: (_association, request): Promise<CommitmentResult> => {
        this.commits.push(request);
        const stored = new Set(this.archive.map((o) => `${o.instance.SOPClassUID} ${o.instance.SOPInstanceUID}`));
        const committed = request.references.filter((r) => stored.has(`${r.sopClassUid} ${r.sopInstanceUid}`));
        const failed = request.references.filter((r) => !stored.has(`${r.sopClassUid} ${r.sopInstanceUid}`)).map((r) => ({ ...r, reason: CommitmentFailureReason.NoSuchObjectInstance }));
        return Promise.resolve({ committed, failed });
      },
      reportDestination: () => this.commitmentDestination.value,
      reported: (event) => this.reports.push(event),
    };
  }

  readonly reports: Parameters<NonNullable<StorageCommitmentHandlers['reported']>>[0][] = [];
}
