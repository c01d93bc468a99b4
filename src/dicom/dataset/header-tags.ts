/**
 * The tags the header reader keeps (PS3.6 Table 6-1 for tags and VRs), and the capture schema
 * that tells the walker where to look. Everything else is skipped by length, unread.
 */
import type { CaptureSchema } from './element-walker.js';

export const TAG = {
  SpecificCharacterSet: 0x00080005,
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  SeriesDate: 0x00080021,
  AcquisitionDate: 0x00080022,
  ContentDate: 0x00080023,
  StudyTime: 0x00080030,
  SeriesTime: 0x00080031,
  AcquisitionTime: 0x00080032,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  ReferringPhysicianName: 0x00080090,
  TimezoneOffsetFromUTC: 0x00080201,
  StationName: 0x00081010,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  PerformingPhysicianName: 0x00081050,
  OperatorsName: 0x00081070,
  ManufacturerModelName: 0x00081090,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  BodyPartExamined: 0x00180015,
  PatientPosition: 0x00185100,
  ViewPosition: 0x00185101,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  Laterality: 0x00200060,
  ImageLaterality: 0x00200062,
  PlanePositionSequence: 0x00209113,
  PlaneOrientationSequence: 0x00209116,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  LossyImageCompression: 0x00282110,
  LossyImageCompressionRatio: 0x00282112,
  LossyImageCompressionMethod: 0x00282114,
  ScheduledProcedureStepID: 0x00400009,
  RequestAttributesSequence: 0x00400275,
  RequestedProcedureID: 0x00401001,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
} as const;

/** VRs whose text is in the dataset's character set (PS3.5 §6.1.2.3); others are default repertoire. */
export const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']);

/** The VR of each kept tag, needed under implicit VR where the stream does not say. */
export const TAG_VR: ReadonlyMap<number, string> = new Map<number, string>([
  [TAG.SpecificCharacterSet, 'CS'],
  [TAG.ImageType, 'CS'],
  [TAG.SOPClassUID, 'UI'],
  [TAG.SOPInstanceUID, 'UI'],
  [TAG.StudyDate, 'DA'],
  [TAG.SeriesDate, 'DA'],
  [TAG.AcquisitionDate, 'DA'],
  [TAG.ContentDate, 'DA'],
  [TAG.StudyTime, 'TM'],
  [TAG.SeriesTime, 'TM'],
  [TAG.AcquisitionTime, 'TM'],
  [TAG.ContentTime, 'TM'],
  [TAG.AccessionNumber, 'SH'],
  [TAG.Modality, 'CS'],
  [TAG.Manufacturer, 'LO'],
  [TAG.ReferringPhysicianName, 'PN'],
  [TAG.TimezoneOffsetFromUTC, 'SH'],
  [TAG.StationName, 'SH'],
  [TAG.StudyDescription, 'LO'],
  [TAG.SeriesDescription, 'LO'],
  [TAG.PerformingPhysicianName, 'PN'],
  [TAG.OperatorsName, 'PN'],
  [TAG.ManufacturerModelName, 'LO'],
  [TAG.PatientName, 'PN'],
  [TAG.PatientID, 'LO'],
  [TAG.IssuerOfPatientID, 'LO'],
  [TAG.PatientBirthDate, 'DA'],
  [TAG.PatientSex, 'CS'],
  [TAG.BodyPartExamined, 'CS'],
  [TAG.PatientPosition, 'CS'],
  [TAG.ViewPosition, 'CS'],
  [TAG.StudyInstanceUID, 'UI'],
  [TAG.SeriesInstanceUID, 'UI'],
  [TAG.StudyID, 'SH'],
  [TAG.SeriesNumber, 'IS'],
  [TAG.InstanceNumber, 'IS'],
  [TAG.ImagePositionPatient, 'DS'],
  [TAG.ImageOrientationPatient, 'DS'],
  [TAG.Laterality, 'CS'],
  [TAG.ImageLaterality, 'CS'],
  [TAG.SamplesPerPixel, 'US'],
  [TAG.PhotometricInterpretation, 'CS'],
  [TAG.NumberOfFrames, 'IS'],
  [TAG.Rows, 'US'],
  [TAG.Columns, 'US'],
  [TAG.BitsAllocated, 'US'],
  [TAG.BitsStored, 'US'],
  [TAG.WindowCenter, 'DS'],
  [TAG.WindowWidth, 'DS'],
  [TAG.LossyImageCompression, 'CS'],
  [TAG.LossyImageCompressionRatio, 'DS'],
  [TAG.LossyImageCompressionMethod, 'CS'],
  [TAG.ScheduledProcedureStepID, 'SH'],
  [TAG.RequestedProcedureID, 'SH'],
]);

const NO_SEQUENCES: ReadonlyMap<number, CaptureSchema> = new Map();

const PLANE_POSITION: CaptureSchema = { values: new Set([TAG.ImagePositionPatient]), sequences: NO_SEQUENCES };
const PLANE_ORIENTATION: CaptureSchema = { values: new Set([TAG.ImageOrientationPatient]), sequences: NO_SEQUENCES };

/** PS3.3 C.7.6.16: functional group items hold one macro sequence per aspect of the frame. */
const FUNCTIONAL_GROUP: CaptureSchema = {
  values: new Set(),
  sequences: new Map([
    [TAG.PlanePositionSequence, PLANE_POSITION],
    [TAG.PlaneOrientationSequence, PLANE_ORIENTATION],
  ]),
};

const REQUEST_ATTRIBUTES: CaptureSchema = {
  values: new Set([TAG.RequestedProcedureID, TAG.ScheduledProcedureStepID]),
  sequences: NO_SEQUENCES,
};

export const HEADER_SCHEMA: CaptureSchema = {
  values: new Set(TAG_VR.keys()),
  sequences: new Map([
    [TAG.RequestAttributesSequence, REQUEST_ATTRIBUTES],
    [TAG.SharedFunctionalGroupsSequence, FUNCTIONAL_GROUP],
    [TAG.PerFrameFunctionalGroupsSequence, FUNCTIONAL_GROUP],
  ]),
};
