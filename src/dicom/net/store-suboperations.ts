/**
 * The C-STORE sub-operations of a retrieve: to a C-MOVE destination on a new association we request
 * (PS3.4 C.4.2.3), or back to the C-GET requestor on its own association (PS3.4 C.4.3.3). The stored
 * dataset goes as received when the peer accepted its transfer syntax; else, through the `transcode`
 * seam, as Explicit VR Little Endian, or as Implicit VR Little Endian — the syntax every peer must
 * accept (PS3.5 §10.1); else the sub-operation fails.
 */
import { describe } from './dataset-sinks.js';
import { encodeStoreRq } from './dimse-messages.js';
import { DimseStatus } from './dimse-messages.js';
import type { NetLogger } from './handlers.js';
import type { AcceptedContext, } from './negotiation.js';
import type { OperationChannel } from './operation-channel.js';
import type { InstanceToSend, RemoteAe, RetrieveHandlers } from './query-handlers.js';
import { type ProposedContext, ScuAssociation } from './scu.js';
import type { DatasetSource } from './scu-dataset-writer.js';
import { MAX_PRESENTATION_CONTEXTS } from './pdu-types.js';

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
/** What a dataset is transcoded to when its own syntax was not accepted, in order of preference. */
const TRANSCODE_TARGETS = [EXPLICIT_VR_LE, IMPLICIT_VR_LE];
/** How long a C-GET requestor may take to answer one C-STORE sub-operation. */
export const SUB_OPERATION_RESPONSE_TIMEOUT_MS = 60_000;

/** A sub-operation's outcome: the peer's C-STORE status, or 'failed' when it could not be attempted. */
export type SubOperationOutcome = number | 'failed';

export interface SubOperationSender {
  send(instance: InstanceToSend): Promise<SubOperationOutcome>;
  close(): Promise<void>;
}

/** The dataset to send over `accepted`: as stored, or transcoded, or null (no way to send it). */
async function datasetFor(instance: InstanceToSend, contexts: readonly AcceptedContext[], handlers: RetrieveHandlers): Promise<{ context: AcceptedContext; dataset: DatasetSource } | null> {
  const accepted = (syntax: string): AcceptedContext | undefined => contexts.find((c) => c.abstractSyntaxUid === instance.sopClassUid && c.transferSyntaxUid === syntax);
  const same = accepted(instance.transferSyntaxUid);
  if (same !== undefined) return { context: same, dataset: instance.open() };
  if (handlers.transcode === undefined) return null;
  for (const target of TRANSCODE_TARGETS) {
    const context = accepted(target);
    if (context === undefined) continue;
    const transcoded = await handlers.transcode(instance, target);
    return transcoded === null ? null : { context, dataset: transcoded };
  }
  return null;
}

/**
 * The contexts a C-MOVE proposes: one per (SOP class, stored transfer syntax), and when transcoding
 * exists one per SOP class offering Explicit and Implicit VR Little Endian (the peer picks one).
 */
export function contextsToPropose(instances: readonly InstanceToSend[], canTranscode: boolean): ProposedContext[] {
  const seen = new Set<string>();
  const out: ProposedContext[] = [];
  const add = (sopClassUid: string, syntaxes: readonly string[]): void => {
    const key = `${sopClassUid} ${syntaxes.join(' ')}`;
    if (seen.has(key) || out.length >= MAX_PRESENTATION_CONTEXTS) return;
    seen.add(key);
    out.push({ abstractSyntaxUid: sopClassUid, transferSyntaxUids: syntaxes });
  };
  for (const i of instances) add(i.sopClassUid, [i.transferSyntaxUid]);
  if (canTranscode) for (const i of instances) add(i.sopClassUid, TRANSCODE_TARGETS);
  return out;
}

export interface MoveTarget {
  readonly destination: RemoteAe;
  readonly callingAeTitle: string;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
  readonly moveOriginatorAeTitle: string;
  readonly moveOriginatorMessageId: number;
  readonly priority: number;
}

/** Opens the association to the C-MOVE destination; null when it cannot be opened. */
export async function openMoveSender(target: MoveTarget, instances: readonly InstanceToSend[], handlers: RetrieveHandlers, logger: NetLogger): Promise<SubOperationSender | null> {
  const connected = await ScuAssociation.connect({
    host: target.destination.host,
    port: target.destination.port,
    callingAeTitle: target.callingAeTitle,
    calledAeTitle: target.destination.aeTitle,
    implementationClassUid: target.implementationClassUid,
    implementationVersionName: target.implementationVersionName,
    presentationContexts: contextsToPropose(instances, handlers.transcode !== undefined),
    logger,
  });
  if (!connected.ok) {
    logger.warn({ destination: target.destination.aeTitle, failure: connected.error.kind }, 'C-MOVE destination association failed');
    return null;
  }
  const scu = connected.value;
  return {
    async send(instance) {
      const chosen = await datasetFor(instance, scu.acceptedContexts, handlers);
      if (chosen === null) return 'failed';
      const r = await scu.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid: chosen.context.transferSyntaxUid,
        dataset: chosen.dataset,
        priority: target.priority,
        moveOriginatorAeTitle: target.moveOriginatorAeTitle,
        moveOriginatorMessageId: target.moveOriginatorMessageId,
      });
      if (!r.ok) logger.warn({ sopInstanceUid: instance.sopInstanceUid, failure: r.error.kind }, 'C-MOVE sub-operation failed');
      return r.ok ? r.value.status : 'failed';
    },
    async close() {
      await scu.release();
    },
  };
}

/** C-STORE sub-operations on the C-GET requestor's association, with the SCP role it granted. */
export function getSender(channel: OperationChannel, handlers: RetrieveHandlers, priority: number): SubOperationSender {
  const { link } = channel;
  const usable = [...link.accepted.values()].filter((c) => link.requestorScpRoles.has(c.abstractSyntaxUid));
  return {
    async send(instance) {
      if (!link.isOpen()) return 'failed';
      const chosen = await datasetFor(instance, usable, handlers);
      if (chosen === null) return 'failed';
      const messageId = link.nextMessageId();
      const command = encodeStoreRq({ messageId, sopClassUid: instance.sopClassUid, sopInstanceUid: instance.sopInstanceUid, priority });
      const response = channel.awaitResponse(messageId, SUB_OPERATION_RESPONSE_TIMEOUT_MS);
      try {
        if (!(await channel.sendStreamed(chosen.context.id, command, chosen.dataset))) return 'failed';
      } catch (error) {
        // Half a dataset is on the wire: only an abort can end it (PS3.8 §7.3).
        link.logger.error({ associationId: link.association.associationId, sopInstanceUid: instance.sopInstanceUid, err: describe(error) }, 'C-GET dataset source failed; aborting');
        link.socket.destroy();
        return 'failed';
      }
      const rsp = await response;
      return rsp?.status ?? 'failed';
    },
    close: () => Promise.resolve(),
  };
}

/** PS3.4 C.4.2.1.5 classes of a sub-operation status. */
export function classify(outcome: SubOperationOutcome): 'completed' | 'warning' | 'failed' {
  if (outcome === 'failed') return 'failed';
  if (outcome === DimseStatus.Success) return 'completed';
  if (outcome === 0x0001 || (outcome >= 0xb000 && outcome <= 0xbfff)) return 'warning';
  return 'failed';
}
