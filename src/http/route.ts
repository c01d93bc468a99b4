import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuditAction, AuditEventInput, AuditObject, AuditSource } from '../audit/events.js';
import { isAuditAction } from '../audit/actions.js';
import { isPermission, type ActingContext, type AuthenticatedSession, type Permission, type StudyResource, type UserSubject } from '../auth/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { HttpServices } from './services.js';

/**
 * The one way to declare a route (issue 3 item 3): what it needs (a permission, `public`, or
 * `authenticated` — one's own session, i.e. `session:own`), which audit event a success leaves
 * (or `null` with the reason why none), and zod schemas for everything it reads and answers. The
 * OpenAPI document and the access-matrix test are generated from these declarations.
 */
export type RouteAccess = Permission | 'public' | 'authenticated';

export type RouteAudit =
  /** The service writes the event itself, in the transaction of the change it records. */
  | { readonly action: AuditAction; readonly writtenBy: 'service' }
  /** An access that changes nothing: the edge records it before the response body is sent. */
  | { readonly action: AuditAction; readonly writtenBy: 'route' }
  | { readonly action: null; readonly reason: string };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type AnyZod = z.ZodTypeAny;

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** null only on public routes. */
  readonly session: AuthenticatedSession | null;
  /** The token that authenticated the request (bearer or cookie), when any. */
  readonly token: string | null;
  readonly source: AuditSource;
  readonly services: HttpServices;
  readonly reply: FastifyReply;
  /** Whether the request came over TLS: cookies are then Secure. */
  readonly secure: boolean;
  /** The caller as a subject (throws on public routes without a session). */
  readonly user: () => UserSubject;
  /** Who acts, for the services (they check the policy again: defence in depth). */
  readonly acting: () => ActingContext;
  /** Records this route's (writtenBy: 'route') event now, with the objects touched; throws AUDIT_UNAVAILABLE. */
  readonly recordAccess: (extra?: { readonly objects?: readonly AuditObject[]; readonly detail?: AuditEventInput['detail'] }) => Promise<void>;
}

export interface RouteSpec<P extends AnyZod, Q extends AnyZod, B extends AnyZod, R extends AnyZod> {
  readonly method: HttpMethod;
  /** Fastify pattern, e.g. `/api/users/:userId`. */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: RouteAccess;
  readonly audit: RouteAudit;
  readonly params: P;
  readonly query: Q;
  /** `null` for methods that take no body. */
  readonly body: B | null;
  readonly response: { readonly status: number; readonly schema: R | null; readonly description: string };
  /** Error codes the route may answer with besides the generic ones (documented in OpenAPI). */
  readonly errors: readonly ErrorCode[];
  /**
   * The study the request acts on, for the per-study rules (restricted, unfinalized). null when it
   * does not exist: answered NOT_FOUND exactly as a restricted study the caller may not see.
   */
  readonly study?: (params: z.infer<P>, services: HttpServices) => Promise<StudyResource | null>;
  readonly handler: (context: RouteContext<z.infer<P>, z.infer<Q>, B extends AnyZod ? z.infer<B> : undefined>) => Promise<R extends AnyZod ? z.input<R> : undefined>;
}

/** A declared route with its types erased, as the registry keeps it. */
export interface Route {
  readonly method: HttpMethod;
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: RouteAccess;
  readonly audit: RouteAudit;
  readonly params: AnyZod;
  readonly query: AnyZod;
  readonly body: AnyZod | null;
  readonly response: { readonly status: number; readonly schema: AnyZod | null; readonly description: string };
  readonly errors: readonly ErrorCode[];
  readonly study?: (params: unknown, services: HttpServices) => Promise<StudyResource | null>;
  readonly handler: (context: RouteContext<unknown, unknown, unknown>) => Promise<unknown>;
}

export function defineRoute<P extends AnyZod, Q extends AnyZod, B extends AnyZod, R extends AnyZod>(spec: RouteSpec<P, Q, B, R>): Route {
  return spec as unknown as Route;
}

/** `METHOD /url` — how the access matrix and the tests name a route. */
export const routeKey = (route: { readonly method: string; readonly url: string }): string => `${route.method} ${route.url}`;

export const NO_PARAMS = z.object({}).strict();
export const NO_QUERY = z.object({}).strict();

/**
 * Refuses a declaration that lacks what every route must state; called for each route at
 * registration, so that the server does not start with an undeclared route.
 */
export function checkDeclaration(route: Route): void {
  const where = routeKey(route);
  const problems: string[] = [];
  if (!(route.access === 'public' || route.access === 'authenticated' || isPermission(route.access))) problems.push(`unknown access ${String(route.access)}`);
  if (route.audit.action === null) {
    if (route.audit.reason.trim().length < 10) problems.push('audit: null needs a reason');
  } else if (!isAuditAction(route.audit.action)) problems.push(`unknown audit action ${String(route.audit.action)}`);
  if (!(route.params instanceof z.ZodType) || !(route.query instanceof z.ZodType)) problems.push('params and query schemas are required');
  const takesBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
  if (takesBody && !(route.body instanceof z.ZodType)) problems.push('a body schema is required');
  if (!takesBody && route.body !== null) problems.push('GET and DELETE take no body');
  if (!Number.isInteger(route.response.status) || route.response.status < 200 || route.response.status > 299) problems.push('a 2xx response status is required');
  if (route.response.status !== 204 && !(route.response.schema instanceof z.ZodType)) problems.push('a response schema is required');
  if (route.summary.trim() === '') problems.push('a summary is required');
  if (problems.length > 0) throw new Error(`route ${where}: ${problems.join('; ')}`);
}
