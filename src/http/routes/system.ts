import { z } from 'zod';
import type { HealthReport } from '../services.js';
import type { JsonSchema } from '../json-schema.js';
import { NO_PARAMS, NO_QUERY, defineRoute, type Route } from '../route.js';

/** `/healthz` (unchanged in behaviour) and the OpenAPI document. */
export function systemRoutes(health: () => Promise<HealthReport>, document: () => JsonSchema): Route[] {
  const healthz = defineRoute({
    method: 'GET',
    url: '/healthz',
    summary: 'Readiness: 200 when the database, the storage and the audit trail work, 503 naming the failing parts otherwise',
    tag: 'system',
    access: 'public',
    audit: { action: null, reason: 'a probe for load balancers and monitoring: discloses no information and acts on none' },
    params: NO_PARAMS,
    query: NO_QUERY,
    body: null,
    response: {
      status: 200,
      schema: z.object({ status: z.enum(['ok', 'failing']), parts: z.record(z.string(), z.enum(['ok', 'failing'])).optional() }),
      description: 'Ready (the same shape with 503 and `parts` when not)',
    },
    errors: [],
    async handler({ reply }) {
      const report = await health();
      if (report.status === 'ok') return { status: 'ok' as const };
      void reply.code(503);
      return { status: 'failing' as const, parts: { ...report.parts } };
    },
  });
  const openapi = defineRoute({
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This API’s OpenAPI 3.1 document',
    tag: 'system',
    access: 'public',
    audit: { action: null, reason: 'public description of the API itself: no data' },
    params: NO_PARAMS,
    query: NO_QUERY,
    body: null,
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: 'The document' },
    errors: [],
    async handler() {
      return Promise.resolve(document());
    },
  });
  return [healthz, openapi];
}
