import { createHash, randomUUID } from 'node:crypto';
import type { InstanceAttributes } from '../../dicom/dataset/instance-attributes.js';
import type { ReceivedInstance } from '../../ingest/ports.js';
import type { ObjectKey } from '../../storage/object-store.js';

/** A UID under the UUID-derived root 2.25 (PS3.5 B.2), unique per call. */
export function testUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`).toString()}`;
}

export function emptyAttributes(): InstanceAttributes {
  return {
    specificCharacterSet: null,
    patientId: null,
    issuerOfPatientId: null,
    patientName: null,
    patientSex: null,
    patientBirthDate: null,
    studyInstanceUid: null,
    studyId: null,
    studyDate: null,
    studyTime: null,
    accessionNumber: null,
    studyDescription: null,
    referringPhysicianName: null,
    requestedProcedureId: null,
    scheduledProcedureStepId: null,
    timezoneOffsetFromUtc: null,
    seriesInstanceUid: null,
    seriesNumber: null,
    seriesDate: null,
    seriesTime: null,
    seriesDescription: null,
    modality: null,
    bodyPartExamined: null,
    laterality: null,
    performingPhysicianName: null,
    operatorsName: null,
    stationName: null,
    manufacturer: null,
    manufacturerModelName: null,
    patientPosition: null,
    sopClassUid: null,
    sopInstanceUid: null,
    instanceNumber: null,
    imageType: null,
    imageLaterality: null,
    viewPosition: null,
    acquisitionDate: null,
    acquisitionTime: null,
    contentDate: null,
    contentTime: null,
    lossyImageCompression: null,
    lossyImageCompressionRatio: null,
    lossyImageCompressionMethod: null,
    windowCenter: null,
    windowWidth: null,
    imagePositionPatient: null,
    imageOrientationPatient: null,
    framePositions: [],
    rows: null,
    columns: null,
    bitsAllocated: null,
    bitsStored: null,
    samplesPerPixel: null,
    photometricInterpretation: null,
    numberOfFrames: null,
    hasPixelData: false,
  };
}

export interface FakeInstanceOverrides extends Partial<Omit<ReceivedInstance, 'attributes'>> {
  readonly attributes?: Partial<InstanceAttributes>;
  /** Stands for the dataset bytes: the same seed gives the same sha256 (same bytes). */
  readonly contentSeed?: string;
}

/**
 * A `ReceivedInstance` as ingest would hand it to the index, for tests. Every attribute is null
 * except the UIDs (fresh ones unless given) and a Patient ID; `contentSeed` decides the hash.
 */
export function fakeInstance(overrides: FakeInstanceOverrides = {}): ReceivedInstance {
  const sopInstanceUid = overrides.sopInstanceUid ?? overrides.attributes?.sopInstanceUid ?? testUid();
  const sopClassUid = overrides.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.7';
  const sha256 = overrides.sha256 ?? createHash('sha256').update(overrides.contentSeed ?? sopInstanceUid).digest('hex');
  const { attributes, contentSeed: _seed, ...rest } = overrides;
  return {
    objectKey: sha256 as ObjectKey,
    sha256,
    datasetBytes: 1024,
    fileBytes: 1024 + 132 + 200,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopClassUid,
    sopInstanceUid,
    faults: [],
    lossy: false,
    receivedAt: new Date('2024-05-01T09:30:00.000Z'),
    source: { via: 'dimse', callingAeTitle: 'MODALITY', calledAeTitle: 'KAKUTEI', peerAddress: '127.0.0.1' },
    ...rest,
    attributes: {
      ...emptyAttributes(),
      patientId: 'P0001',
      studyInstanceUid: testUid(),
      seriesInstanceUid: testUid(),
      ...attributes,
      sopInstanceUid,
      sopClassUid,
    },
  };
}
