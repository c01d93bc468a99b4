import type { AttributeFault, FramePosition, PersonName } from '../dicom/dataset/instance-attributes.js';
import type { ReceiptSource } from '../ingest/ports.js';

/** What the index hands out: ids as strings, times as ISO-8601 UTC text, names as three groups. */

export interface IndexedPatient {
  readonly id: string;
  readonly patientId: string | null;
  /** '' when the objects carried no Issuer of Patient ID. */
  readonly issuerOfPatientId: string;
  readonly patientName: PersonName | null;
  readonly sex: string | null;
  readonly birthDate: string | null;
}

export interface IndexedStudy {
  readonly id: string;
  readonly studyInstanceUid: string;
  readonly studyId: string | null;
  readonly studyDate: string | null;
  readonly studyTime: string | null;
  readonly timezoneOffsetFromUtc: string | null;
  readonly accessionNumber: string | null;
  readonly studyDescription: string | null;
  readonly referringPhysicianName: PersonName | null;
  readonly requestedProcedureId: string | null;
  readonly scheduledProcedureStepId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly patient: IndexedPatient;
}

export interface IndexedSeries {
  readonly id: string;
  readonly seriesInstanceUid: string;
  readonly modality: string | null;
  readonly seriesNumber: number | null;
  readonly seriesDate: string | null;
  readonly seriesTime: string | null;
  readonly seriesDescription: string | null;
  readonly bodyPartExamined: string | null;
  readonly laterality: string | null;
  readonly performingPhysicianName: PersonName | null;
  readonly operatorsName: PersonName | null;
  readonly stationName: string | null;
  readonly manufacturer: string | null;
  readonly manufacturerModelName: string | null;
  readonly patientPosition: string | null;
}

/** The patient identity written in the object itself, kept whatever study it was filed under. */
export interface HeaderPatient {
  readonly patientId: string | null;
  readonly issuerOfPatientId: string | null;
  readonly patientName: PersonName | null;
  readonly sex: string | null;
  readonly birthDate: string | null;
}

export interface IndexedInstance {
  readonly id: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly instanceNumber: number | null;
  readonly imageType: string | null;
  readonly imageLaterality: string | null;
  readonly viewPosition: string | null;
  readonly acquisitionDate: string | null;
  readonly acquisitionTime: string | null;
  readonly contentDate: string | null;
  readonly contentTime: string | null;
  readonly lossy: boolean;
  readonly lossyImageCompressionRatio: string | null;
  readonly lossyImageCompressionMethod: string | null;
  readonly windowCenter: string | null;
  readonly windowWidth: string | null;
  readonly imagePositionPatient: number[] | null;
  readonly imageOrientationPatient: number[] | null;
  readonly rows: number | null;
  readonly columns: number | null;
  readonly bitsAllocated: number | null;
  readonly bitsStored: number | null;
  readonly samplesPerPixel: number | null;
  readonly photometricInterpretation: string | null;
  readonly numberOfFrames: number | null;
  readonly objectKey: string;
  readonly sha256: string;
  readonly datasetBytes: number;
  readonly fileBytes: number;
  readonly receivedAt: string;
  readonly source: ReceiptSource;
  readonly specificCharacterSet: string | null;
  readonly headerPatient: HeaderPatient;
  readonly hasFaults: boolean;
  readonly recordVersionId: string | null;
  readonly faults: readonly AttributeFault[];
  /** Per-frame geometry of enhanced multi-frame objects, frame 1 first; empty otherwise. */
  readonly frames: readonly FramePosition[];
  readonly series: IndexedSeries;
  readonly study: IndexedStudy;
}

export interface InstanceConflict {
  readonly id: string;
  readonly sopInstanceUid: string;
  readonly currentInstanceId: string;
  readonly objectKey: string;
  readonly sha256: string;
  readonly datasetBytes: number;
  readonly transferSyntaxUid: string;
  readonly receivedAt: string;
  readonly callingAeTitle: string | null;
  readonly peerAddress: string | null;
  readonly resolvedAt: string | null;
  readonly faults: readonly AttributeFault[];
}

export interface PatientMismatch {
  readonly id: string;
  readonly studyInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly expectedPatientId: string | null;
  readonly expectedIssuerOfPatientId: string;
  readonly receivedPatientId: string | null;
  readonly receivedIssuerOfPatientId: string;
  readonly detectedAt: string;
  readonly resolvedAt: string | null;
}

export interface InstanceWithFaults {
  readonly instanceId: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly receivedAt: string;
  readonly faults: readonly AttributeFault[];
}

export interface ListOptions {
  /** At most this many rows, oldest first (default 1000). */
  readonly limit?: number;
  /** Include resolved entries (default false). */
  readonly includeResolved?: boolean;
}

/** Read side of the index, for inspection lists and tests; the query services come later. */
export interface IndexReader {
  getInstanceBySopInstanceUid(sopInstanceUid: string): Promise<IndexedInstance | null>;
  getStudy(studyInstanceUid: string): Promise<IndexedStudy | null>;
  listConflicts(options?: ListOptions): Promise<InstanceConflict[]>;
  listPatientMismatches(options?: ListOptions): Promise<PatientMismatch[]>;
  listInstancesWithFaults(options?: Pick<ListOptions, 'limit'>): Promise<InstanceWithFaults[]>;
  countInstances(): Promise<number>;
}
