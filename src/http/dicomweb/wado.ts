/**
 * WADO-RS retrieval of instances (PS3.18 10.4.1.1.1–3): a study, series or instance as
 * `multipart/related; type="application/dicom"`, one part per instance, each the stored Part 10 file
 * (our own file meta group and a zero preamble, the dataset bit for bit as received), streamed from
 * the object store — never buffered whole. One `retrieve` event per request names the study, its
 * series and the instance count before the first byte is sent.
 */
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

function partsOf(services: HttpServices, root: string, instances: readonly StoredInstanceLocation[]): OutgoingPart[] {
  return instances.map((instance) => ({
    contentType: `${DICOM}; transfer-syntax=${instance.transferSyntaxUid}`,
    headers: { 'Content-Location': instanceUrl(root, instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid) },
    body: () => services.dicomweb.store.get(instance.objectKey as ObjectKey),
  }));
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
      // Served as stored (no transcoding): a request for one specific other transfer syntax cannot be met.
      const storedSyntaxes = new Set(instances.map((i) => i.transferSyntaxUid));
      const matches = (syntax: string): boolean => storedSyntaxes.size === 1 && storedSyntaxes.has(syntax);
      if (!acceptsMultipartOf(reply.request.headers.accept, DICOM, matches)) fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'instances are served as multipart/related application/dicom in their stored transfer syntax');
      await recordAccess({ objects: [auditObjectOf(path, instances)], detail: { via: 'dicomweb', resource: what } });
      return sendMultipart(reply, DICOM, partsOf(services, dicomwebRoot(reply), instances));
    },
  });
}

export const wadoRoutes: readonly Route[] = [
  retrieveRoute('/dicomweb/studies/:studyInstanceUid', studyParams, 'study'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid', seriesParams, 'series'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid', instanceParams, 'instance'),
];
