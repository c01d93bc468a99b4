/**
 * WADO-RS rendered resources (PS3.18 10.4.1.1.3, 8.3.5.1.3) and thumbnails (10.4.1.1.6): frames
 * decoded in the worker pool (a hostile frame costs a worker, not the server), windowed from the
 * object or the `window` parameter, scaled into `viewport`, encoded as JPEG or PNG per `Accept` (or
 * the `accept` parameter). Absurd windows and viewports are refused (`parseRenderParameters`).
 * A single instance or frame is one image; a study, series or several frames are multipart/related.
 */
import { z } from 'zod';
import { parseRenderParameters, readPixelModule, renderStoredFrame, renderStoredThumbnail, thumbnailFrameNumber, parseFrameList, type RenderParameters, type RenderedFrame } from '../../imaging/index.js';
import type { StoredInstanceLocation } from '../../index/index.js';
import { fail, unwrap } from '../problem.js';
import { defineRoute, type Route, type RouteContext } from '../route.js';
import type { HttpServices } from '../services.js';
import { TAG, acceptedTypes, anyBody, frameParams, instanceParams, instancesOf, openInstance, sendMultipart, seriesParams, studyOf, studyParams, type AnyPath } from './common.js';
import { MAX_FRAMES_PER_REQUEST, recordFrameView } from './frames.js';
import { auditObjectOf } from './wado.js';

/** PS3.18 Table 8.3.5-1 parameters; `annotation`, `charset` and `iccprofile` are accepted and have no effect here. */
const renderQuery = z
  .object({
    window: z.string().max(128).optional(),
    viewport: z.string().max(64).optional(),
    quality: z.string().max(8).optional(),
    accept: z.string().max(256).optional(),
    annotation: z.string().max(64).optional(),
    charset: z.string().max(64).optional(),
    iccprofile: z.string().max(64).optional(),
  })
  .strict();
type RenderQuery = z.infer<typeof renderQuery>;

/** Rendering a whole study is bounded: beyond this many instances, ask per series. */
export const MAX_RENDERED_INSTANCES = 500;

function parametersOf(query: RenderQuery, accept: string | undefined): RenderParameters {
  const acceptText = query.accept ?? accept;
  return unwrap(
    parseRenderParameters({
      ...(query.window === undefined ? {} : { window: query.window }),
      ...(query.viewport === undefined ? {} : { viewport: query.viewport }),
      ...(query.quality === undefined ? {} : { quality: query.quality }),
      // A multipart Accept (`multipart/related; type="image/png"`) names the image type in `type`.
      ...(acceptText === undefined ? {} : { accept: imageTypesOf(acceptText) }),
    }),
  );
}

/** The acceptable image types, most preferred first (a multipart names its type in `type`). */
function imageTypesOf(accept: string): string {
  return (acceptedTypes(accept) ?? []).map((t) => (t.essence === 'multipart/related' ? (t.type ?? 'image/jpeg') : t.essence)).join(',');
}

async function renderOne(services: HttpServices, instance: StoredInstanceLocation, frame: number | 'thumbnail' | 'first', parameters: RenderParameters): Promise<RenderedFrame> {
  const stored = await openInstance(services, instance);
  const pool = services.dicomweb.decodePool;
  if (frame === 'thumbnail') {
    const pixel = unwrap(readPixelModule(stored.tree));
    return unwrap(await renderStoredThumbnail(pool, stored, thumbnailFrameNumber(pixel.numberOfFrames), parameters));
  }
  return unwrap(await renderStoredFrame(pool, stored, frame === 'first' ? 1 : frame, parameters));
}

function sendImage(context: RouteContext<unknown, unknown, unknown>, image: RenderedFrame): Buffer {
  void context.reply.type(image.contentType);
  return image.bytes;
}

type Level = 'study' | 'series' | 'instance';
const PARAMS = { study: studyParams, series: seriesParams, instance: instanceParams } as const;
const SUFFIX = { study: '/dicomweb/studies/:studyInstanceUid', series: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid', instance: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances/:sopInstanceUid' } as const;

function renderedRoute(level: Level): Route {
  return defineRoute({
    method: 'GET',
    url: `${SUFFIX[level]}/rendered`,
    summary: `WADO-RS: the ${level} rendered as JPEG or PNG (first frame of each instance)`,
    tag: TAG,
    access: 'study:read',
    audit: { action: 'view', writtenBy: 'route' },
    params: PARAMS[level],
    query: renderQuery,
    body: null,
    response: { status: 200, schema: anyBody, description: level === 'instance' ? 'image/jpeg or image/png' : 'multipart/related of image/jpeg or image/png' },
    errors: ['NOT_FOUND', 'RENDER_PARAMETERS_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'DECODE_UNSUPPORTED', 'DECODE_FAILED', 'DECODE_BUSY', 'PIXEL_DATA_INVALID'],
    study: studyOf,
    async handler(context) {
      const { params, query, services, reply, user, recordAccess } = context;
      const parameters = parametersOf(query, reply.request.headers.accept);
      const path = params as AnyPath;
      const instances = await instancesOf(services, user(), path);
      if (instances.length > MAX_RENDERED_INSTANCES) fail('INVALID_REQUEST', `more than ${MAX_RENDERED_INSTANCES} instances to render: ask per series`);
      // Render everything first: a frame that cannot be rendered is an error answer, not a cut stream.
      const images: RenderedFrame[] = [];
      for (const instance of instances) images.push(await renderOne(services, instance, 'first', parameters));
      await recordAccess({ objects: [auditObjectOf(path, instances)], detail: { via: 'dicomweb', resource: `${level}-rendered` } });
      if (level === 'instance') return sendImage(context as RouteContext<unknown, unknown, unknown>, images[0]!);
      const type = parameters.format === 'png' ? 'image/png' : 'image/jpeg';
      return sendMultipart(reply, type, images.map((image) => ({ contentType: image.contentType, body: image.bytes })));
    },
  });
}

function thumbnailRoute(level: Level): Route {
  return defineRoute({
    method: 'GET',
    url: `${SUFFIX[level]}/thumbnail`,
    summary: `WADO-RS: a thumbnail of the ${level} (JPEG or PNG within 128 × 128 unless a viewport is given)`,
    tag: TAG,
    access: 'study:read',
    audit: { action: 'view', writtenBy: 'route' },
    params: PARAMS[level],
    query: renderQuery,
    body: null,
    response: { status: 200, schema: anyBody, description: 'image/jpeg or image/png' },
    errors: ['NOT_FOUND', 'RENDER_PARAMETERS_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'DECODE_UNSUPPORTED', 'DECODE_FAILED', 'DECODE_BUSY', 'PIXEL_DATA_INVALID'],
    study: studyOf,
    async handler(context) {
      const { params, query, services, reply, user, recordAccess } = context;
      const parameters = parametersOf(query, reply.request.headers.accept);
      const path = params as AnyPath;
      const instances = await instancesOf(services, user(), path);
      // The representative instance: the first of the first series (PS3.18 leaves the choice to the server).
      const chosen = instances[0]!;
      const image = await renderOne(services, chosen, 'thumbnail', parameters);
      await recordAccess({ objects: [auditObjectOf(path, [chosen])], detail: { via: 'dicomweb', resource: `${level}-thumbnail` } });
      return sendImage(context as RouteContext<unknown, unknown, unknown>, image);
    },
  });
}

function frameImageRoute(kind: 'rendered' | 'thumbnail'): Route {
  return defineRoute({
    method: 'GET',
    url: `${SUFFIX.instance}/frames/:frameList/${kind}`,
    summary: kind === 'rendered' ? 'WADO-RS: frames rendered as JPEG or PNG' : 'WADO-RS: a thumbnail of a frame',
    tag: TAG,
    access: 'study:read',
    audit: { action: 'view', writtenBy: 'service' },
    params: frameParams,
    query: renderQuery,
    body: null,
    response: { status: 200, schema: anyBody, description: 'one image, or multipart/related of images for several frames' },
    errors: ['NOT_FOUND', 'FRAME_NOT_FOUND', 'INVALID_REQUEST', 'RENDER_PARAMETERS_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE', 'DECODE_UNSUPPORTED', 'DECODE_FAILED', 'DECODE_BUSY'],
    study: studyOf,
    async handler(context) {
      const { params, query, services, reply, user } = context;
      const parameters = parametersOf(query, reply.request.headers.accept);
      const instances = await instancesOf(services, user(), params);
      const stored = await openInstance(services, instances[0]!);
      const pixel = unwrap(readPixelModule(stored.tree));
      const numbers = unwrap(parseFrameList(params.frameList, pixel.numberOfFrames, MAX_FRAMES_PER_REQUEST));
      const chosen = kind === 'thumbnail' ? numbers.slice(0, 1) : numbers;
      const pool = services.dicomweb.decodePool;
      const images: RenderedFrame[] = [];
      for (const n of chosen) images.push(unwrap(kind === 'thumbnail' ? await renderStoredThumbnail(pool, stored, n, parameters) : await renderStoredFrame(pool, stored, n, parameters)));
      await recordFrameView(context as RouteContext<unknown, unknown, unknown>, params, instances, chosen.length);
      if (images.length === 1) return sendImage(context as RouteContext<unknown, unknown, unknown>, images[0]!);
      return sendMultipart(reply, parameters.format === 'png' ? 'image/png' : 'image/jpeg', images.map((image) => ({ contentType: image.contentType, body: image.bytes })));
    },
  });
}

export const renderedRoutes: readonly Route[] = [
  renderedRoute('study'),
  renderedRoute('series'),
  renderedRoute('instance'),
  frameImageRoute('rendered'),
  thumbnailRoute('study'),
  thumbnailRoute('series'),
  thumbnailRoute('instance'),
  frameImageRoute('thumbnail'),
];
