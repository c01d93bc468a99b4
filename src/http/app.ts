import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/index.js';

/** What /healthz reports: every part that must be ready before Kakutei accepts work. */
export interface HealthReport {
  readonly status: 'ok' | 'failing';
  readonly parts: Readonly<Record<string, 'ok' | 'failing'>>;
}

export interface HttpDependencies {
  readonly logger: Logger;
  readonly health: () => Promise<HealthReport>;
}

/**
 * Builds the HTTP application (Fastify style: `build` returns the app, only the composition root
 * listens). This issue has only `/healthz`; the REST API, DICOMweb and the UI arrive as plugins
 * behind access control with the identity issue.
 */
export function buildHttpApp(deps: HttpDependencies): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
  });
  app.addHook('onResponse', (request, reply, done) => {
    deps.logger.info({ event: 'http', method: request.method, url: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, remote: request.ip }, 'http request');
    done();
  });

  app.get('/healthz', async (_request, reply) => {
    const report = await deps.health();
    return reply
      .code(report.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(report.status === 'ok' ? { status: 'ok' } : { status: 'failing', parts: report.parts });
  });

  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).type('application/problem+json').send({ type: 'about:blank', title: 'Not Found', status: 404 });
  });
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    void reply.code(status).type('application/problem+json').send({ type: 'about:blank', title: status >= 500 ? 'Internal Server Error' : 'Bad Request', status });
  });
  return app;
}
