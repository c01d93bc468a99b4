/**
 * What the index and inspection need from one received object's header, decoded (character sets
 * applied) but not interpreted. Absent or empty attributes are `null`. Values are kept as DICOM text
 * (DA as YYYYMMDD, TM as HHMMSS.FFFFFF) so that nothing is lost to a conversion; a value that does
 * not conform is kept as received and reported in `faults`.
 */
export interface PersonName {
  /** Component group 1 (single-byte, usually romaji). */
  readonly alphabetic: string;
  /** Component group 2 (漢字). */
  readonly ideographic: string;
  /** Component group 3 (かな). */
  readonly phonetic: string;
}

export interface FramePosition {
  readonly imagePositionPatient: readonly number[] | null;
  readonly imageOrientationPatient: readonly number[] | null;
}

export interface InstanceAttributes {
  readonly specificCharacterSet: string | null;
  // Patient
  readonly patientId: string | null;
  readonly issuerOfPatientId: string | null;
  readonly patientName: PersonName | null;
  readonly patientSex: string | null;
  readonly patientBirthDate: string | null;
  // Study
  readonly studyInstanceUid: string | null;
  readonly studyId: string | null;
  readonly studyDate: string | null;
  readonly studyTime: string | null;
  readonly accessionNumber: string | null;
  readonly studyDescription: string | null;
  readonly referringPhysicianName: PersonName | null;
  readonly requestedProcedureId: string | null;
  readonly scheduledProcedureStepId: string | null;
  readonly timezoneOffsetFromUtc: string | null;
  // Series
  readonly seriesInstanceUid: string | null;
  readonly seriesNumber: string | null;
  readonly seriesDate: string | null;
  readonly seriesTime: string | null;
  readonly seriesDescription: string | null;
  readonly modality: string | null;
  readonly bodyPartExamined: string | null;
  readonly laterality: string | null;
  readonly performingPhysicianName: PersonName | null;
  readonly operatorsName: PersonName | null;
  readonly stationName: string | null;
  readonly manufacturer: string | null;
  readonly manufacturerModelName: string | null;
  readonly patientPosition: string | null;
  // Instance
  readonly sopClassUid: string | null;
  readonly sopInstanceUid: string | null;
  readonly instanceNumber: string | null;
  readonly imageType: string | null;
  readonly imageLaterality: string | null;
  readonly viewPosition: string | null;
  readonly acquisitionDate: string | null;
  readonly acquisitionTime: string | null;
  readonly contentDate: string | null;
  readonly contentTime: string | null;
  readonly lossyImageCompression: string | null;
  readonly lossyImageCompressionRatio: string | null;
  readonly lossyImageCompressionMethod: string | null;
  readonly windowCenter: string | null;
  readonly windowWidth: string | null;
  readonly imagePositionPatient: readonly number[] | null;
  readonly imageOrientationPatient: readonly number[] | null;
  /** Per frame, for enhanced multi-frame objects (functional groups); empty otherwise. */
  readonly framePositions: readonly FramePosition[];
  readonly rows: number | null;
  readonly columns: number | null;
  readonly bitsAllocated: number | null;
  readonly bitsStored: number | null;
  readonly samplesPerPixel: number | null;
  readonly photometricInterpretation: string | null;
  readonly numberOfFrames: number | null;
  /** Whether the dataset has a top-level Pixel Data (or Float/Double Float Pixel Data) element. */
  readonly hasPixelData: boolean;
}

/** A value-level problem found while reading a header: stored and flagged, never a reason to refuse. */
export interface AttributeFault {
  /** Stable machine code, e.g. `DATE_INVALID`, `CHARSET_INVALID_BYTES`, `UID_INVALID`. */
  readonly code: string;
  /** The tag as `(gggg,eeee)`, or null for a whole-dataset fault. */
  readonly tag: string | null;
  /** Description for the inspector; never includes the value itself (it may be patient data). */
  readonly message: string;
}
