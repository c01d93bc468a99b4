/**
 * The header walk over a Deflated Explicit VR Little Endian dataset (PS3.5 §A.5), inflating only
 * as much as the walk needs: a big deflated object costs the size of its header, not of its pixel
 * data. (Guarding the whole stream against decompression bombs is the ingest core's job,
 * `src/ingest/inflate-guard.ts`; this bounds only what the header reader holds in memory.)
 *
 * Node's synchronous inflate cannot be resumed, so each attempt inflates a longer prefix of the
 * compressed bytes from the start (`Z_SYNC_FLUSH` yields everything a prefix decodes to). The
 * prefix doubles, so the total work stays within a small multiple of the last attempt.
 */
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { kakuteiError, type KakuteiError } from '../../errors/index.js';
import { walkDataset, type CaptureSchema, type WalkResult, type WalkSyntax } from './element-walker.js';

export const DEFAULT_MAX_INFLATED_HEADER_BYTES = 64 * 1024 * 1024;

/** Compressed bytes inflated by the first attempt: most headers compress to less than this. */
const FIRST_ATTEMPT_COMPRESSED_BYTES = 4 * 1024;

/**
 * Deflate's largest possible expansion, about 1032:1 (a 258-byte match in a few bits, RFC 1951
 * §3.2.5): one compressed byte more never yields more than this many inflated bytes.
 */
const MAX_DEFLATE_RATIO = 1032;

const EXPLICIT_LITTLE: WalkSyntax = { explicitVr: true, littleEndian: true };

export interface DeflatedWalk {
  readonly walk: WalkResult;
  /** Inflated bytes the deciding attempt produced (what the header reader held in memory). */
  readonly inflatedBytes: number;
}

type Attempt = Uint8Array | 'over-limit' | KakuteiError;

function inflatePrefix(compressed: Uint8Array, finish: boolean, maxOutputLength: number): Attempt {
  try {
    // A prefix ends mid-stream: SYNC_FLUSH returns what inflates so far instead of failing.
    const finishFlush = finish ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH;
    return inflateRawSync(compressed, { maxOutputLength, finishFlush });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (error instanceof RangeError || code === 'ERR_BUFFER_TOO_LARGE') return 'over-limit';
    if (code === 'Z_BUF_ERROR') return kakuteiError('DATASET_TRUNCATED', 'the deflated stream ends early');
    return kakuteiError('DATASET_UNPARSEABLE', 'the deflated stream is corrupt');
  }
}

/**
 * Walks the deflated `compressed` bytes (the whole dataset when `complete`, else a prefix of it).
 * Returns the walk of the shortest inflated prefix that settles it — the header ends at Pixel Data
 * or at the end of the dataset — or DECOMPRESSION_BOMB when the header inflates beyond
 * `maxInflatedHeaderBytes`. Headers within 15/16 of the bound are always read; between that and
 * the bound, a header followed by very compressible data may be refused (see `tolerance`).
 */
export function walkDeflatedDataset(
  compressed: Uint8Array,
  complete: boolean,
  schema: CaptureSchema,
  maxInflatedHeaderBytes: number,
): DeflatedWalk | KakuteiError {
  const total = compressed.length;
  // Once an attempt overflows, the largest prefix known to leave the header unfinished and the
  // smallest known to overflow are bisected down to this many compressed bytes, whose inflated
  // size is at most 1/16 of the bound: no header shorter than 15/16 of the bound is refused.
  const tolerance = Math.max(1, Math.floor(maxInflatedHeaderBytes / (16 * MAX_DEFLATE_RATIO)));
  let shortAt = 0;
  let overAt: number | null = null;
  let take = Math.min(total, FIRST_ATTEMPT_COMPRESSED_BYTES);
  for (;;) {
    const whole = take === total;
    // Only the whole dataset may be checked for a proper end of stream (Z_FINISH); a walk over
    // anything shorter may only ask for more.
    const finish = whole && complete;
    const inflated = inflatePrefix(compressed.subarray(0, take), finish, maxInflatedHeaderBytes);
    if (inflated === 'over-limit') {
      overAt = take;
    } else if (!(inflated instanceof Uint8Array)) {
      return inflated;
    } else {
      const walk = walkDataset(inflated, EXPLICIT_LITTLE, schema, finish);
      if (walk.ok || walk.failure !== 'need-more-bytes' || whole) return { walk, inflatedBytes: inflated.length };
      shortAt = take;
    }
    if (overAt === null) {
      take = Math.min(total, take * 2);
    } else {
      if (overAt - shortAt <= tolerance) {
        return kakuteiError('DECOMPRESSION_BOMB', `the deflated header inflates beyond ${maxInflatedHeaderBytes} bytes`);
      }
      take = shortAt + Math.floor((overAt - shortAt) / 2);
    }
  }
}
