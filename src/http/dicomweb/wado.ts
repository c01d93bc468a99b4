/**
 * WADO-RS retrieval of instances (PS3.18 10.4.1.1.1–3): a study, series or instance as
 * `multipart/related; type="application/dicom"`, one part per instance, each the stored Part 10 file
 * (our own file meta group and a zero preamble, the dataset bit for bit as received), streamed from
 * the object store — never buffered whole. A client that asks for one specific transfer syntax
 * (PS3.18 8.7.3.5) gets each instance stored otherwise converted losslessly, when that syntax is
 * Explicit or Implicit VR Little Endian; lossy objects are never decoded (406). One `retrieve`
 * event per request names the study, its series and the instance count before the first byte is sent.
 */
import { Readable } from 'node:stream';
import { buildFileMetaHeader } from '../../dicom/part10/index.js';
import { canTranscode, transcodeStoredObject } from '../../imaging/index.js';
import { defineRoute, NO_QUERY, type Route } from '../route.js';
import { fail } from '../problem.js';
import type { OutgoingPart } from '../../dicomweb/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import type { ObjectKey } from '../../storage/index.js';
import type { HttpServices } from '../services.js';
import { TAG, acceptsMultipartOf, anyBody, dicomwebRoot, instanceParams, instanceUrl, instancesOf, sendMultipart, seriesParams, studyOf, studyParams, type AnyPath } from './common.js';
import type { AuditObject } from '../../audit/events.js';

const DICOM = 'application/dicom';

/** The audit object of a retrieval or view: one study, its series, the instance count. */
export function auditObjectOf(path: AnyPath, instances: readonly StoredInstanceLocation[]): AuditObject {
  return {
    patientId: instances[0]?.patientId ?? null,
    studyInstanceUid: path.studyInstanceUid,
    seriesInstanceUids: [...new Set(instances.map((i) => i.seriesInstanceUid))],
    instanceCount: instances.length,
  };
}

/** Whether every instance can be served in `syntax`: stored in it, or converted to it losslessly. */
function servableIn(instances: readonly StoredInstanceLocation[], syntax: string): boolean {
  return instances.every((instance) => instance.transferSyntaxUid === syntax || canTranscode(instance.transferSyntaxUid, syntax));
}

/**
 * The parts, each built when it is sent. `target` null: as stored; else instances stored in another
 * syntax are converted (`servableIn` said they can be; a structural fault found now ends the response).
 */
async function* partsOf(services: HttpServices, root: string, instances: readonly StoredInstanceLocation[], target: string | null): AsyncGenerator<OutgoingPart> {
  const { store, decodePool, implementation, settings, logger } = services.dicomweb;
  for (const instance of instances) {
    const headers = { 'Content-Location': instanceUrl(root, instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid) };
    if (target === null || instance.transferSyntaxUid === target) {
      yield { contentType: `${DICOM}; transfer-syntax=${instance.transferSyntaxUid}`, headers, body: () => store.get(instance.objectKey as ObjectKey) };
      continue;
    }
    const converted = await transcodeStoredObject(store, decodePool, instance.objectKey as ObjectKey, target, { maxInflatedBytes: settings.maxInflatedBytes });
    if (!converted.ok) {
      logger.warn({ event: 'transcode-refused', sopInstanceUid: instance.sopInstanceUid, transferSyntaxUid: instance.transferSyntaxUid, code: converted.error.code }, 'WADO-RS response ended: an instance cannot be converted');
      throw new Error(`instance ${instance.sopInstanceUid} cannot be converted (${converted.error.code})`);
    }
    const meta = buildFileMetaHeader({
      mediaStorageSopClassUid: instance.sopClassUid,
      mediaStorageSopInstanceUid: instance.sopInstanceUid,
      transferSyntaxUid: target,
      implementationClassUid: implementation.classUid,
      implementationVersionName: implementation.versionName,
    });
    const dataset = converted.value;
    yield {
      contentType: `${DICOM}; transfer-syntax=${target}`,
      headers,
      body: () => Readable.from((async function* () {
        yield meta;
        yield* dataset;
      })()),
    };
  }
}

function retrieveRoute(url: string, params: typeof studyParams | typeof seriesParams | typeof instanceParams, what: string): Route {
  return defineRoute({
    method: 'GET',
    url,
    summary: `WADO-RS: retrieve the ${what} as multipart/related application/dicom`,
    tag: TAG,
    access: 'study:read',
    audit: { action: 'retrieve', writtenBy: 'route' },
    params,
    query: NO_QUERY,
    body: null,
    response: { status: 200, schema: anyBody, description: 'multipart/related; type="application/dicom": the stored Part 10 files' },
    errors: ['NOT_FOUND', 'MEDIA_TYPE_NOT_ACCEPTABLE'],
    study: studyOf,
    async handler({ params, services, reply, user, recordAccess }) {
      const path = params as AnyPath;
      const instances = await instancesOf(services, user(), path);
      // The first acceptable media type decides: no transfer syntax or `*` → as stored; one named
      // syntax → each instance in it (as stored, or converted), or 406 when one cannot be.
      let target: string | null = null;
      const servable = (syntax: string): boolean => {
        if (!servableIn(instances, syntax)) return false;
        target = syntax;
        return true;
      };
      if (!acceptsMultipartOf(reply.request.headers.accept, DICOM, servable)) {
        fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'instances are served in their stored transfer syntax, or converted losslessly to Explicit or Implicit VR Little Endian');
      }
      await recordAccess({ objects: [auditObjectOf(path, instances)], detail: { via: 'dicomweb', resource: what, ...(target === null ? {} : { transferSyntax: target }) } });
      return sendMultipart(reply, DICOM, partsOf(services, dicomwebRoot(reply), instances, target));
    },
  });
}

export const wadoRoutes: readonly Route[] = [
  retrieveRoute('/dicomweb/studies/:studyInstanceUid', studyParams, 'study'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid', seriesParams, 'series'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid', instanceParams, 'instance'),
];
