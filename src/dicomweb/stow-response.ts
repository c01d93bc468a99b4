/**
 * The STOW-RS response body (PS3.18 10.5.3, Table 10.5.3-1 and -2) in `application/dicom+json`:
 * the study's Retrieve URL, a Referenced SOP Sequence for what was stored and a Failed SOP Sequence
 * with a Failure Reason for what was not, and the HTTP status that goes with the outcome.
 */
import { dimseStatusOf, type ErrorCode } from '../errors/index.js';
import type { DicomJsonElement, DicomJsonObject } from './metadata.js';

export interface StowStored {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** The instance's WADO-RS URL. */
  readonly retrieveUrl: string;
  /** PS3.18 Table 10.5.3-2 warning reason (e.g. 0xB000 coercion), when stored with a warning. */
  readonly warningReason?: number;
}

export interface StowFailed {
  readonly sopClassUid: string | null;
  readonly sopInstanceUid: string | null;
  readonly failureReason: number;
}

/** The Failure Reasons PS3.18 10.5.3 names (PS3.4 B.2.3 statuses). */
export const FAILURE_REASON = {
  /** Refused: out of resources. */
  outOfResources: 0xa700,
  /** Error: data set does not match SOP class. */
  dataSetDoesNotMatchSopClass: 0xa900,
  /** Error: cannot understand. */
  cannotUnderstand: 0xc000,
  /** Processing failure. */
  processingFailure: 0x0110,
  /** Refused: SOP class not supported. */
  sopClassNotSupported: 0x0122,
  /** Refused: not authorized. */
  notAuthorized: 0x0124,
} as const;

const KNOWN_REASONS: ReadonlySet<number> = new Set(Object.values(FAILURE_REASON));

/** The Failure Reason for an error code (its DIMSE status from the one table); else processing failure. */
export function failureReasonFor(code: ErrorCode): number {
  const status = dimseStatusOf(code);
  return KNOWN_REASONS.has(status) ? status : FAILURE_REASON.processingFailure;
}

const tag = {
  RetrieveURL: '00081190',
  FailedSOPSequence: '00081198',
  ReferencedSOPSequence: '00081199',
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  FailureReason: '00081197',
  WarningReason: '00081196',
} as const;

const ui = (value: string | null): DicomJsonElement => (value === null || value === '' ? { vr: 'UI' } : { vr: 'UI', Value: [value] });

export function buildStowResponse(input: { readonly studyRetrieveUrl: string | null; readonly stored: readonly StowStored[]; readonly failed: readonly StowFailed[] }): DicomJsonObject {
  const out: DicomJsonObject = {};
  if (input.studyRetrieveUrl !== null) out[tag.RetrieveURL] = { vr: 'UR', Value: [input.studyRetrieveUrl] };
  if (input.failed.length > 0) {
    out[tag.FailedSOPSequence] = {
      vr: 'SQ',
      Value: input.failed.map((f) => ({
        [tag.ReferencedSOPClassUID]: ui(f.sopClassUid),
        [tag.ReferencedSOPInstanceUID]: ui(f.sopInstanceUid),
        [tag.FailureReason]: { vr: 'US', Value: [f.failureReason] },
      })),
    };
  }
  if (input.stored.length > 0) {
    out[tag.ReferencedSOPSequence] = {
      vr: 'SQ',
      Value: input.stored.map((s) => {
        const item: DicomJsonObject = {
          [tag.ReferencedSOPClassUID]: ui(s.sopClassUid),
          [tag.ReferencedSOPInstanceUID]: ui(s.sopInstanceUid),
          [tag.RetrieveURL]: { vr: 'UR', Value: [s.retrieveUrl] },
        };
        if (s.warningReason !== undefined) item[tag.WarningReason] = { vr: 'US', Value: [s.warningReason] };
        return item;
      }),
    };
  }
  return out;
}

/**
 * PS3.18 10.5.3.1: 200 when every instance was stored without warning, 202 when some failed or
 * carry warnings, 409 when none was stored. (400/415 for a request that could not be read at all
 * come from the request's error code.)
 */
export function stowHttpStatus(stored: readonly StowStored[], failed: readonly StowFailed[]): 200 | 202 | 409 {
  if (stored.length === 0) return 409;
  if (failed.length > 0 || stored.some((s) => s.warningReason !== undefined)) return 202;
  return 200;
}
