/**
 * The DIMSE messages we speak: C-ECHO (PS3.7 §9.1.5, §9.3.5) and C-STORE (PS3.7 §9.1.1, §9.3.1),
 * plus the generic refusal of an operation we do not recognize (PS3.7 Annex C.5.x, status 0x0211).
 */
import { CommandField, type DimseCommand, encodeCommand } from './dimse-command.js';

/** Named DIMSE statuses (PS3.7 Annex C, PS3.4 B.2.3). */
export const DimseStatus = {
  Success: 0x0000,
  /** PS3.7 C.5.4 */
  SopClassNotSupported: 0x0122,
  /** PS3.7 C.5.14 */
  UnrecognizedOperation: 0x0211,
  /** PS3.7 C.5.7 */
  ProcessingFailure: 0x0110,
  /** PS3.4 B.2.3: Refused: Out of Resources. */
  OutOfResources: 0xa700,
  /** PS3.4 B.2.3: Error: Data Set does not match SOP Class. */
  DatasetDoesNotMatchSopClass: 0xa900,
  /** PS3.4 B.2.3: Error: Cannot understand. */
  CannotUnderstand: 0xc000,
  /** PS3.4 C.4.2.1.5: Refused: Out of Resources – Unable to calculate number of matches. */
  UnableToCalculateMatches: 0xa701,
  /** PS3.4 C.4.2.1.5: Refused: Out of Resources – Unable to perform sub-operations. */
  UnableToPerformSuboperations: 0xa702,
  /** PS3.4 C.4.2.1.5: Refused: Move Destination unknown. */
  MoveDestinationUnknown: 0xa801,
  /** PS3.4 C.4.2.1.5: Warning: Sub-operations complete, one or more failures or warnings. */
  SuboperationsFailedOrWarnings: 0xb000,
  /** PS3.4 C.4.1.1.4: Cancel: matching (or sub-operations) terminated due to Cancel request. */
  Cancel: 0xfe00,
  /** PS3.4 C.4.1.1.4: Pending: matches are continuing. */
  Pending: 0xff00,
  /** PS3.7 C.5.12: No Such Action Type. */
  NoSuchActionType: 0x0123,
  /** PS3.7 C.5.11: No Such SOP Instance. */
  NoSuchSopInstance: 0x0112,
  /** PS3.7 C.5.6: Missing Attribute / invalid argument value (0x0115 invalid argument). */
  InvalidArgumentValue: 0x0115,
} as const;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Priority values (PS3.7 table 9.3-1). */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

export function encodeEchoRq(messageId: number): Buffer {
  return encodeCommand({ commandField: CommandField.CEchoRq, affectedSopClassUid: VERIFICATION_SOP_CLASS, messageId, hasDataset: false });
}

export function encodeEchoRsp(request: DimseCommand, status: number): Buffer {
  return encodeCommand({
    commandField: CommandField.CEchoRsp,
    affectedSopClassUid: request.affectedSopClassUid ?? VERIFICATION_SOP_CLASS,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: false,
    status,
  });
}

export interface StoreRqFields {
  readonly messageId: number;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly priority?: number;
  readonly moveOriginatorAeTitle?: string;
  readonly moveOriginatorMessageId?: number;
}

export function encodeStoreRq(f: StoreRqFields): Buffer {
  return encodeCommand({
    commandField: CommandField.CStoreRq,
    affectedSopClassUid: f.sopClassUid,
    messageId: f.messageId,
    priority: f.priority ?? Priority.Medium,
    hasDataset: true,
    affectedSopInstanceUid: f.sopInstanceUid,
    moveOriginatorAeTitle: f.moveOriginatorAeTitle,
    moveOriginatorMessageId: f.moveOriginatorMessageId,
  });
}

export function encodeStoreRsp(request: DimseCommand, status: number, errorComment?: string): Buffer {
  return encodeCommand({
    commandField: CommandField.CStoreRsp,
    affectedSopClassUid: request.affectedSopClassUid ?? undefined,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: false,
    status,
    errorComment,
    affectedSopInstanceUid: request.affectedSopInstanceUid ?? undefined,
  });
}

/** A response (Command Field | 0x8000) with status 0x0211 to a request we do not implement. */
export function encodeUnrecognizedRsp(request: DimseCommand): Buffer {
  return encodeCommand({
    commandField: (request.commandField | 0x8000) & 0xffff,
    affectedSopClassUid: request.affectedSopClassUid ?? undefined,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: false,
    status: DimseStatus.UnrecognizedOperation,
  });
}

/** Requests that have a response message (all but C-CANCEL), PS3.7 §9.3, §10.3. */
export function isRequestWithResponse(commandField: number): boolean {
  return (commandField & 0x8000) === 0 && commandField !== CommandField.CCancelRq;
}

/** Status classes (PS3.7 Annex C): success 0x0000, warning 0x0001/0xB000–0xBFFF, pending 0xFF00/0xFF01. */
export function isSuccessOrWarning(status: number): boolean {
  return status === 0x0000 || status === 0x0001 || (status >= 0xb000 && status <= 0xbfff) || status === 0x0107 || status === 0x0116;
}
