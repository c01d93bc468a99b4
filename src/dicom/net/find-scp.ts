/**
 * C-FIND SCP (PS3.4 C.4.1, PS3.7 §9.1.2): one pending response (0xFF00) per match, pulled from the
 * handler's async iterable only once the previous response has left (the socket drained), then a
 * final response. A C-CANCEL stops the iteration (its `return()` is called) and is answered 0xFE00.
 */
import { type IdentifierRecord, encodeIdentifier } from '../dataset/identifier-codec.js';
import { describe, mapErrorCode, sanitizeStatus } from './dataset-sinks.js';
import { DimseStatus } from './dimse-messages.js';
import { encodeFindRsp } from './dimse-qr-messages.js';
import { type DimseResponseStatus, statusOfHandlerError } from './handlers.js';
import type { FinalResponse, OperationChannel } from './operation-channel.js';
import type { DimseApplicationHandlers, FindResult } from './query-handlers.js';
import { isQueryRequest, parseQueryRequest } from './query-request.js';

export async function runFind(channel: OperationChannel, handlers: DimseApplicationHandlers, identifierBytes: Uint8Array): Promise<FinalResponse> {
  const { request: command, link } = channel;
  const final = (s: DimseResponseStatus): FinalResponse => ({ command: encodeFindRsp(command, s.status, false, s.errorComment) });
  const context = link.accepted.get(channel.contextId)!;
  if (handlers.find === undefined) return final({ status: DimseStatus.SopClassNotSupported });
  const request = parseQueryRequest(command, context.abstractSyntaxUid, context.transferSyntaxUid, identifierBytes);
  if (!isQueryRequest(request)) return final(request);
  const log = { associationId: link.association.associationId, messageId: channel.messageId, level: request.queryRetrieveLevel };
  let result: FindResult;
  try {
    result = await handlers.find(link.association, request);
  } catch (error) {
    link.logger.warn({ ...log, err: describe(error) }, 'C-FIND handler failed');
    return final(statusOfHandlerError(error, mapErrorCode));
  }
  if (!isAsyncIterable(result)) return final(sanitizeStatus(result));
  const iterator = result[Symbol.asyncIterator]();
  let matches = 0;
  try {
    for (;;) {
      if (channel.cancelled !== null) break;
      // A slow handler must not delay the answer to a C-CANCEL (nor hold a closed association).
      const next = await Promise.race([iterator.next(), channel.whenCancelled().then(() => null)]);
      if (next === null) {
        void closeIterator(iterator);
        return cancelled();
      }
      if (next.done === true) {
        const status = next.value === undefined ? { status: DimseStatus.Success } : sanitizeStatus(next.value);
        link.logger.info({ ...log, matches, status: status.status }, 'C-FIND done');
        return final(status);
      }
      if (channel.cancelled !== null) break;
      const identifier = encodeOrNull(next.value, request.transferSyntaxUid);
      if (identifier === null) {
        link.logger.error({ ...log }, 'C-FIND handler yielded an identifier that cannot be encoded');
        await closeIterator(iterator);
        return final({ status: DimseStatus.OutOfResources, errorComment: 'response identifier cannot be encoded' });
      }
      matches++;
      if (!(await channel.send(channel.contextId, encodeFindRsp(command, DimseStatus.Pending, true), identifier))) break;
      // Let the socket's input be read between responses: a handler whose matches resolve in
      // microtasks would otherwise starve I/O and the C-CANCEL would never be seen.
      await yieldToIo();
    }
  } catch (error) {
    link.logger.warn({ ...log, err: describe(error) }, 'C-FIND handler failed while iterating');
    return final(statusOfHandlerError(error, mapErrorCode));
  }
  await closeIterator(iterator);
  return cancelled();

  function cancelled(): FinalResponse {
    link.logger.info({ ...log, matches, cancelled: channel.cancelled }, 'C-FIND cancelled');
    // PS3.4 C.4.1.1.4: Cancel, matching terminated due to Cancel request.
    return final({ status: DimseStatus.Cancel });
  }
}

function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function encodeOrNull(record: IdentifierRecord, transferSyntaxUid: string): Buffer | null {
  try {
    return encodeIdentifier(record, transferSyntaxUid);
  } catch {
    return null;
  }
}

async function closeIterator(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The handler's cleanup failed; nothing the peer needs to know.
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<IdentifierRecord, DimseResponseStatus | undefined | void> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
