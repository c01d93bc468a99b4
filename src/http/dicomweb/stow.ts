/**
 * STOW-RS (PS3.18 10.5): `POST /dicomweb/studies` and `POST /dicomweb/studies/{study}` with a
 * `multipart/related; type="application/dicom"` body. Parts are read one at a time from the
 * request stream and streamed through the ingest core; each instance succeeds or fails on its own
 * (Referenced / Failed SOP Sequence), and the status is 200, 202 or 409 (PS3.18 10.5.3.1). The
 * body is bounded (total and per part), and abandoned when it stalls. The `store` event of each
 * study commits with its first object, in the ingest transaction.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { AuditEventInput } from '../../audit/events.js';
import { auditActorOf } from '../../auth/index.js';
import { MultipartReader, buildStowResponse, multipartRequestType, stowHttpStatus, type StowFailed, type StowStored } from '../../dicomweb/index.js';
import { HttpProblem, fail } from '../problem.js';
import { NO_PARAMS, NO_QUERY, defineRoute, type Route, type RouteContext } from '../route.js';
import { DICOM_JSON, TAG, anyBody, dicomwebRoot, instanceUrl, studyParams, studyUrl } from './common.js';
import { storePart } from './stow-part.js';

/** The request body as the DICOMweb body parser hands it over: the raw stream. */
const streamBody = z.custom<Readable>((value) => typeof value === 'object' && value !== null && Symbol.asyncIterator in value, 'a multipart/related body');

/** Ends a body that sends nothing for `idleMs` (slow-body attacks hold a connection and a part open). */
function withIdleTimeout(body: Readable, idleMs: number, onIdle: () => void): AsyncIterable<Uint8Array> {
  return (async function* () {
    let timer = setTimeout(onIdle, idleMs);
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        yield chunk;
        timer = setTimeout(onIdle, idleMs);
      }
    } finally {
      clearTimeout(timer);
    }
  })();
}

async function stow(context: RouteContext<{ studyInstanceUid?: string }, unknown, unknown>): Promise<string> {
  const { params, services, reply, session, source } = context;
  const request = reply.request;
  const { settings, logger } = services.dicomweb;
  if (session === null) throw new Error('STOW needs a session');
  // An answer before the body is read ends the connection: the rest of the body is not waited for.
  const refuse = (code: 'MEDIA_TYPE_UNSUPPORTED' | 'MULTIPART_TOO_LARGE', detail: string): never => {
    void reply.header('connection', 'close');
    return fail(code, detail);
  };
  const type = multipartRequestType(request.headers['content-type']);
  if (!type.ok) {
    void reply.header('connection', 'close');
    throw new HttpProblem(type.error);
  }
  if (type.value.type !== null && type.value.type !== 'application/dicom') refuse('MEDIA_TYPE_UNSUPPORTED', 'STOW-RS accepts multipart/related; type="application/dicom"');
  const declared = Number(request.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > settings.maxStowBytes) refuse('MULTIPART_TOO_LARGE', 'the body exceeds its limit');
  const body = streamBody.safeParse(context.body);
  if (!body.success) refuse('MEDIA_TYPE_UNSUPPORTED', 'STOW-RS accepts multipart/related; type="application/dicom"');

  const pathStudy = params.studyInstanceUid ?? null;
  const raw = body.data as Readable;
  const reader = new MultipartReader(
    withIdleTimeout(raw, settings.bodyIdleTimeoutMs, () => {
      logger.warn({ event: 'security', kind: 'stow-body-idle', remote: source.address }, 'STOW-RS body stalled; connection closed');
      request.raw.destroy();
    }),
    type.value.boundary,
    { maxParts: 10_000, maxHeaderBytes: 16 * 1024, maxPreambleBytes: 64 * 1024, maxPartBytes: settings.maxStowPartBytes, maxTotalBytes: settings.maxStowBytes },
  );
  const actor = auditActorOf(session.subject);
  const recordedStudies = new Set<string>();
  const auditEvents = (stored: { studyInstanceUid: string; seriesInstanceUid: string; patientId: string | null; outcome: { kind: string } }, sopInstanceUid: string): AuditEventInput[] =>
    recordedStudies.has(stored.studyInstanceUid)
      ? []
      : [
          {
            action: 'store',
            outcome: 0,
            actor,
            source,
            objects: [{ patientId: stored.patientId, studyInstanceUid: stored.studyInstanceUid, seriesInstanceUids: [stored.seriesInstanceUid], instanceCount: 1 }],
            breakGlass: session.subject.breakGlass !== null,
            detail: { via: 'dicomweb', firstSopInstanceUid: sopInstanceUid, outcome: stored.outcome.kind },
          },
        ];

  const root = dicomwebRoot(reply);
  const stored: StowStored[] = [];
  const failed: StowFailed[] = [];
  const studies = new Set<string>();
  let executablePreambles = 0;
  for (;;) {
    const next = await reader.nextPart();
    if (!next.ok) {
      void reply.header('connection', 'close');
      logger.warn({ event: 'stow-body-refused', code: next.error.code, stored: stored.length }, 'STOW-RS body refused');
      throw new HttpProblem(next.error);
    }
    if (next.value === null) break;
    const outcome = await storePart(next.value, { services: services.dicomweb, pathStudy, source: { via: 'dicomweb', callingAeTitle: null, calledAeTitle: null, peerAddress: source.address }, auditEvents });
    if (outcome.kind === 'fatal') {
      void reply.header('connection', 'close');
      logger.warn({ event: 'stow-body-refused', code: outcome.error.code, stored: stored.length }, 'STOW-RS body refused');
      throw new HttpProblem(outcome.error);
    }
    if (outcome.preamble === 'executable') executablePreambles++;
    if (outcome.kind === 'failed') {
      logger.warn({ event: 'stow-instance-failed', code: outcome.code, sopInstanceUid: outcome.failed.sopInstanceUid }, 'STOW-RS instance failed');
      failed.push(outcome.failed);
      continue;
    }
    const { result } = outcome;
    recordedStudies.add(result.studyInstanceUid);
    if (result.outcome.kind === 'conflict') {
      // Same SOP Instance UID, other bytes: kept apart for inspection, never a silent overwrite.
      failed.push({ sopClassUid: outcome.sopClassUid, sopInstanceUid: result.sopInstanceUid, failureReason: 0x0111 });
      continue;
    }
    studies.add(result.studyInstanceUid);
    const series = await seriesOf(context, result.sopInstanceUid);
    stored.push({ sopClassUid: outcome.sopClassUid, sopInstanceUid: result.sopInstanceUid, retrieveUrl: instanceUrl(root, result.studyInstanceUid, series, result.sopInstanceUid) });
  }
  if (executablePreambles > 0) {
    // CVE-2019-11687: the preamble is not kept (the stored file has ours); the attempt is worth an alert.
    await services.audit.record({ action: 'security-alert', outcome: 4, actor, source, objects: [], breakGlass: false, detail: { via: 'dicomweb', kind: 'executable-preamble', parts: executablePreambles } });
  }
  if (stored.length === 0 && failed.length === 0) fail('INVALID_REQUEST', 'the body holds no instance');
  const studyRetrieveUrl = pathStudy !== null ? studyUrl(root, pathStudy) : studies.size === 1 ? studyUrl(root, [...studies][0]!) : null;
  void reply.code(stowHttpStatus(stored, failed)).type(DICOM_JSON);
  return JSON.stringify(buildStowResponse({ studyRetrieveUrl, stored, failed }));
}

/** The series of a just-stored instance, for its Retrieve URL. */
async function seriesOf(context: RouteContext<unknown, unknown, unknown>, sopInstanceUid: string): Promise<string> {
  const row = await context.services.dicomweb.database.kysely
    .selectFrom('instances')
    .innerJoin('series', 'series.id', 'instances.series_fk')
    .select('series.series_instance_uid')
    .where('instances.sop_instance_uid', '=', sopInstanceUid)
    .executeTakeFirst();
  return row?.series_instance_uid ?? '';
}

function stowRoute(url: string, params: typeof NO_PARAMS | typeof studyParams): Route {
  return defineRoute({
    method: 'POST',
    url,
    summary: params === NO_PARAMS ? 'STOW-RS: store instances' : 'STOW-RS: store instances of this study (others fail)',
    tag: TAG,
    access: 'study:store',
    audit: { action: 'store', writtenBy: 'service' },
    params,
    query: NO_QUERY,
    body: z.any(),
    response: { status: 200, schema: anyBody, description: 'application/dicom+json: Referenced and Failed SOP Sequences (200, 202 or 409)' },
    errors: ['MEDIA_TYPE_UNSUPPORTED', 'MULTIPART_INVALID', 'MULTIPART_TOO_LARGE', 'INVALID_REQUEST'],
    handler: (context) => stow(context as RouteContext<{ studyInstanceUid?: string }, unknown, unknown>),
  });
}

export const stowRoutes: readonly Route[] = [stowRoute('/dicomweb/studies', NO_PARAMS), stowRoute('/dicomweb/studies/:studyInstanceUid', studyParams)];
