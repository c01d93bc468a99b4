/**
 * Kakutei's DICOM implementation identity (PS3.7 D.3.3.2). The class UID is under the UUID-derived
 * root 2.25 (PS3.5 B.2): generated once for this project and never changed; the version name moves
 * with releases (≤ 16 characters).
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.106866254529193814684930997038532172465';
export const IMPLEMENTATION_VERSION_NAME = 'KAKUTEI_0.1.0';
