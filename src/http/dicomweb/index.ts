/** DICOMweb under `/dicomweb` (PS3.18; issue 4 items 4 and 5): routes, body parsers and CORS. */
import type { FastifyInstance } from 'fastify';
import type { Route } from '../route.js';
import { registerDicomwebCors } from './cors.js';
import { frameRoutes } from './frames.js';
import { metadataRoutes } from './metadata.js';
import { qidoRoutes } from './qido.js';
import { renderedRoutes } from './rendered.js';
import { stowRoutes } from './stow.js';
import { wadoRoutes } from './wado.js';

export { createDicomwebServices, DEFAULT_DICOMWEB_SETTINGS, type DicomwebServices, type DicomwebSettings } from './services.js';
export { FrameViewLedger } from './frame-views.js';

export const dicomwebRoutes: readonly Route[] = [...qidoRoutes, ...wadoRoutes, ...metadataRoutes, ...frameRoutes, ...renderedRoutes, ...stowRoutes];

/**
 * What DICOMweb adds to the app besides its routes: STOW-RS bodies are handed to the route as the
 * raw stream (multipart is decoded part by part, never buffered; its own limits apply instead of
 * the JSON body limit), and CORS for the configured origins.
 */
export function registerDicomwebHttp(app: FastifyInstance, options: { readonly corsOrigins: readonly string[] }): void {
  app.addContentTypeParser(['multipart/related', 'application/dicom'], (_request, payload, done) => done(null, payload));
  registerDicomwebCors(app, options.corsOrigins);
}
