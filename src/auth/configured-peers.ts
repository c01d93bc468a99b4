import type { KakuteiConfig } from '../config/index.js';
import type { PeerRecord } from './ports.js';

/** The peers declared in the configuration file (`dicom.peers`), as the peer registry holds them. */
export function configuredPeersOf(config: KakuteiConfig): PeerRecord[] {
  return config.dicom.peers.map((p) => ({ aeTitle: p.aeTitle, host: p.host, port: p.port, name: p.name, services: p.allow, tlsCertificateSubject: p.tlsCertificateSubject }));
}
