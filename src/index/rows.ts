import type { Insertable } from 'kysely';
import type { PersonName } from '../dicom/dataset/instance-attributes.js';
import type { ReceivedInstance } from '../ingest/ports.js';
import type { InstancesTable, PatientsTable, SeriesTable, StudiesTable } from './schema.js';

/** Mapping of a received object onto rows; pure, so the mapping is tested without a database. */

export interface PersonNameColumns {
  readonly alphabetic: string | null;
  readonly ideographic: string | null;
  readonly phonetic: string | null;
}

/** The three component groups of a PN (PS3.5 6.2.1); an empty group is stored as NULL. */
export function personNameColumns(name: PersonName | null): PersonNameColumns {
  return {
    alphabetic: emptyToNull(name?.alphabetic),
    ideographic: emptyToNull(name?.ideographic),
    phonetic: emptyToNull(name?.phonetic),
  };
}

export function personNameFromColumns(alphabetic: string | null, ideographic: string | null, phonetic: string | null): PersonName | null {
  if (alphabetic === null && ideographic === null && phonetic === null) return null;
  return { alphabetic: alphabetic ?? '', ideographic: ideographic ?? '', phonetic: phonetic ?? '' };
}

/** Patient identity as the index keys it: an absent Issuer of Patient ID is '' (see schema.ts). */
export interface PatientIdentity {
  readonly patientId: string | null;
  readonly issuer: string;
}

export function patientIdentityOf(instance: ReceivedInstance): PatientIdentity {
  return { patientId: emptyToNull(instance.attributes.patientId), issuer: instance.attributes.issuerOfPatientId ?? '' };
}

export function sameIdentity(a: PatientIdentity, b: PatientIdentity): boolean {
  return a.patientId === b.patientId && a.issuer === b.issuer;
}

/** Multi-valued decimals (e.g. Image Position (Patient)) as DICOM text: backslash-joined. */
export function joinNumbers(values: readonly number[] | null): string | null {
  return values === null || values.length === 0 ? null : values.map((v) => String(v)).join('\\');
}

export function splitNumbers(text: string | null): number[] | null {
  return text === null ? null : text.split('\\').map(Number);
}

/**
 * An IS value as an integer for sorting (PS3.5 6.2: IS is a signed integer in ±2^31). A value that
 * does not conform is not guessed at: NULL here, the object keeps the text and the reader a fault.
 */
export function integerOf(text: string | null): number | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (!/^[+-]?\d{1,10}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= -(2 ** 31) && value < 2 ** 31 ? value : null;
}

export function patientRow(instance: ReceivedInstance, identity: PatientIdentity): Insertable<PatientsTable> {
  const a = instance.attributes;
  const name = personNameColumns(a.patientName);
  return {
    patient_id: identity.patientId,
    issuer_of_patient_id: identity.issuer,
    name_alphabetic: name.alphabetic,
    name_ideographic: name.ideographic,
    name_phonetic: name.phonetic,
    sex: a.patientSex,
    birth_date: a.patientBirthDate,
    created_at: instance.receivedAt.toISOString(),
  };
}

export function studyRow(instance: ReceivedInstance, studyInstanceUid: string, patientFk: number | string): Insertable<StudiesTable> {
  const a = instance.attributes;
  const referring = personNameColumns(a.referringPhysicianName);
  const now = instance.receivedAt.toISOString();
  return {
    study_instance_uid: studyInstanceUid,
    patient_fk: patientFk,
    study_id: a.studyId,
    study_date: a.studyDate,
    study_time: a.studyTime,
    timezone_offset: a.timezoneOffsetFromUtc,
    accession_number: a.accessionNumber,
    study_description: a.studyDescription,
    referring_physician_name_alphabetic: referring.alphabetic,
    referring_physician_name_ideographic: referring.ideographic,
    referring_physician_name_phonetic: referring.phonetic,
    requested_procedure_id: a.requestedProcedureId,
    scheduled_procedure_step_id: a.scheduledProcedureStepId,
    created_at: now,
    updated_at: now,
  };
}

export function seriesRow(instance: ReceivedInstance, seriesInstanceUid: string, studyFk: number | string): Insertable<SeriesTable> {
  const a = instance.attributes;
  const performing = personNameColumns(a.performingPhysicianName);
  const operators = personNameColumns(a.operatorsName);
  return {
    series_instance_uid: seriesInstanceUid,
    study_fk: studyFk,
    modality: a.modality,
    series_number: integerOf(a.seriesNumber),
    series_date: a.seriesDate,
    series_time: a.seriesTime,
    series_description: a.seriesDescription,
    body_part_examined: a.bodyPartExamined,
    laterality: a.laterality,
    performing_physician_name_alphabetic: performing.alphabetic,
    performing_physician_name_ideographic: performing.ideographic,
    performing_physician_name_phonetic: performing.phonetic,
    operators_name_alphabetic: operators.alphabetic,
    operators_name_ideographic: operators.ideographic,
    operators_name_phonetic: operators.phonetic,
    station_name: a.stationName,
    manufacturer: a.manufacturer,
    manufacturer_model_name: a.manufacturerModelName,
    patient_position: a.patientPosition,
    created_at: instance.receivedAt.toISOString(),
  };
}

export function instanceRow(instance: ReceivedInstance, seriesFk: number | string, hasFaults: boolean): Insertable<InstancesTable> {
  const a = instance.attributes;
  const headerName = personNameColumns(a.patientName);
  return {
    sop_instance_uid: instance.sopInstanceUid,
    series_fk: seriesFk,
    sop_class_uid: instance.sopClassUid,
    transfer_syntax_uid: instance.transferSyntaxUid,
    instance_number: integerOf(a.instanceNumber),
    image_type: a.imageType,
    image_laterality: a.imageLaterality,
    view_position: a.viewPosition,
    acquisition_date: a.acquisitionDate,
    acquisition_time: a.acquisitionTime,
    content_date: a.contentDate,
    content_time: a.contentTime,
    lossy: instance.lossy ? 1 : 0,
    lossy_ratio: a.lossyImageCompressionRatio,
    lossy_method: a.lossyImageCompressionMethod,
    window_center: a.windowCenter,
    window_width: a.windowWidth,
    image_position_patient: joinNumbers(a.imagePositionPatient),
    image_orientation_patient: joinNumbers(a.imageOrientationPatient),
    rows: a.rows,
    columns: a.columns,
    bits_allocated: a.bitsAllocated,
    bits_stored: a.bitsStored,
    samples_per_pixel: a.samplesPerPixel,
    photometric_interpretation: a.photometricInterpretation,
    number_of_frames: a.numberOfFrames,
    object_key: instance.objectKey,
    sha256: instance.sha256,
    dataset_bytes: instance.datasetBytes,
    file_bytes: instance.fileBytes,
    received_at: instance.receivedAt.toISOString(),
    calling_ae_title: instance.source.callingAeTitle,
    called_ae_title: instance.source.calledAeTitle,
    peer_address: instance.source.peerAddress,
    source_via: instance.source.via,
    specific_character_set: a.specificCharacterSet,
    header_patient_id: a.patientId,
    header_issuer_of_patient_id: a.issuerOfPatientId,
    header_patient_name_alphabetic: headerName.alphabetic,
    header_patient_name_ideographic: headerName.ideographic,
    header_patient_name_phonetic: headerName.phonetic,
    header_patient_sex: a.patientSex,
    header_patient_birth_date: a.patientBirthDate,
    has_faults: hasFaults ? 1 : 0,
    record_version_id: null,
  };
}

function emptyToNull(text: string | null | undefined): string | null {
  return text === undefined || text === null || text === '' ? null : text;
}
