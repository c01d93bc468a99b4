/**
 * Command sets of the Query/Retrieve (PS3.4 C.4, PS3.7 §9.3.2–9.3.4) and Storage Commitment (PS3.4 J,
 * PS3.7 §10.3.1, §10.3.4) messages we send or answer.
 */
import { CommandField, type DimseCommand, type SubOperationCounts, encodeCommand } from './dimse-command.js';
import { Priority } from './dimse-messages.js';

/** PS3.4 C.6.1.1.1 / C.6.2.1.1 / Annex B of the Query/Retrieve Information Models. */
export const QueryRetrieveSopClass = {
  PatientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  PatientRootGet: '1.2.840.10008.5.1.4.1.2.1.3',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  StudyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
} as const;

export type QueryModel = 'patient-root' | 'study-root';

export function queryModelOf(sopClassUid: string): QueryModel | null {
  switch (sopClassUid) {
    case QueryRetrieveSopClass.PatientRootFind:
    case QueryRetrieveSopClass.PatientRootMove:
    case QueryRetrieveSopClass.PatientRootGet:
      return 'patient-root';
    case QueryRetrieveSopClass.StudyRootFind:
    case QueryRetrieveSopClass.StudyRootMove:
    case QueryRetrieveSopClass.StudyRootGet:
      return 'study-root';
    default:
      return null;
  }
}

export function isGetSopClass(sopClassUid: string): boolean {
  return sopClassUid === QueryRetrieveSopClass.PatientRootGet || sopClassUid === QueryRetrieveSopClass.StudyRootGet;
}

/** Storage Commitment Push Model SOP Class and its well-known SOP Instance (PS3.4 J.3). */
export const STORAGE_COMMITMENT_PUSH_SOP_CLASS = '1.2.840.10008.1.20.1';
export const STORAGE_COMMITMENT_PUSH_SOP_INSTANCE = '1.2.840.10008.1.20.1.1';

/** Storage Commitment Event Type IDs (PS3.4 J.3.3.1). */
export const CommitmentEventType = { Success: 1, FailuresExist: 2 } as const;

/** A C-FIND-RSP (PS3.7 §9.3.2.2); pending responses carry an identifier. */
export function encodeFindRsp(request: DimseCommand, status: number, withIdentifier: boolean, errorComment?: string): Buffer {
  return encodeCommand({
    commandField: CommandField.CFindRsp,
    affectedSopClassUid: request.affectedSopClassUid ?? undefined,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: withIdentifier,
    status,
    errorComment,
  });
}

/**
 * A C-MOVE-RSP or C-GET-RSP (PS3.7 §9.3.3.2, §9.3.4.2): sub-operation counts; the final response of
 * a retrieve with failures carries an identifier with Failed SOP Instance UID List (0008,0058).
 */
export function encodeRetrieveRsp(request: DimseCommand, status: number, counts: SubOperationCounts | undefined, withIdentifier: boolean, errorComment?: string): Buffer {
  return encodeCommand({
    commandField: request.commandField === CommandField.CGetRq ? CommandField.CGetRsp : CommandField.CMoveRsp,
    affectedSopClassUid: request.affectedSopClassUid ?? undefined,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: withIdentifier,
    status,
    errorComment,
    subOperations: counts,
  });
}

/** N-ACTION-RSP (PS3.7 §10.3.4.2). */
export function encodeNActionRsp(request: DimseCommand, status: number, sopClassUid: string, sopInstanceUid: string, actionTypeId: number | null, errorComment?: string): Buffer {
  return encodeCommand({
    commandField: CommandField.NActionRsp,
    affectedSopClassUid: sopClassUid,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: false,
    status,
    errorComment,
    affectedSopInstanceUid: sopInstanceUid,
    actionTypeId: actionTypeId ?? undefined,
  });
}

/** N-ACTION-RQ (PS3.7 §10.3.4.1), for our own tests of the commitment SCP. */
export function encodeNActionRq(messageId: number, sopClassUid: string, sopInstanceUid: string, actionTypeId: number): Buffer {
  return encodeCommand({
    commandField: CommandField.NActionRq,
    requestedSopClassUid: sopClassUid,
    messageId,
    hasDataset: true,
    requestedSopInstanceUid: sopInstanceUid,
    actionTypeId,
  });
}

/** N-EVENT-REPORT-RQ (PS3.7 §10.3.1.1) with its event information dataset. */
export function encodeNEventReportRq(messageId: number, sopClassUid: string, sopInstanceUid: string, eventTypeId: number): Buffer {
  return encodeCommand({
    commandField: CommandField.NEventReportRq,
    affectedSopClassUid: sopClassUid,
    messageId,
    hasDataset: true,
    affectedSopInstanceUid: sopInstanceUid,
    eventTypeId,
  });
}

/** N-EVENT-REPORT-RSP (PS3.7 §10.3.1.2). */
export function encodeNEventReportRsp(request: DimseCommand, status: number, eventTypeId: number | null): Buffer {
  return encodeCommand({
    commandField: CommandField.NEventReportRsp,
    affectedSopClassUid: request.affectedSopClassUid ?? undefined,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    hasDataset: false,
    status,
    affectedSopInstanceUid: request.affectedSopInstanceUid ?? undefined,
    eventTypeId: eventTypeId ?? undefined,
  });
}

/** C-FIND/C-MOVE/C-GET requests, for our SCU (tests and forwarding). */
export function encodeQueryRq(commandField: number, messageId: number, sopClassUid: string, moveDestination?: string): Buffer {
  return encodeCommand({ commandField, affectedSopClassUid: sopClassUid, messageId, priority: Priority.Medium, hasDataset: true, moveDestination });
}

/** C-CANCEL-RQ (PS3.7 §9.3.2.3). */
export function encodeCancelRq(messageIdBeingRespondedTo: number): Buffer {
  return encodeCommand({ commandField: CommandField.CCancelRq, messageIdBeingRespondedTo, hasDataset: false });
}
