import type { Insertable, Transaction } from 'kysely';
import type { AttributeFault } from '../dicom/dataset/instance-attributes.js';
import type { InstanceFlag, ReceivedInstance, RecordOutcome } from '../ingest/ports.js';
import { IndexError } from './index-error.js';
import { patientNormalizedColumns, seriesNormalizedColumns, studyNormalizedColumns } from './query-normalized-columns.js';
import { instanceRow, joinNumbers, patientIdentityOf, patientRow, sameIdentity, seriesRow, studyRow, type PatientIdentity } from './rows.js';
import { preparedQuery } from './prepared-query.js';
import type { DatabaseSchema, InstancesTable } from './schema.js';

type Trx = Transaction<DatabaseSchema>;
type Id = number | string;

/**
 * Thrown inside the transaction when a concurrent writer created the same study, series or patient
 * between our look-up and our insert (`ON CONFLICT DO NOTHING` returned no row). The caller rolls
 * back and runs the whole transaction again, which then finds the committed row.
 */
export class ConcurrentInsert extends Error {
  constructor(readonly table: string) {
    super(`concurrent insert into ${table}`);
    this.name = 'ConcurrentInsert';
  }
}

// The statements every received object runs (an object of a known series: these four), prepared
// once: building them anew cost more of the event loop than running them.
const instanceByUid = preparedQuery((db, v: { uid: string }) => db.selectFrom('instances').select(['id', 'sha256']).where('sop_instance_uid', '=', v.uid));
const studyByUid = preparedQuery((db, v: { uid: string }) =>
  db
    .selectFrom('studies')
    .innerJoin('patients', 'patients.id', 'studies.patient_fk')
    .select(['studies.id as id', 'patients.patient_id as patientId', 'patients.issuer_of_patient_id as issuer'])
    .where('studies.study_instance_uid', '=', v.uid),
);
const seriesByUid = preparedQuery((db, v: { uid: string }) => db.selectFrom('series').select(['id', 'study_fk']).where('series_instance_uid', '=', v.uid));
const insertInstance = preparedQuery((db, row: Insertable<InstancesTable>) => db.insertInto('instances').values(row).returning('id'));

/** Rows per multi-row INSERT: far below SQLite's 32766 and PostgreSQL's 65535 bound parameters. */
const ROWS_PER_INSERT = 500;

/**
 * Enters one received object, inside the caller's transaction:
 * 1. same SOP Instance UID already indexed → `duplicate` (same bytes) or `conflict` (kept apart;
 *    the first stays current — BAD-INPUTS: never a silent overwrite);
 * 2. otherwise patient, study and series are found or created — existing rows are never updated by
 *    an arrival (first wins), and a study arriving with another patient identity is recorded as a
 *    possible mix-up instead of being moved;
 * 3. the instance, its per-frame geometry and its faults are inserted.
 */
export async function recordInstance(trx: Trx, instance: ReceivedInstance): Promise<RecordOutcome> {
  const [current] = (await instanceByUid(trx, { uid: instance.sopInstanceUid })).rows;
  if (current !== undefined) {
    if (current.sha256 === instance.sha256) return { kind: 'duplicate', instanceId: String(current.id) };
    const conflictId = await recordConflict(trx, instance, current.id);
    return { kind: 'conflict', conflictId: String(conflictId), currentInstanceId: String(current.id) };
  }

  const { studyInstanceUid, seriesInstanceUid } = instance.attributes;
  // Ingest refuses these before storing (UID_INVALID); the index defends its own invariants too.
  if (studyInstanceUid === null || seriesInstanceUid === null) {
    throw new IndexError('UID_INVALID', 'Study or Series Instance UID missing');
  }
  const identity = patientIdentityOf(instance);
  const study = await findOrCreateStudy(trx, instance, studyInstanceUid, identity);
  const series = await findOrCreateSeries(trx, instance, seriesInstanceUid, study.id);
  const faults: AttributeFault[] = [...instance.faults];
  if (series.studyId !== String(study.id)) {
    faults.push({
      code: 'SERIES_IN_OTHER_STUDY',
      tag: '(0020,000E)',
      message: 'The Series Instance UID is already filed under another study; the object was filed with that series',
    });
  }

  const [inserted] = (await insertInstance(trx, instanceRow(instance, series.id, faults.length > 0))).rows;
  if (inserted === undefined) throw new IndexError('INDEX_UNAVAILABLE', 'the instance insert returned no row');
  await insertFrames(trx, inserted.id, instance);
  await insertFaults(trx, faults, { instance_fk: inserted.id, conflict_fk: null });

  const flags: InstanceFlag[] = [];
  if (study.filedUnder !== null && !sameIdentity(study.filedUnder, identity)) {
    await trx
      .insertInto('patient_mismatches')
      .values({
        study_fk: study.id,
        instance_fk: inserted.id,
        expected_patient_id: study.filedUnder.patientId,
        expected_issuer_of_patient_id: study.filedUnder.issuer,
        received_patient_id: identity.patientId,
        received_issuer_of_patient_id: identity.issuer,
        detected_at: instance.receivedAt.toISOString(),
      })
      .execute();
    flags.push('patient-mismatch');
  }
  if (instance.lossy) flags.push('lossy');
  if (faults.length > 0) flags.push('attribute-faults');
  return { kind: 'stored', instanceId: String(inserted.id), flags };
}

async function recordConflict(trx: Trx, instance: ReceivedInstance, currentId: Id): Promise<Id> {
  const known = await trx
    .selectFrom('instance_conflicts')
    .select('id')
    .where('sop_instance_uid', '=', instance.sopInstanceUid)
    .where('sha256', '=', instance.sha256)
    .executeTakeFirst();
  if (known !== undefined) return known.id;
  const inserted = await trx
    .insertInto('instance_conflicts')
    .values({
      sop_instance_uid: instance.sopInstanceUid,
      current_instance_fk: currentId,
      object_key: instance.objectKey,
      sha256: instance.sha256,
      dataset_bytes: instance.datasetBytes,
      transfer_syntax_uid: instance.transferSyntaxUid,
      received_at: instance.receivedAt.toISOString(),
      calling_ae_title: instance.source.callingAeTitle,
      peer_address: instance.source.peerAddress,
      resolved_at: null,
    })
    .onConflict((oc) => oc.columns(['sop_instance_uid', 'sha256']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) throw new ConcurrentInsert('instance_conflicts');
  await insertFaults(trx, instance.faults, { instance_fk: null, conflict_fk: inserted.id });
  return inserted.id;
}

interface StudyRef {
  readonly id: Id;
  /** The identity the study is filed under when it already existed; null when created now. */
  readonly filedUnder: PatientIdentity | null;
}

async function findOrCreateStudy(trx: Trx, instance: ReceivedInstance, uid: string, identity: PatientIdentity): Promise<StudyRef> {
  const [existing] = (await studyByUid(trx, { uid })).rows;
  if (existing !== undefined) return { id: existing.id, filedUnder: { patientId: existing.patientId, issuer: existing.issuer } };
  const patientId = await findOrCreatePatient(trx, instance, identity);
  const inserted = await trx
    .insertInto('studies')
    .values({ ...studyRow(instance, uid, patientId), ...studyNormalizedColumns(instance.attributes) })
    .onConflict((oc) => oc.column('study_instance_uid').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) throw new ConcurrentInsert('studies');
  return { id: inserted.id, filedUnder: null };
}

async function findOrCreatePatient(trx: Trx, instance: ReceivedInstance, identity: PatientIdentity): Promise<Id> {
  if (identity.patientId === null) {
    // No Patient ID: nothing to match on, so this study gets a patient of its own (never merged).
    const created = await trx.insertInto('patients').values({ ...patientRow(instance, identity), ...patientNormalizedColumns(instance.attributes) }).returning('id').executeTakeFirstOrThrow();
    return created.id;
  }
  const existing = await trx
    .selectFrom('patients')
    .select('id')
    .where('patient_id', '=', identity.patientId)
    .where('issuer_of_patient_id', '=', identity.issuer)
    .executeTakeFirst();
  if (existing !== undefined) return existing.id;
  const inserted = await trx
    .insertInto('patients')
    .values({ ...patientRow(instance, identity), ...patientNormalizedColumns(instance.attributes) })
    .onConflict((oc) => oc.columns(['patient_id', 'issuer_of_patient_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) throw new ConcurrentInsert('patients');
  return inserted.id;
}

async function findOrCreateSeries(trx: Trx, instance: ReceivedInstance, uid: string, studyId: Id): Promise<{ id: Id; studyId: string }> {
  const [existing] = (await seriesByUid(trx, { uid })).rows;
  if (existing !== undefined) return { id: existing.id, studyId: String(existing.study_fk) };
  const inserted = await trx
    .insertInto('series')
    .values({ ...seriesRow(instance, uid, studyId), ...seriesNormalizedColumns(instance.attributes) })
    .onConflict((oc) => oc.column('series_instance_uid').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted === undefined) throw new ConcurrentInsert('series');
  return { id: inserted.id, studyId: String(studyId) };
}

async function insertFrames(trx: Trx, instanceId: Id, instance: ReceivedInstance): Promise<void> {
  const rows = instance.attributes.framePositions.map((frame, index) => ({
    instance_fk: instanceId,
    frame_number: index + 1, // frames are numbered from 1 (PS3.3 C.7.6.6, Frame Increment Pointer)
    image_position_patient: joinNumbers(frame.imagePositionPatient),
    image_orientation_patient: joinNumbers(frame.imageOrientationPatient),
  }));
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await trx.insertInto('instance_frames').values(rows.slice(start, start + ROWS_PER_INSERT)).execute();
  }
}

async function insertFaults(trx: Trx, faults: readonly AttributeFault[], owner: { instance_fk: Id | null; conflict_fk: Id | null }): Promise<void> {
  const rows = faults.map((fault) => ({ ...owner, code: fault.code, tag: fault.tag, message: fault.message }));
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await trx.insertInto('attribute_faults').values(rows.slice(start, start + ROWS_PER_INSERT)).execute();
  }
}
