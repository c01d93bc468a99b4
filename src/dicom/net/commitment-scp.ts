/**
 * Storage Commitment Push Model SCP (PS3.4 J.3): N-ACTION-RQ (Action Type 1) → N-ACTION-RSP at once,
 * then the application confirms what is durably stored and we send N-EVENT-REPORT-RQ (Event Type 1
 * all committed, 2 failures exist) on the same association if it is still open, else on a new
 * association to the requestor, proposing the SCP role (PS3.4 J.3.3, PS3.7 D.3.3.4).
 */
import { type DecodedIdentifier, type IdentifierRecord, decodeIdentifier, encodeIdentifier, isIdentifierTransferSyntax } from '../dataset/identifier-codec.js';
import { describe } from './dataset-sinks.js';
import { type DimseCommand, Tag, commandText, commandUs } from './dimse-command.js';
import { DimseStatus } from './dimse-messages.js';
import { CommitmentEventType, STORAGE_COMMITMENT_PUSH_SOP_CLASS, STORAGE_COMMITMENT_PUSH_SOP_INSTANCE, encodeNActionRsp, encodeNEventReportRq } from './dimse-qr-messages.js';
import type { AssociationInfo, NetLogger } from './handlers.js';
import type { AcceptedContext } from './negotiation.js';
import type { LocalAeIdentity } from './operation-channel.js';
import { type CommitmentReference, type CommitmentResult, CommitmentFailureReason, type StorageCommitmentHandlers } from './query-handlers.js';
import { ScuAssociation } from './scu.js';
import { isValidUid } from './values.js';

/** PS3.7 C.5.x: statuses of the N-ACTION-RSP. */
const MISSING_ATTRIBUTE = 0x0120;
const INVALID_ATTRIBUTE_VALUE = 0x0106;
/** References per transaction we accept (an N-ACTION of a few thousand is already a large study). */
export const MAX_COMMITMENT_REFERENCES = 10_000;
export const REPORT_RESPONSE_TIMEOUT_MS = 30_000;

const TRANSACTION_UID = 0x00081195;
const REFERENCED_SOP_SEQUENCE = 0x00081199;
const REFERENCED_SOP_CLASS_UID = 0x00081150;
const REFERENCED_SOP_INSTANCE_UID = 0x00081155;

/** How the receiver lets the commitment task use the requesting association. */
export interface SameAssociationReporter {
  /**
   * Sends our request when the association is open and idle and resolves with the peer's response;
   * 'unavailable' if it is closed, closing, or released before answering.
   */
  request(contextId: number, command: (messageId: number) => Buffer, dataset: Buffer, timeoutMs: number): Promise<DimseCommand | 'unavailable'>;
}

export interface CommitmentContext {
  readonly association: AssociationInfo;
  readonly context: AcceptedContext;
  readonly handlers: StorageCommitmentHandlers;
  readonly logger: NetLogger;
  readonly local: LocalAeIdentity;
  readonly reporter: SameAssociationReporter;
}

/** Validates the N-ACTION; returns the N-ACTION-RSP and, if accepted, the task that will report. */
export function startCommitment(ctx: CommitmentContext, command: DimseCommand, datasetBytes: Uint8Array): { response: Buffer; report: (() => Promise<void>) | null } {
  const actionTypeId = commandUs(command, Tag.ActionTypeId);
  const respond = (status: number, comment?: string): Buffer => encodeNActionRsp(command, status, STORAGE_COMMITMENT_PUSH_SOP_CLASS, STORAGE_COMMITMENT_PUSH_SOP_INSTANCE, actionTypeId, comment);
  if (commandText(command, Tag.RequestedSopClassUid) !== STORAGE_COMMITMENT_PUSH_SOP_CLASS || ctx.context.abstractSyntaxUid !== STORAGE_COMMITMENT_PUSH_SOP_CLASS) {
    return { response: respond(DimseStatus.SopClassNotSupported), report: null };
  }
  if (commandText(command, Tag.RequestedSopInstanceUid) !== STORAGE_COMMITMENT_PUSH_SOP_INSTANCE) return { response: respond(DimseStatus.NoSuchSopInstance), report: null };
  if (actionTypeId !== 1) return { response: respond(DimseStatus.NoSuchActionType), report: null };
  if (!isIdentifierTransferSyntax(ctx.context.transferSyntaxUid)) return { response: respond(DimseStatus.ProcessingFailure, 'transfer syntax not supported'), report: null };
  const decoded = decodeIdentifier(datasetBytes, ctx.context.transferSyntaxUid);
  if (!decoded.ok) return { response: respond(DimseStatus.ProcessingFailure, 'dataset cannot be parsed'), report: null };
  const parsed = parseActionInformation(decoded.identifier);
  if (typeof parsed === 'number') return { response: respond(parsed), report: null };
  ctx.logger.info({ associationId: ctx.association.associationId, transactionUid: parsed.transactionUid, references: parsed.references.length }, 'storage commitment requested');
  return { response: respond(DimseStatus.Success), report: () => commitAndReport(ctx, parsed.transactionUid, parsed.references) };
}

function parseActionInformation(identifier: DecodedIdentifier): { transactionUid: string; references: CommitmentReference[] } | number {
  const transactionUid = identifier.elements.get(TRANSACTION_UID)?.values[0];
  const sequence = identifier.elements.get(REFERENCED_SOP_SEQUENCE);
  if (transactionUid === undefined || sequence === undefined) return MISSING_ATTRIBUTE;
  if (!isValidUid(transactionUid) || sequence.items.length === 0 || sequence.items.length > MAX_COMMITMENT_REFERENCES) return INVALID_ATTRIBUTE_VALUE;
  const references: CommitmentReference[] = [];
  for (const item of sequence.items) {
    const sopClassUid = item.elements.get(REFERENCED_SOP_CLASS_UID)?.values[0];
    const sopInstanceUid = item.elements.get(REFERENCED_SOP_INSTANCE_UID)?.values[0];
    if (sopClassUid === undefined || sopInstanceUid === undefined) return MISSING_ATTRIBUTE;
    if (!isValidUid(sopClassUid) || !isValidUid(sopInstanceUid)) return INVALID_ATTRIBUTE_VALUE;
    references.push({ sopClassUid, sopInstanceUid });
  }
  return { transactionUid, references };
}

async function commitAndReport(ctx: CommitmentContext, transactionUid: string, references: readonly CommitmentReference[]): Promise<void> {
  const log = { associationId: ctx.association.associationId, transactionUid };
  let result: CommitmentResult;
  try {
    result = await ctx.handlers.commit(ctx.association, { transactionUid, references });
  } catch (error) {
    ctx.logger.error({ ...log, err: describe(error) }, 'storage commitment handler failed; reporting every reference failed');
    result = { committed: [], failed: references.map((r) => ({ ...r, reason: CommitmentFailureReason.ProcessingFailure })) };
  }
  const eventTypeId = result.failed.length === 0 ? CommitmentEventType.Success : CommitmentEventType.FailuresExist;
  const record = reportRecord(transactionUid, result);
  const outcome = await deliver(ctx, record, eventTypeId);
  ctx.logger.info({ ...log, via: outcome.via, status: outcome.status, committed: result.committed.length, failed: result.failed.length }, 'storage commitment reported');
  try {
    ctx.handlers.reported?.({ associationId: ctx.association.associationId, transactionUid, ...outcome, committed: result.committed.length, failed: result.failed.length });
  } catch {
    // A reporting sink must not throw; the report went out all the same.
  }
}

/** PS3.4 J.3.3.1.1: Transaction UID, Referenced SOP Sequence (committed), Failed SOP Sequence (with reasons). */
function reportRecord(transactionUid: string, result: CommitmentResult): IdentifierRecord {
  const record: { -readonly [K in keyof IdentifierRecord]: IdentifierRecord[K] } = { TransactionUID: transactionUid };
  if (result.committed.length > 0) {
    record.ReferencedSOPSequence = result.committed.map((r) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid }));
  }
  if (result.failed.length > 0) {
    record.FailedSOPSequence = result.failed.map((r) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid, FailureReason: r.reason }));
  }
  return record;
}

async function deliver(ctx: CommitmentContext, record: IdentifierRecord, eventTypeId: number): Promise<{ via: 'same-association' | 'new-association' | 'not-delivered'; status: number | null }> {
  if (ctx.handlers.preferSameAssociation !== false) {
    const dataset = encodeIdentifier(record, ctx.context.transferSyntaxUid);
    const command = (messageId: number): Buffer => encodeNEventReportRq(messageId, STORAGE_COMMITMENT_PUSH_SOP_CLASS, STORAGE_COMMITMENT_PUSH_SOP_INSTANCE, eventTypeId);
    const rsp = await ctx.reporter.request(ctx.context.id, command, dataset, REPORT_RESPONSE_TIMEOUT_MS);
    if (rsp !== 'unavailable') return { via: 'same-association', status: rsp.status };
  }
  let destination;
  try {
    destination = await ctx.handlers.reportDestination(ctx.association);
  } catch (error) {
    ctx.logger.warn({ associationId: ctx.association.associationId, err: describe(error) }, 'storage commitment report destination lookup failed');
    destination = null;
  }
  if (destination === null) return { via: 'not-delivered', status: null };
  const connected = await ScuAssociation.connect({
    host: destination.host,
    port: destination.port,
    callingAeTitle: ctx.local.aeTitle,
    calledAeTitle: destination.aeTitle,
    implementationClassUid: ctx.local.implementationClassUid,
    implementationVersionName: ctx.local.implementationVersionName,
    presentationContexts: [{ abstractSyntaxUid: STORAGE_COMMITMENT_PUSH_SOP_CLASS, transferSyntaxUids: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }],
    // PS3.4 J.3.3: the SCP that opens the association for the report proposes the SCP role.
    roleSelections: [{ sopClassUid: STORAGE_COMMITMENT_PUSH_SOP_CLASS, scuRole: false, scpRole: true }],
    logger: ctx.logger,
  });
  if (!connected.ok) {
    ctx.logger.warn({ associationId: ctx.association.associationId, destination: destination.aeTitle, failure: connected.error.kind }, 'storage commitment report association failed');
    return { via: 'not-delivered', status: null };
  }
  const scu = connected.value;
  const accepted = scu.acceptedContexts.find((c) => c.abstractSyntaxUid === STORAGE_COMMITMENT_PUSH_SOP_CLASS);
  const sent = accepted === undefined ? null : await scu.nEventReport({
    sopClassUid: STORAGE_COMMITMENT_PUSH_SOP_CLASS,
    sopInstanceUid: STORAGE_COMMITMENT_PUSH_SOP_INSTANCE,
    eventTypeId,
    dataset: encodeIdentifier(record, accepted.transferSyntaxUid),
  });
  await scu.release();
  if (sent === null || !sent.ok) return { via: 'not-delivered', status: null };
  return { via: 'new-association', status: sent.value.status };
}
