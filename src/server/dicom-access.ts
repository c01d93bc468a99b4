/** The DICOM services a remote AE may use (INTERFACES.md `kakutei peer add --allow`). */
export type DicomService = 'echo' | 'store' | 'query' | 'retrieve' | 'commit';

export type Admission =
  | {
      readonly admitted: true;
      readonly peerName: string | null;
      /** Whether this peer may use the service: asked of the one policy engine on every request. */
      readonly may: (service: DicomService) => boolean;
    }
  | { readonly admitted: false };

/**
 * Who may associate, and for what: decided per association from the calling AE title and the
 * peer's address (and later its TLS certificate). The composition root supplies it from the peer
 * registry; the DIMSE adapter only asks.
 */
export interface DicomAccess {
  admit(request: { readonly callingAeTitle: string; readonly peerAddress: string; readonly tlsCertificateSubject: string | null }): Promise<Admission> | Admission;
}
