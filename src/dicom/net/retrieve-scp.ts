/**
 * C-MOVE and C-GET SCP (PS3.4 C.4.2, C.4.3; PS3.7 §9.1.3, §9.1.4): resolve the identifier into
 * instances, run one C-STORE sub-operation per instance, report counts in pending responses
 * (0000,1020–1023), and end with 0x0000, 0xB000 (some failed or warned), 0xA702 (all failed),
 * or 0xFE00 after a C-CANCEL, which is honoured between sub-operations.
 */
import { encodeIdentifier } from '../dataset/identifier-codec.js';
import { describe, mapErrorCode, sanitizeStatus } from './dataset-sinks.js';
import { Tag, commandText } from './dimse-command.js';
import { DimseStatus } from './dimse-messages.js';
import { encodeRetrieveRsp } from './dimse-qr-messages.js';
import { type DimseResponseStatus, statusOfHandlerError } from './handlers.js';
import type { FinalResponse, OperationChannel } from './operation-channel.js';
import type { DimseApplicationHandlers, InstanceToSend, RemoteAe, RetrieveHandlers } from './query-handlers.js';
import { isQueryRequest, parseQueryRequest } from './query-request.js';
import { type SubOperationSender, classify, getSender, openMoveSender } from './store-suboperations.js';
import { isValidAeTitle, trimAeTitle } from './values.js';

interface Counts {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
}

export async function runRetrieve(channel: OperationChannel, handlers: DimseApplicationHandlers, identifierBytes: Uint8Array, kind: 'move' | 'get'): Promise<FinalResponse> {
  const { request: command, link } = channel;
  const refuse = (s: DimseResponseStatus): FinalResponse => ({ command: encodeRetrieveRsp(command, s.status, undefined, false, s.errorComment) });
  const retrieve = handlers.retrieve;
  if (retrieve === undefined) return refuse({ status: DimseStatus.SopClassNotSupported });
  const context = link.accepted.get(channel.contextId)!;
  const request = parseQueryRequest(command, context.abstractSyntaxUid, context.transferSyntaxUid, identifierBytes);
  if (!isQueryRequest(request)) return refuse(request);
  const log = { associationId: link.association.associationId, messageId: channel.messageId, kind, level: request.queryRetrieveLevel };

  let destination: RemoteAe | null = null;
  if (kind === 'move') {
    const raw = commandText(command, Tag.MoveDestination);
    const title = raw === null ? '' : trimAeTitle(raw);
    try {
      destination = isValidAeTitle(title) ? await retrieve.moveDestination(link.association, title) : null;
    } catch (error) {
      link.logger.warn({ ...log, err: describe(error) }, 'C-MOVE destination lookup failed');
    }
    if (destination === null) {
      // Logged with the AE title only: an unknown or spoofed destination is a security-relevant refusal.
      link.logger.warn({ ...log, moveDestination: isValidAeTitle(title) ? title : null }, 'C-MOVE refused: destination unknown');
      return refuse({ status: DimseStatus.MoveDestinationUnknown, errorComment: 'Move Destination unknown' });
    }
  }

  let instances: readonly InstanceToSend[];
  try {
    const resolved = await retrieve.resolve(link.association, { ...request, kind });
    if (!Array.isArray(resolved)) return refuse(sanitizeStatus(resolved));
    instances = resolved as readonly InstanceToSend[];
  } catch (error) {
    link.logger.warn({ ...log, err: describe(error) }, 'retrieve resolve failed');
    const status = statusOfHandlerError(error, mapErrorCode);
    return refuse(status.status === DimseStatus.OutOfResources ? { status: DimseStatus.UnableToCalculateMatches } : status);
  }
  const counts: Counts = { remaining: instances.length, completed: 0, failed: 0, warning: 0 };
  const failedUids: string[] = [];
  if (instances.length === 0) return finalResponse(channel, DimseStatus.Success, counts, failedUids);
  if (channel.cancelled !== null) return finalResponse(channel, DimseStatus.Cancel, counts, failedUids);

  const sender = kind === 'get' ? getSender(channel, retrieve, request.priority) : await openSender(channel, retrieve, destination!, instances, request.priority);
  if (sender === null) {
    for (const i of instances) failedUids.push(i.sopInstanceUid);
    return finalResponse(channel, DimseStatus.UnableToPerformSuboperations, { remaining: 0, completed: 0, failed: instances.length, warning: 0 }, failedUids);
  }
  try {
    for (const instance of instances) {
      if (channel.cancelled !== null) break;
      let outcome;
      try {
        outcome = await sender.send(instance);
      } catch (error) {
        link.logger.warn({ ...log, sopInstanceUid: instance.sopInstanceUid, err: describe(error) }, 'sub-operation failed');
        outcome = 'failed' as const;
      }
      counts.remaining--;
      counts[classify(outcome)]++;
      if (classify(outcome) === 'failed') failedUids.push(instance.sopInstanceUid);
      if (counts.remaining > 0 && channel.cancelled === null) {
        // PS3.4 C.4.2.1.5: pending responses report the counts so far.
        await channel.send(channel.contextId, encodeRetrieveRsp(command, DimseStatus.Pending, { ...counts }, false));
      }
    }
  } finally {
    await sender.close();
  }
  link.logger.info({ ...log, ...counts, cancelled: channel.cancelled }, kind === 'move' ? 'C-MOVE done' : 'C-GET done');
  if (channel.cancelled !== null && counts.remaining > 0) return finalResponse(channel, DimseStatus.Cancel, counts, failedUids);
  const status =
    counts.failed === 0 && counts.warning === 0
      ? DimseStatus.Success
      : counts.failed === instances.length
        ? DimseStatus.UnableToPerformSuboperations
        : DimseStatus.SuboperationsFailedOrWarnings;
  return finalResponse(channel, status, counts, failedUids);
}

async function openSender(channel: OperationChannel, retrieve: RetrieveHandlers, destination: RemoteAe, instances: readonly InstanceToSend[], priority: number): Promise<SubOperationSender | null> {
  const { link } = channel;
  return openMoveSender(
    {
      destination,
      callingAeTitle: link.local.aeTitle,
      implementationClassUid: link.local.implementationClassUid,
      implementationVersionName: link.local.implementationVersionName,
      moveOriginatorAeTitle: link.association.callingAeTitle,
      moveOriginatorMessageId: channel.messageId,
      priority,
    },
    instances,
    retrieve,
    link.logger,
  );
}

/**
 * The final response: Number of Remaining only after a Cancel (PS3.4 C.4.2.1.5), and an identifier
 * with Failed SOP Instance UID List (0008,0058) when any sub-operation failed.
 */
function finalResponse(channel: OperationChannel, status: number, counts: Counts, failedUids: readonly string[]): FinalResponse {
  const { remaining, completed, failed, warning } = counts;
  const reported = status === DimseStatus.Cancel ? { remaining, completed, failed, warning } : { completed, failed, warning };
  const context = channel.link.accepted.get(channel.contextId)!;
  const dataset = failedUids.length > 0 ? encodeIdentifier({ FailedSOPInstanceUIDList: fitting(failedUids) }, context.transferSyntaxUid) : undefined;
  return { command: encodeRetrieveRsp(channel.request, status, reported, dataset !== undefined), dataset };
}

/** A UI value is at most 64 KiB in explicit VR: a longer failure list is cut (the counts stay exact). */
function fitting(uids: readonly string[]): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (const uid of uids) {
    bytes += uid.length + 1;
    if (bytes > 0xfffe) break;
    out.push(uid);
  }
  return out;
}
