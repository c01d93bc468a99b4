import type { Kysely, Selectable } from 'kysely';
import type { AttributeFault } from '../dicom/dataset/instance-attributes.js';
import type { ReceiptSource } from '../ingest/ports.js';
import { personNameFromColumns, splitNumbers } from './rows.js';
import type { AttributeFaultsTable, DatabaseSchema, InstancesTable, PatientsTable, SeriesTable, StudiesTable } from './schema.js';
import type { IndexReader, IndexedInstance, IndexedSeries, IndexedStudy, InstanceConflict, InstanceWithFaults, ListOptions, PatientMismatch } from './views.js';

const DEFAULT_LIST_LIMIT = 1000;
const MAX_LIST_LIMIT = 10_000;

export function createIndexReader(db: Kysely<DatabaseSchema>): IndexReader {
  const studyWhere = async (column: 'studies.id' | 'studies.study_instance_uid', value: string | number): Promise<IndexedStudy | null> => {
    const row = await db
      .selectFrom('studies')
      .innerJoin('patients', 'patients.id', 'studies.patient_fk')
      .selectAll('studies')
      .select([
        'patients.id as p_id',
        'patients.patient_id as p_patient_id',
        'patients.issuer_of_patient_id as p_issuer',
        'patients.name_alphabetic as p_name_alphabetic',
        'patients.name_ideographic as p_name_ideographic',
        'patients.name_phonetic as p_name_phonetic',
        'patients.sex as p_sex',
        'patients.birth_date as p_birth_date',
      ])
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? null : studyView(row, row);
  };

  const faultsOf = async (column: 'instance_fk' | 'conflict_fk', ids: readonly (number | string)[]): Promise<Map<string, AttributeFault[]>> => {
    const byOwner = new Map<string, AttributeFault[]>();
    if (ids.length === 0) return byOwner;
    const rows = await db.selectFrom('attribute_faults').selectAll().where(column, 'in', ids).orderBy('id').execute();
    for (const row of rows) {
      const owner = String(row[column]);
      const list = byOwner.get(owner) ?? [];
      list.push(faultView(row));
      byOwner.set(owner, list);
    }
    return byOwner;
  };

  return {
    async getInstanceBySopInstanceUid(sopInstanceUid) {
      const instance = await db.selectFrom('instances').selectAll().where('sop_instance_uid', '=', sopInstanceUid).executeTakeFirst();
      if (instance === undefined) return null;
      const series = await db.selectFrom('series').selectAll().where('id', '=', instance.series_fk).executeTakeFirstOrThrow();
      const study = await studyWhere('studies.id', series.study_fk);
      if (study === null) throw new Error('series without study');
      const faults = (await faultsOf('instance_fk', [instance.id])).get(String(instance.id)) ?? [];
      const frames = await db.selectFrom('instance_frames').selectAll().where('instance_fk', '=', instance.id).orderBy('frame_number').execute();
      return instanceView(instance, seriesView(series), study, faults, frames);
    },

    getStudy(studyInstanceUid) {
      return studyWhere('studies.study_instance_uid', studyInstanceUid);
    },

    async listConflicts(options = {}) {
      let query = db.selectFrom('instance_conflicts').selectAll().orderBy('id').limit(limitOf(options));
      if (options.includeResolved !== true) query = query.where('resolved_at', 'is', null);
      const rows = await query.execute();
      const faults = await faultsOf('conflict_fk', rows.map((r) => r.id));
      return rows.map(
        (row): InstanceConflict => ({
          id: String(row.id),
          sopInstanceUid: row.sop_instance_uid,
          currentInstanceId: String(row.current_instance_fk),
          objectKey: row.object_key,
          sha256: row.sha256,
          datasetBytes: Number(row.dataset_bytes),
          transferSyntaxUid: row.transfer_syntax_uid,
          receivedAt: row.received_at,
          callingAeTitle: row.calling_ae_title,
          peerAddress: row.peer_address,
          resolvedAt: row.resolved_at,
          faults: faults.get(String(row.id)) ?? [],
        }),
      );
    },

    async listPatientMismatches(options = {}) {
      let query = db
        .selectFrom('patient_mismatches as m')
        .innerJoin('studies', 'studies.id', 'm.study_fk')
        .innerJoin('instances', 'instances.id', 'm.instance_fk')
        .selectAll('m')
        .select(['studies.study_instance_uid', 'instances.sop_instance_uid'])
        .orderBy('m.id')
        .limit(limitOf(options));
      if (options.includeResolved !== true) query = query.where('m.resolved_at', 'is', null);
      const rows = await query.execute();
      return rows.map(
        (row): PatientMismatch => ({
          id: String(row.id),
          studyInstanceUid: row.study_instance_uid,
          sopInstanceUid: row.sop_instance_uid,
          expectedPatientId: row.expected_patient_id,
          expectedIssuerOfPatientId: row.expected_issuer_of_patient_id,
          receivedPatientId: row.received_patient_id,
          receivedIssuerOfPatientId: row.received_issuer_of_patient_id,
          detectedAt: row.detected_at,
          resolvedAt: row.resolved_at,
        }),
      );
    },

    async listInstancesWithFaults(options = {}) {
      const rows = await db
        .selectFrom('instances')
        .innerJoin('series', 'series.id', 'instances.series_fk')
        .innerJoin('studies', 'studies.id', 'series.study_fk')
        .select(['instances.id', 'instances.sop_instance_uid', 'instances.received_at', 'studies.study_instance_uid'])
        .where('instances.has_faults', '=', 1)
        .orderBy('instances.id')
        .limit(limitOf(options))
        .execute();
      const faults = await faultsOf('instance_fk', rows.map((r) => r.id));
      return rows.map(
        (row): InstanceWithFaults => ({
          instanceId: String(row.id),
          sopInstanceUid: row.sop_instance_uid,
          studyInstanceUid: row.study_instance_uid,
          receivedAt: row.received_at,
          faults: faults.get(String(row.id)) ?? [],
        }),
      );
    },

    async countInstances() {
      const row = await db.selectFrom('instances').select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}

function limitOf(options: Pick<ListOptions, 'limit'>): number {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  return Number.isSafeInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIST_LIMIT) : DEFAULT_LIST_LIMIT;
}

function faultView(row: Selectable<AttributeFaultsTable>): AttributeFault {
  return { code: row.code, tag: row.tag, message: row.message };
}

type PatientColumns = {
  p_id: number | string;
  p_patient_id: Selectable<PatientsTable>['patient_id'];
  p_issuer: string;
  p_name_alphabetic: string | null;
  p_name_ideographic: string | null;
  p_name_phonetic: string | null;
  p_sex: string | null;
  p_birth_date: string | null;
};

function studyView(study: Selectable<StudiesTable>, p: PatientColumns): IndexedStudy {
  return {
    id: String(study.id),
    studyInstanceUid: study.study_instance_uid,
    studyId: study.study_id,
    studyDate: study.study_date,
    studyTime: study.study_time,
    timezoneOffsetFromUtc: study.timezone_offset,
    accessionNumber: study.accession_number,
    studyDescription: study.study_description,
    referringPhysicianName: personNameFromColumns(
      study.referring_physician_name_alphabetic,
      study.referring_physician_name_ideographic,
      study.referring_physician_name_phonetic,
    ),
    requestedProcedureId: study.requested_procedure_id,
    scheduledProcedureStepId: study.scheduled_procedure_step_id,
    createdAt: study.created_at,
    updatedAt: study.updated_at,
    patient: {
      id: String(p.p_id),
      patientId: p.p_patient_id,
      issuerOfPatientId: p.p_issuer,
      patientName: personNameFromColumns(p.p_name_alphabetic, p.p_name_ideographic, p.p_name_phonetic),
      sex: p.p_sex,
      birthDate: p.p_birth_date,
    },
  };
}

function seriesView(row: Selectable<SeriesTable>): IndexedSeries {
  return {
    id: String(row.id),
    seriesInstanceUid: row.series_instance_uid,
    modality: row.modality,
    seriesNumber: row.series_number,
    seriesDate: row.series_date,
    seriesTime: row.series_time,
    seriesDescription: row.series_description,
    bodyPartExamined: row.body_part_examined,
    laterality: row.laterality,
    performingPhysicianName: personNameFromColumns(
      row.performing_physician_name_alphabetic,
      row.performing_physician_name_ideographic,
      row.performing_physician_name_phonetic,
    ),
    operatorsName: personNameFromColumns(row.operators_name_alphabetic, row.operators_name_ideographic, row.operators_name_phonetic),
    stationName: row.station_name,
    manufacturer: row.manufacturer,
    manufacturerModelName: row.manufacturer_model_name,
    patientPosition: row.patient_position,
  };
}

function instanceView(
  row: Selectable<InstancesTable>,
  series: IndexedSeries,
  study: IndexedStudy,
  faults: readonly AttributeFault[],
  frames: readonly { image_position_patient: string | null; image_orientation_patient: string | null }[],
): IndexedInstance {
  return {
    id: String(row.id),
    sopInstanceUid: row.sop_instance_uid,
    sopClassUid: row.sop_class_uid,
    transferSyntaxUid: row.transfer_syntax_uid,
    instanceNumber: row.instance_number,
    imageType: row.image_type,
    imageLaterality: row.image_laterality,
    viewPosition: row.view_position,
    acquisitionDate: row.acquisition_date,
    acquisitionTime: row.acquisition_time,
    contentDate: row.content_date,
    contentTime: row.content_time,
    lossy: row.lossy === 1,
    lossyImageCompressionRatio: row.lossy_ratio,
    lossyImageCompressionMethod: row.lossy_method,
    windowCenter: row.window_center,
    windowWidth: row.window_width,
    imagePositionPatient: splitNumbers(row.image_position_patient),
    imageOrientationPatient: splitNumbers(row.image_orientation_patient),
    rows: row.rows,
    columns: row.columns,
    bitsAllocated: row.bits_allocated,
    bitsStored: row.bits_stored,
    samplesPerPixel: row.samples_per_pixel,
    photometricInterpretation: row.photometric_interpretation,
    numberOfFrames: row.number_of_frames,
    objectKey: row.object_key,
    sha256: row.sha256,
    datasetBytes: Number(row.dataset_bytes),
    fileBytes: Number(row.file_bytes),
    receivedAt: row.received_at,
    source: {
      via: row.source_via as ReceiptSource['via'],
      callingAeTitle: row.calling_ae_title,
      calledAeTitle: row.called_ae_title,
      peerAddress: row.peer_address,
    },
    specificCharacterSet: row.specific_character_set,
    headerPatient: {
      patientId: row.header_patient_id,
      issuerOfPatientId: row.header_issuer_of_patient_id,
      patientName: personNameFromColumns(row.header_patient_name_alphabetic, row.header_patient_name_ideographic, row.header_patient_name_phonetic),
      sex: row.header_patient_sex,
      birthDate: row.header_patient_birth_date,
    },
    hasFaults: row.has_faults === 1,
    recordVersionId: row.record_version_id,
    faults,
    frames: frames.map((f) => ({ imagePositionPatient: splitNumbers(f.image_position_patient), imageOrientationPatient: splitNumbers(f.image_orientation_patient) })),
    series,
    study,
  };
}
