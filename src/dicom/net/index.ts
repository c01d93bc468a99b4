/**
 * The DICOM upper layer (PS3.8) and DIMSE (PS3.7) on `node:net`: a streaming C-STORE/C-ECHO server
 * and an SCU. Everything outside this folder imports from here.
 *
 * Server, from the composition root:
 *   const server = createDimseServer({ aeTitle, implementationClassUid, implementationVersionName,
 *     abstractSyntaxes, transferSyntaxes, handlers, logger });   // limits/timeouts have defaults
 *   await server.listen(11112, '0.0.0.0');  …  await server.close();
 * `handlers.beginStore` returns an `IncomingDataset` whose `write` is awaited per fragment (the
 * socket is paused meanwhile) and whose `end` answers the status once the object is durable.
 *
 * Client: `const r = await ScuAssociation.connect({...})`, then `r.value.echo()`,
 * `r.value.store({ sopClassUid, sopInstanceUid, transferSyntaxUid, dataset })`, `r.value.release()`;
 * every result is a `Result` (no throw for network failures).
 */
export { createDimseServer, DEFAULT_MAX_PDU_BYTES, type DimseServer, type DimseServerOptions, type DimseTlsOptions } from './server.js';
export { ScuAssociation, type ProposedContext, type ScuFailure, type ScuFailureKind, type ScuOptions, type StoreRequest } from './scu.js';
export type { DatasetSource } from './scu-dataset-writer.js';
export {
  SILENT_LOGGER,
  type AssociationDecision,
  type AssociationEvent,
  type AssociationInfo,
  type AssociationRequestInfo,
  type CStoreRequestInfo,
  type DimseResponseStatus,
  type DimseServiceHandlers,
  type IncomingDataset,
  type NetLogger,
  type NetworkSecurityEvent,
  type NetworkSecurityEventKind,
} from './handlers.js';
export { type AbstractSyntaxSupport, type AcceptedContext, type SupportedTransferSyntax, chooseTransferSyntax } from './negotiation.js';
export { DimseStatus, Priority, VERIFICATION_SOP_CLASS, isSuccessOrWarning } from './dimse-messages.js';
export { RejectReason, RejectResult, RejectSource, type AssociateRj, type PresentationContextProposal, type UserIdentityRequest } from './pdu-types.js';
export { isValidAeTitle, isValidUid } from './values.js';
export {
  CommitmentFailureReason,
  type CommitmentReference,
  type CommitmentReportEvent,
  type CommitmentResult,
  type DimseApplicationHandlers,
  type FindResult,
  type InstanceToSend,
  type QueryRequest,
  type QueryRetrieveLevel,
  type RemoteAe,
  type RetrieveHandlers,
  type StorageCommitmentHandlers,
} from './query-handlers.js';
export { QueryRetrieveSopClass, STORAGE_COMMITMENT_PUSH_SOP_CLASS, STORAGE_COMMITMENT_PUSH_SOP_INSTANCE, type QueryModel } from './dimse-qr-messages.js';
export type { ScuResponse } from './scu.js';
