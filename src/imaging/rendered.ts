/** WADO-RS `/rendered` and `/thumbnail` for one frame of a stored object: decode, render, encode. */
import type { Result } from '../errors/index.js';
import type { DecodePool } from './decode-pool.js';
import { decodeStoredFrame } from './decode-stored.js';
import { readRenderingAttributes } from './pixel-module.js';
import { encodeRendered, renderFrame } from './render.js';
import { THUMBNAIL_VIEWPORT, type RenderParameters } from './render-parameters.js';
import type { StoredObject } from './stored-object.js';

export interface RenderedFrame {
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
}

export async function renderStoredFrame(pool: DecodePool, stored: StoredObject, frameNumber: number, parameters: RenderParameters): Promise<Result<RenderedFrame>> {
  const frame = await decodeStoredFrame(pool, stored, frameNumber);
  if (!frame.ok) return frame;
  const image = renderFrame(frame.value, readRenderingAttributes(stored.tree), parameters);
  if (!image.ok) return image;
  const bytes = encodeRendered(image.value, parameters);
  return { ok: true, value: { contentType: parameters.format === 'png' ? 'image/png' : 'image/jpeg', bytes, width: image.value.width, height: image.value.height } };
}

/** A thumbnail: the given frame (see `thumbnailFrameNumber`) within 128 × 128 unless asked otherwise. */
export function renderStoredThumbnail(pool: DecodePool, stored: StoredObject, frameNumber: number, parameters: RenderParameters): Promise<Result<RenderedFrame>> {
  return renderStoredFrame(pool, stored, frameNumber, { ...parameters, viewport: parameters.viewport ?? THUMBNAIL_VIEWPORT });
}
