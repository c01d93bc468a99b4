/**
 * WADO-RS retrieval of instances (PS3.18 10.4.1.1.1–3): a study, series or instance as
 * `multipart/related; type="application/dicom"`, one part per instance, streamed from the object
 * store — never buffered whole. The transfer syntax of each part follows PS3.18 8.7.3 and 8.7.8.2:
 * - `transfer-syntax=*`: the stored Part 10 file (our file meta group, a zero preamble, the dataset
 *   bit for bit as received) — what a client needs to check an object against its recorded hash;
 * - no transfer syntax (also no Accept, `*\/*`): the default, Explicit VR Little Endian, converted
 *   losslessly where stored otherwise; an object we hold only in lossy form (or cannot convert:
 *   video, a codec we do not decode) comes as stored, as the standard allows for lossy pixel data;
 * - one named syntax: each instance in it (as stored, or converted to Explicit or Implicit VR Little
 *   Endian); lossy objects are never decoded, so a request that needs it is answered 406.
 * One `retrieve` event per request names the study, its series and the instance count before the
 * first byte is sent.
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
import { TAG, anyBody, dicomwebRoot, instanceParams, instanceUrl, instancesOf, sendMultipart, seriesParams, studyOf, studyParams, selectMultipartOf, type AnyPath, type TransferSyntaxWish } from './common.js';
import type { AuditObject } from '../../audit/events.js';
import { plannedSyntax, wishDetail } from './retrieve-syntax.js';

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
 * The parts, each built when it is sent: as stored, or converted (`servableIn` or `canTranscode`
 * said they can be; a structural fault found now ends the response, or for the default sends the
 * stored form).
 */
async function* partsOf(services: HttpServices, root: string, instances: readonly StoredInstanceLocation[], wish: TransferSyntaxWish): AsyncGenerator<OutgoingPart> {
  const { store, decodePool, implementation, settings, logger } = services.dicomweb;
  for (const instance of instances) {
    const headers = { 'Content-Location': instanceUrl(root, instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid) };
    const asStored: OutgoingPart = { contentType: `${DICOM}; transfer-syntax=${instance.transferSyntaxUid}`, headers, body: () => store.get(instance.objectKey as ObjectKey) };
    const { target, orAsStored } = plannedSyntax(instance.transferSyntaxUid, wish);
    if (target === null) {
      yield asStored;
      continue;
    }
    const converted = await transcodeStoredObject(store, decodePool, instance.objectKey as ObjectKey, target, { maxInflatedBytes: settings.maxInflatedBytes });
    if (!converted.ok) {
      const event = { event: 'transcode-refused', sopInstanceUid: instance.sopInstanceUid, transferSyntaxUid: instance.transferSyntaxUid, code: converted.error.code };
      if (orAsStored) {
        logger.info(event, 'WADO-RS: an instance goes as stored, it cannot be converted to the default transfer syntax');
        yield asStored;
        continue;
      }
      logger.warn(event, 'WADO-RS response ended: an instance cannot be converted');
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
    response: { status: 200, schema: anyBody, description: 'multipart/related; type="application/dicom": Part 10 files, in Explicit VR Little Endian by default, as stored for transfer-syntax=*' },
    errors: ['NOT_FOUND', 'MEDIA_TYPE_NOT_ACCEPTABLE'],
    study: studyOf,
    async handler({ params, services, reply, user, recordAccess }) {
      const path = params as AnyPath;
      const instances = await instancesOf(services, user(), path);
      // The most preferred acceptable media type decides (PS3.18 8.7.8): a named syntax must be servable for
      // every instance, or that media type is not acceptable and the next one is tried.
      const wish = selectMultipartOf(reply.request.headers.accept, DICOM, (syntax) => servableIn(instances, syntax));
      if (wish === null) {
        fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'instances are served in their stored transfer syntax, or converted losslessly to Explicit or Implicit VR Little Endian');
      }
      await recordAccess({ objects: [auditObjectOf(path, instances)], detail: { via: 'dicomweb', resource: what, transferSyntax: wishDetail(wish) } });
      return sendMultipart(reply, DICOM, partsOf(services, dicomwebRoot(reply), instances, wish));
    },
  });
}

export const wadoRoutes: readonly Route[] = [
  retrieveRoute('/dicomweb/studies/:studyInstanceUid', studyParams, 'study'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid', seriesParams, 'series'),
  retrieveRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid', instanceParams, 'instance'),
];
