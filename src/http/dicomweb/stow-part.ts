/**
 * One STOW-RS part (PS3.18 10.5) through the ingest core: its Part 10 meta group read from the
 * first bytes (the stored file gets our own meta group and a zero preamble, so an executable
 * preamble is never kept — CVE-2019-11687), the SOP class checked, the study checked against the
 * path when there is one (PS3.18 10.5.1: an instance of another study fails), then the dataset
 * streamed into the object store. Memory holds the meta group and, when the study must be checked,
 * the dataset header — never the pixel data.
 */
import type { Readable } from 'node:stream';
import type { AuditEventInput } from '../../audit/events.js';
import { readInstanceHeader } from '../../dicom/dataset/index.js';
import { isStorageSopClass } from '../../dicom/dictionary/index.js';
import { readFileMeta, type FileMeta } from '../../dicom/part10/index.js';
import { FAILURE_REASON, classifyPreamble, failureReasonFor, multipartErrorOf, type IncomingPart, type PreambleKind, type StowFailed } from '../../dicomweb/index.js';
import type { KakuteiError } from '../../errors/index.js';
import { kakuteiError } from '../../errors/index.js';
import type { IngestResult, ReceiptSource, StoredSummary } from '../../ingest/index.js';
import type { DicomwebServices } from './services.js';

/** Bytes read to find the file meta group (PS3.10 7.1: a few hundred bytes in practice). */
const MAX_META_BYTES = 64 * 1024;
/** Bytes of dataset header held to read the Study Instance UID when the path names a study. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export type PartOutcome =
  | { readonly kind: 'stored'; readonly result: IngestResult; readonly sopClassUid: string; readonly preamble: PreambleKind }
  | { readonly kind: 'failed'; readonly failed: StowFailed; readonly code: KakuteiError['code']; readonly preamble: PreambleKind | null }
  /** The body itself broke (bad multipart, limits, disconnect): the request ends here. */
  | { readonly kind: 'fatal'; readonly error: KakuteiError };

export interface PartContext {
  readonly services: DicomwebServices;
  /** The study of `POST /studies/{study}`; null for `POST /studies`. */
  readonly pathStudy: string | null;
  readonly source: ReceiptSource;
  readonly auditEvents: (stored: StoredSummary, sopInstanceUid: string) => readonly AuditEventInput[];
}

/** Reads a part body chunk by chunk, keeping what was read for later. */
class PartBody {
  private readonly iterator: AsyncIterator<Buffer>;
  ended = false;
  constructor(body: Readable) {
    this.iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  async next(): Promise<Buffer | null> {
    if (this.ended) return null;
    const step = await this.iterator.next();
    if (step.done === true) {
      this.ended = true;
      return null;
    }
    return step.value;
  }
  async drain(): Promise<void> {
    while ((await this.next()) !== null);
  }
}

const failed = (code: KakuteiError['code'], meta: Pick<FileMeta, 'sopClassUid' | 'sopInstanceUid'> | null, preamble: PreambleKind | null, reason = failureReasonFor(code)): PartOutcome => ({
  kind: 'failed',
  code,
  preamble,
  failed: { sopClassUid: meta?.sopClassUid ?? null, sopInstanceUid: meta?.sopInstanceUid ?? null, failureReason: reason },
});

export async function storePart(part: IncomingPart, context: PartContext): Promise<PartOutcome> {
  const body = new PartBody(part.body);
  try {
    return await storeBody(part, body, context);
  } catch (cause) {
    const error = multipartErrorOf(cause);
    if (error !== null) return { kind: 'fatal', error };
    return { kind: 'fatal', error: kakuteiError('MULTIPART_INVALID', 'the body could not be read') };
  }
}

async function storeBody(part: IncomingPart, body: PartBody, context: PartContext): Promise<PartOutcome> {
  // PS3.18 10.5.1.2: the parts of a DICOM STOW are application/dicom instances.
  if (part.mediaType.essence !== 'application/dicom') {
    await body.drain();
    return failed('MEDIA_TYPE_UNSUPPORTED', null, null, FAILURE_REASON.cannotUnderstand);
  }
  let head = Buffer.alloc(0);
  let meta: FileMeta | null = null;
  for (;;) {
    const parsed = readFileMeta(head);
    if (parsed.ok && (head.length >= MAX_META_BYTES || body.ended || parsed.value.datasetOffset < head.length)) {
      meta = parsed.value;
      break;
    }
    if (!parsed.ok && (parsed.error.code !== 'DATASET_TRUNCATED' || body.ended || head.length >= MAX_META_BYTES)) {
      await body.drain();
      return failed(parsed.error.code, null, head.length >= 128 ? classifyPreamble(head) : null, FAILURE_REASON.cannotUnderstand);
    }
    const chunk = await body.next();
    if (chunk !== null) head = Buffer.concat([head, chunk]);
  }
  const preamble = classifyPreamble(head);
  const sopClasses = new Set(context.services.settings.privateSopClasses);
  if (!isStorageSopClass(meta.sopClassUid, sopClasses)) {
    await body.drain();
    return failed('SOP_CLASS_NOT_SUPPORTED', meta, preamble, FAILURE_REASON.sopClassNotSupported);
  }
  let dataset = head.subarray(meta.datasetOffset);

  if (context.pathStudy !== null) {
    for (;;) {
      const header = readInstanceHeader({ bytes: dataset, complete: body.ended, transferSyntaxUid: meta.transferSyntaxUid });
      if (header.ok) {
        if (header.attributes.studyInstanceUid !== context.pathStudy) {
          await body.drain();
          // PS3.18 10.5.3: an instance not of the study in the path fails (0xA900-like: does not match).
          return failed('STATE_CONFLICT', meta, preamble, FAILURE_REASON.dataSetDoesNotMatchSopClass);
        }
        break;
      }
      if (!header.needMoreBytes || body.ended || dataset.length >= MAX_HEADER_BYTES) {
        await body.drain();
        return failed(header.needMoreBytes ? 'DATASET_UNPARSEABLE' : header.error.code, meta, preamble, FAILURE_REASON.cannotUnderstand);
      }
      const chunk = await body.next();
      if (chunk !== null) dataset = Buffer.concat([dataset, chunk]);
    }
  }

  const begun = await context.services.ingest.begin({
    sopClassUid: meta.sopClassUid,
    sopInstanceUid: meta.sopInstanceUid,
    transferSyntaxUid: meta.transferSyntaxUid,
    source: context.source,
    auditEvents: (stored) => context.auditEvents(stored, meta.sopInstanceUid),
  });
  if (!begun.ok) {
    await body.drain();
    return failed(begun.error.code, meta, preamble);
  }
  const receiver = begun.value;
  try {
    if (dataset.length > 0) await receiver.write(dataset);
    for (let chunk = await body.next(); chunk !== null; chunk = await body.next()) await receiver.write(chunk);
  } catch (cause) {
    await receiver.abort();
    throw cause;
  }
  const result = await receiver.finish();
  if (!result.ok) return failed(result.error.code, meta, preamble);
  return { kind: 'stored', result: result.value, sopClassUid: meta.sopClassUid, preamble };
}
