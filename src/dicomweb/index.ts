/** PS3.18 formats for the DICOMweb routes: no HTTP framework, no SQL (issue 4). */
export { readInstanceMetadata, datasetToDicomJson, DEFAULT_INLINE_BINARY_MAX_BYTES, type DicomJsonElement, type DicomJsonObject, type MetadataOptions } from './metadata.js';
export { formatTagPath, parseTagPath, resolveTagPath, tagHex, type TagPath, type TagPathStep } from './tag-path.js';
export { bulkDataOf, bulkDataSyntaxOf, isPixelDataByFrame, type BulkData } from './bulk-data.js';
export {
  encodeMultipart,
  multipartContentType,
  newBoundary,
  octetStreamPartType,
  multipartRequestType,
  MultipartReader,
  DEFAULT_MULTIPART_LIMITS,
  multipartErrorOf,
  type IncomingPart,
  type MultipartLimits,
  type OutgoingPart,
} from './multipart.js';
export { parseMediaType, isValidBoundary, type MediaType } from './media-type.js';
export { classifyPreamble, neutralizePreamble, PreambleGuard, PreambleError, type PreambleKind, type CheckedPrefix } from './preamble.js';
export { buildStowResponse, stowHttpStatus, failureReasonFor, FAILURE_REASON, type StowStored, type StowFailed } from './stow-response.js';
