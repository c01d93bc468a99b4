import type { AuditEventInput } from '../audit/index.js';
import type {
  AssociationDecision,
  AssociationEvent,
  AssociationInfo,
  AssociationRequestInfo,
  CStoreRequestInfo,
  DimseApplicationHandlers,
  DimseResponseStatus,
  IncomingDataset,
  NetworkSecurityEvent,
} from '../dicom/net/index.js';
import type { ErrorCode } from '../errors/index.js';
import { dimseStatusOf } from '../errors/index.js';
import type { IngestService } from '../ingest/index.js';
import type { Logger } from '../log/index.js';
import { AssociationLedger } from './association-audit.js';
import type { DicomAccess, DicomService } from './dicom-access.js';
import { createQueryRetrieveHandlers } from './query-retrieve.js';
import type { QueryRetrieveDependencies } from './query-retrieve.js';

/** PS3.7 C: the statuses answered here. */
const STATUS_SUCCESS = 0x0000;
/** PS3.7 C.5: Refused: Not Authorized. */
const STATUS_NOT_AUTHORIZED = 0x0124;

/** The part of the audit trail the DICOM side uses: standalone events and its health. */
export interface DimseAudit {
  record(event: AuditEventInput): Promise<unknown>;
  healthy(): boolean;
}

/** Refusals that point at a hostile or broken sender rather than at our resources. */
const SECURITY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['DATASET_UNPARSEABLE', 'DATASET_TRUNCATED', 'SOP_INSTANCE_MISMATCH', 'SOP_CLASS_MISMATCH', 'UID_INVALID', 'DECOMPRESSION_BOMB']);

/**
 * Adapts the ingest core to the DIMSE service handlers of our upper layer, and applies access
 * control and the audit trail to every association. The network layer knows nothing of storage;
 * the core knows nothing of PDUs.
 */
export function createDimseHandlers(deps: {
  ingest: IngestService;
  access: DicomAccess;
  audit: DimseAudit;
  logger: Logger;
  /** C-FIND, C-MOVE, C-GET and Storage Commitment; absent: those services answer 0x0122. */
  queryRetrieve?: Omit<QueryRetrieveDependencies, 'refuse' | 'audit' | 'logger'>;
}): DimseApplicationHandlers {
  const { ingest, access, audit, logger } = deps;
  const ledgers = new Map<string, { ledger: AssociationLedger; may: (service: DicomService) => boolean }>();

  const securityAlert = (fields: { callingAeTitle: string | null; peerAddress: string; kind: string; detail?: string }): void => {
    const event: AuditEventInput = {
      action: 'security-alert',
      outcome: 8,
      actor: fields.callingAeTitle === null ? { kind: 'anonymous', attemptedLoginName: null } : { kind: 'peer', aeTitle: fields.callingAeTitle, peerName: null },
      source: { address: fields.peerAddress, userAgent: null },
      objects: [],
      breakGlass: false,
      detail: { via: 'dimse', kind: fields.kind, ...(fields.detail === undefined ? {} : { detail: fields.detail }) },
    };
    audit.record(event).catch(() => undefined);
  };

  const refuse = (association: AssociationInfo, service: DicomService): DimseResponseStatus | null => {
    const entry = ledgers.get(association.associationId);
    if (entry !== undefined && entry.may(service)) return null;
    logger.warn({ event: 'security', kind: 'dicom-service-not-allowed', service, callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress }, 'DICOM service refused');
    securityAlert({ callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress, kind: 'dicom-service-not-allowed', detail: service });
    return { status: STATUS_NOT_AUTHORIZED, errorComment: 'ACCESS_DENIED' };
  };

  const queryRetrieve = deps.queryRetrieve === undefined ? null : createQueryRetrieveHandlers({ ...deps.queryRetrieve, audit, logger, refuse });

  return {
    ...(queryRetrieve === null ? {} : queryRetrieve),
    async acceptAssociation(request: AssociationRequestInfo): Promise<AssociationDecision> {
      if (!audit.healthy()) {
        // An access that cannot be audited is refused (issue 3); transient, the modality retries.
        logger.error({ event: 'association-refused', reason: 'audit-unavailable', callingAeTitle: request.callingAeTitle }, 'association refused: the audit trail is unavailable');
        return { accept: false, result: 2, source: 3, reason: 1 };
      }
      const admission = await access.admit({ callingAeTitle: request.callingAeTitle, peerAddress: request.peerAddress, tlsCertificateSubject: request.tlsCertificateSubject });
      if (!admission.admitted) {
        logger.warn({ event: 'security', kind: 'calling-ae-not-allowed', callingAeTitle: request.callingAeTitle, peerAddress: request.peerAddress }, 'association refused: calling AE title not allowed');
        securityAlert({ callingAeTitle: request.callingAeTitle, peerAddress: request.peerAddress, kind: 'calling-ae-not-allowed' });
        // PS3.8 table 9-21: rejected-permanent, service-user, calling-AE-title-not-recognized.
        return { accept: false, result: 1, source: 1, reason: 3 };
      }
      ledgers.set(request.associationId, {
        ledger: new AssociationLedger(request.associationId, { kind: 'peer', aeTitle: request.callingAeTitle, peerName: admission.peerName }, request.peerAddress),
        may: admission.may,
      });
      return { accept: true };
    },

    echo(association: AssociationInfo): DimseResponseStatus {
      const refused = refuse(association, 'echo');
      if (refused !== null) return refused;
      ledgers.get(association.associationId)?.ledger.echoed();
      logger.info({ event: 'c-echo', callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress }, 'C-ECHO');
      return { status: STATUS_SUCCESS };
    },

    async beginStore(association: AssociationInfo, request: CStoreRequestInfo): Promise<IncomingDataset | DimseResponseStatus> {
      const refused = refuse(association, 'store');
      if (refused !== null) return refused;
      const ledger = ledgers.get(association.associationId)!.ledger;
      if (!audit.healthy()) return { status: dimseStatusOf('AUDIT_UNAVAILABLE'), errorComment: 'AUDIT_UNAVAILABLE' };
      const source = { via: 'dimse', callingAeTitle: association.callingAeTitle, calledAeTitle: association.calledAeTitle, peerAddress: association.peerAddress } as const;
      const begun = await ingest.begin({
        sopClassUid: request.sopClassUid,
        sopInstanceUid: request.sopInstanceUid,
        transferSyntaxUid: request.transferSyntaxUid,
        source,
        auditEvents: (stored) => ledger.storeEventsFor(stored, request.sopInstanceUid),
      });
      if (!begun.ok) {
        ledger.failed();
        logger.warn({ event: 'c-store-refused', code: begun.error.code, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle }, 'C-STORE refused');
        return { status: dimseStatusOf(begun.error.code), errorComment: begun.error.code };
      }
      const receiver = begun.value;
      return {
        write: (fragment) => receiver.write(fragment),
        abort: async (reason) => {
          ledger.failed();
          logger.warn({ event: 'c-store-aborted', reason, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle }, 'C-STORE aborted; nothing stored');
          await receiver.abort();
        },
        end: async () => {
          const result = await receiver.finish();
          if (!result.ok) {
            ledger.failed();
            const security = SECURITY_CODES.has(result.error.code);
            logger.warn(
              { event: security ? 'security' : 'c-store-failed', code: result.error.code, detail: result.error.detail, sopInstanceUid: request.sopInstanceUid, callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress },
              'C-STORE failed; nothing acknowledged',
            );
            if (security) securityAlert({ callingAeTitle: association.callingAeTitle, peerAddress: association.peerAddress, kind: 'dataset-refused', detail: result.error.code });
            return { status: dimseStatusOf(result.error.code), errorComment: result.error.code };
          }
          const { outcome, studyInstanceUid, patientId } = result.value;
          ledger.stored(studyInstanceUid, patientId, outcome);
          logger.info(
            {
              event: 'c-store',
              outcome: outcome.kind,
              ...(outcome.kind === 'stored' ? { flags: outcome.flags } : {}),
              sopInstanceUid: result.value.sopInstanceUid,
              studyInstanceUid,
              patientId,
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
      securityAlert({ callingAeTitle: event.callingAeTitle, peerAddress: event.peerAddress, kind: event.kind });
    },

    associationEvent(event: AssociationEvent): void {
      if (event.kind === 'rejected') {
        ledgers.delete(event.associationId);
        return;
      }
      if (event.kind !== 'released' && event.kind !== 'aborted') return;
      const entry = ledgers.get(event.association.associationId);
      if (entry === undefined) return;
      ledgers.delete(event.association.associationId);
      audit.record(entry.ledger.summary(event.kind)).catch((cause: unknown) => {
        logger.error({ event: 'audit-write-failed', associationId: event.association.associationId, err: cause }, 'the association summary could not be recorded');
      });
    },
  };
}
