import { kakuteiError, type ErrorCode, type KakuteiError } from '../errors/index.js';

/**
 * A failure of the index, thrown through its promise-based API and carrying the code the edge maps
 * to a DIMSE or HTTP status. Messages carry identifiers at most, never patient data.
 */
export class IndexError extends Error {
  readonly kakutei: KakuteiError;

  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'IndexError';
    this.kakutei = kakuteiError(code, detail);
  }
}

/**
 * Failures worth running the whole transaction again for: a concurrent writer inserted the same
 * unique key first (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY), a serialisation
 * failure or deadlock (40001, 40P01), or a busy SQLite file shared with another process.
 */
export function isRetryableConflict(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return false;
  const code = cause.code;
  return (
    code === '23505' ||
    code === '40001' ||
    code === '40P01' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_BUSY'
  );
}
