import { kakuteiError, type KakuteiError } from '../errors/index.js';

/**
 * A storage failure, thrown through the promise-based `ObjectStore` seam and carrying the code the
 * edge maps to a DIMSE or HTTP status. `detail` names the operation and the errno code, never a path
 * built from attribute text (there is none) nor any patient data.
 */
export class StorageError extends Error {
  readonly kakutei: KakuteiError;

  constructor(kakutei: KakuteiError, options?: { cause?: unknown }) {
    super(kakutei.detail === undefined ? kakutei.code : `${kakutei.code}: ${kakutei.detail}`, options);
    this.name = 'StorageError';
    this.kakutei = kakutei;
  }
}

/** Disk full and quota exhaustion are `STORAGE_FULL` (the sender may retry later); all else is `STORAGE_IO`. */
export function storageErrorFrom(operation: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const errno = errnoCodeOf(cause);
  const code = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'STORAGE_FULL' : 'STORAGE_IO';
  return new StorageError(kakuteiError(code, `${operation} failed${errno === null ? '' : ` (${errno})`}`), { cause });
}

export function errnoCodeOf(cause: unknown): string | null {
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return null;
}
