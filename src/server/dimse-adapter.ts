import type {
  AssociationDecision,
  AssociationInfo,
  AssociationRequestInfo,
  CStoreRequestInfo,
  DimseResponseStatus,
  DimseServiceHandlers,
  IncomingDataset,
  NetworkSecurityEvent,
} from '../dicom/net/index.js';
import { dimseStatusOf } from '../errors/index.js';
import type { IngestService } from '../ingest/index.js';
import type { Logger } from '../log/index.js';

/** PS3.4 B.2.3 / PS3.7 C: the statuses the storage service answers with. */
const STATUS_SUCCESS = 0x0000;

export interface AcceptancePolicy {
  /** `null`: any calling AE may associate (the start-up log warns). */
  readonly allowedCallingAeTitles: ReadonlySet<string> | null;
}

/**
 * Adapts the ingest core to the DIMSE service handlers of our upper layer. The network layer knows
 * nothing of storage; the core knows nothing of PDUs. Security events are logged until the audit
 * trail of the identity issue takes them.
 */
export function createDimseHandlers(ingest: IngestService, policy: AcceptancePolicy, logger: Logger): DimseServiceHandlers {
  return {
    acceptAssociation(request: AssociationRequestInfo): AssociationDecision {
      if (policy.allowedCallingAeTitles !== null && !policy.allowedCallingAeTitles.has(request.callingAeTitle)) {
        logger.warn({ event: 'security', kind: 'calling-ae-not-allowed', callingAeTitle: request.callingAeTitle, peerAddress: request.peerAddress }, 'association refused: calling AE title not allowed');
        // PS3.8 table 9-21: rejected-permanent, service-user, calling-AE-title-not-recognized.
        return { accept: false, result: 1, source: 1, reason: 3 };
      }
      return { accept: true };
    },

    echo(association: AssociationInfo): DimseResponseStatus {
      logger.info({ event: 'c-echo', callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress }, 'C-ECHO');
      return { status: STATUS_SUCCESS };
    },

    async beginStore(association: AssociationInfo, request: CStoreRequestInfo): Promise<IncomingDataset | DimseResponseStatus> {
      const source = { via: 'dimse', callingAeTitle: association.callingAeTitle, calledAeTitle: association.calledAeTitle, peerAddress: association.peerAddress } as const;
      const begun = await ingest.begin({
        sopClassUid: request.sopClassUid,
        sopInstanceUid: request.sopInstanceUid,
        transferSyntaxUid: request.transferSyntaxUid,
        source,
      });
      if (!begun.ok) {
        logger.warn({ event: 'c-store-refused', code: begun.error.code, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle }, 'C-STORE refused');
        return { status: dimseStatusOf(begun.error.code), errorComment: begun.error.code };
      }
      const receiver = begun.value;
      return {
        write: (fragment) => receiver.write(fragment),
        abort: async (reason) => {
          logger.warn({ event: 'c-store-aborted', reason, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle }, 'C-STORE aborted; nothing stored');
          await receiver.abort();
        },
        end: async () => {
          const result = await receiver.finish();
          if (!result.ok) {
            const security = result.error.code.startsWith('DATASET_') || result.error.code.endsWith('_MISMATCH') || result.error.code === 'UID_INVALID' || result.error.code === 'DECOMPRESSION_BOMB';
            logger.warn(
              { event: security ? 'security' : 'c-store-failed', code: result.error.code, detail: result.error.detail, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress },
              'C-STORE failed; nothing acknowledged',
            );
            return { status: dimseStatusOf(result.error.code), errorComment: result.error.code };
          }
          const { outcome } = result.value;
          logger.info(
            {
              event: 'c-store',
              outcome: outcome.kind,
              ...(outcome.kind === 'stored' ? { flags: outcome.flags } : {}),
              sopInstanceUid: result.value.sopInstanceUid,
              studyInstanceUid: result.value.studyInstanceUid,
              patientId: result.value.patientId,
              callingAeTitle: association.callingAeTitle,
            },
            'C-STORE stored',
          );
          return { status: STATUS_SUCCESS };
        },
      };
    },

    securityEvent(event: NetworkSecurityEvent): void {
      logger.warn({ ...event, event: 'security' }, 'DICOM network security event');
    },
  };
}
