/** Part 10 files and STOW-RS bodies for the DICOMweb tests. Tests only. */
import { randomBytes } from 'node:crypto';
import { buildFileMetaHeader } from '../../dicom/part10/index.js';
import { el } from '../../dicom/dataset/dataset-fixtures.js';
import { CT_IMAGE_STORAGE, TRANSFER_SYNTAX, ctDataset, newUid, type CtSpec } from '../../ingest/testing/ingest-datasets.js';

export { newUid, CT_IMAGE_STORAGE, TRANSFER_SYNTAX };

export interface TestInstance {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** The dataset alone (what "bit-equal" compares). */
  readonly dataset: Uint8Array;
  /** A Part 10 file: preamble, meta group, dataset. */
  readonly file: Buffer;
}

export function ctInstance(spec: CtSpec & { readonly patientName?: string; readonly preamble?: Uint8Array } = {}): TestInstance {
  const studyInstanceUid = spec.studyInstanceUid ?? newUid();
  const seriesInstanceUid = spec.seriesInstanceUid ?? newUid();
  const sopInstanceUid = spec.sopInstanceUid ?? newUid();
  const elements = [...(spec.elements ?? []), ...(spec.patientName === undefined ? [] : [el(0x00100010, 'PN', spec.patientName)])];
  const dataset = ctDataset({ ...spec, studyInstanceUid, seriesInstanceUid, sopInstanceUid, elements });
  const meta = Buffer.from(
    buildFileMetaHeader({
      mediaStorageSopClassUid: spec.sopClassUid ?? CT_IMAGE_STORAGE,
      mediaStorageSopInstanceUid: sopInstanceUid,
      transferSyntaxUid: TRANSFER_SYNTAX.explicitLittle,
      implementationClassUid: '1.2.3.4',
      implementationVersionName: 'TEST',
    }),
  );
  if (spec.preamble !== undefined) meta.set(spec.preamble.subarray(0, 128), 0);
  return { studyInstanceUid, seriesInstanceUid, sopInstanceUid, dataset, file: Buffer.concat([meta, dataset]) };
}

export interface BodyPart {
  readonly contentType: string;
  readonly body: Uint8Array;
}

export function multipartBody(parts: readonly BodyPart[], boundary = `b-${randomBytes(8).toString('hex')}`): { body: Buffer; contentType: string; boundary: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${part.contentType}\r\n\r\n`, 'latin1'), Buffer.from(part.body), Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, boundary };
}

export const dicomParts = (...files: readonly Uint8Array[]): BodyPart[] => files.map((body) => ({ contentType: 'application/dicom', body }));

/** Splits a multipart/related response body into its parts' bodies (tests trust the server's boundary). */
export function splitMultipart(body: Buffer, contentType: string): { headers: string; body: Buffer }[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const out: { headers: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`, 'latin1'), headerEnd);
    out.push({ headers: body.subarray(start + 2, headerEnd).toString('latin1'), body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return out;
}
