import { z } from 'zod';
import { PURPOSES_OF_USE, type AlertRecord, type BreakGlassRecord } from '../../auth/index.js';
import { unwrap } from '../problem.js';
import { NO_PARAMS, defineRoute, type Route } from '../route.js';
import { idParam, iso, isoOrNull, isoTime } from './schemas.js';

/**
 * Break-glass (issue 3 item 4, R9.10–R9.13): physicians and technologists open an emergency
 * window with a reason and an HL7 purpose of use; admins and auditors see the alert it raises; an
 * auditor reviews the window afterwards. Everything done in the window carries the break-glass flag.
 */
const windowSchema = z.object({
  id: z.string(),
  userId: z.string(),
  reason: z.string(),
  purposeOfUse: z.enum(PURPOSES_OF_USE as unknown as ['ETREAT', 'BTG']),
  openedAt: isoTime,
  expiresAt: isoTime,
  closedAt: isoTime.nullable(),
  reviewedBy: z.string().nullable(),
  reviewedAt: isoTime.nullable(),
  reviewNote: z.string().nullable(),
});

const windowJson = (w: BreakGlassRecord): z.input<typeof windowSchema> => ({
  ...w,
  openedAt: iso(w.openedAt),
  expiresAt: iso(w.expiresAt),
  closedAt: isoOrNull(w.closedAt),
  reviewedAt: isoOrNull(w.reviewedAt),
});

const alertSchema = z.object({
  id: z.string(),
  kind: z.enum(['break-glass-open']),
  raisedAt: isoTime,
  userId: z.string().nullable(),
  breakGlassId: z.string().nullable(),
  message: z.string(),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: isoTime.nullable(),
});

const alertJson = (a: AlertRecord): z.input<typeof alertSchema> => ({ ...a, raisedAt: iso(a.raisedAt), acknowledgedAt: isoOrNull(a.acknowledgedAt) });

const open = defineRoute({
  method: 'POST',
  url: '/api/break-glass',
  summary: 'Open an emergency access window (HL7 purpose of use ETREAT or BTG) for the configured minutes',
  tag: 'break-glass',
  access: 'break-glass:open',
  audit: { action: 'break-glass-open', writtenBy: 'service' },
  params: NO_PARAMS,
  query: z.object({}).strict(),
  body: z.object({ reason: z.string().min(1).max(2000), purposeOfUse: z.enum(['ETREAT', 'BTG']) }).strict(),
  response: { status: 201, schema: windowSchema, description: 'Opened; admins and auditors are alerted' },
  errors: ['STATE_CONFLICT'],
  async handler({ body, acting, services }) {
    return windowJson(unwrap(await services.auth.breakGlass.open(acting(), body)));
  },
});

const close = defineRoute({
  method: 'POST',
  url: '/api/break-glass/close',
  summary: 'Close one’s own open window before it expires',
  tag: 'break-glass',
  access: 'break-glass:open',
  audit: { action: 'break-glass-close', writtenBy: 'service' },
  params: NO_PARAMS,
  query: z.object({}).strict(),
  body: z.object({}).strict(),
  response: { status: 204, schema: null, description: 'Closed' },
  errors: ['STATE_CONFLICT'],
  async handler({ acting, services }) {
    unwrap(await services.auth.breakGlass.close(acting()));
    return undefined;
  },
});

const list = defineRoute({
  method: 'GET',
  url: '/api/break-glass',
  summary: 'List break-glass windows (for the auditor’s review)',
  tag: 'break-glass',
  access: 'break-glass:review',
  audit: { action: 'audit-log-used', writtenBy: 'route' },
  params: NO_PARAMS,
  query: z.object({ unreviewedOnly: z.enum(['true', 'false']).default('false') }).strict(),
  body: null,
  response: { status: 200, schema: z.object({ windows: z.array(windowSchema) }), description: 'The windows' },
  errors: [],
  async handler({ query, acting, services, recordAccess }) {
    const windows = unwrap(await services.auth.breakGlass.list(acting(), { unreviewedOnly: query.unreviewedOnly === 'true' }));
    await recordAccess({ detail: { log: 'break-glass', results: windows.length } });
    return { windows: windows.map(windowJson) };
  },
});

const review = defineRoute({
  method: 'POST',
  url: '/api/break-glass/:breakGlassId/review',
  summary: 'Record the auditor’s review of a window (not one’s own)',
  tag: 'break-glass',
  access: 'break-glass:review',
  audit: { action: 'break-glass-review', writtenBy: 'service' },
  params: z.object({ breakGlassId: idParam }).strict(),
  query: z.object({}).strict(),
  body: z.object({ note: z.string().min(1).max(2000) }).strict(),
  response: { status: 200, schema: windowSchema, description: 'Reviewed' },
  errors: ['NOT_FOUND', 'STATE_CONFLICT'],
  async handler({ params, body, acting, services }) {
    return windowJson(unwrap(await services.auth.breakGlass.review(acting(), params.breakGlassId, body.note)));
  },
});

const alerts = defineRoute({
  method: 'GET',
  url: '/api/alerts',
  summary: 'Security alerts (break-glass openings) for admins and auditors',
  tag: 'alerts',
  access: 'alerts:read',
  audit: { action: null, reason: 'alerts name users and times, no patient information; what they report is itself in the trail' },
  params: NO_PARAMS,
  query: z.object({ unacknowledgedOnly: z.enum(['true', 'false']).default('false') }).strict(),
  body: null,
  response: { status: 200, schema: z.object({ alerts: z.array(alertSchema) }), description: 'The alerts, newest first' },
  errors: [],
  async handler({ query, acting, services }) {
    const found = unwrap(await services.auth.breakGlass.listAlerts(acting(), { unacknowledgedOnly: query.unacknowledgedOnly === 'true' }));
    return { alerts: found.map(alertJson) };
  },
});

const acknowledge = defineRoute({
  method: 'POST',
  url: '/api/alerts/:alertId/acknowledge',
  summary: 'Acknowledge an alert',
  tag: 'alerts',
  access: 'alerts:read',
  audit: { action: 'alert-acknowledge', writtenBy: 'service' },
  params: z.object({ alertId: idParam }).strict(),
  query: z.object({}).strict(),
  body: z.object({}).strict(),
  response: { status: 204, schema: null, description: 'Acknowledged' },
  errors: ['NOT_FOUND', 'STATE_CONFLICT'],
  async handler({ params, acting, services }) {
    unwrap(await services.auth.breakGlass.acknowledgeAlert(acting(), params.alertId));
    return undefined;
  },
});

export const breakGlassRoutes: readonly Route[] = [open, close, list, review, alerts, acknowledge];
