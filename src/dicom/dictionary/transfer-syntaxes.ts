/**
 * The transfer syntaxes Kakutei accepts (PS3.5 §10 and Annex A; UIDs from PS3.6 Table A-1).
 * `lossy` follows the compression process, not the content: a lossy-capable syntax (JPEG 2000
 * .91, HTJ2K .203) is treated as lossy because the receiver cannot prove the stream is reversible
 * (guideline R6 errs on the side of marking lossy).
 */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly lossy: boolean;
  /** Pixel Data in fragments (PS3.5 §A.4); otherwise native. */
  readonly encapsulated: boolean;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole dataset is deflated (PS3.5 §A.5). */
  readonly deflated: boolean;
  readonly retired: boolean;
}

type Compressed = Pick<TransferSyntax, 'uid' | 'name' | 'lossy'>;

const native = (uid: string, name: string, options: Partial<TransferSyntax> = {}): TransferSyntax => ({
  uid,
  name,
  lossy: false,
  encapsulated: false,
  explicitVr: true,
  littleEndian: true,
  deflated: false,
  retired: false,
  ...options,
});

const encapsulated = ({ uid, name, lossy }: Compressed): TransferSyntax =>
  native(uid, name, { lossy, encapsulated: true });

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = [
  native(IMPLICIT_VR_LITTLE_ENDIAN, 'Implicit VR Little Endian', { explicitVr: false }),
  native(EXPLICIT_VR_LITTLE_ENDIAN, 'Explicit VR Little Endian'),
  native(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, 'Deflated Explicit VR Little Endian', { deflated: true }),
  native(EXPLICIT_VR_BIG_ENDIAN, 'Explicit VR Big Endian', { littleEndian: false, retired: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 and 4)', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless Image Compression', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Lossy (Near-Lossless) Image Compression', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Image Compression (Lossless Only)', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000 Image Compression', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000 Image Compression', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', lossy: false }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.100', name: 'MPEG2 Main Profile / Main Level', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.101', name: 'MPEG2 Main Profile / High Level', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.102', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.103', name: 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.104', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.105', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.106', name: 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.107', name: 'HEVC/H.265 Main Profile / Level 5.1', lossy: true }),
  encapsulated({ uid: '1.2.840.10008.1.2.4.108', name: 'HEVC/H.265 Main 10 Profile / Level 5.1', lossy: true }),
];

const BY_UID: ReadonlyMap<string, TransferSyntax> = new Map(TRANSFER_SYNTAXES.map((ts) => [ts.uid, ts]));

/** The accepted transfer syntax with this UID, or null when Kakutei does not accept it. */
export function transferSyntaxOf(uid: string): TransferSyntax | null {
  return BY_UID.get(uid) ?? null;
}

/** Whether pixel data in this transfer syntax has been through a lossy process. Unknown → false. */
export function isLossyTransferSyntax(uid: string): boolean {
  return BY_UID.get(uid)?.lossy ?? false;
}

export const VERIFICATION_SOP_CLASS_UID = '1.2.840.10008.1.1';
