import type { AccessScope } from '../query/index.js';
import type { Database } from './database.js';
import { visibleStudyCondition } from './query-scope.js';

/** Where a stored instance's bytes are, for retrieval (C-MOVE, C-GET, WADO) and commitment. */
export interface StoredInstanceLocation {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly objectKey: string;
  /** The dataset starts at `fileBytes - datasetBytes` (after our preamble and file meta group). */
  readonly fileBytes: number;
  readonly datasetBytes: number;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly patientId: string | null;
}

/** Bounded IN lists: far below SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * The current (not conflicting) stored objects of these SOP Instance UIDs, in no particular order;
 * unknown UIDs are simply absent. Access control is the caller's: it passes UIDs it may disclose.
 */
export async function findStoredInstances(db: Database, sopInstanceUids: readonly string[]): Promise<StoredInstanceLocation[]> {
  const found: StoredInstanceLocation[] = [];
  for (let start = 0; start < sopInstanceUids.length; start += CHUNK) {
    const rows = await locations(db)
      .where('instances.sop_instance_uid', 'in', sopInstanceUids.slice(start, start + CHUNK))
      .execute();
    found.push(...rows.map(toLocation));
  }
  return found;
}

/** The unique keys of a C-MOVE/C-GET identifier (PS3.4 C.4.2.2.1): lists of UIDs, or a patient. */
export interface RetrieveKeys {
  readonly patientId?: string | null;
  readonly studyInstanceUids?: readonly string[];
  readonly seriesInstanceUids?: readonly string[];
  readonly sopInstanceUids?: readonly string[];
}

/** Upper bound on one retrieval, so that one request cannot make the server list the archive. */
export const MAX_RETRIEVE_INSTANCES = 100_000;

/**
 * The stored instances a retrieval names. Without `scope` (a DICOM peer, which holds no per-study
 * grants) restricted studies are never included (issue 3: invisible to DICOM query and retrieve);
 * with a user's scope (`studyVisibility`) those the user may see are.
 * At least one key must be given; an empty key set matches nothing.
 */
export async function findInstancesToRetrieve(db: Database, keys: RetrieveKeys, scope?: AccessScope): Promise<StoredInstanceLocation[]> {
  const studies = keys.studyInstanceUids ?? [];
  const series = keys.seriesInstanceUids ?? [];
  const sops = keys.sopInstanceUids ?? [];
  const patientId = keys.patientId ?? null;
  if (studies.length === 0 && series.length === 0 && sops.length === 0 && patientId === null) return [];
  // Long UID lists are matched a chunk at a time (each list filters independently).
  const longest = Math.max(studies.length, series.length, sops.length);
  if (longest > CHUNK) {
    const found = new Map<string, StoredInstanceLocation>();
    for (let start = 0; start < longest && found.size < MAX_RETRIEVE_INSTANCES; start += CHUNK) {
      const part = (list: readonly string[]) => (list.length === longest ? list.slice(start, start + CHUNK) : list);
      const keysPart = { patientId, studyInstanceUids: part(studies), seriesInstanceUids: part(series), sopInstanceUids: part(sops) };
      for (const location of await findInstancesToRetrieve(db, keysPart, scope)) found.set(location.sopInstanceUid, location);
    }
    return [...found.values()];
  }
  // A user's scope (studyVisibility: restricted studies granted or under break-glass); without
  // one — a DICOM peer — restricted studies are never included.
  const visible = scope === undefined ? null : visibleStudyCondition(scope, 'studies');
  let query = scope === undefined ? locations(db).where('studies.confidentiality', '=', 'normal') : visible === null ? locations(db) : locations(db).where(visible);
  if (patientId !== null) query = query.where('patients.patient_id', '=', patientId);
  if (studies.length > 0) query = query.where('studies.study_instance_uid', 'in', studies);
  if (series.length > 0) query = query.where('series.series_instance_uid', 'in', series);
  if (sops.length > 0) query = query.where('instances.sop_instance_uid', 'in', sops);
  const rows = await query.orderBy('instances.id').limit(MAX_RETRIEVE_INSTANCES).execute();
  return rows.map(toLocation);
}

/** The instances joined up to their patient, selecting what a location needs. */
function locations(db: Database) {
  return db.kysely
    .selectFrom('instances')
    .innerJoin('series', 'series.id', 'instances.series_fk')
    .innerJoin('studies', 'studies.id', 'series.study_fk')
    .innerJoin('patients', 'patients.id', 'studies.patient_fk')
    .select([
      'instances.sop_instance_uid',
      'instances.sop_class_uid',
      'instances.transfer_syntax_uid',
      'instances.object_key',
      'instances.file_bytes',
      'instances.dataset_bytes',
      'studies.study_instance_uid',
      'series.series_instance_uid',
      'patients.patient_id',
    ]);
}

type LocationRow = Awaited<ReturnType<ReturnType<typeof locations>['execute']>>[number];

function toLocation(row: LocationRow): StoredInstanceLocation {
  return {
    sopInstanceUid: row.sop_instance_uid,
    sopClassUid: row.sop_class_uid,
    transferSyntaxUid: row.transfer_syntax_uid,
    objectKey: row.object_key,
    fileBytes: Number(row.file_bytes),
    datasetBytes: Number(row.dataset_bytes),
    studyInstanceUid: row.study_instance_uid,
    seriesInstanceUid: row.series_instance_uid,
    patientId: row.patient_id,
  };
}
