import type { AuditEventInput, AuditObject } from '../audit/index.js';
import type { DecodedIdentifier, IdentifierRecord } from '../dicom/dataset/identifier-codec.js';
import { IDENTIFIER_KEYS_BY_TAG } from '../dicom/dataset/identifier-codec.js';
import type {
  AssociationInfo,
  CommitmentResult,
  DatasetSource,
  DimseResponseStatus,
  FindResult,
  InstanceToSend,
  QueryRequest,
  RemoteAe,
  RetrieveHandlers,
  StorageCommitmentHandlers,
} from '../dicom/net/index.js';
import { dimseStatusOf } from '../errors/index.js';
import { transcodeStoredObject, type DecodePool } from '../imaging/index.js';
import type { Database, StoredInstanceLocation } from '../index/index.js';
import { findInstancesToRetrieve, findStoredInstances, runQuery } from '../index/index.js';
import type { Logger } from '../log/index.js';
import type { AccessScope, Identifier, IdentifierElement, ResponseElement } from '../query/index.js';
import { parseCFindIdentifier, toIdentifierElements } from '../query/index.js';
import type { ObjectKey, ObjectStore } from '../storage/index.js';
import type { DicomService } from './dicom-access.js';

/** PS3.7 C.4.2: Refused — out of resources, unable to calculate number of matches. */
const STATUS_UNABLE_TO_CALCULATE = 0xa701;
/** PS3.4 J.3.2.2: failure reasons of Storage Commitment. */
const NO_SUCH_OBJECT_INSTANCE = 0x0112;

/** DICOM peers hold no per-study grants: restricted studies stay invisible to them. */
const PEER_SCOPE: AccessScope = { restricted: 'none', userId: null, unfinalized: true, breakGlass: false };

export interface QueryRetrieveDependencies {
  readonly database: Database;
  readonly store: ObjectStore;
  readonly peers: { find(aeTitle: string): Promise<{ readonly aeTitle: string; readonly host: string | null; readonly port: number | null } | null> };
  readonly audit: { record(event: AuditEventInput): Promise<unknown> };
  readonly logger: Logger;
  /** A failure status when the association's peer may not use the service; null when it may. */
  readonly refuse: (association: AssociationInfo, service: DicomService) => DimseResponseStatus | null;
  readonly maxMatches: number;
  /**
   * Lossless decoding to Explicit VR Little Endian for a peer that does not accept the stored
   * transfer syntax (issue 4 item 3); absent: such a sub-operation fails.
   */
  readonly transcoding?: { readonly decodePool: DecodePool; readonly maxInflatedBytes: number };
}

/**
 * C-FIND, C-MOVE, C-GET and Storage Commitment over the one query model and the object store.
 * Every request leaves an audit event before anything is disclosed; identifiers only.
 */
export function createQueryRetrieveHandlers(deps: QueryRetrieveDependencies): {
  find(association: AssociationInfo, request: QueryRequest): FindResult;
  retrieve: RetrieveHandlers;
  storageCommitment: StorageCommitmentHandlers;
} {
  const { database, store, audit, logger } = deps;
  const actorOf = (association: AssociationInfo) => ({ kind: 'peer', aeTitle: association.callingAeTitle, peerName: null }) as const;
  const sourceOf = (association: AssociationInfo) => ({ address: association.peerAddress, userAgent: null });

  // Where each instance handed to the DIMSE layer is stored, for `transcode` (per handler set).
  const objectKeys = new WeakMap<InstanceToSend, ObjectKey>();
  const transcoding = deps.transcoding;
  const transcode = async (instance: InstanceToSend, targetTransferSyntaxUid: string): Promise<DatasetSource | null> => {
    const key = objectKeys.get(instance);
    if (transcoding === undefined || key === undefined) return null;
    const converted = await transcodeStoredObject(store, transcoding.decodePool, key, targetTransferSyntaxUid, { maxInflatedBytes: transcoding.maxInflatedBytes });
    if (converted.ok) return converted.value;
    logger.warn(
      { event: 'transcode-refused', sopInstanceUid: instance.sopInstanceUid, transferSyntaxUid: instance.transferSyntaxUid, code: converted.error.code, detail: converted.error.detail },
      'cannot send the instance in a transfer syntax the peer accepts',
    );
    return null;
  };

  const remoteAe = async (aeTitle: string): Promise<RemoteAe | null> => {
    const peer = await deps.peers.find(aeTitle);
    if (peer === null || peer.host === null || peer.port === null) return null;
    return { aeTitle: peer.aeTitle, host: peer.host, port: peer.port };
  };

  return {
    find(association, request): FindResult {
      const refused = deps.refuse(association, 'query');
      if (refused !== null) return refused;
      const parsed = parseCFindIdentifier(toQueryIdentifier(request.identifier), { root: request.queryModel === 'patient-root' ? 'patient' : 'study' });
      if (!parsed.ok) return { status: dimseStatusOf(parsed.error.code), errorComment: parsed.error.code };
      const query = parsed.value;
      // Matches are fetched, audited, then disclosed: nothing is sent before its audit event is written.
      return (async function* (): AsyncGenerator<IdentifierRecord, DimseResponseStatus | undefined> {
        const page = await runQuery(database, query, PEER_SCOPE, { maxMatches: deps.maxMatches });
        if (!page.ok) return { status: dimseStatusOf(page.error.code), errorComment: page.error.code };
        try {
          await audit.record({
            action: 'query',
            outcome: 0,
            actor: actorOf(association),
            source: sourceOf(association),
            objects: studiesOf(page.value.matches),
            breakGlass: false,
            detail: { via: 'dimse', model: request.queryModel, level: request.queryRetrieveLevel, matches: page.value.matches.length, truncated: page.value.truncatedByServerLimit },
          });
        } catch {
          return { status: dimseStatusOf('AUDIT_UNAVAILABLE'), errorComment: 'AUDIT_UNAVAILABLE' };
        }
        for (const match of page.value.matches) yield { ...toIdentifierRecord(toIdentifierElements(match.attributes)), QueryRetrieveLevel: request.queryRetrieveLevel };
        // PS3.4 C.4.1.3.1.1: more matches than we return — A700, the requester narrows the query.
        return page.value.truncatedByServerLimit ? { status: 0xa700, errorComment: 'too many matches: narrow the query' } : undefined;
      })();
    },

    retrieve: {
      async resolve(association, request): Promise<readonly InstanceToSend[] | DimseResponseStatus> {
        const refused = deps.refuse(association, 'retrieve');
        if (refused !== null) return refused;
        const keys = retrieveKeysOf(request.identifier);
        if (keys === null) return { status: 0xa900, errorComment: 'no unique key to retrieve' };
        let located: StoredInstanceLocation[];
        try {
          located = await findInstancesToRetrieve(database, keys);
        } catch (cause) {
          logger.error({ event: 'retrieve-failed', err: cause }, 'cannot list instances to retrieve');
          return { status: STATUS_UNABLE_TO_CALCULATE };
        }
        try {
          await audit.record({
            action: 'retrieve',
            outcome: 0,
            actor: actorOf(association),
            source: sourceOf(association),
            objects: studiesOf(located),
            breakGlass: false,
            detail: { via: 'dimse', kind: request.kind, level: request.queryRetrieveLevel, instances: located.length },
          });
        } catch {
          return { status: STATUS_UNABLE_TO_CALCULATE, errorComment: 'AUDIT_UNAVAILABLE' };
        }
        return located.map((location) => {
          const instance: InstanceToSend = {
            sopClassUid: location.sopClassUid,
            sopInstanceUid: location.sopInstanceUid,
            transferSyntaxUid: location.transferSyntaxUid,
            // The stored dataset exactly as received: after our preamble and file meta group.
            open: () => store.getRange(location.objectKey as ObjectKey, location.fileBytes - location.datasetBytes, location.fileBytes),
          };
          objectKeys.set(instance, location.objectKey as ObjectKey);
          return instance;
        });
      },
      ...(transcoding === undefined ? {} : { transcode }),
      // Only configured AEs: a destination is never derived from the requester's address.
      moveDestination: (_association, aeTitle) => remoteAe(aeTitle),
    },

    storageCommitment: {
      async commit(association, request): Promise<CommitmentResult> {
        const refused = deps.refuse(association, 'commit');
        if (refused !== null) return { committed: [], failed: request.references.map((reference) => ({ ...reference, reason: 0x0110 })) };
        const stored = new Map((await findStoredInstances(database, request.references.map((reference) => reference.sopInstanceUid))).map((location) => [location.sopInstanceUid, location]));
        const committed: CommitmentResult['committed'][number][] = [];
        const failed: CommitmentResult['failed'][number][] = [];
        for (const reference of request.references) {
          const location = stored.get(reference.sopInstanceUid);
          // Confirm only what is indexed (committed durably) and whose file is there.
          const present = location !== undefined && location.sopClassUid === reference.sopClassUid && (await store.stat(location.objectKey as ObjectKey)) !== null;
          if (present) committed.push(reference);
          else failed.push({ ...reference, reason: NO_SUCH_OBJECT_INSTANCE });
        }
        logger.info({ event: 'storage-commitment', callingAeTitle: association.callingAeTitle, transactionUid: request.transactionUid, committed: committed.length, failed: failed.length }, 'storage commitment');
        return { committed, failed };
      },
      reportDestination: (association) => remoteAe(association.callingAeTitle),
      // Modalities (and Orthanc) often release right after N-ACTION: report on a new association.
      preferSameAssociation: false,
    },
  };
}

/** The network layer's decoded identifier, in the query model's input form (keys by tag). */
function toQueryIdentifier(identifier: DecodedIdentifier): Identifier {
  const map = new Map<string, IdentifierElement>();
  for (const [tag, element] of identifier.elements) {
    map.set(tag.toString(16).toUpperCase().padStart(8, '0'), {
      vr: element.vr,
      value: element.values.length === 0 ? null : element.values.join('\\'),
      ...(element.items.length === 0 ? {} : { items: element.items.map((item) => toQueryIdentifier(item)) }),
    });
  }
  return map;
}

/** The query model's response elements, in the network layer's form (keys by keyword). */
function toIdentifierRecord(elements: readonly ResponseElement[]): IdentifierRecord {
  const record: Record<string, IdentifierRecord[keyof IdentifierRecord]> = {};
  for (const element of elements) {
    const key = IDENTIFIER_KEYS_BY_TAG.get(Number.parseInt(element.tag, 16));
    if (key === undefined) continue;
    record[key.keyword] = element.items !== undefined ? element.items.map((item) => toIdentifierRecord(item)) : element.value;
  }
  return record;
}

function retrieveKeysOf(identifier: DecodedIdentifier): { patientId: string | null; studyInstanceUids: string[]; seriesInstanceUids: string[]; sopInstanceUids: string[] } | null {
  const values = (tag: number): string[] => (identifier.elements.get(tag)?.values ?? []).filter((value) => value.length > 0);
  const keys = {
    patientId: values(0x00100020)[0] ?? null,
    studyInstanceUids: values(0x0020000d),
    seriesInstanceUids: values(0x0020000e),
    sopInstanceUids: values(0x00080018),
  };
  if (keys.patientId === null && keys.studyInstanceUids.length === 0 && keys.seriesInstanceUids.length === 0 && keys.sopInstanceUids.length === 0) return null;
  return keys;
}

/** One audit object per study touched (counts inside), at most 1000 per event. */
function studiesOf(items: readonly { readonly patientId: string | null; readonly studyInstanceUid: string | null }[]): AuditObject[] {
  const byStudy = new Map<string, { patientId: string | null; count: number }>();
  for (const item of items) {
    if (item.studyInstanceUid === null) continue;
    const entry = byStudy.get(item.studyInstanceUid) ?? { patientId: item.patientId, count: 0 };
    entry.count++;
    byStudy.set(item.studyInstanceUid, entry);
  }
  return [...byStudy].slice(0, 1000).map(([studyInstanceUid, entry]) => ({ patientId: entry.patientId, studyInstanceUid, instanceCount: entry.count }));
}
