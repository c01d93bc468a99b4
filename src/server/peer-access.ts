import { decide, permissionOfPeerService } from '../auth/index.js';
import type { PeerService } from '../auth/index.js';
import type { KakuteiConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { Admission, DicomAccess, DicomService } from './dicom-access.js';

/**
 * DICOM access from the peer registry (`kakutei peer …` and `dicom.peers`), asked on every
 * association so that a registration takes effect without a restart. A registered AE gets its
 * services; an unknown one gets the open-storage defaults (echo, store) unless `dicom.openStorage`
 * is off; `dicom.allowedCallingAeTitles`, when set, refuses every other calling AE first.
 */
export function peerRegistryAccess(peers: Pick<PeerService, 'identify'>, config: KakuteiConfig, logger: Logger): DicomAccess {
  const allowList = config.dicom.allowedCallingAeTitles === null ? null : new Set(config.dicom.allowedCallingAeTitles);
  return {
    async admit({ callingAeTitle, peerAddress, tlsCertificateSubject }): Promise<Admission> {
      if (allowList !== null && !allowList.has(callingAeTitle)) return { admitted: false };
      const subject = await peers.identify({ aeTitle: callingAeTitle, address: peerAddress, certificateSubject: tlsCertificateSubject });
      if (subject.addressMismatch) {
        // A registered AE title from another address: possibly spoofed. It is treated as unknown.
        logger.warn({ event: 'security', kind: 'peer-address-mismatch', callingAeTitle, peerAddress }, 'calling AE title registered for another address');
      }
      if (subject.services.length === 0) return { admitted: false };
      return { admitted: true, peerName: subject.peerName, may: (service: DicomService) => decide(subject, permissionOfPeerService(service)).allow };
    },
  };
}
