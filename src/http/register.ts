import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError, type z } from 'zod';
import type { AuditEventInput, AuditObject, AuditSource } from '../audit/events.js';
import { auditActorOf, decide, errorCodeOfDenial, type AuthenticatedSession, type Decision, type DenyReason, type Permission, type StudyResource, type UserSubject } from '../auth/index.js';
import type { Logger } from '../log/index.js';
import { CSRF_HEADER, UNSAFE_METHODS, credentialsOf, type Credentials } from './credentials.js';
import { HttpProblem, STUDY_NOT_FOUND_DETAIL, fail, problemOf, sendProblem, unwrap } from './problem.js';
import { checkDeclaration, routeKey, type Route, type RouteContext } from './route.js';
import type { HttpServices } from './services.js';

export interface RegisterOptions {
  readonly services: HttpServices;
  readonly logger: Logger;
  /** Served over HTTPS: session cookies are Secure. */
  readonly secure: boolean;
}

const MAX_USER_AGENT = 256;

/** Adds each declared route to the app; an incomplete declaration throws here, at start-up. */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[], options: RegisterOptions): void {
  for (const route of routes) {
    checkDeclaration(route);
    app.route({
      method: route.method,
      url: route.url,
      config: { kakutei: route },
      handler: (request, reply) => handle(route, request, reply, options),
    });
  }
}

function sourceOf(request: FastifyRequest): AuditSource {
  const agent = request.headers['user-agent'];
  return { address: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, MAX_USER_AGENT) : null };
}

const permissionOf = (route: Route): Permission | null => (route.access === 'public' ? null : route.access === 'authenticated' ? 'session:own' : route.access);

/**
 * One request through the one policy: authenticate, CSRF for cookies on unsafe methods, `decide`
 * on the route's permission (then again with the study, when the route names one), the
 * maintenance log, the handler, the access event, the response. Every denial of an identified
 * caller is itself recorded (`security-alert`, PS3.15 A.5.3.11 "Use of Restricted Function"); a
 * denial or access that cannot be recorded is answered 503 AUDIT_UNAVAILABLE instead.
 */
async function handle(route: Route, request: FastifyRequest, reply: FastifyReply, options: RegisterOptions): Promise<FastifyReply> {
  const { services, logger, secure } = options;
  const source = sourceOf(request);
  let session: AuthenticatedSession | null = null;
  let denialRecorded = false;

  const recordDenial = async (reason: DenyReason | 'csrf' | 'service', study: StudyResource | null = null): Promise<void> => {
    if (session === null) return;
    denialRecorded = true;
    const objects: AuditObject[] = study === null ? [] : [{ patientId: null, studyInstanceUid: study.studyInstanceUid }];
    await services.audit.record({
      action: 'security-alert',
      outcome: 4,
      actor: auditActorOf(session.subject),
      source,
      objects,
      breakGlass: session.subject.breakGlass !== null,
      detail: { operation: 'access-denied', route: routeKey(route), permission: permissionOf(route), reason },
    });
  };

  try {
    let credentials: Credentials | null = null;
    let decision: Decision = { allow: true, breakGlass: false, maintenanceSessionId: null };
    const permission = permissionOf(route);
    if (permission !== null) {
      credentials = credentialsOf(request, secure);
      if (credentials === null) fail('AUTH_FAILED', 'credentials required');
      session = unwrap(await services.auth.sessions.authenticate(credentials.token, source));
      if (credentials.via === 'cookie' && UNSAFE_METHODS.has(route.method)) {
        const header = request.headers[CSRF_HEADER];
        const csrf = services.auth.sessions.verifyCsrf(session, typeof header === 'string' ? header : undefined);
        if (!csrf.ok) {
          await recordDenial('csrf');
          throw new HttpProblem(csrf.error);
        }
      }
      decision = decide(session.subject, permission);
      if (!decision.allow) {
        await recordDenial(decision.reason);
        fail(errorCodeOfDenial(decision.reason));
      }
    }

    const params: unknown = parseInput(route.params, request.params ?? {}, 'path');
    const query: unknown = parseInput(route.query, request.query ?? {}, 'query');
    const body: unknown = route.body === null ? undefined : parseInput(route.body, request.body ?? {}, 'body');

    if (route.study !== undefined && session !== null && permission !== null) {
      const study = await route.study(params, services);
      if (study === null) fail('NOT_FOUND', STUDY_NOT_FOUND_DETAIL);
      decision = decide(session.subject, permission, study);
      if (!decision.allow) {
        await recordDenial(decision.reason, study);
        const code = errorCodeOfDenial(decision.reason);
        fail(code, code === 'NOT_FOUND' ? STUDY_NOT_FOUND_DETAIL : undefined);
      }
    }
    const allowed = decision;
    // Inside a maintenance session every action goes to the maintenance log first (appendix 1
    // §4 ⑯): an action that cannot be logged is not done.
    if (session !== null && allowed.allow && allowed.maintenanceSessionId !== null) {
      unwrap(await services.auth.maintenance.recordAction(session.subject, { action: routeKey(route), detail: null, source }));
    }

    let recorded = false;
    const current = session;
    const context: RouteContext<unknown, unknown, unknown> = {
      params,
      query,
      body,
      session: current,
      token: credentials?.token ?? null,
      source,
      services,
      reply,
      secure,
      user: () => subjectOf(current, route),
      acting: () => ({ actor: subjectOf(current, route), source }),
      recordAccess: async (extra = {}) => {
        if (route.audit.action === null || !('writtenBy' in route.audit) || route.audit.writtenBy !== 'route') {
          throw new Error(`route ${routeKey(route)} declares no access event`);
        }
        if (current === null) throw new Error(`route ${routeKey(route)} records an access without a session`);
        const event: AuditEventInput = {
          action: route.audit.action,
          outcome: 0,
          actor: auditActorOf(current.subject),
          source,
          objects: extra.objects ?? [],
          breakGlass: allowed.allow && allowed.breakGlass,
          maintenanceSessionId: allowed.allow ? allowed.maintenanceSessionId : null,
          ...(extra.detail === undefined ? {} : { detail: extra.detail }),
        };
        await services.audit.record(event);
        recorded = true;
      },
    };
    const result = await route.handler(context);
    if (route.audit.action !== null && 'writtenBy' in route.audit && route.audit.writtenBy === 'route' && !recorded) await context.recordAccess();
    const schema: z.ZodTypeAny | null = route.response.schema;
    if (reply.statusCode === 200) void reply.code(route.response.status);
    void reply.header('cache-control', 'no-store');
    return route.response.status === 204 || schema === null ? reply.send() : reply.send(schema.parse(result));
  } catch (cause) {
    if (cause instanceof HttpProblem) {
      try {
        // A service refused (its own policy check, or a rule such as "not your own review").
        if (cause.error.code === 'ACCESS_DENIED' && !denialRecorded) await recordDenial('service');
      } catch (auditCause) {
        return sendAuditUnavailable(reply, logger, route, auditCause);
      }
      return sendProblem(reply, problemOf(cause.error));
    }
    if (isAuditUnavailable(cause)) return sendAuditUnavailable(reply, logger, route, cause);
    logger.error({ event: 'http-error', route: routeKey(route), err: cause }, 'request failed');
    return reply.code(500).header('cache-control', 'no-store').type('application/problem+json').send({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: null });
  }
}

function subjectOf(session: AuthenticatedSession | null, route: Route): UserSubject {
  if (session === null) throw new Error(`route ${routeKey(route)} has no session`);
  return session.subject;
}

function parseInput(schema: z.ZodTypeAny, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  try {
    return schema.parse(value);
  } catch (cause) {
    if (cause instanceof ZodError) {
      // Names the fields, never their values (which could be patient data).
      const fields = [...new Set(cause.issues.map((issue) => issue.path.join('.') || where))].slice(0, 10);
      fail('INVALID_REQUEST', `${where}: invalid ${fields.join(', ')}`);
    }
    throw cause;
  }
}

function isAuditUnavailable(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && 'kakutei' in cause && (cause as { kakutei: { code?: unknown } }).kakutei.code === 'AUDIT_UNAVAILABLE';
}

async function sendAuditUnavailable(reply: FastifyReply, logger: Logger, route: Route, cause: unknown): Promise<FastifyReply> {
  if (!isAuditUnavailable(cause)) logger.error({ event: 'http-error', route: routeKey(route), err: cause }, 'request failed while recording its audit event');
  return sendProblem(reply, problemOf({ code: 'AUDIT_UNAVAILABLE' }));
}
