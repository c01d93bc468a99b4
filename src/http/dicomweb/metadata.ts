/**
 * WADO-RS metadata (PS3.18 10.4.1.1.2) and bulk data (10.4.1.1.5). Metadata is every element of
 * each instance in DICOM JSON; binary values over 1 KiB and Pixel Data are BulkDataURIs that name
 * the element by tag path (`…/instances/{sop}/bulkdata/00540016/0/00181072`), so a URI can only
 * reach an element that exists in that object — the server never fetches a URI a client supplies.
 * The array is streamed instance by instance. One `view` event per request.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { bulkDataOf, bulkDataSyntaxOf, formatTagPath, isPixelDataByFrame, octetStreamPartType, parseTagPath, readInstanceMetadata } from '../../dicomweb/index.js';
import { readPixelModule } from '../../imaging/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import type { ObjectKey } from '../../storage/index.js';
import { fail, unwrap } from '../problem.js';
import { NO_QUERY, defineRoute, type Route } from '../route.js';
import type { HttpServices } from '../services.js';
import { DICOM_JSON, TAG, acceptedTypes, acceptsMultipartOf, anyBody, dicomwebRoot, instanceParams, instanceUrl, instancesOf, openInstance, sendMultipart, seriesParams, studyOf, studyParams, type AnyPath } from './common.js';
import { auditObjectOf } from './wado.js';
import { frameParts } from './frame-parts.js';

function metadataStream(services: HttpServices, root: string, instances: readonly StoredInstanceLocation[]): Readable {
  const { store, logger } = services.dicomweb;
  async function* generate(): AsyncGenerator<string> {
    yield '[';
    let first = true;
    for (const instance of instances) {
      const base = instanceUrl(root, instance.studyInstanceUid, instance.seriesInstanceUid, instance.sopInstanceUid);
      const metadata = await readInstanceMetadata(store, instance.objectKey as ObjectKey, { bulkDataUri: (path) => `${base}/bulkdata/${formatTagPath(path)}` });
      if (!metadata.ok) {
        // A stored object that no longer parses is reported to operators (`kakutei verify`), not to the client.
        logger.error({ event: 'dicomweb-metadata', code: metadata.error.code, sopInstanceUid: instance.sopInstanceUid }, 'stored object cannot be read for metadata');
        continue;
      }
      yield `${first ? '' : ','}${JSON.stringify(metadata.value)}`;
      first = false;
    }
    yield ']';
  }
  return Readable.from(generate(), { objectMode: false });
}

function metadataRoute(url: string, params: typeof studyParams | typeof seriesParams | typeof instanceParams, what: string): Route {
  return defineRoute({
    method: 'GET',
    url,
    summary: `WADO-RS: the metadata of the ${what} (DICOM JSON, bulk data by URI)`,
    tag: TAG,
    access: 'study:read',
    audit: { action: 'view', writtenBy: 'route' },
    params,
    query: NO_QUERY,
    body: null,
    response: { status: 200, schema: anyBody, description: 'application/dicom+json: one object per instance' },
    errors: ['NOT_FOUND', 'MEDIA_TYPE_NOT_ACCEPTABLE'],
    study: studyOf,
    async handler({ params, services, reply, user, recordAccess }) {
      const accepted = acceptedTypes(reply.request.headers.accept);
      if (accepted !== null && !accepted.some((t) => ['application/dicom+json', 'application/json', '*/*', 'application/*'].includes(t.essence))) {
        fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'metadata is application/dicom+json');
      }
      const path = params as AnyPath;
      const instances = await instancesOf(services, user(), path);
      await recordAccess({ objects: [auditObjectOf(path, instances)], detail: { via: 'dicomweb', resource: `${what}-metadata` } });
      void reply.type(DICOM_JSON);
      return metadataStream(services, dicomwebRoot(reply), instances);
    },
  });
}

const bulkParams = instanceParams.extend({ '*': z.string().min(8).max(16 * 16) }).strict();

const bulkData = defineRoute({
  method: 'GET',
  url: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/bulkdata/*',
  summary: 'WADO-RS: the bulk data of one element, named by its tag path (a BulkDataURI of the metadata)',
  tag: TAG,
  access: 'study:read',
  audit: { action: 'view', writtenBy: 'route' },
  params: bulkParams,
  query: NO_QUERY,
  body: null,
  response: { status: 200, schema: anyBody, description: 'multipart/related; type="application/octet-stream": the element value' },
  errors: ['NOT_FOUND', 'INVALID_REQUEST', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'PIXEL_DATA_INVALID', 'DECODE_UNSUPPORTED', 'DECODE_FAILED', 'DECODE_LIMIT_EXCEEDED', 'DECODE_BUSY'],
  study: studyOf,
  async handler({ params, services, reply, user, recordAccess }) {
    const path = unwrap(parseTagPath(params['*']));
    const instances = await instancesOf(services, user(), params);
    const instance = instances[0]!;
    const stored = await openInstance(services, instance);
    // Encapsulated or big endian Pixel Data (PS3.18 10.4.1.1.5): every frame, a part each, as the frames resource sends them.
    if (isPixelDataByFrame(stored, path)) {
      const pixel = unwrap(readPixelModule(stored.tree));
      const frames = Array.from({ length: pixel.numberOfFrames }, (_, i) => i + 1);
      const parts = await frameParts(services, stored, pixel, frames, reply.request.headers.accept);
      await recordAccess({ objects: [auditObjectOf(params, instances)], detail: { via: 'dicomweb', resource: 'bulkdata', frames: frames.length } });
      return sendMultipart(reply, 'application/octet-stream', parts);
    }
    if (!acceptsMultipartOf(reply.request.headers.accept, 'application/octet-stream')) fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'bulk data is multipart/related application/octet-stream');
    const bulk = unwrap(bulkDataOf(stored, path));
    await recordAccess({ objects: [auditObjectOf(params, instances)], detail: { via: 'dicomweb', resource: 'bulkdata' } });
    return sendMultipart(reply, 'application/octet-stream', [{ contentType: octetStreamPartType(bulkDataSyntaxOf(bulk.transferSyntaxUid)), body: bulk.stream }]);
  },
});

export const metadataRoutes: readonly Route[] = [
  metadataRoute('/dicomweb/studies/:studyInstanceUid/metadata', studyParams, 'study'),
  metadataRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/metadata', seriesParams, 'series'),
  metadataRoute('/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid/metadata', instanceParams, 'instance'),
  bulkData,
];
