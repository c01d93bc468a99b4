/**
 * Upper-layer PDU structures and constants (PS3.8 §9.3). Only data: the codec is in
 * `pdu-codec.ts` / `associate-codec.ts`.
 */

/** PDU types (PS3.8 §9.3.1, table 9-11 ff.). */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;
export type PduTypeCode = (typeof PduType)[keyof typeof PduType];

/** Item and sub-item types (PS3.8 §9.3.2, §9.3.3, Annex D). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  ExtendedNegotiation: 0x56,
  CommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** The only application context name defined (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** Presentation context IDs are odd numbers 1–255, so a request holds at most 128 (PS3.8 §9.3.2.2). */
export const MAX_PRESENTATION_CONTEXTS = 128;

/** Presentation context result/reason (PS3.8 table 9-18). */
export const PresentationContextResultCode = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** A-ASSOCIATE-RJ result (PS3.8 table 9-21). */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;
/** A-ASSOCIATE-RJ source (PS3.8 table 9-21). */
export const RejectSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;
/** A-ASSOCIATE-RJ reasons, by source (PS3.8 table 9-21). */
export const RejectReason = {
  /** Source 1 (service user). */
  User: { NoReasonGiven: 1, ApplicationContextNotSupported: 2, CallingAeNotRecognized: 3, CalledAeNotRecognized: 7 },
  /** Source 2 (service provider, ACSE related). */
  Acse: { NoReasonGiven: 1, ProtocolVersionNotSupported: 2 },
  /** Source 3 (service provider, presentation related). */
  Presentation: { TemporaryCongestion: 1, LocalLimitExceeded: 2 },
} as const;

/** A-ABORT source (PS3.8 table 9-26): 0 service user, 2 service provider. */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
/** A-ABORT reasons when the source is the service provider (PS3.8 table 9-26). */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export interface PresentationContextProposal {
  /** Odd, 1–255. */
  readonly id: number;
  readonly abstractSyntaxUid: string;
  readonly transferSyntaxUids: readonly string[];
}

export interface PresentationContextResult {
  readonly id: number;
  /** One of {@link PresentationContextResultCode}. */
  readonly result: number;
  /** The accepted transfer syntax; not significant (may be empty) unless accepted. */
  readonly transferSyntaxUid: string;
}

/** SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4). */
export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: boolean;
  readonly scpRole: boolean;
}

/** SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5): kept opaque. */
export interface ExtendedNegotiation {
  readonly sopClassUid: string;
  readonly applicationInformation: Uint8Array;
}

/** User Identity Negotiation request (PS3.7 D.3.3.7). Carries credentials: never log the fields. */
export interface UserIdentityRequest {
  /** 1 username, 2 username + passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  readonly type: number;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  readonly secondaryField: Uint8Array;
}

export interface AsyncOperationsWindow {
  readonly maxOperationsInvoked: number;
  readonly maxOperationsPerformed: number;
}

export interface UserInformation {
  /** Maximum length of a P-DATA-TF variable field the sender can receive; 0 = no limit (PS3.8 D.1). */
  readonly maxPduLength: number | null;
  readonly implementationClassUid: string | null;
  readonly implementationVersionName: string | null;
  readonly asyncOperationsWindow: AsyncOperationsWindow | null;
  readonly roleSelections: readonly RoleSelection[];
  readonly extendedNegotiations: readonly ExtendedNegotiation[];
  readonly userIdentity: UserIdentityRequest | null;
  /** User Identity server response (AC only). */
  readonly userIdentityServerResponse: Uint8Array | null;
}

/** The parts common to A-ASSOCIATE-RQ and -AC (PS3.8 §9.3.2, §9.3.3). */
interface AssociateCommon {
  readonly protocolVersion: number;
  /** Trimmed of leading/trailing spaces; may still be invalid — check with `isValidAeTitle`. */
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly userInformation: UserInformation;
}

export interface AssociateRq extends AssociateCommon {
  readonly presentationContexts: readonly PresentationContextProposal[];
}

export interface AssociateAc extends AssociateCommon {
  readonly presentationContexts: readonly PresentationContextResult[];
}

export interface AssociateRj {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

export interface AbortPdu {
  readonly source: number;
  readonly reason: number;
}

/** One Presentation Data Value item of a P-DATA-TF PDU (PS3.8 §9.3.5.1, Annex E.2). */
export interface Pdv {
  readonly contextId: number;
  readonly isCommand: boolean;
  readonly isLast: boolean;
  /** A view into the PDU buffer: no copy. */
  readonly data: Buffer;
}

/** A complete PDU as cut from the byte stream: the type and its variable field. */
export interface RawPdu {
  readonly type: number;
  /**
   * The variable field (everything after the 6-byte header) as it arrived: views of the received
   * chunks, more than one when it spanned reads — never a copy. P-DATA is decoded from these.
   */
  readonly pieces: readonly Buffer[];
  /** The variable field in one Buffer: the piece itself when there is one, else joined (a copy) once. */
  readonly body: Buffer;
}

export const EMPTY_USER_INFORMATION: UserInformation = {
  maxPduLength: null,
  implementationClassUid: null,
  implementationVersionName: null,
  asyncOperationsWindow: null,
  roleSelections: [],
  extendedNegotiations: [],
  userIdentity: null,
  userIdentityServerResponse: null,
};
