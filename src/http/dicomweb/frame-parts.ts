/**
 * The parts of a frames response (PS3.18 8.7.3.3, 8.7.8.2), for `/frames/{list}` and for the bulk
 * data of encapsulated Pixel Data: by default uncompressed — native little-endian bytes, Explicit VR
 * Little Endian — so lossless compressed frames are decoded in the pool (and big endian ones
 * swapped); frames held only in lossy form (or in a codec we do not decode) as stored, as the
 * standard allows; for `transfer-syntax=*` or the stored syntax named, each frame's bytes as stored
 * (fragments joined), labelled with it.
 */
import { Readable } from 'node:stream';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../dicom/dictionary/transfer-syntaxes.js';
import { bulkDataSyntaxOf, octetStreamPartType, type OutgoingPart } from '../../dicomweb/index.js';
import { canTranscode, frameStream, locateFrame, nativeFrameBytes, waitingOutBusy, type DecodePool, type FrameLocation, type PixelModule, type StoredObject } from '../../imaging/index.js';
import { fail, unwrap } from '../problem.js';
import type { HttpServices } from '../services.js';
import { selectMultipartOf } from './common.js';

const OCTET_STREAM = 'application/octet-stream';

/** Each frame's bytes as stored, labelled with their syntax. */
function storedParts(stored: StoredObject, locations: readonly FrameLocation[], label: string): OutgoingPart[] {
  return locations.map((location) => ({ contentType: octetStreamPartType(label), body: () => frameStream(stored, location) }));
}

/** Decoded frames, one at a time as the response is written; `first` is already decoded. */
function decodedParts(pool: DecodePool, stored: StoredObject, pixel: PixelModule, numbers: readonly number[], first: Uint8Array): OutgoingPart[] {
  return numbers.map((n, index) => ({
    contentType: octetStreamPartType(EXPLICIT_VR_LITTLE_ENDIAN),
    body: () => (index === 0 ? Readable.from([first]) : Readable.from(decodedFrame(pool, stored, pixel, n))),
  }));
}

async function* decodedFrame(pool: DecodePool, stored: StoredObject, pixel: PixelModule, frameNumber: number): AsyncGenerator<Uint8Array> {
  // Mid-response a full decode queue is waited out, and a failure can only end the stream (the client sees a cut multipart).
  const decoded = await waitingOutBusy(() => nativeFrameBytes(pool, stored, pixel, frameNumber));
  if (!decoded.ok) throw new Error(`frame ${frameNumber} does not decode (${decoded.error.code})`);
  yield decoded.value;
}

/**
 * Parts for frames `numbers` of `stored` as the Accept header asks. Every frame is located, and the
 * first one decoded when frames are sent decoded, before anything is sent: a bad offset table or a
 * frame that does not decode is an error the client can read, not a cut stream (the default falls
 * back to the frames as stored). Throws the problem (406, 4xx/5xx) otherwise.
 */
export async function frameParts(services: HttpServices, stored: StoredObject, pixel: PixelModule, numbers: readonly number[], accept: string | string[] | undefined): Promise<OutgoingPart[]> {
  const { decodePool, logger } = services.dicomweb;
  const label = bulkDataSyntaxOf(stored.meta.transferSyntaxUid);
  // Lossless compressed frames, and big endian ones (PS3.18 keeps that syntax out of web services),
  // can also be sent decoded: by default, or when Explicit VR LE is named.
  const decodable = label !== EXPLICIT_VR_LITTLE_ENDIAN && canTranscode(stored.meta.transferSyntaxUid, EXPLICIT_VR_LITTLE_ENDIAN);
  const wish = selectMultipartOf(accept, OCTET_STREAM, (syntax) => syntax === label || (decodable && syntax === EXPLICIT_VR_LITTLE_ENDIAN));
  if (wish === null) fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'frames are served as stored, or decoded to Explicit VR Little Endian when lossless');
  const decode = decodable && (wish.kind === 'default' || (wish.kind === 'named' && wish.uid === EXPLICIT_VR_LITTLE_ENDIAN));
  const locations: FrameLocation[] = [];
  for (const n of numbers) locations.push(unwrap(await locateFrame(stored, n)));
  if (decode) {
    // Not waited out: a full decode queue is a 503 the client can retry, as for rendered images.
    const first = await nativeFrameBytes(decodePool, stored, pixel, numbers[0]!);
    if (first.ok) return decodedParts(decodePool, stored, pixel, numbers, first.value);
    if (wish.kind === 'named' || first.error.code === 'DECODE_BUSY') unwrap(first);
    logger.info({ event: 'frame-decode-refused', sopInstanceUid: stored.meta.sopInstanceUid, transferSyntaxUid: stored.meta.transferSyntaxUid, code: first.error.code }, 'WADO-RS: frames go as stored, they do not decode');
  }
  return storedParts(stored, locations, label);
}
