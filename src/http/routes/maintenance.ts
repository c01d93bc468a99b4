import { z } from 'zod';
import type { MaintenanceSessionRecord } from '../../auth/index.js';
import { unwrap } from '../problem.js';
import { NO_PARAMS, defineRoute, type Route } from '../route.js';
import { idParam, iso, isoOrNull, isoTime } from './schemas.js';

/**
 * Maintenance sessions (issue 3 item 5, guideline appendix 1 §4 ⑮⑯): a maintenance account opens a
 * session with a work description; an admin approves or rejects it (when configured); every
 * action inside it goes to the maintenance log (written by the request pipeline before the action).
 */
const sessionSchema = z.object({
  id: z.string(),
  userId: z.string(),
  description: z.string(),
  status: z.enum(['pending', 'active', 'closed', 'rejected']),
  requestedAt: isoTime,
  approvedBy: z.string().nullable(),
  approvedAt: isoTime.nullable(),
  closedAt: isoTime.nullable(),
});

const sessionJson = (s: MaintenanceSessionRecord): z.input<typeof sessionSchema> => ({
  ...s,
  requestedAt: iso(s.requestedAt),
  approvedAt: isoOrNull(s.approvedAt),
  closedAt: isoOrNull(s.closedAt),
});

const sessionParams = z.object({ sessionId: idParam }).strict();

const open = defineRoute({
  method: 'POST',
  url: '/api/maintenance',
  summary: 'Open a maintenance session with a work description (pending until approved, when configured)',
  tag: 'maintenance',
  access: 'maintenance:open',
  audit: { action: 'maintenance-open', writtenBy: 'service' },
  params: NO_PARAMS,
  query: z.object({}).strict(),
  body: z.object({ description: z.string().min(1).max(2000) }).strict(),
  response: { status: 201, schema: sessionSchema, description: 'Opened' },
  errors: ['STATE_CONFLICT'],
  async handler({ body, acting, services }) {
    return sessionJson(unwrap(await services.auth.maintenance.open(acting(), body.description)));
  },
});

const decision = (approve: boolean): Route =>
  defineRoute({
    method: 'POST',
    url: approve ? '/api/maintenance/:sessionId/approve' : '/api/maintenance/:sessionId/reject',
    summary: approve ? 'Approve a pending maintenance session (not one’s own)' : 'Reject a pending maintenance session',
    tag: 'maintenance',
    access: 'maintenance:approve',
    audit: { action: 'maintenance-open', writtenBy: 'service' },
    params: sessionParams,
    query: z.object({}).strict(),
    body: z.object({}).strict(),
    response: { status: 200, schema: sessionSchema, description: approve ? 'Approved: the session is active' : 'Rejected' },
    errors: ['NOT_FOUND', 'STATE_CONFLICT'],
    async handler({ params, acting, services }) {
      return sessionJson(unwrap(await services.auth.maintenance.decide(acting(), params.sessionId, approve)));
    },
  });

const close = defineRoute({
  method: 'POST',
  url: '/api/maintenance/:sessionId/close',
  summary: 'Close a maintenance session (its owner, or an admin)',
  tag: 'maintenance',
  // Owner or `maintenance:approve`: the service decides (through the same policy engine).
  access: 'authenticated',
  audit: { action: 'maintenance-close', writtenBy: 'service' },
  params: sessionParams,
  query: z.object({}).strict(),
  body: z.object({}).strict(),
  response: { status: 204, schema: null, description: 'Closed' },
  errors: ['NOT_FOUND', 'STATE_CONFLICT', 'ACCESS_DENIED'],
  async handler({ params, acting, services }) {
    unwrap(await services.auth.maintenance.close(acting(), params.sessionId));
    return undefined;
  },
});

const log = defineRoute({
  method: 'GET',
  url: '/api/maintenance/log',
  summary: 'Read the maintenance log (every action done inside maintenance sessions)',
  tag: 'maintenance',
  access: 'maintenance-log:read',
  audit: { action: 'audit-log-used', writtenBy: 'route' },
  params: NO_PARAMS,
  query: z.object({ sessionId: idParam.optional() }).strict(),
  body: null,
  response: {
    status: 200,
    schema: z.object({ entries: z.array(z.object({ sessionId: z.string(), userId: z.string(), at: isoTime, action: z.string(), detail: z.string().nullable() })) }),
    description: 'The log, oldest first',
  },
  errors: [],
  async handler({ query, acting, services, recordAccess }) {
    const entries = unwrap(await services.auth.maintenance.readLog(acting(), query.sessionId ?? null));
    await recordAccess({ detail: { log: 'maintenance', sessionId: query.sessionId ?? null, results: entries.length } });
    return { entries: entries.map((e) => ({ sessionId: e.sessionId, userId: e.userId, at: iso(e.at), action: e.action, detail: e.detail })) };
  },
});

export const maintenanceRoutes: readonly Route[] = [open, decision(true), decision(false), close, log];
