import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { jsonSchemaOf, type JsonSchema } from './json-schema.js';
import type { Route } from './route.js';

/**
 * The OpenAPI 3.1 document, generated from the route declarations (issue 3 item 2: every route
 * and response documented). Problems share one schema; each route lists the codes it may answer.
 */
export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Kakutei', version, description: 'Image inspection and record-finalization server: REST API. Errors are RFC 9457 problem details.' },
    paths,
    components: {
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { anyOf: [{ type: 'string', enum: Object.keys(ERROR_CODES) }, { type: 'null' }] },
            detail: { type: 'string', description: 'For operators; never patient data' },
          },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token returned by POST /api/session' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'kakutei_session', description: 'Browsers; unsafe methods also need the X-CSRF-Token header (`__Host-kakutei_session` over HTTPS)' },
      },
    },
  };
}

function operationOf(route: Route): Record<string, unknown> {
  const parameters = [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')];
  const authenticated = route.access !== 'public';
  const codes = new Set<ErrorCode>(route.errors);
  if (parameters.length > 0 || route.body !== null) codes.add('INVALID_REQUEST');
  if (authenticated) for (const code of ['AUTH_FAILED', 'SESSION_EXPIRED', 'ACCESS_DENIED', 'CSRF_INVALID', 'PASSWORD_CHANGE_REQUIRED', 'SECOND_FACTOR_REQUIRED'] as const) codes.add(code);
  if (route.audit.action !== null || authenticated) codes.add('AUDIT_UNAVAILABLE');
  if (route.study !== undefined) codes.add('NOT_FOUND');
  const responses: Record<string, unknown> = {
    [String(route.response.status)]:
      route.response.schema === null
        ? { description: route.response.description }
        : { description: route.response.description, content: { 'application/json': { schema: jsonSchemaOf(route.response.schema) } } },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].http, [...(byStatus.get(ERROR_CODES[code].http) ?? []), code]);
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: list.map((code) => `${code}: ${ERROR_CODES[code].message}`).join('; '),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: operationIdOf(route),
    summary: route.summary,
    tags: [route.tag],
    security: authenticated ? [{ bearer: [] }, { cookie: [] }] : [],
    'x-kakutei-permission': route.access,
    'x-kakutei-audit': route.audit.action === null ? { action: null, reason: route.audit.reason } : { action: route.audit.action },
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body === null ? {} : { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body) } } } }),
    responses,
  };
}

function parametersOf(schema: z.ZodTypeAny, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!(schema instanceof z.ZodObject)) throw new Error('params and query schemas must be zod objects');
  return Object.entries(schema.shape as Record<string, z.ZodTypeAny>).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !field.isOptional(),
    schema: jsonSchemaOf(field),
  }));
}

function operationIdOf(route: Route): string {
  const words = route.url
    .split('/')
    .filter((part) => part !== '' && part !== 'api')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part));
  return [route.method.toLowerCase(), ...words].join('-').replace(/-([a-z])/gi, (_m, c: string) => c.toUpperCase());
}
