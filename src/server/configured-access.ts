import type { KakuteiConfig } from '../config/index.js';
import type { Admission, DicomAccess, DicomService } from './dicom-access.js';

const OPEN_STORAGE: ReadonlySet<DicomService> = new Set<DicomService>(['echo', 'store']);

/**
 * The access the configuration file grants: any calling AE may echo and store (modalities must be
 * able to send on day one), unless `dicom.allowedCallingAeTitles` closes it to a list.
 */
export function configuredDicomAccess(config: KakuteiConfig): DicomAccess {
  const allowed = config.dicom.allowedCallingAeTitles === null ? null : new Set(config.dicom.allowedCallingAeTitles);
  return {
    admit({ callingAeTitle }): Admission {
      if (allowed !== null && !allowed.has(callingAeTitle)) return { admitted: false };
      return { admitted: true, peerName: null, services: OPEN_STORAGE };
    },
  };
}
