/**
 * QIDO-RS (PS3.18 10.6): search for studies, series and instances, at every level and relative to a
 * study or series, through the one query model (`parseQidoQuery` → `runQuery`), which applies the
 * user's visibility (`studyVisibility`: restricted studies only when granted or under break-glass)
 * in SQL. One `query` event per request names the studies disclosed (IDs and UIDs, never names).
 */
import { z } from 'zod';
import { studyVisibility } from '../../auth/index.js';
import { toDicomJson, parseQidoQuery, type DicomJsonDataset, type QidoRequest } from '../../query/index.js';
import { runQuery, type QueryMatch } from '../../index/index.js';
import type { AuditObject } from '../../audit/events.js';
import { fail, unwrap } from '../problem.js';
import { NO_PARAMS, defineRoute, type Route } from '../route.js';
import { DICOM_JSON, TAG, warningAgent, acceptedTypes, anyBody, dicomwebRoot, instanceUrl, seriesParams, seriesUrl, studyParams, studyUrl } from './common.js';

/** Query parameters as the HTTP layer parses them: repeated names become arrays. */
const qidoValue = z.union([z.string().max(4096), z.array(z.string().max(4096)).max(64)]);
const qidoQuery = z
  .object({ limit: z.string().max(16).optional(), offset: z.string().max(16).optional(), fuzzymatching: z.string().max(8).optional(), includefield: qidoValue.optional() })
  .catchall(qidoValue);
const MAX_QIDO_PARAMETERS = 64;

const RETRIEVE_URL = '00081190';
const STUDY_UID = '0020000D';
const SERIES_UID = '0020000E';
const SOP_UID = '00080018';

interface QidoRoute {
  readonly url: string;
  readonly level: QidoRequest['level'];
  readonly params: z.ZodTypeAny;
  readonly summary: string;
}

const ROUTES: readonly QidoRoute[] = [
  { url: '/dicomweb/studies', level: 'STUDY', params: NO_PARAMS, summary: 'QIDO-RS: search for studies' },
  { url: '/dicomweb/series', level: 'SERIES', params: NO_PARAMS, summary: 'QIDO-RS: search for series in all studies' },
  { url: '/dicomweb/instances', level: 'IMAGE', params: NO_PARAMS, summary: 'QIDO-RS: search for instances in all studies' },
  { url: '/dicomweb/studies/:studyInstanceUid/series', level: 'SERIES', params: studyParams, summary: 'QIDO-RS: search for series of a study' },
  { url: '/dicomweb/studies/:studyInstanceUid/instances', level: 'IMAGE', params: studyParams, summary: 'QIDO-RS: search for instances of a study' },
  { url: '/dicomweb/studies/:studyInstanceUid/series/:seriesInstanceUid/instances', level: 'IMAGE', params: seriesParams, summary: 'QIDO-RS: search for instances of a series' },
];

const firstValue = (dataset: DicomJsonDataset, tag: string): string | null => {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' ? value : null;
};

/** Retrieve URL (0008,1190) of each match, which QIDO-RS answers by default (PS3.18 Table 10.6.3-3/-4/-5). */
function withRetrieveUrl(dataset: DicomJsonDataset, level: QidoRequest['level'], root: string): DicomJsonDataset {
  const study = firstValue(dataset, STUDY_UID);
  const series = firstValue(dataset, SERIES_UID);
  const sop = firstValue(dataset, SOP_UID);
  let url: string | null = null;
  if (level === 'STUDY' && study !== null) url = studyUrl(root, study);
  if (level === 'SERIES' && study !== null && series !== null) url = seriesUrl(root, study, series);
  if (level === 'IMAGE' && study !== null && series !== null && sop !== null) url = instanceUrl(root, study, series, sop);
  if (url === null) return dataset;
  return Object.fromEntries(Object.entries({ ...dataset, [RETRIEVE_URL]: { vr: 'UR', Value: [url] } }).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The studies a page discloses, for the audit event: one object per study with its match count. */
function disclosedStudies(matches: readonly QueryMatch[]): AuditObject[] {
  const byStudy = new Map<string, { patientId: string | null; count: number }>();
  for (const match of matches) {
    if (match.studyInstanceUid === null) continue;
    const entry = byStudy.get(match.studyInstanceUid) ?? { patientId: match.patientId, count: 0 };
    entry.count++;
    byStudy.set(match.studyInstanceUid, entry);
  }
  return [...byStudy].map(([studyInstanceUid, { patientId, count }]) => ({ patientId, studyInstanceUid, instanceCount: count }));
}

/** PS3.18 8.3.4.4 / 8.3.4.3: the warning texts a QIDO-RS response may carry. */
function warnings(host: string, truncated: boolean, ignored: readonly string[]): string[] {
  const out: string[] = [];
  if (truncated) out.push(`299 ${host}: "The number of results exceeded the maximum supported by the server. Additional results can be requested."`);
  if (ignored.length > 0) {
    const names = ignored.slice(0, 16).map((name) => name.replace(/[^A-Za-z0-9.]/g, '').slice(0, 64)).join(', ');
    out.push(`299 ${host}: "The following attributes are not supported as query matching or return keys and were ignored: ${names}"`);
  }
  return out;
}

function qidoRoute(spec: QidoRoute): Route {
  return defineRoute({
    method: 'GET',
    url: spec.url,
    summary: spec.summary,
    tag: TAG,
    access: 'study:query',
    audit: { action: 'query', writtenBy: 'route' },
    params: spec.params,
    query: qidoQuery,
    body: null,
    response: { status: 200, schema: anyBody, description: 'application/dicom+json: an array of matches (empty when none)' },
    errors: ['QUERY_INVALID', 'MEDIA_TYPE_NOT_ACCEPTABLE'],
    async handler({ params, query, services, reply, user, recordAccess }) {
      const accepted = acceptedTypes(reply.request.headers.accept);
      if (accepted !== null && !accepted.some((t) => ['application/dicom+json', 'application/json', '*/*', 'application/*'].includes(t.essence))) {
        fail('MEDIA_TYPE_NOT_ACCEPTABLE', 'QIDO-RS answers application/dicom+json');
      }
      if (Object.keys(query).length > MAX_QIDO_PARAMETERS) fail('QUERY_INVALID', `more than ${MAX_QIDO_PARAMETERS} query parameters`);
      const path = params as { studyInstanceUid?: string; seriesInstanceUid?: string };
      const parsed = unwrap(
        parseQidoQuery({
          level: spec.level,
          params: query as Record<string, string | string[]>,
          ...(path.studyInstanceUid === undefined ? {} : { studyInstanceUid: path.studyInstanceUid }),
          ...(path.seriesInstanceUid === undefined ? {} : { seriesInstanceUid: path.seriesInstanceUid }),
        }),
      );
      const { database, settings } = services.dicomweb;
      const page = unwrap(await runQuery(database, parsed, studyVisibility(user()), { maxMatches: settings.maxQueryMatches }));
      await recordAccess({
        objects: disclosedStudies(page.matches),
        detail: { via: 'dicomweb', level: spec.level, keys: parsed.matches.map((m) => m.keyword).join(',').slice(0, 512), matches: page.matches.length, fuzzy: parsed.fuzzyMatching },
      });
      const root = dicomwebRoot(reply);
      const body = page.matches.map((match) => withRetrieveUrl(toDicomJson(match.attributes), spec.level, root));
      const warned = warnings(warningAgent(reply), page.truncatedByServerLimit, parsed.ignoredAttributes);
      if (warned.length > 0) void reply.header('warning', warned);
      void reply.type(DICOM_JSON);
      return JSON.stringify(body);
    },
  });
}

export const qidoRoutes: readonly Route[] = ROUTES.map(qidoRoute);
