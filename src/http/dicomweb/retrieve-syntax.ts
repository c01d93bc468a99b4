/**
 * Which transfer syntax a retrieved instance is sent in (PS3.18 8.7.3, 8.7.8.2), decided from the
 * client's wish and the stored syntax alone, before any byte is read.
 */
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../dicom/dictionary/transfer-syntaxes.js';
import { canTranscode } from '../../imaging/index.js';
import type { TransferSyntaxWish } from './common.js';

export interface PlannedSyntax {
  /** The syntax to convert to; null: the stored Part 10 file as it is. */
  readonly target: string | null;
  /**
   * Whether a conversion refused when its first byte is due falls back to the stored form: only
   * for the default — a client that named a syntax was promised it, and the response ends instead.
   */
  readonly orAsStored: boolean;
}

/**
 * - `*`: as stored, always (bit for bit: what a client checks against the recorded hash).
 * - a named syntax: as stored when it is the stored one, else converted to it.
 * - the default: Explicit VR Little Endian; an instance we hold only in lossy form, or cannot
 *   convert losslessly (video, a codec we do not decode), goes as stored — the standard's exception
 *   for pixel data the origin server has only in lossy compressed form.
 */
export function plannedSyntax(storedSyntaxUid: string, wish: TransferSyntaxWish): PlannedSyntax {
  switch (wish.kind) {
    case 'any':
      return { target: null, orAsStored: false };
    case 'named':
      return { target: storedSyntaxUid === wish.uid ? null : wish.uid, orAsStored: false };
    case 'default': {
      const convertible = storedSyntaxUid !== EXPLICIT_VR_LITTLE_ENDIAN && canTranscode(storedSyntaxUid, EXPLICIT_VR_LITTLE_ENDIAN);
      return { target: convertible ? EXPLICIT_VR_LITTLE_ENDIAN : null, orAsStored: true };
    }
  }
}

/** How the wish is written in the `retrieve` audit event's detail. */
export function wishDetail(wish: TransferSyntaxWish): string {
  return wish.kind === 'named' ? wish.uid : wish.kind === 'any' ? '*' : 'default';
}
