/**
 * WADO-RS rendering parameters (PS3.18 8.3.5.1.3): `window=center,width[,function]`,
 * `viewport=vw,vh`, `quality=1..100`, and the media type. Absurd values are refused, not clamped.
 */
import { err, kakuteiError, ok, type Result } from '../errors/index.js';

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface RenderParameters {
  readonly format: 'jpeg' | 'png';
  readonly window: { readonly center: number; readonly width: number; readonly fn: VoiFunction } | null;
  readonly viewport: { readonly width: number; readonly height: number } | null;
  /** JPEG quality 1–100. */
  readonly quality: number;
}

export const MAX_VIEWPORT = 4096;
export const THUMBNAIL_VIEWPORT = { width: 128, height: 128 } as const;
const MAX_WINDOW_MAGNITUDE = 1e9;

const bad = (detail: string) => err(kakuteiError('RENDER_PARAMETERS_INVALID', detail));
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseRenderParameters(query: { readonly window?: string; readonly viewport?: string; readonly quality?: string; readonly accept?: string }): Result<RenderParameters> {
  let format: 'jpeg' | 'png' = 'jpeg';
  if (query.accept !== undefined) {
    const types = query.accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
    if (types.includes('image/jpeg') || types.includes('image/*') || types.includes('*/*')) format = 'jpeg';
    else if (types.includes('image/png')) format = 'png';
    else return err(kakuteiError('MEDIA_TYPE_NOT_ACCEPTABLE', 'rendered media type must be image/jpeg or image/png'));
    if (types[0] === 'image/png') format = 'png';
  }
  let window: RenderParameters['window'] = null;
  if (query.window !== undefined) {
    const parts = query.window.split(',');
    if (parts.length < 2 || parts.length > 3 || !NUMBER.test(parts[0]!) || !NUMBER.test(parts[1]!)) return bad('window must be center,width[,function]');
    const center = Number(parts[0]);
    const width = Number(parts[1]);
    if (!(width >= 1) || Math.abs(center) > MAX_WINDOW_MAGNITUDE || width > 2 * MAX_WINDOW_MAGNITUDE) return bad('window out of range');
    const fn = (parts[2] ?? 'LINEAR').toUpperCase();
    if (fn !== 'LINEAR' && fn !== 'LINEAR_EXACT' && fn !== 'SIGMOID') return bad('unknown VOI LUT function');
    window = { center, width, fn };
  }
  let viewport: RenderParameters['viewport'] = null;
  if (query.viewport !== undefined) {
    const parts = query.viewport.split(',');
    if (parts.length !== 2 || !parts.every((p) => /^\d{1,5}$/.test(p))) return bad('viewport must be width,height');
    const [width, height] = parts.map(Number) as [number, number];
    if (width < 1 || height < 1 || width > MAX_VIEWPORT || height > MAX_VIEWPORT) return bad(`viewport sides run from 1 to ${MAX_VIEWPORT}`);
    viewport = { width, height };
  }
  let quality = 90;
  if (query.quality !== undefined) {
    if (!/^\d{1,3}$/.test(query.quality) || Number(query.quality) < 1 || Number(query.quality) > 100) return bad('quality runs from 1 to 100');
    quality = Number(query.quality);
  }
  return ok({ format, window, viewport, quality });
}

/** The frame a thumbnail shows: the middle one (PS3.18 leaves the choice to the origin server). */
export function thumbnailFrameNumber(numberOfFrames: number): number {
  return Math.max(1, Math.ceil(numberOfFrames / 2));
}
