import type { FastifyReply } from 'fastify';
import { ERROR_CODES, type ErrorCode, type KakuteiError, type Result } from '../errors/index.js';

/**
 * RFC 9457 problem details (`application/problem+json`) from the one table of error codes. The
 * `detail` is for operators and never carries patient data: services write their details that way.
 */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode | null;
  readonly detail?: string;
}

/**
 * The same answer for a study that does not exist and for a restricted one the caller may not see
 * (issue 3 item 8, IDOR): same status, same body. The study service uses the same words.
 */
export const STUDY_NOT_FOUND_DETAIL = 'no such study';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A stable identifier per code, anchored in docs/ERRORS (the code itself is the anchor). */
export const problemTypeOf = (code: ErrorCode): string => `urn:kakutei:error:${code}`;

export function problemOf(error: KakuteiError): ProblemBody {
  const entry = ERROR_CODES[error.code];
  const base = { type: problemTypeOf(error.code), title: entry.message, status: entry.http, code: error.code };
  return error.detail === undefined ? base : { ...base, detail: error.detail };
}

/** A failure on its way to the edge: thrown inside handlers, answered as a problem. */
export class HttpProblem extends Error {
  constructor(readonly error: KakuteiError) {
    super(error.code);
    this.name = 'HttpProblem';
  }
}

export function fail(code: ErrorCode, detail?: string): never {
  throw new HttpProblem(detail === undefined ? { code } : { code, detail });
}

/** The value of a service result, or the problem it failed with. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new HttpProblem(result.error);
  return result.value;
}

export async function sendProblem(reply: FastifyReply, body: ProblemBody): Promise<FastifyReply> {
  if (body.status === 401) void reply.header('www-authenticate', 'Bearer realm="kakutei"');
  return reply.code(body.status).header('cache-control', 'no-store').type(PROBLEM_CONTENT_TYPE).send(body);
}
