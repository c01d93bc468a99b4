/**
 * Reads what Kakutei indexes from a received dataset (no preamble, no file meta group). Two answers
 * only (BAD-INPUTS.md): refuse what is structurally unsafe, or return the attributes with a fault
 * for every value that is merely wrong.
 */
import { kakuteiError, type KakuteiError } from '../../errors/index.js';
import { resolveCharset, TextDecoders } from '../charset/index.js';
import { transferSyntaxOf } from '../dictionary/transfer-syntaxes.js';
import { DEFAULT_MAX_INFLATED_HEADER_BYTES, walkDeflatedDataset } from './deflated-header.js';
import { tagToString, walkDataset, type CapturedItem, type WalkResult, type WalkSyntax } from './element-walker.js';
import { HEADER_SCHEMA, TAG } from './header-tags.js';
import type { AttributeFault, FramePosition, InstanceAttributes } from './instance-attributes.js';
import { checkPixelData } from './pixel-checks.js';
import { checkIdentifyingUid, isValidUtcOffset } from './value-checks.js';
import { ValueReader } from './value-reader.js';

export interface HeaderReadInput {
  /** The dataset, or a prefix of it when `complete` is false. */
  readonly bytes: Uint8Array;
  readonly complete: boolean;
  /**
   * The whole dataset's length, when `bytes` is a prefix of it (`complete` false) but the caller
   * has every byte: the prefix is then read exactly as the whole dataset would be if it holds the
   * header and the pixel data has a defined length (checked against this length); otherwise the
   * answer is `needMoreBytes`. Spares joining a whole image to read its header.
   */
  readonly datasetBytes?: number;
  readonly transferSyntaxUid: string;
  /** WHATWG label used when no character set is declared but non-ASCII bytes occur (e.g. `shift_jis`). */
  readonly fallbackCharset?: string | null;
  /**
   * Deflated datasets: cap on the inflated size of the header (everything before Pixel Data), the
   * only part the reader inflates. Beyond it: DECOMPRESSION_BOMB. Default 64 MiB.
   */
  readonly maxInflatedHeaderBytes?: number;
  /**
   * Cap on the inflated size of a whole deflated dataset. The reader never inflates past the
   * header, so this only lowers the header cap when it is the smaller; the whole stream is guarded
   * where it arrives (`src/ingest/inflate-guard.ts`).
   */
  readonly maxInflatedBytes?: number;
}

export type HeaderReadResult =
  | {
      readonly ok: true;
      readonly attributes: InstanceAttributes;
      readonly faults: AttributeFault[];
      /** Deflated datasets only: how many inflated bytes the reader held to read the header. */
      readonly inflatedBytes?: number;
    }
  /** The header does not end within the prefix: read more of the object and call again. */
  | { readonly ok: false; readonly needMoreBytes: true }
  | { readonly ok: false; readonly needMoreBytes: false; readonly error: KakuteiError };

/** The whole-stream cap the ingest core uses by default (kept for callers that pass it on). */
export const DEFAULT_MAX_INFLATED_BYTES = 256 * 1024 * 1024;
export { DEFAULT_MAX_INFLATED_HEADER_BYTES };

const refuse = (error: KakuteiError): HeaderReadResult => ({ ok: false, needMoreBytes: false, error });

/** The smaller of the two caps that bound a deflated header. */
function headerInflateLimit(input: HeaderReadInput): number {
  return Math.min(input.maxInflatedHeaderBytes ?? DEFAULT_MAX_INFLATED_HEADER_BYTES, input.maxInflatedBytes ?? Number.POSITIVE_INFINITY);
}

export function readInstanceHeader(input: HeaderReadInput): HeaderReadResult {
  const ts = transferSyntaxOf(input.transferSyntaxUid);
  // Every transfer syntax other than these encodes the dataset in explicit VR little endian
  // (PS3.5 §10), so an unknown compressed syntax can still be read; whether it is accepted is the
  // caller's decision.
  const syntax: WalkSyntax = { explicitVr: ts?.explicitVr ?? true, littleEndian: ts?.littleEndian ?? true };
  let walk: WalkResult;
  let inflatedBytes: number | null = null;
  // A deflated dataset is inflated from its start: the whole is needed for the whole's answer.
  if (ts?.deflated === true && !input.complete && input.datasetBytes !== undefined) return { ok: false, needMoreBytes: true };
  if (ts?.deflated === true) {
    const deflated = walkDeflatedDataset(input.bytes, input.complete, HEADER_SCHEMA, headerInflateLimit(input));
    if (!('walk' in deflated)) return refuse(deflated);
    walk = deflated.walk;
    inflatedBytes = deflated.inflatedBytes;
  } else {
    walk = walkDataset(input.bytes, syntax, HEADER_SCHEMA, input.complete, input.datasetBytes);
  }
  if (!walk.ok) {
    if (walk.failure === 'need-more-bytes') return { ok: false, needMoreBytes: true };
    return refuse(kakuteiError(walk.failure === 'truncated' ? 'DATASET_TRUNCATED' : 'DATASET_UNPARSEABLE', walk.detail));
  }

  const faults: AttributeFault[] = [];
  const root = walk.root;
  const declaration = root.values.get(TAG.SpecificCharacterSet);
  const charsetText = declaration === undefined ? null : String.fromCharCode(...declaration.bytes);
  const charset = resolveCharset(charsetText, input.fallbackCharset ?? null);
  const reader = new ValueReader(charset, new TextDecoders(), faults);
  for (const term of charset.unknownTerms) reader.fault('CHARSET_UNKNOWN', TAG.SpecificCharacterSet, `Unknown character set term "${term}"`);
  for (const term of charset.nonStandardTerms) reader.fault('CHARSET_TERM_NONSTANDARD', TAG.SpecificCharacterSet, `Character set term "${term}" is not spelled as defined`);
  for (const tag of walk.oddLengthTags) reader.fault('LENGTH_ODD', tag, 'Value length is odd (PS3.5 §7.1.1)');

  const uids = {
    sopClassUid: reader.text(root, TAG.SOPClassUID),
    sopInstanceUid: reader.text(root, TAG.SOPInstanceUID),
    studyInstanceUid: reader.text(root, TAG.StudyInstanceUID),
    seriesInstanceUid: reader.text(root, TAG.SeriesInstanceUID),
  };
  for (const [key, tag] of [
    ['sopClassUid', TAG.SOPClassUID],
    ['sopInstanceUid', TAG.SOPInstanceUID],
    ['studyInstanceUid', TAG.StudyInstanceUID],
    ['seriesInstanceUid', TAG.SeriesInstanceUID],
  ] as const) {
    const value = uids[key];
    const check = value === null ? 'refused' : checkIdentifyingUid(value);
    if (check === 'refused') return refuse(kakuteiError('UID_INVALID', `${tagToString(tag)} is missing or malformed`));
    if (check === 'nonconformant') reader.fault('UID_NONCONFORMANT', tag, 'UID component with a leading zero (PS3.5 §9.1)');
  }

  const request = root.sequences.get(TAG.RequestAttributesSequence)?.[0];
  const timezone = reader.text(root, TAG.TimezoneOffsetFromUTC);
  if (timezone !== null && !isValidUtcOffset(timezone)) reader.fault('TIMEZONE_INVALID', TAG.TimezoneOffsetFromUTC, 'Not a valid UTC offset (&ZZXX)');

  const geometry = {
    rows: reader.unsignedShort(root, TAG.Rows),
    columns: reader.unsignedShort(root, TAG.Columns),
    bitsAllocated: reader.unsignedShort(root, TAG.BitsAllocated),
    bitsStored: reader.unsignedShort(root, TAG.BitsStored),
    samplesPerPixel: reader.unsignedShort(root, TAG.SamplesPerPixel),
    photometricInterpretation: reader.text(root, TAG.PhotometricInterpretation),
    numberOfFrames: reader.integer(root, TAG.NumberOfFrames),
  };
  const native = ts === null ? false : !ts.encapsulated;
  for (const f of checkPixelData(geometry, walk.pixelData, native)) reader.fault(f.code, 0x7fe00010, f.message);

  const attributes: InstanceAttributes = {
    specificCharacterSet: charsetText === null ? null : charsetText.replace(/[ \0]+$/, '') || null,
    patientId: reader.text(root, TAG.PatientID),
    issuerOfPatientId: reader.text(root, TAG.IssuerOfPatientID),
    patientName: reader.personName(root, TAG.PatientName),
    patientSex: reader.text(root, TAG.PatientSex),
    patientBirthDate: reader.date(root, TAG.PatientBirthDate),
    ...uids,
    studyId: reader.text(root, TAG.StudyID),
    studyDate: reader.date(root, TAG.StudyDate),
    studyTime: reader.time(root, TAG.StudyTime),
    accessionNumber: reader.text(root, TAG.AccessionNumber),
    studyDescription: reader.text(root, TAG.StudyDescription),
    referringPhysicianName: reader.personName(root, TAG.ReferringPhysicianName),
    requestedProcedureId: reader.text(root, TAG.RequestedProcedureID) ?? reader.text(request, TAG.RequestedProcedureID),
    scheduledProcedureStepId: reader.text(request, TAG.ScheduledProcedureStepID),
    timezoneOffsetFromUtc: timezone,
    seriesNumber: reader.integerText(root, TAG.SeriesNumber),
    seriesDate: reader.date(root, TAG.SeriesDate),
    seriesTime: reader.time(root, TAG.SeriesTime),
    seriesDescription: reader.text(root, TAG.SeriesDescription),
    modality: reader.text(root, TAG.Modality),
    bodyPartExamined: reader.text(root, TAG.BodyPartExamined),
    laterality: reader.text(root, TAG.Laterality),
    performingPhysicianName: reader.personName(root, TAG.PerformingPhysicianName),
    operatorsName: reader.personName(root, TAG.OperatorsName),
    stationName: reader.text(root, TAG.StationName),
    manufacturer: reader.text(root, TAG.Manufacturer),
    manufacturerModelName: reader.text(root, TAG.ManufacturerModelName),
    patientPosition: reader.text(root, TAG.PatientPosition),
    instanceNumber: reader.integerText(root, TAG.InstanceNumber),
    imageType: reader.text(root, TAG.ImageType),
    imageLaterality: reader.text(root, TAG.ImageLaterality),
    viewPosition: reader.text(root, TAG.ViewPosition),
    acquisitionDate: reader.date(root, TAG.AcquisitionDate),
    acquisitionTime: reader.time(root, TAG.AcquisitionTime),
    contentDate: reader.date(root, TAG.ContentDate),
    contentTime: reader.time(root, TAG.ContentTime),
    lossyImageCompression: reader.text(root, TAG.LossyImageCompression),
    lossyImageCompressionRatio: reader.decimalText(root, TAG.LossyImageCompressionRatio),
    lossyImageCompressionMethod: reader.text(root, TAG.LossyImageCompressionMethod),
    windowCenter: reader.decimalText(root, TAG.WindowCenter),
    windowWidth: reader.decimalText(root, TAG.WindowWidth),
    imagePositionPatient: reader.decimals(root, TAG.ImagePositionPatient, 3),
    imageOrientationPatient: reader.decimals(root, TAG.ImageOrientationPatient, 6),
    framePositions: framePositions(root, reader),
    ...geometry,
    hasPixelData: walk.pixelData !== null,
  };
  return { ok: true, attributes, faults, ...(inflatedBytes === null ? {} : { inflatedBytes }) };
}

/**
 * Enhanced multi-frame objects (PS3.3 C.7.6.16): per frame, Plane Position (0020,9113) and Plane
 * Orientation (0020,9116), falling back to the Shared Functional Groups for what a frame lacks.
 */
function framePositions(root: CapturedItem, reader: ValueReader): FramePosition[] {
  const perFrame = root.sequences.get(TAG.PerFrameFunctionalGroupsSequence);
  if (perFrame === undefined) return [];
  const shared = root.sequences.get(TAG.SharedFunctionalGroupsSequence)?.[0];
  const macroValue = (group: CapturedItem | undefined, sequence: number, tag: number, count: number): number[] | null => {
    const macro = group?.sequences.get(sequence)?.[0];
    return macro === undefined ? null : reader.decimals(macro, tag, count);
  };
  const sharedPosition = macroValue(shared, TAG.PlanePositionSequence, TAG.ImagePositionPatient, 3);
  const sharedOrientation = macroValue(shared, TAG.PlaneOrientationSequence, TAG.ImageOrientationPatient, 6);
  return perFrame.map((frame) => ({
    imagePositionPatient: macroValue(frame, TAG.PlanePositionSequence, TAG.ImagePositionPatient, 3) ?? sharedPosition,
    imageOrientationPatient: macroValue(frame, TAG.PlaneOrientationSequence, TAG.ImageOrientationPatient, 6) ?? sharedOrientation,
  }));
}
