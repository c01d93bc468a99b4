/**
 * Where each query attribute (src/query/attributes.ts) lives in the index. Column names are
 * qualified by table (`studies.accession_number`) and come only from this table, never from input.
 */
export interface NameColumns {
  readonly alphabetic: string;
  readonly ideographic: string;
  readonly phonetic: string;
}

export type ColumnSpec =
  | { readonly kind: 'text'; readonly column: string }
  | { readonly kind: 'integer'; readonly column: string }
  | { readonly kind: 'person-name'; readonly raw: NameColumns; readonly normalized: NameColumns }
  /** 0/1 flag returned as `01` / `00` (Lossy Image Compression, PS3.3 C.7.6.1.1.5). */
  | { readonly kind: 'flag'; readonly column: string }
  | { readonly kind: 'computed'; readonly name: ComputedName }
  | { readonly kind: 'sequence'; readonly items: Readonly<Record<string, ColumnSpec>> };

export type ComputedName =
  | 'ModalitiesInStudy'
  | 'NumberOfStudyRelatedSeries'
  | 'NumberOfStudyRelatedInstances'
  | 'NumberOfSeriesRelatedInstances'
  | 'NumberOfPatientRelatedStudies'
  | 'NumberOfPatientRelatedSeries'
  | 'NumberOfPatientRelatedInstances';

const text = (column: string): ColumnSpec => ({ kind: 'text', column });
const integer = (column: string): ColumnSpec => ({ kind: 'integer', column });
const names = (prefix: string): NameColumns => ({ alphabetic: `${prefix}_alphabetic`, ideographic: `${prefix}_ideographic`, phonetic: `${prefix}_phonetic` });
const personName = (prefix: string): ColumnSpec => ({
  kind: 'person-name',
  raw: names(prefix),
  normalized: { alphabetic: `${prefix}_alphabetic_norm`, ideographic: `${prefix}_ideographic_norm`, phonetic: `${prefix}_phonetic_norm` },
});
const computed = (name: ComputedName): ColumnSpec => ({ kind: 'computed', name });

export const QUERY_COLUMNS: Readonly<Record<string, ColumnSpec>> = {
  PatientName: personName('patients.name'),
  PatientID: text('patients.patient_id'),
  IssuerOfPatientID: text('patients.issuer_of_patient_id'),
  PatientBirthDate: text('patients.birth_date'),
  PatientSex: text('patients.sex'),
  NumberOfPatientRelatedStudies: computed('NumberOfPatientRelatedStudies'),
  NumberOfPatientRelatedSeries: computed('NumberOfPatientRelatedSeries'),
  NumberOfPatientRelatedInstances: computed('NumberOfPatientRelatedInstances'),
  StudyInstanceUID: text('studies.study_instance_uid'),
  StudyID: text('studies.study_id'),
  StudyDate: text('studies.study_date'),
  StudyTime: text('studies.study_time'),
  AccessionNumber: text('studies.accession_number'),
  StudyDescription: text('studies.study_description'),
  ReferringPhysicianName: personName('studies.referring_physician_name'),
  TimezoneOffsetFromUTC: text('studies.timezone_offset'),
  ModalitiesInStudy: computed('ModalitiesInStudy'),
  NumberOfStudyRelatedSeries: computed('NumberOfStudyRelatedSeries'),
  NumberOfStudyRelatedInstances: computed('NumberOfStudyRelatedInstances'),
  SeriesInstanceUID: text('series.series_instance_uid'),
  Modality: text('series.modality'),
  SeriesNumber: integer('series.series_number'),
  SeriesDate: text('series.series_date'),
  SeriesTime: text('series.series_time'),
  SeriesDescription: text('series.series_description'),
  BodyPartExamined: text('series.body_part_examined'),
  Laterality: text('series.laterality'),
  PerformingPhysicianName: personName('series.performing_physician_name'),
  OperatorsName: personName('series.operators_name'),
  StationName: text('series.station_name'),
  Manufacturer: text('series.manufacturer'),
  ManufacturerModelName: text('series.manufacturer_model_name'),
  PatientPosition: text('series.patient_position'),
  NumberOfSeriesRelatedInstances: computed('NumberOfSeriesRelatedInstances'),
  RequestAttributesSequence: {
    kind: 'sequence',
    items: { RequestedProcedureID: text('studies.requested_procedure_id'), ScheduledProcedureStepID: text('studies.scheduled_procedure_step_id') },
  },
  SOPInstanceUID: text('instances.sop_instance_uid'),
  SOPClassUID: text('instances.sop_class_uid'),
  AvailableTransferSyntaxUID: text('instances.transfer_syntax_uid'),
  InstanceNumber: integer('instances.instance_number'),
  ImageType: text('instances.image_type'),
  ImageLaterality: text('instances.image_laterality'),
  ViewPosition: text('instances.view_position'),
  AcquisitionDate: text('instances.acquisition_date'),
  AcquisitionTime: text('instances.acquisition_time'),
  ContentDate: text('instances.content_date'),
  ContentTime: text('instances.content_time'),
  Rows: integer('instances.rows'),
  Columns: integer('instances.columns'),
  BitsAllocated: integer('instances.bits_allocated'),
  BitsStored: integer('instances.bits_stored'),
  SamplesPerPixel: integer('instances.samples_per_pixel'),
  PhotometricInterpretation: text('instances.photometric_interpretation'),
  NumberOfFrames: integer('instances.number_of_frames'),
  LossyImageCompression: { kind: 'flag', column: 'instances.lossy' },
};

export function columnsOf(keyword: string): ColumnSpec | undefined {
  return QUERY_COLUMNS[keyword];
}

/** Every stored column a spec reads (for the page's select list). */
export function storedColumnsOf(spec: ColumnSpec): string[] {
  switch (spec.kind) {
    case 'text':
    case 'integer':
    case 'flag':
      return [spec.column];
    case 'person-name':
      return [spec.raw.alphabetic, spec.raw.ideographic, spec.raw.phonetic];
    case 'computed':
      return [];
    case 'sequence':
      return Object.values(spec.items).flatMap(storedColumnsOf);
  }
}
