/**
 * The one table of error codes. A code is never reused or renumbered: operators search logs and
 * documentation for it. Each carries the HTTP status and DIMSE status it maps to at the edges.
 * Messages never contain patient data or secrets.
 */
export const ERROR_CODES = {
  // Storage and resources
  STORAGE_FULL: { http: 507, dimse: 0xa700, message: 'Storage is at or below its free-space watermark' },
  STORAGE_IO: { http: 503, dimse: 0xa700, message: 'The object could not be written durably' },
  INDEX_UNAVAILABLE: { http: 503, dimse: 0xa700, message: 'The index could not commit the object' },
  TOO_MANY_ASSOCIATIONS: { http: 503, dimse: 0xa700, message: 'Too many concurrent associations' },
  // Input that cannot be parsed safely: refused, nothing stored
  DATASET_UNPARSEABLE: { http: 400, dimse: 0xc000, message: 'The dataset cannot be parsed' },
  DATASET_TRUNCATED: { http: 400, dimse: 0xc000, message: 'The dataset ends before its declared content' },
  DATASET_TOO_LARGE: { http: 413, dimse: 0xa700, message: 'The dataset exceeds a configured size limit' },
  SOP_INSTANCE_MISMATCH: { http: 409, dimse: 0xc000, message: 'The dataset SOP Instance UID differs from the command' },
  SOP_CLASS_MISMATCH: { http: 409, dimse: 0xa900, message: 'The dataset SOP Class UID differs from the command' },
  UID_INVALID: { http: 400, dimse: 0xc000, message: 'A required UID is missing or malformed' },
  SOP_CLASS_NOT_SUPPORTED: { http: 415, dimse: 0x0122, message: 'The SOP class is not supported' },
  TRANSFER_SYNTAX_NOT_SUPPORTED: { http: 415, dimse: 0xc000, message: 'The transfer syntax is not supported' },
  DECOMPRESSION_BOMB: { http: 413, dimse: 0xc000, message: 'Inflated content exceeds its limit' },
  // Identity and access control (issue 3). Login failures are one generic code: never a hint
  // whether the user exists, is locked or disabled. DIMSE 0x0124: Refused, Not Authorized (PS3.7 C.5).
  AUTH_FAILED: { http: 401, dimse: 0x0124, message: 'Authentication failed' },
  ACCESS_DENIED: { http: 403, dimse: 0x0124, message: 'Access denied' },
  SESSION_EXPIRED: { http: 401, dimse: 0x0124, message: 'The session has ended or expired' },
  PASSWORD_CHANGE_REQUIRED: { http: 403, dimse: 0x0124, message: 'The password must be changed first' },
  SECOND_FACTOR_REQUIRED: { http: 401, dimse: 0x0124, message: 'A second authentication factor is required' },
  REAUTHENTICATION_REQUIRED: { http: 401, dimse: 0x0124, message: 'Recent re-authentication is required' },
  CSRF_INVALID: { http: 403, dimse: 0xc000, message: 'The CSRF token is missing or invalid' },
  PASSWORD_POLICY: { http: 400, dimse: 0xc000, message: 'The password does not meet the password policy' },
  INVALID_REQUEST: { http: 400, dimse: 0xc000, message: 'The request is invalid' },
  NOT_FOUND: { http: 404, dimse: 0xc000, message: 'No such resource' },
  ALREADY_EXISTS: { http: 409, dimse: 0xc000, message: 'The resource already exists' },
  STATE_CONFLICT: { http: 409, dimse: 0xc000, message: 'The resource is not in a state that allows this' },
  // Audit trail (issue 3): an access that cannot be recorded is refused
  AUDIT_UNAVAILABLE: { http: 503, dimse: 0xa700, message: 'The access cannot be recorded in the audit trail' },
  // Query (issue 4): C-FIND 0xA900 "Identifier does not match SOP Class" (PS3.4 C.4.1.1.4)
  QUERY_INVALID: { http: 400, dimse: 0xa900, message: 'The query keys are invalid' },
  // DICOMweb and imaging (issue 4)
  FRAME_NOT_FOUND: { http: 404, dimse: 0xc000, message: 'No such frame in the instance' },
  PIXEL_DATA_INVALID: { http: 422, dimse: 0xc000, message: 'The pixel data or its attributes are inconsistent' },
  DECODE_UNSUPPORTED: { http: 501, dimse: 0xc000, message: 'Pixel data in this transfer syntax or layout cannot be decoded' },
  DECODE_FAILED: { http: 422, dimse: 0xc000, message: 'The pixel data could not be decoded' },
  DECODE_LIMIT_EXCEEDED: { http: 422, dimse: 0xc000, message: 'Decoding the frame exceeded its memory or time limit' },
  DECODE_BUSY: { http: 503, dimse: 0xa700, message: 'Too many frames are waiting to be decoded' },
  RENDER_PARAMETERS_INVALID: { http: 400, dimse: 0xc000, message: 'The rendering parameters are invalid' },
  MULTIPART_INVALID: { http: 400, dimse: 0xc000, message: 'The multipart body is malformed' },
  MULTIPART_TOO_LARGE: { http: 413, dimse: 0xa700, message: 'The multipart body exceeds a configured limit' },
  MEDIA_TYPE_UNSUPPORTED: { http: 415, dimse: 0xc000, message: 'The media type is not supported' },
  MEDIA_TYPE_NOT_ACCEPTABLE: { http: 406, dimse: 0xc000, message: 'None of the accepted media types can be produced' },
  // Configuration
  CONFIG_INVALID: { http: 500, dimse: 0xc000, message: 'The configuration is invalid' },
} as const satisfies Record<string, { http: number; dimse: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected failure, carried as a value up to the edge that maps it to DIMSE or HTTP. */
export interface KakuteiError {
  readonly code: ErrorCode;
  /** Detail for operators; must not contain patient data. */
  readonly detail?: string;
}

export function kakuteiError(code: ErrorCode, detail?: string): KakuteiError {
  return detail === undefined ? { code } : { code, detail };
}

export type Result<T, E = KakuteiError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

export function dimseStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].dimse;
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}
