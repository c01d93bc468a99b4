/**
 * WADO-RS frames (PS3.18 10.4.1.1.4): `…/instances/{sop}/frames/{list}` as
 * `multipart/related; type="application/octet-stream"`, one part per requested frame in request
 * order, each the frame's bytes as stored (fragments joined for encapsulated syntaxes) labelled with
 * its transfer syntax (PS3.18 8.7.3.5). Located through the offset tables without reading pixels;
 * streamed range by range. Audit: one `view` per study, session and minute (docs/AUDIT.md).
 */
import { auditActorOf, decide } from '../../auth/index.js';
import { octetStreamPartType } from '../../dicomweb/index.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../../dicom/dictionary/transfer-syntaxes.js';
import { frameStream, locateFrame, parseFrameList, readPixelModule } from '../../imaging/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import { fail, unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route, type RouteContext } from '../route.js';
import { TAG, acceptsMultipartOf, anyBody, frameParams, instancesOf, openInstance, sendMultipart, studyOf, type InstancePath } from './common.js';
import { auditObjectOf } from './wado.js';

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

/** Native frames are little endian whatever the dataset's VR encoding: label them explicit VR LE. */
export function frameSyntaxLabel(stored: string): string {
  return stored === IMPLICIT_VR_LITTLE_ENDIAN || stored === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN ? EXPLICIT_VR_LITTLE_ENDIAN : stored;
}

const frames = defineRoute({
  method: 'GET',
  url: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/frames/:frameList',
  summary: 'WADO-RS: frames of an instance as stored (multipart/related application/octet-stream)',
  tag: TAG,
  access: 'study:read',
  audit: { action: 'view', writtenBy: 'service' },
  params: frameParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: anyBody, description: 'multipart/related; type="application/octet-stream": one part per frame' },
  errors: ['NOT_FOUND', 'FRAME_NOT_FOUND', 'INVALID_REQUEST', 'PIXEL_DATA_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE'],
  study: studyOf,
  async handler(context) {
    const { params, services, reply, user } = context;
    const instances = await instancesOf(services, user(), params);
    const stored = await openInstance(services, instances[0]!);
    const pixel = unwrap(readPixelModule(stored.tree));
    const numbers = unwrap(parseFrameList(params.frameList, pixel.numberOfFrames, MAX_FRAMES_PER_REQUEST));
    const label = frameSyntaxLabel(stored.meta.transferSyntaxUid);
    if (!acceptsMultipartOf(reply.request.headers.accept, 'application/octet-stream', (syntax) => syntax === label)) {
      fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'frames are served in their stored transfer syntax');
    }
    // Every frame is located before anything is sent: a bad offset table is an error, not a cut stream.
    const locations = [];
    for (const n of numbers) locations.push(unwrap(await locateFrame(stored, n)));
    await recordFrameView(context as RouteContext<unknown, unknown, unknown>, params, instances, numbers.length);
    return sendMultipart(
      reply,
      'application/octet-stream',
      locations.map((location) => ({ contentType: octetStreamPartType(label), body: () => frameStream(stored, location) })),
    );
  },
});

export const frameRoutes: readonly Route[] = [frames];
