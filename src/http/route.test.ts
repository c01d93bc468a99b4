/**
 * Route declarations: an incomplete one, or a route added to Fastify without one, stops the
 * start-up; the OpenAPI document lists every route with its success and problem responses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { AuthServices } from '../auth/index.js';
import { silentLogger } from '../log/logger.js';
import { buildHttpApp, type HttpDependencies } from './app.js';
import { DEFAULT_DICOMWEB_SETTINGS, type DicomwebServices } from './dicomweb/index.js';
import { jsonSchemaOf } from './json-schema.js';
import { NO_PARAMS, NO_QUERY, checkDeclaration, defineRoute, routeKey, type Route } from './route.js';

const unused = (): never => {
  throw new Error('not used in this test');
};

function deps(): HttpDependencies {
  return {
    logger: silentLogger(),
    health: () => Promise.resolve({ status: 'ok', parts: {} }),
    https: null,
    auth: {} as AuthServices,
    audit: { record: unused },
    auditSearch: unused,
    studies: { getStudy: unused },
    dicomweb: { settings: DEFAULT_DICOMWEB_SETTINGS } as unknown as DicomwebServices,
  };
}

const valid = (): Route =>
  defineRoute({
    method: 'GET',
    url: '/api/example',
    summary: 'An example',
    tag: 'test',
    access: 'audit:read',
    audit: { action: 'audit-log-used', writtenBy: 'route' },
    params: NO_PARAMS,
    query: NO_QUERY,
    body: null,
    response: { status: 200, schema: z.object({ ok: z.boolean() }), description: 'ok' },
    errors: [],
    handler: () => Promise.resolve({ ok: true }),
  });

describe('route declarations', () => {
  it('accepts a complete declaration', () => {
    assert.doesNotThrow(() => checkDeclaration(valid()));
  });

  it('refuses an unknown permission, a missing audit reason, a missing schema', () => {
    const broken: Record<string, Partial<Route>> = {
      access: { access: 'study:everything' as Route['access'] },
      audit: { audit: { action: null, reason: '' } },
      action: { audit: { action: 'looked-at' as 'view', writtenBy: 'route' } },
      body: { method: 'POST' },
      response: { response: { status: 200, schema: null, description: 'x' } },
      status: { response: { status: 302, schema: z.object({}), description: 'x' } },
    };
    for (const [what, change] of Object.entries(broken)) {
      assert.throws(() => checkDeclaration({ ...valid(), ...change }), /route /, what);
    }
  });

  it('stops the start-up when a route is added without a declaration', () => {
    const app = buildHttpApp(deps());
    assert.throws(() => app.get('/api/sneaky', () => Promise.resolve('hi')), /not declared with defineRoute/);
  });

  it('serves an OpenAPI 3.1 document naming every route, its permission, audit event and responses', async () => {
    const app = buildHttpApp(deps());
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(response.statusCode, 200);
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; 'x-kakutei-permission': string; security: unknown[] }>> }>();
    assert.equal(document.openapi, '3.1.0');
    assert.ok(app.kakuteiRoutes.length > 30);
    for (const route of app.kakuteiRoutes) {
      const operation = document.paths[route.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      assert.ok(operation, `${routeKey(route)} is documented`);
      assert.ok(operation.responses[String(route.declaration.response.status)], `${routeKey(route)} documents its success`);
      assert.equal(operation['x-kakutei-permission'], route.declaration.access);
      if (route.declaration.access !== 'public') {
        assert.ok(operation.responses['401'] && operation.responses['403'], `${routeKey(route)} documents 401 and 403`);
        assert.ok(operation.security.length > 0);
      }
    }
  });

  it('keeps /healthz answering as before', async () => {
    const app = buildHttpApp({ ...deps(), health: () => Promise.resolve({ status: 'failing', parts: { audit: 'failing' } }) });
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), { status: 'failing', parts: { audit: 'failing' } });
    assert.equal((await app.inject({ method: 'GET', url: '/nowhere' })).headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  it('converts the zod constructs the routes use to JSON Schema', () => {
    const schema = z.object({ a: z.string().min(1).max(3), b: z.number().int().optional(), c: z.enum(['x', 'y']).nullable(), d: z.array(z.boolean()).default([]) }).strict();
    assert.deepEqual(jsonSchemaOf(schema), {
      type: 'object',
      properties: {
        a: { type: 'string', minLength: 1, maxLength: 3 },
        b: { type: 'integer' },
        c: { anyOf: [{ type: 'string', enum: ['x', 'y'] }, { type: 'null' }] },
        d: { type: 'array', items: { type: 'boolean' }, default: [] },
      },
      required: ['a', 'c'],
      additionalProperties: false,
    });
    assert.throws(() => jsonSchemaOf(z.date()), /no JSON Schema/);
  });
});
