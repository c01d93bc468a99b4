/** Stored-object reading, frames, decoding in workers and rendering (issue 4). */
export { objectByteSource, bufferByteSource, type ByteSource } from './byte-source.js';
export { readDatasetTree, findElement, type DatasetNode, type ElementNode, type EncapsulatedValue, type Fragment, type TreeLimits } from './dataset-tree.js';
export { DEFAULT_MAX_INFLATED_DATASET_BYTES, openStoredObject, openStoredSource, type StoredObject, type OpenOptions } from './stored-object.js';
export { readPixelModule, readRenderingAttributes, MAX_FRAME_SAMPLES, type PixelModule, type RenderingAttributes } from './pixel-module.js';
export { locateFrame, parseFrameList, frameStream, readFrameBytes, type FrameLocation, type ByteRange } from './frames.js';
export { DecodePool, waitingOutBusy, type DecodePoolOptions, type DecodePoolStats } from './decode-pool.js';
export type { DecodedFrame, DecodeRequest } from './decode-frame.js';
export { decodeStoredFrame } from './decode-stored.js';
export { nativeFrameBytes } from './native-frame.js';
export { renderFrame, encodeRendered, applyWindow, type RenderedImage } from './render.js';
export { parseRenderParameters, thumbnailFrameNumber, MAX_VIEWPORT, THUMBNAIL_VIEWPORT, type RenderParameters, type VoiFunction } from './render-parameters.js';
export { renderStoredFrame, renderStoredThumbnail, type RenderedFrame } from './rendered.js';
export { encodePng } from './png.js';
export { canTranscode, transcodeStoredObject, transcodeToExplicitLittleEndian, transcodePlan, TranscodeStreamError, type TranscodeOptions } from './transcode.js';
