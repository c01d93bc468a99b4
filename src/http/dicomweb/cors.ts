/**
 * Cross-origin access to DICOMweb for browser viewers (OHIF): only the origins configured in
 * `http.cors.origins` (exact `scheme://host[:port]`), none by default. Preflight `OPTIONS` requests
 * (Fetch standard, CORS protocol) are answered here for allowed origins and refused otherwise. The
 * viewer authenticates with `Authorization: Bearer …`, so credentials (cookies) are never allowed
 * cross-origin: a page of another origin cannot ride on a user's session cookie.
 */
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../problem.js';

const PREFIX = '/dicomweb';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'authorization, accept, content-type';
/** Headers a viewer reads from responses (QIDO Warning 299, part locations). */
const EXPOSED_HEADERS = 'warning, content-location, content-type, content-length';
const PREFLIGHT_MAX_AGE_S = 600;

export function registerDicomwebCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return done();
    const origin = request.headers.origin;
    const permitted = typeof origin === 'string' && allowed.has(origin);
    if (permitted) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (request.method !== 'OPTIONS') return done();
    if (!permitted) {
      void reply.code(403).header('cache-control', 'no-store').type(PROBLEM_CONTENT_TYPE).send({ ...problemOf({ code: 'ACCESS_DENIED', detail: 'origin not allowed' }), status: 403 });
      return;
    }
    void reply
      .code(204)
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
      .send();
  });
}
