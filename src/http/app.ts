import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/index.js';
import { openApiDocument } from './openapi.js';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem.js';
import { dicomwebRoutes, registerDicomwebHttp } from './dicomweb/index.js';
import { registerRoutes } from './register.js';
import { routeKey, type Route } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { breakGlassRoutes } from './routes/break-glass.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { peerRoutes } from './routes/peers.js';
import { sessionRoutes } from './routes/session.js';
import { studyRoutes } from './routes/studies.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import type { HealthReport, HttpServices } from './services.js';

export type { HealthReport } from './services.js';

/** PEM certificate chain and key for HTTPS (config `http.tls`). */
export interface HttpsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface HttpDependencies extends HttpServices {
  readonly logger: Logger;
  readonly health: () => Promise<HealthReport>;
  /** null: plain HTTP. Otherwise HTTPS with TLS 1.2 or later, and Secure session cookies. */
  readonly https: HttpsMaterial | null;
  /** Reported in the OpenAPI document. */
  readonly version?: string;
}

/** A registered route as Fastify saw it (collected by `onRoute`), with its declaration. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly declaration: Route;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, in order (issue 3: the access-matrix test enumerates them). */
    readonly kakuteiRoutes: readonly RegisteredRoute[];
  }
}

/**
 * Builds the HTTP application (Fastify style: `build` returns the app, only the composition root
 * listens). Every route is declared with `defineRoute` and passes the one policy engine; a route
 * added any other way stops the start-up (`onRoute`).
 */
export function buildHttpApp(deps: HttpDependencies): FastifyInstance {
  const secure = deps.https !== null;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    exposeHeadRoutes: false,
    // WADO-RS frame lists (`frames/1,2,…`) and bulk data tag paths are long path parameters; their
    // schemas bound them (the default 100 would answer a bare 414 before any route runs).
    routerOptions: { maxParamLength: 8192 },
    // TLS 1.2 at least (issue 3 item 2; BSI TR-02102-2, NIST SP 800-52r2).
    ...(deps.https === null ? {} : { https: { cert: deps.https.cert, key: deps.https.key, minVersion: 'TLSv1.2' as const } }),
  }) as unknown as FastifyInstance;

  const registered: RegisteredRoute[] = [];
  app.decorate('kakuteiRoutes', registered);
  app.addHook('onRoute', (options) => {
    const declaration = (options.config as { kakutei?: Route } | undefined)?.kakutei;
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    if (declaration === undefined) throw new Error(`route ${methods.join(',')} ${options.url} is not declared with defineRoute (permission, audit, schemas)`);
    for (const method of methods) registered.push({ method, url: options.url, declaration });
  });
  app.addHook('onResponse', (request, reply, done) => {
    deps.logger.info({ event: 'http', method: request.method, url: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, remote: request.ip }, 'http request');
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (secure) void reply.header('strict-transport-security', 'max-age=31536000');
    done(null, payload);
  });

  const routes: Route[] = [...sessionRoutes, ...userRoutes, ...peerRoutes, ...auditRoutes, ...breakGlassRoutes, ...maintenanceRoutes, ...studyRoutes, ...dicomwebRoutes];
  let document: Record<string, unknown> | null = null;
  routes.push(...systemRoutes(deps.health, () => (document ??= openApiDocument(routes, deps.version ?? '0.0.0'))));
  const keys = new Set<string>();
  for (const route of routes) {
    if (keys.has(routeKey(route))) throw new Error(`route ${routeKey(route)} declared twice`);
    keys.add(routeKey(route));
  }
  const services: HttpServices = { auth: deps.auth, audit: deps.audit, auditSearch: deps.auditSearch, studies: deps.studies, dicomweb: deps.dicomweb };
  registerDicomwebHttp(app, { corsOrigins: deps.dicomweb.settings.corsOrigins });
  registerRoutes(app, routes, { services, logger: deps.logger, secure });

  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problemOf({ code: 'NOT_FOUND' }));
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.logger.error({ event: 'http-error', url: request.routeOptions.url ?? 'unmatched', err: error }, 'request failed');
    // Body parsing and size limits fail here, before a route runs: no detail beyond the status.
    const body =
      status === 413
        ? problemOf({ code: 'DATASET_TOO_LARGE' })
        : status === 415
          ? problemOf({ code: 'MEDIA_TYPE_UNSUPPORTED' })
          : status < 500
            ? problemOf({ code: 'INVALID_REQUEST' })
            : { type: 'about:blank', title: 'Internal Server Error', status, code: null };
    void reply.code(status === 413 || status === 415 ? status : status < 500 ? 400 : 500).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  return app;
}
