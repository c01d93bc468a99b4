/**
 * Shared pieces of the DICOMweb routes (PS3.18): path parameters, the study a path names (for the
 * per-study policy), the user's retrieval scope, URLs of resources, and multipart replies.
 */
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { studyVisibility, type StudyResource, type UserSubject } from '../../auth/index.js';
import { encodeMultipart, multipartContentType, newBoundary, type OutgoingPart } from '../../dicomweb/index.js';
import type { Result } from '../../errors/index.js';
import { openStoredObject, type StoredObject } from '../../imaging/index.js';
import { findInstancesToRetrieve, type RetrieveKeys, type StoredInstanceLocation } from '../../index/index.js';
import type { ObjectKey } from '../../storage/index.js';
import { STUDY_NOT_FOUND_DETAIL, fail, unwrap } from '../problem.js';
import { uidSchema } from '../routes/schemas.js';
import type { HttpServices } from '../services.js';

export const TAG = 'dicomweb';
export const DICOM_JSON = 'application/dicom+json';

export const studyParams = z.object({ studyInstanceUid: uidSchema }).strict();
export const seriesParams = z.object({ studyInstanceUid: uidSchema, seriesInstanceUid: uidSchema }).strict();
export const instanceParams = z.object({ studyInstanceUid: uidSchema, seriesInstanceUid: uidSchema, sopInstanceUid: uidSchema }).strict();
/** `1,2,3`: bounded here, each number checked against the object (`parseFrameList`). */
export const frameParams = instanceParams.extend({ frameList: z.string().regex(/^[0-9]{1,10}(,[0-9]{1,10}){0,999}$/) }).strict();

export type StudyPath = z.infer<typeof studyParams>;
export type SeriesPath = z.infer<typeof seriesParams>;
export type InstancePath = z.infer<typeof instanceParams>;
export type AnyPath = StudyPath & Partial<InstancePath>;

/** The study a path names, for the per-study rules: a restricted study one may not see answers 404 like a missing one. */
export const studyOf = (params: { readonly studyInstanceUid: string }, services: HttpServices): Promise<StudyResource | null> =>
  services.auth.studyAccess.resourceOf(params.studyInstanceUid);

/** The response of a route whose body is written by the handler (streams, images, DICOM JSON text). */
export const anyBody = z.any();

/** Keys of a retrieval from a path: study, then series, then instance. */
export function keysOf(path: AnyPath): RetrieveKeys {
  return {
    studyInstanceUids: [path.studyInstanceUid],
    ...(path.seriesInstanceUid === undefined ? {} : { seriesInstanceUids: [path.seriesInstanceUid] }),
    ...(path.sopInstanceUid === undefined ? {} : { sopInstanceUids: [path.sopInstanceUid] }),
  };
}

/**
 * The stored instances a path names that the user may see, in a stable order. The route has
 * already applied the per-study policy; the user's scope filters again in SQL (defence in depth).
 * Nothing found: NOT_FOUND with the same words as a study one may not see.
 */
export async function instancesOf(services: HttpServices, user: UserSubject, path: AnyPath): Promise<StoredInstanceLocation[]> {
  const found = await findInstancesToRetrieve(services.dicomweb.database, keysOf(path), studyVisibility(user));
  if (found.length === 0) fail('NOT_FOUND', path.seriesInstanceUid === undefined ? STUDY_NOT_FOUND_DETAIL : 'no such series or instance');
  return found.sort((a, b) => (a.seriesInstanceUid === b.seriesInstanceUid ? 0 : a.seriesInstanceUid < b.seriesInstanceUid ? -1 : 1));
}

export async function openInstance(services: HttpServices, location: StoredInstanceLocation): Promise<StoredObject> {
  return unwrapStored(await openStoredObject(services.dicomweb.store, location.objectKey as ObjectKey));
}

/** A stored object that no longer parses is the server's problem, not the client's. */
function unwrapStored(result: Result<StoredObject>): StoredObject {
  if (!result.ok && result.error.code !== 'NOT_FOUND') fail('PIXEL_DATA_INVALID', 'the stored object cannot be read');
  return unwrap(result);
}

const HOST = /^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?$/;

/**
 * The DICOMweb root as the client reached it, for Retrieve URLs and BulkDataURIs (PS3.18 F.2.6).
 * A Host header that is not a plain host[:port] gives a path-only URI rather than echoing it.
 */
export function dicomwebRoot(reply: FastifyReply): string {
  const host = reply.request.headers.host;
  if (host === undefined || !HOST.test(host)) return '/dicomweb';
  return `${reply.request.protocol}://${host}/dicomweb`;
}

/** The host the client named, for `Warning: 299 {host}: …` (PS3.18 8.3.4.4); `kakutei` when it is not a plain host. */
export function warningAgent(reply: FastifyReply): string {
  const host = reply.request.headers.host;
  return host !== undefined && HOST.test(host) ? host : 'kakutei';
}

export function studyUrl(root: string, study: string): string {
  return `${root}/studies/${study}`;
}
export function seriesUrl(root: string, study: string, series: string): string {
  return `${studyUrl(root, study)}/series/${series}`;
}
export function instanceUrl(root: string, study: string, series: string, sop: string): string {
  return `${seriesUrl(root, study, series)}/instances/${sop}`;
}

/** Sends parts as `multipart/related` (PS3.18 8.7.3.3.2), streamed. */
export function sendMultipart(reply: FastifyReply, type: string, parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>, extra: Readonly<Record<string, string>> = {}): Readable {
  const boundary = newBoundary();
  void reply.type(multipartContentType(type, boundary, extra));
  return encodeMultipart(parts, boundary);
}

/** A media type of the Accept header, lower-cased, without parameters other than `type` and `transfer-syntax`. */
export interface AcceptedType {
  readonly essence: string;
  readonly type: string | null;
  readonly transferSyntax: string | null;
}

/**
 * The media types an Accept header admits, most preferred first (RFC 9110 §12.5.1: by `q`, in
 * header order among equals; `q=0` means "not acceptable" and is left out). Null without a header
 * (anything is acceptable); an empty list when it admits nothing.
 */
export function acceptedTypes(header: string | string[] | undefined): AcceptedType[] | null {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  if (text.trim() === '') return null;
  const weighted = text.split(',').slice(0, 32).map((entry) => {
    const [essence = '', ...params] = entry.split(';').map((p) => p.trim());
    const param = (name: string): string | null => {
      const found = params.find((p) => p.toLowerCase().startsWith(`${name}=`));
      return found === undefined ? null : found.slice(name.length + 1).replace(/^"|"$/g, '').toLowerCase();
    };
    const q = Number(param('q') ?? '1');
    return { type: { essence: essence.toLowerCase(), type: param('type'), transferSyntax: param('transfer-syntax') }, q: Number.isFinite(q) ? q : 1 };
  });
  // Array.prototype.sort is stable: equal weights keep the client's order.
  return weighted.filter((w) => w.q > 0).sort((a, b) => b.q - a.q).map((w) => w.type);
}

/**
 * What the most preferred acceptable media type of an Accept header asks of the parts' transfer
 * syntax (PS3.18 8.7.8.2): `default` when it names none (also no header, `*\/*`, `multipart/*`),
 * `any` for `transfer-syntax=*`, else the one it names.
 */
export type TransferSyntaxWish = { readonly kind: 'default' } | { readonly kind: 'any' } | { readonly kind: 'named'; readonly uid: string };

const DEFAULT_WISH: TransferSyntaxWish = { kind: 'default' };
const ANY_WISH: TransferSyntaxWish = { kind: 'any' };

/**
 * The transfer syntax wish of the most preferred media type in an Accept header that admits a
 * multipart of `partType` (PS3.18 8.7.3.3.2): `multipart/related` with that type or none, or the
 * bare part type as the default wrapped type; a named syntax counts only when `acceptedSyntax` takes
 * it. Null when the header asks only for something else: the caller answers 406.
 */
export function selectMultipartOf(header: string | string[] | undefined, partType: string, acceptedSyntax: (syntax: string) => boolean = () => true): TransferSyntaxWish | null {
  const types = acceptedTypes(header);
  if (types === null) return DEFAULT_WISH;
  for (const t of types) {
    if (t.essence === '*/*' || t.essence === 'multipart/*') return DEFAULT_WISH;
    if (t.essence !== 'multipart/related' && t.essence !== partType) continue;
    if (t.essence === 'multipart/related' && t.type !== null && t.type !== partType && t.type !== '*/*' && !(partType === 'application/octet-stream' && t.type === 'application/octet-stream')) continue;
    if (t.transferSyntax === null) return DEFAULT_WISH;
    if (t.transferSyntax === '*') return ANY_WISH;
    if (acceptedSyntax(t.transferSyntax)) return { kind: 'named', uid: t.transferSyntax };
  }
  return null;
}

/** Whether an Accept header admits a multipart of `partType` (see `selectMultipartOf`). */
export function acceptsMultipartOf(header: string | string[] | undefined, partType: string, acceptedSyntax: (syntax: string) => boolean = () => true): boolean {
  return selectMultipartOf(header, partType, acceptedSyntax) !== null;
}
