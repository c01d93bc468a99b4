/**
 * WADO-RS frames (PS3.18 10.4.1.1.4): `…/instances/{sop}/frames/{list}` as
 * `multipart/related; type="application/octet-stream"`, one part per requested frame in request
 * order, located through the offset tables and streamed range by range: uncompressed by default,
 * as stored for `transfer-syntax=*` (`frame-parts.ts`). Audit: one `view` per study, session and
 * minute (docs/AUDIT.md).
 */
import { auditActorOf, decide } from '../../auth/index.js';
import { parseFrameList, readPixelModule } from '../../imaging/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import { unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route, type RouteContext } from '../route.js';
import { TAG, anyBody, frameParams, instancesOf, openInstance, sendMultipart, studyOf, type InstancePath } from './common.js';
import { auditObjectOf } from './wado.js';
import { frameParts } from './frame-parts.js';

/** Upper bound of frames in one request (the path schema allows at most 1000 numbers). */
export const MAX_FRAMES_PER_REQUEST = 1000;

/**
 * Records the `view` event of a frame request when it opens a (session, study, minute) window;
 * written before any frame leaves, so an access that cannot be recorded is refused.
 */
export async function recordFrameView(context: RouteContext<unknown, unknown, unknown>, path: InstancePath, instances: readonly StoredInstanceLocation[], frames: number): Promise<void> {
  const { services, session, source } = context;
  if (session === null) throw new Error('frame views need a session');
  const ledger = services.dicomweb.frameViews;
  if (!ledger.opensWindow(session.sessionId, path.studyInstanceUid, services.dicomweb.clock.now(), frames)) return;
  const decision = decide(session.subject, 'study:read');
  try {
    await services.audit.record({
      action: 'view',
      outcome: 0,
      actor: auditActorOf(session.subject),
      source,
      objects: [auditObjectOf(path, instances)],
      breakGlass: decision.allow && decision.breakGlass,
      maintenanceSessionId: decision.allow ? decision.maintenanceSessionId : null,
      detail: { via: 'dicomweb', resource: 'frames', frames, aggregated: 'session-study-minute' },
    });
  } catch (cause) {
    ledger.forget(session.sessionId, path.studyInstanceUid);
    throw cause;
  }
}

const frames = defineRoute({
  method: 'GET',
  url: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/frames/:frameList',
  summary: 'WADO-RS: frames of an instance, uncompressed by default or as stored (multipart/related application/octet-stream)',
  tag: TAG,
  access: 'study:read',
  audit: { action: 'view', writtenBy: 'service' },
  params: frameParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: anyBody, description: 'multipart/related; type="application/octet-stream": one part per frame' },
  errors: ['NOT_FOUND', 'FRAME_NOT_FOUND', 'INVALID_REQUEST', 'PIXEL_DATA_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'DECODE_UNSUPPORTED', 'DECODE_FAILED', 'DECODE_LIMIT_EXCEEDED', 'DECODE_BUSY'],
  study: studyOf,
  async handler(context) {
    const { params, services, reply, user } = context;
    const instances = await instancesOf(services, user(), params);
    const stored = await openInstance(services, instances[0]!);
    const pixel = unwrap(readPixelModule(stored.tree));
    const numbers = unwrap(parseFrameList(params.frameList, pixel.numberOfFrames, MAX_FRAMES_PER_REQUEST));
    const parts = await frameParts(services, stored, pixel, numbers, reply.request.headers.accept);
    await recordFrameView(context as RouteContext<unknown, unknown, unknown>, params, instances, numbers.length);
    return sendMultipart(reply, 'application/octet-stream', parts);
  },
});

export const frameRoutes: readonly Route[] = [frames];
