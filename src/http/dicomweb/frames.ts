/**
 * WADO-RS frames (PS3.18 10.4.1.1.4): `…/instances/{sop}/frames/{list}` as
 * `multipart/related; type="application/octet-stream"`, one part per requested frame in request
 * order. Located through the offset tables; streamed range by range. The transfer syntax follows
 * PS3.18 8.7.3.3 and 8.7.8.2: by default (no syntax named) frames come uncompressed — native
 * little-endian bytes, Explicit VR Little Endian — so lossless compressed frames are decoded in the
 * pool; frames held only in lossy form (or in a codec we do not decode) come as stored, as the
 * standard allows; `transfer-syntax=*` or the stored syntax named: each frame's bytes as stored
 * (fragments joined), labelled with their syntax. Audit: one `view` per study, session and minute
 * (docs/AUDIT.md).
 */
import { auditActorOf, decide } from '../../auth/index.js';
import { octetStreamPartType } from '../../dicomweb/index.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../../dicom/dictionary/transfer-syntaxes.js';
import { canTranscode, frameStream, locateFrame, nativeFrameBytes, parseFrameList, readPixelModule, type DecodePool, type FrameLocation, type PixelModule, type StoredObject } from '../../imaging/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import { fail, unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route, type RouteContext } from '../route.js';
import { TAG, anyBody, selectMultipartOf, frameParams, instancesOf, openInstance, sendMultipart, studyOf, type InstancePath } from './common.js';
import { auditObjectOf } from './wado.js';
import type { OutgoingPart } from '../../dicomweb/index.js';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { Result } from '../../errors/index.js';

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

const OCTET_STREAM = 'application/octet-stream';
const BUSY_RETRIES = 10;
const BUSY_RETRY_DELAY_MS = 100;

/** Each frame's bytes as stored, labelled with their syntax. */
function storedParts(stored: StoredObject, locations: readonly FrameLocation[], label: string): OutgoingPart[] {
  return locations.map((location) => ({ contentType: octetStreamPartType(label), body: () => frameStream(stored, location) }));
}

/** Decoded frames, one at a time as the response is written; `first` is already decoded. */
function decodedParts(pool: DecodePool, stored: StoredObject, pixel: PixelModule, numbers: readonly number[], first: Uint8Array): OutgoingPart[] {
  return numbers.map((n, index) => ({
    contentType: octetStreamPartType(EXPLICIT_VR_LITTLE_ENDIAN),
    body: () => (index === 0 ? Readable.from([first]) : Readable.from(decodedFrame(pool, stored, pixel, n))),
  }));
}

async function* decodedFrame(pool: DecodePool, stored: StoredObject, pixel: PixelModule, frameNumber: number): AsyncGenerator<Uint8Array> {
  const decoded = await decodeWithRetries(pool, stored, pixel, frameNumber);
  // Mid-response there is no status left to send: the stream ends with an error (the client sees a cut multipart).
  if (!decoded.ok) throw new Error(`frame ${frameNumber} does not decode (${decoded.error.code})`);
  yield decoded.value;
}

/** A full decode queue is waited out a few times: other viewers' frames are ahead of ours. */
async function decodeWithRetries(pool: DecodePool, stored: StoredObject, pixel: PixelModule, frameNumber: number): Promise<Result<Uint8Array>> {
  for (let attempt = 1; ; attempt++) {
    const decoded = await nativeFrameBytes(pool, stored, pixel, frameNumber);
    if (decoded.ok || decoded.error.code !== 'DECODE_BUSY' || attempt >= BUSY_RETRIES) return decoded;
    await delay(BUSY_RETRY_DELAY_MS * attempt);
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
    const label = frameSyntaxLabel(stored.meta.transferSyntaxUid);
    // Lossless compressed frames can also be sent decoded (the default, or Explicit VR LE named).
    const decodable = stored.transferSyntax.encapsulated && canTranscode(stored.meta.transferSyntaxUid, EXPLICIT_VR_LITTLE_ENDIAN);
    const wish = selectMultipartOf(reply.request.headers.accept, OCTET_STREAM, (syntax) => syntax === label || (decodable && syntax === EXPLICIT_VR_LITTLE_ENDIAN));
    if (wish === null) fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'frames are served as stored, or decoded to Explicit VR Little Endian when lossless');
    const decode = decodable && (wish.kind === 'default' || (wish.kind === 'named' && wish.uid === EXPLICIT_VR_LITTLE_ENDIAN));
    // Every frame is located before anything is sent: a bad offset table is an error, not a cut stream.
    const locations = [];
    for (const n of numbers) locations.push(unwrap(await locateFrame(stored, n)));
    // The first frame is decoded before anything is sent too: a frame that does not decode is an
    // error the client can read (the default falls back to the frames as stored).
    let parts: OutgoingPart[] | null = null;
    if (decode) {
      const first = await decodeWithRetries(services.dicomweb.decodePool, stored, pixel, numbers[0]!);
      if (first.ok) parts = decodedParts(services.dicomweb.decodePool, stored, pixel, numbers, first.value);
      else if (wish.kind === 'named') unwrap(first);
      else services.dicomweb.logger.info({ event: 'frame-decode-refused', sopInstanceUid: params.sopInstanceUid, transferSyntaxUid: stored.meta.transferSyntaxUid, code: first.error.code }, 'WADO-RS: frames go as stored, they do not decode');
    }
    await recordFrameView(context as RouteContext<unknown, unknown, unknown>, params, instances, numbers.length);
    return sendMultipart(reply, OCTET_STREAM, parts ?? storedParts(stored, locations, label));
  },
});

export const frameRoutes: readonly Route[] = [frames];
