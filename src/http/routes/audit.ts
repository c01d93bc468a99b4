import { z } from 'zod';
import { ALL_AUDIT_ACTIONS, type AuditEventRecord } from '../../audit/index.js';
import { NO_PARAMS, defineRoute, type Route } from '../route.js';
import { uidSchema } from './schemas.js';

/**
 * Searching the trail (issue 3 item 6): auditors ask who, when, from where, on which information,
 * did what. The search is itself an `audit-log-used` event (PS3.15 A.5.3.2) naming the filter.
 */
const actions = ALL_AUDIT_ACTIONS as [string, ...string[]];

const eventSchema = z.object({
  seq: z.number().int(),
  eventId: z.string(),
  occurredAt: z.string(),
  action: z.enum(actions),
  dicomEventId: z.string(),
  outcome: z.number().int(),
  actor: z.object({
    kind: z.enum(['user', 'peer', 'system', 'anonymous']),
    userId: z.string().optional(),
    loginName: z.string().optional(),
    displayName: z.string().optional(),
    roles: z.array(z.string()).optional(),
    aeTitle: z.string().optional(),
    peerName: z.string().nullable().optional(),
    component: z.string().optional(),
    attemptedLoginName: z.string().nullable().optional(),
  }),
  source: z.object({ address: z.string().nullable(), userAgent: z.string().nullable() }),
  objects: z.array(
    z.object({
      patientId: z.string().nullable(),
      studyInstanceUid: z.string().nullable(),
      seriesInstanceUids: z.array(z.string()).optional(),
      instanceCount: z.number().int().optional(),
    }),
  ),
  breakGlass: z.boolean(),
  maintenanceSessionId: z.string().nullable(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  hash: z.string(),
});

export const auditEventJson = (event: AuditEventRecord): z.input<typeof eventSchema> => ({
  ...event,
  actor: event.actor as z.input<typeof eventSchema>['actor'],
  objects: event.objects.map((o) => ({
    patientId: o.patientId,
    studyInstanceUid: o.studyInstanceUid,
    ...(o.seriesInstanceUids === undefined ? {} : { seriesInstanceUids: [...o.seriesInstanceUids] }),
    ...(o.instanceCount === undefined ? {} : { instanceCount: o.instanceCount }),
  })),
  detail: { ...event.detail },
});

const search = defineRoute({
  method: 'GET',
  url: '/api/audit',
  summary: 'Search the audit trail by user, patient ID, study, time range and action (newest first, keyset paging)',
  tag: 'audit',
  access: 'audit:read',
  audit: { action: 'audit-log-used', writtenBy: 'route' },
  params: NO_PARAMS,
  query: z
    .object({
      user: z.string().min(1).max(64).optional().describe('user id or login name of the actor'),
      patientId: z.string().min(1).max(64).optional(),
      studyInstanceUid: uidSchema.optional(),
      from: z.string().datetime().optional().describe('inclusive, ISO-8601'),
      to: z.string().datetime().optional().describe('exclusive, ISO-8601'),
      action: z.enum(actions).optional(),
      beforeSeq: z.coerce.number().int().min(1).optional().describe('paging cursor: nextBeforeSeq of the previous page'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    })
    .strict(),
  body: null,
  response: { status: 200, schema: z.object({ events: z.array(eventSchema), nextBeforeSeq: z.number().int().nullable() }), description: 'A page of events' },
  errors: ['INVALID_REQUEST'],
  async handler({ query, services, recordAccess }) {
    const page = await services.auditSearch({
      user: query.user,
      patientId: query.patientId,
      studyInstanceUid: query.studyInstanceUid,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      action: query.action as AuditEventRecord['action'] | undefined,
      beforeSeq: query.beforeSeq,
      limit: query.limit,
    });
    // Recorded after the search (so that it does not find itself) and before the answer is sent.
    const objects = query.patientId !== undefined || query.studyInstanceUid !== undefined ? [{ patientId: query.patientId ?? null, studyInstanceUid: query.studyInstanceUid ?? null }] : [];
    const filter = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && typeof v !== 'object')) as Record<string, string | number>;
    await recordAccess({ objects, detail: { log: 'audit', ...filter, results: page.events.length } });
    return { events: page.events.map(auditEventJson), nextBeforeSeq: page.nextBeforeSeq };
  },
});

export const auditRoutes: readonly Route[] = [search];
