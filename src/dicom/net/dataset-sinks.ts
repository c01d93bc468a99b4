/**
 * Where the dataset fragments of one incoming DIMSE request go: to the application's
 * {@link IncomingDataset}, or nowhere (a refused request whose dataset still has to be read off the
 * wire before the response, PS3.7 §9.1.1.1).
 */
import { ERROR_CODES, type ErrorCode } from '../../errors/codes.js';
import { type DimseResponseStatus, type IncomingDataset, type NetLogger, statusOfHandlerError } from './handlers.js';

export interface DatasetSink {
  write(fragment: Buffer): void | Promise<void>;
  /** Resolves with the status to answer. Never rejects. */
  end(): DimseResponseStatus | Promise<DimseResponseStatus>;
  /** Never rejects. */
  abort(reason: string): void | Promise<void>;
  /** For a collecting sink: the bytes received. */
  collected?(): Buffer;
}

/**
 * Keeps a small request dataset (an identifier) in memory, up to `maxBytes`; beyond, the rest is
 * read and dropped and the answer is 0xA700 (Out of Resources).
 */
export function collectingSink(maxBytes: number): DatasetSink {
  let parts: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  return {
    write(fragment) {
      if (tooLarge) return;
      bytes += fragment.length;
      if (bytes > maxBytes) {
        tooLarge = true;
        parts = [];
        return;
      }
      parts.push(Buffer.from(fragment));
    },
    end: () => (tooLarge ? { status: 0xa700, errorComment: 'request dataset too large' } : { status: 0 }),
    abort: () => {
      parts = [];
    },
    collected: () => Buffer.concat(parts, bytes),
  };
}

/** Reads and drops a dataset, then answers a fixed status. */
export function discardingSink(status: DimseResponseStatus): DatasetSink {
  return { write: () => undefined, end: () => status, abort: () => undefined };
}

export function mapErrorCode(code: string): number | null {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].dimse : null;
}

/** A status a handler returned, made safe to put on the wire. */
export function sanitizeStatus(value: unknown): DimseResponseStatus {
  if (typeof value === 'object' && value !== null) {
    const v = value as { status?: unknown; errorComment?: unknown };
    if (typeof v.status === 'number' && Number.isInteger(v.status) && v.status >= 0 && v.status <= 0xffff) {
      return typeof v.errorComment === 'string' ? { status: v.status, errorComment: v.errorComment } : { status: v.status };
    }
  }
  return { status: 0xa700, errorComment: 'invalid handler status' };
}

/**
 * Wraps the application's sink: a failed `write` turns the rest of the dataset into a discard and
 * the answer into the failure status (0xA700 unless the error carries one); `abort` is called at
 * most once and only when `end` has not succeeded. Handler errors never escape.
 */
export function handlerSink(incoming: IncomingDataset, logger: NetLogger, associationId: string): DatasetSink {
  let failure: DimseResponseStatus | null = null;
  let finished = false;
  const abortOnce = async (reason: string): Promise<void> => {
    if (finished) return;
    finished = true;
    try {
      await incoming.abort(reason);
    } catch (error) {
      logger.error({ associationId, err: describe(error) }, 'C-STORE handler abort() threw');
    }
  };
  return {
    write(fragment) {
      if (failure !== null) return undefined;
      let pending: Promise<void>;
      try {
        pending = incoming.write(fragment);
      } catch (error) {
        return fail(error);
      }
      return pending.then(undefined, fail);
    },
    async end() {
      if (failure !== null) return failure;
      try {
        const status = sanitizeStatus(await incoming.end());
        finished = true;
        return status;
      } catch (error) {
        await fail(error);
        return failure ?? { status: 0xa700 };
      }
    },
    abort: abortOnce,
  };

  async function fail(error: unknown): Promise<void> {
    failure = statusOfHandlerError(error, mapErrorCode);
    logger.warn({ associationId, status: failure.status, err: describe(error) }, 'C-STORE handler failed; dataset discarded');
    await abortOnce('handler failed');
  }
}

/** An error's name and code for a log line; messages may carry anything, so they are left out. */
export function describe(error: unknown): Record<string, unknown> {
  if (typeof error === 'object' && error !== null) {
    const e = error as { name?: unknown; code?: unknown };
    return { name: typeof e.name === 'string' ? e.name : 'object', code: typeof e.code === 'string' ? e.code : undefined };
  }
  return { name: typeof error };
}
