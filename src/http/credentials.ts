import type { FastifyRequest } from 'fastify';

/**
 * How a request proves its session: `Authorization: Bearer <token>` (API clients) or the session
 * cookie (browsers). A cookie is sent by the browser on its own, so requests authenticated by it
 * must also carry the CSRF token (OWASP CSRF Prevention Cheat Sheet: synchronizer token, plus
 * SameSite=Strict as defence in depth); a bearer token cannot be sent cross-site without script
 * access to it, so it needs none.
 */
export interface Credentials {
  readonly token: string;
  readonly via: 'bearer' | 'cookie';
}

/** Over HTTPS the `__Host-` prefix pins the cookie to this origin, Secure and Path=/ (RFC 6265bis 4.1.3.2). */
export const sessionCookieName = (secure: boolean): string => (secure ? '__Host-kakutei_session' : 'kakutei_session');

export const CSRF_HEADER = 'x-csrf-token';

/** Tokens are base64url (sessions.ts); anything else is not a token and not worth a lookup. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

export function credentialsOf(request: FastifyRequest, secure: boolean): Credentials | null {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    const token = match?.[1];
    // A malformed Authorization header is no credential at all (never fall back to the cookie).
    return token !== undefined && TOKEN.test(token) ? { token, via: 'bearer' } : null;
  }
  const cookie = cookiesOf(request.headers.cookie).get(sessionCookieName(secure));
  return cookie !== undefined && TOKEN.test(cookie) ? { token: cookie, via: 'cookie' } : null;
}

export function cookiesOf(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict, Secure over HTTPS. No
 * Max-Age: it ends with the browser; the server enforces the idle and absolute timeouts itself.
 */
export function sessionCookie(token: string, secure: boolean): string {
  return [`${sessionCookieName(secure)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookie('', secure)}; Max-Age=0`;
}

export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
