/**
 * The shared first step of C-FIND, C-MOVE and C-GET: the identifier decoded and its Query/Retrieve
 * Level checked against the information model (PS3.4 C.4.1.1.3.1, C.6.1.1.1, C.6.2.1.1).
 */
import { decodeIdentifier, isIdentifierTransferSyntax } from '../dataset/identifier-codec.js';
import type { DimseCommand } from './dimse-command.js';
import { DimseStatus } from './dimse-messages.js';
import { queryModelOf } from './dimse-qr-messages.js';
import type { DimseResponseStatus } from './handlers.js';
import type { QueryRequest, QueryRetrieveLevel } from './query-handlers.js';

const LEVELS: ReadonlySet<string> = new Set(['PATIENT', 'STUDY', 'SERIES', 'IMAGE']);
const QUERY_RETRIEVE_LEVEL = 0x00080052;

export function parseQueryRequest(command: DimseCommand, sopClassUid: string, transferSyntaxUid: string, identifierBytes: Uint8Array): QueryRequest | DimseResponseStatus {
  const queryModel = queryModelOf(sopClassUid);
  // PS3.4 C.4.1.1.4: the SOP class of the command must be one we serve on this context.
  if (queryModel === null || command.affectedSopClassUid !== sopClassUid) return { status: DimseStatus.SopClassNotSupported, errorComment: 'SOP class differs from the presentation context' };
  if (!isIdentifierTransferSyntax(transferSyntaxUid)) return { status: DimseStatus.CannotUnderstand, errorComment: 'identifier transfer syntax not supported' };
  const decoded = decodeIdentifier(identifierBytes, transferSyntaxUid);
  if (!decoded.ok) return { status: DimseStatus.CannotUnderstand, errorComment: 'identifier cannot be parsed' };
  const level = decoded.identifier.elements.get(QUERY_RETRIEVE_LEVEL)?.values;
  const value = level?.length === 1 ? level[0]! : '';
  // PS3.4 C.4.1.1.4 / C.4.2.1.5: A900 Identifier does not match SOP Class.
  if (!LEVELS.has(value) || (queryModel === 'study-root' && value === 'PATIENT')) {
    return { status: DimseStatus.DatasetDoesNotMatchSopClass, errorComment: 'invalid Query/Retrieve Level' };
  }
  return {
    sopClassUid,
    queryModel,
    queryRetrieveLevel: value as QueryRetrieveLevel,
    messageId: command.messageId ?? 0,
    priority: command.priority ?? 0,
    identifier: decoded.identifier,
    transferSyntaxUid,
  };
}

export function isQueryRequest(value: QueryRequest | DimseResponseStatus): value is QueryRequest {
  return 'identifier' in value;
}
