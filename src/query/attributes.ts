import type { QueryLevel } from './model.js';

/**
 * The attributes the index can match and return, with their tags, VRs and query levels
 * (PS3.4 C.6.1.1.2–C.6.1.1.5 for the levels; PS3.18 10.6.1.2 for the QIDO-RS search keys).
 * Patient attributes are PATIENT level; in Study Root they belong to the STUDY level (C.6.2.1).
 */
export type MatchingRule =
  /** Single value, wildcard and multiple value matching on text (SH, LO, CS, AE). */
  | 'text'
  | 'person-name'
  | 'uid'
  | 'date'
  | 'time'
  | 'integer'
  | 'sequence'
  /** Computed (counts, flags): returned, not matched — a value given as a key is ignored. */
  | 'return-only';

export interface QueryAttribute {
  readonly keyword: string;
  /** `GGGGEEEE`, upper-case hex. */
  readonly tag: string;
  readonly vr: string;
  readonly level: QueryLevel;
  readonly matching: MatchingRule;
  /** The level's unique key (PS3.4 C.6.1.1: Patient ID, Study/Series/SOP Instance UID). */
  readonly unique?: true;
  /** Item keys, for `sequence`. */
  readonly items?: readonly QueryAttribute[];
}

const a = (keyword: string, tag: string, vr: string, level: QueryLevel, matching: MatchingRule, extra: Partial<QueryAttribute> = {}): QueryAttribute => ({
  keyword,
  tag,
  vr,
  level,
  matching,
  ...extra,
});

export const QUERY_ATTRIBUTES: readonly QueryAttribute[] = [
  // Patient (PS3.4 Table C.6-1)
  a('PatientName', '00100010', 'PN', 'PATIENT', 'person-name'),
  a('PatientID', '00100020', 'LO', 'PATIENT', 'text', { unique: true }),
  a('IssuerOfPatientID', '00100021', 'LO', 'PATIENT', 'text'),
  a('PatientBirthDate', '00100030', 'DA', 'PATIENT', 'date'),
  a('PatientSex', '00100040', 'CS', 'PATIENT', 'text'),
  a('NumberOfPatientRelatedStudies', '00201200', 'IS', 'PATIENT', 'return-only'),
  a('NumberOfPatientRelatedSeries', '00201202', 'IS', 'PATIENT', 'return-only'),
  a('NumberOfPatientRelatedInstances', '00201204', 'IS', 'PATIENT', 'return-only'),
  // Study (Table C.6-2)
  a('StudyInstanceUID', '0020000D', 'UI', 'STUDY', 'uid', { unique: true }),
  a('StudyID', '00200010', 'SH', 'STUDY', 'text'),
  a('StudyDate', '00080020', 'DA', 'STUDY', 'date'),
  a('StudyTime', '00080030', 'TM', 'STUDY', 'time'),
  a('AccessionNumber', '00080050', 'SH', 'STUDY', 'text'),
  a('StudyDescription', '00081030', 'LO', 'STUDY', 'text'),
  a('ReferringPhysicianName', '00080090', 'PN', 'STUDY', 'person-name'),
  a('TimezoneOffsetFromUTC', '00080201', 'SH', 'STUDY', 'text'),
  // Matched when any series of the study has a matching modality (C.6.1.1.3, PS3.18 10.6.1.2).
  a('ModalitiesInStudy', '00080061', 'CS', 'STUDY', 'text'),
  a('NumberOfStudyRelatedSeries', '00201206', 'IS', 'STUDY', 'return-only'),
  a('NumberOfStudyRelatedInstances', '00201208', 'IS', 'STUDY', 'return-only'),
  // Series (Table C.6-3)
  a('SeriesInstanceUID', '0020000E', 'UI', 'SERIES', 'uid', { unique: true }),
  a('Modality', '00080060', 'CS', 'SERIES', 'text'),
  a('SeriesNumber', '00200011', 'IS', 'SERIES', 'integer'),
  a('SeriesDate', '00080021', 'DA', 'SERIES', 'date'),
  a('SeriesTime', '00080031', 'TM', 'SERIES', 'time'),
  a('SeriesDescription', '0008103E', 'LO', 'SERIES', 'text'),
  a('BodyPartExamined', '00180015', 'CS', 'SERIES', 'text'),
  a('Laterality', '00200060', 'CS', 'SERIES', 'text'),
  a('PerformingPhysicianName', '00081050', 'PN', 'SERIES', 'person-name'),
  a('OperatorsName', '00081070', 'PN', 'SERIES', 'person-name'),
  a('StationName', '00081010', 'SH', 'SERIES', 'text'),
  a('Manufacturer', '00080070', 'LO', 'SERIES', 'text'),
  a('ManufacturerModelName', '00081090', 'LO', 'SERIES', 'text'),
  a('PatientPosition', '00185100', 'CS', 'SERIES', 'text'),
  a('NumberOfSeriesRelatedInstances', '00201209', 'IS', 'SERIES', 'return-only'),
  // The index keeps one request per study (the first object's); PS3.4 Table C.6-3 lists the
  // sequence at series level, PS3.18 Table 10.6.3-4 among the series return attributes.
  a('RequestAttributesSequence', '00400275', 'SQ', 'SERIES', 'sequence', {
    items: [a('RequestedProcedureID', '00401001', 'SH', 'SERIES', 'text'), a('ScheduledProcedureStepID', '00400009', 'SH', 'SERIES', 'text')],
  }),
  // Composite object instance (Table C.6-4)
  a('SOPInstanceUID', '00080018', 'UI', 'IMAGE', 'uid', { unique: true }),
  a('SOPClassUID', '00080016', 'UI', 'IMAGE', 'uid'),
  a('AvailableTransferSyntaxUID', '00083002', 'UI', 'IMAGE', 'uid'),
  a('InstanceNumber', '00200013', 'IS', 'IMAGE', 'integer'),
  a('ImageType', '00080008', 'CS', 'IMAGE', 'text'),
  a('ImageLaterality', '00200062', 'CS', 'IMAGE', 'text'),
  a('ViewPosition', '00185101', 'CS', 'IMAGE', 'text'),
  a('AcquisitionDate', '00080022', 'DA', 'IMAGE', 'date'),
  a('AcquisitionTime', '00080032', 'TM', 'IMAGE', 'time'),
  a('ContentDate', '00080023', 'DA', 'IMAGE', 'date'),
  a('ContentTime', '00080033', 'TM', 'IMAGE', 'time'),
  a('Rows', '00280010', 'US', 'IMAGE', 'integer'),
  a('Columns', '00280011', 'US', 'IMAGE', 'integer'),
  a('BitsAllocated', '00280100', 'US', 'IMAGE', 'integer'),
  a('BitsStored', '00280101', 'US', 'IMAGE', 'integer'),
  a('SamplesPerPixel', '00280002', 'US', 'IMAGE', 'integer'),
  a('PhotometricInterpretation', '00280004', 'CS', 'IMAGE', 'text'),
  a('NumberOfFrames', '00280008', 'IS', 'IMAGE', 'integer'),
  a('LossyImageCompression', '00282110', 'CS', 'IMAGE', 'return-only'),
];

const BY_KEYWORD = new Map(QUERY_ATTRIBUTES.flatMap((attr) => [attr, ...(attr.items ?? [])].map((x) => [x.keyword, x] as const)));
const BY_TAG = new Map(QUERY_ATTRIBUTES.flatMap((attr) => [attr, ...(attr.items ?? [])].map((x) => [x.tag, x] as const)));

/** Tags handled by the parsers themselves, never query keys. */
export const QUERY_RETRIEVE_LEVEL_TAG = '00080052';
export const SPECIFIC_CHARACTER_SET_TAG = '00080005';

/** By keyword (`PatientName`) or tag (`00100010`, any case). Item keys of sequences are found too. */
export function findQueryAttribute(id: string): QueryAttribute | undefined {
  return isTag(id) ? BY_TAG.get(id.toUpperCase()) : BY_KEYWORD.get(id);
}

export function queryAttribute(keyword: string): QueryAttribute {
  const found = BY_KEYWORD.get(keyword);
  if (found === undefined) throw new Error(`not a query attribute: ${keyword}`);
  return found;
}

export function isTag(id: string): boolean {
  return /^[0-9A-Fa-f]{8}$/.test(id);
}

const LEVEL_RANK: Readonly<Record<QueryLevel, number>> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };

export function levelRank(level: QueryLevel): number {
  return LEVEL_RANK[level];
}

/** Attributes returnable at `level` (its own and those of the levels above). */
export function attributesUpTo(level: QueryLevel): readonly QueryAttribute[] {
  return QUERY_ATTRIBUTES.filter((attr) => levelRank(attr.level) <= levelRank(level));
}

/** The unique keys of `level` and the levels above it in `root` (always returned, PS3.4 C.4.1.2.1). */
export function uniqueKeysUpTo(level: QueryLevel, root: 'patient' | 'study'): string[] {
  return QUERY_ATTRIBUTES.filter((attr) => attr.unique === true && levelRank(attr.level) <= levelRank(level))
    .filter((attr) => root === 'patient' || attr.level !== 'PATIENT')
    .map((attr) => attr.keyword);
}
