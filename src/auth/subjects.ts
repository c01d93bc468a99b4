import type { Role } from './roles.js';

/**
 * Who is asking: a logged-in user or a DICOM peer. Built per request (HTTP) or per association
 * (DICOM) by `SubjectResolver` / `PeerService`, then handed to the one policy engine (`decide`).
 */

/**
 * Where a login stands. Only `active` sessions act; the others may only finish logging in
 * (change the password, present or enrol the second factor) — `session:own`.
 */
export type SessionStage = 'active' | 'password-change-required' | 'second-factor-required' | 'second-factor-enrolment-required';

export interface UserSubject {
  readonly kind: 'user';
  readonly userId: string;
  readonly loginName: string;
  /** Snapshot for audit events (the name at the time of the act). */
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly stage: SessionStage;
  /** The open break-glass window, if any (R9.10): everything done in it is flagged. */
  readonly breakGlass: { readonly id: string; readonly expiresAt: Date } | null;
  /** The user's maintenance session; only an `active` one grants anything (appendix 1 §4 ⑮). */
  readonly maintenance: { readonly id: string; readonly active: boolean } | null;
}

/** DICOM services a peer may be allowed (INTERFACES.md `kakutei peer add --allow`). */
export const PEER_SERVICES = ['echo', 'store', 'query', 'retrieve', 'commit'] as const;
export type PeerServiceName = (typeof PEER_SERVICES)[number];

export function isPeerServiceName(text: string): text is PeerServiceName {
  return (PEER_SERVICES as readonly string[]).includes(text);
}

export interface PeerSubject {
  readonly kind: 'peer';
  readonly aeTitle: string;
  readonly address: string;
  /** Subject DN of the TLS client certificate, when the association came over TLS with one. */
  readonly certificateSubject: string | null;
  /** The registered peer's name; null when the caller matched no registration. */
  readonly peerName: string | null;
  readonly registered: boolean;
  /** What it may do: the registration's services, or the open-storage defaults for unknown AEs. */
  readonly services: readonly PeerServiceName[];
}

export type Subject = UserSubject | PeerSubject;
