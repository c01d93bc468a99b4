import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { attributesUpTo, findQueryAttribute, isTag, levelRank, uniqueKeysUpTo, type QueryAttribute } from './attributes.js';
import { matcherOf } from './matchers.js';
import type { KeyMatch, Query } from './model.js';

/** QIDO-RS query parameters: `URLSearchParams`, or an object as HTTP frameworks parse a query string. */
export type QidoParams = Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface QidoRequest {
  /** `/studies` → STUDY, `…/series` → SERIES, `…/instances` → IMAGE. */
  readonly level: 'STUDY' | 'SERIES' | 'IMAGE';
  readonly params: QidoParams;
  /** From a study-relative path (`/studies/{study}/series`, `/studies/{study}/instances`, …). */
  readonly studyInstanceUid?: string;
  /** From `/studies/{study}/series/{series}/instances`. */
  readonly seriesInstanceUid?: string;
}

/** Largest accepted `limit` / `offset`; beyond is absurd and refused (BAD-INPUTS: absurd limit/offset). */
export const MAX_QIDO_PAGING = 2 ** 31 - 1;

/**
 * Default return attributes (PS3.18 Tables 10.6.3-3, -4, -5), those the index holds; Specific
 * Character Set, Retrieve URL and Instance Availability are the edge's to add.
 */
const STUDY_DEFAULTS = [
  'StudyDate', 'StudyTime', 'AccessionNumber', 'ReferringPhysicianName', 'TimezoneOffsetFromUTC', 'PatientName', 'PatientID',
  'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyID', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances',
];
const SERIES_DEFAULTS = ['Modality', 'TimezoneOffsetFromUTC', 'SeriesDescription', 'SeriesInstanceUID', 'SeriesNumber', 'NumberOfSeriesRelatedInstances', 'RequestAttributesSequence'];
const INSTANCE_DEFAULTS = ['SOPClassUID', 'SOPInstanceUID', 'InstanceNumber', 'Rows', 'Columns', 'BitsAllocated', 'NumberOfFrames', 'TimezoneOffsetFromUTC'];

/**
 * Builds the query model from QIDO-RS parameters (PS3.18 8.3.4, 10.6.1):
 * - `{attributeID}={value}`: keyword or tag, or `Sequence.ItemKey` for sequence matching; an
 *   unknown keyword → QUERY_INVALID; a well-formed tag the index does not support is ignored and
 *   reported in `ignoredAttributes` (the edge answers `Warning: 299`); a key of a lower level, or
 *   the same key twice → QUERY_INVALID. UID lists are separated by `,` or `\`.
 * - `includefield`: comma-separated and/or repeated; `all` = every attribute of the level and above.
 * - `fuzzymatching`: `true` | `false`.
 * - `limit` (≥ 1) and `offset` (≥ 0): integers up to 2^31−1, else QUERY_INVALID. A limit beyond the
 *   server's maximum is not refused: the runner stops at its `maxMatches` and says so (Warning 299).
 * QIDO-RS is study-rooted: patient attributes are study-level keys.
 */
export function parseQidoQuery(request: QidoRequest): Result<Query> {
  const { level } = request;
  const matches = new Map<string, KeyMatch>();
  const returnKeys = new Set<string>(uniqueKeysUpTo(level, 'study'));
  const ignoredAttributes: string[] = [];
  const seen = new Set<string>();
  let limit: number | null = null;
  let offset = 0;
  let fuzzyMatching = false;

  for (const keyword of defaultsOf(request)) returnKeys.add(keyword);
  const pathKeys: [string, string | undefined][] = [
    ['StudyInstanceUID', request.studyInstanceUid],
    ['SeriesInstanceUID', request.seriesInstanceUid],
  ];
  for (const [keyword, uid] of pathKeys) {
    if (uid === undefined) continue;
    if (!/^[0-9.]{1,64}$/.test(uid)) return invalid(`${keyword} in the path is not a UID`);
    matches.set(keyword, { keyword, matcher: { kind: 'uids', values: [uid] } });
    seen.add(keyword);
  }

  for (const [name, value] of entriesOf(request.params)) {
    switch (name.toLowerCase()) {
      case 'limit': {
        const parsed = pagingNumber(value, 1);
        if (parsed === null) return invalid('limit must be an integer from 1 to 2147483647');
        limit = parsed;
        continue;
      }
      case 'offset': {
        const parsed = pagingNumber(value, 0);
        if (parsed === null) return invalid('offset must be an integer from 0 to 2147483647');
        offset = parsed;
        continue;
      }
      case 'fuzzymatching':
        if (value !== 'true' && value !== 'false') return invalid('fuzzymatching must be true or false');
        fuzzyMatching = value === 'true';
        continue;
      case 'includefield':
        for (const field of value.split(',').map((f) => f.trim()).filter((f) => f !== '')) {
          if (field === 'all') {
            for (const attr of attributesUpTo(level)) returnKeys.add(attr.keyword);
            continue;
          }
          const attr = findQueryAttribute(field);
          if (attr === undefined || levelRank(rankLevel(attr)) > levelRank(level)) ignoredAttributes.push(field);
          else returnKeys.add(topLevelKeyword(field, attr));
        }
        continue;
    }
    const match = searchKey(name, value, level);
    if (!match.ok) return match;
    if (match.value === 'ignored') {
      ignoredAttributes.push(name);
      continue;
    }
    const { attribute, keyMatch } = match.value;
    if (seen.has(attribute.keyword)) return invalid(`${attribute.keyword} given more than once`);
    seen.add(attribute.keyword);
    returnKeys.add(attribute.keyword);
    if (keyMatch !== null) matches.set(attribute.keyword, keyMatch);
  }

  return ok({ level, root: 'study', matches: [...matches.values()], returnKeys: [...returnKeys], foreignKeys: [], ignoredAttributes, limit, offset, fuzzyMatching });
}

function defaultsOf(request: QidoRequest): string[] {
  switch (request.level) {
    case 'STUDY':
      return STUDY_DEFAULTS;
    case 'SERIES':
      // "All series" also answers the study defaults (PS3.18 10.6.3.3.2).
      return request.studyInstanceUid === undefined ? [...STUDY_DEFAULTS, ...SERIES_DEFAULTS] : SERIES_DEFAULTS;
    case 'IMAGE':
      return [
        ...(request.studyInstanceUid === undefined ? STUDY_DEFAULTS : []),
        ...(request.seriesInstanceUid === undefined ? SERIES_DEFAULTS : []),
        ...INSTANCE_DEFAULTS,
      ];
  }
}

type SearchKey = { readonly attribute: QueryAttribute; readonly keyMatch: KeyMatch | null } | 'ignored';

function searchKey(name: string, value: string, level: 'STUDY' | 'SERIES' | 'IMAGE'): Result<SearchKey> {
  const [head = '', item, ...deeper] = name.split('.');
  if (deeper.length > 0) return invalid('sequence matching is one level deep');
  const attribute = findQueryAttribute(head);
  if (attribute === undefined) {
    if (isTag(head)) return ok('ignored');
    return invalid(`unknown attribute ${head.slice(0, 64)}`);
  }
  if (levelRank(rankLevel(attribute)) > levelRank(level)) return invalid(`${attribute.keyword}: key below the query level`);
  if (item !== undefined) {
    const itemAttribute = attribute.items?.find((candidate) => candidate.keyword === item || candidate.tag === item.toUpperCase());
    if (itemAttribute === undefined) return isTag(item) ? ok('ignored') : invalid(`unknown item attribute ${item.slice(0, 64)}`);
    const matcher = matcherOf(itemAttribute, value, separatorOf(itemAttribute));
    if (!matcher.ok) return matcher;
    const keyMatch: KeyMatch | null =
      matcher.value === null ? null : { keyword: attribute.keyword, matcher: { kind: 'sequence', items: [{ keyword: itemAttribute.keyword, matcher: matcher.value }] } };
    return ok({ attribute, keyMatch });
  }
  if (attribute.matching === 'sequence') {
    if (value !== '') return invalid(`${attribute.keyword}: a sequence is matched through its item keys`);
    return ok({ attribute, keyMatch: null });
  }
  const matcher = matcherOf(attribute, value, separatorOf(attribute));
  if (!matcher.ok) return matcher;
  return ok({ attribute, keyMatch: matcher.value === null ? null : { keyword: attribute.keyword, matcher: matcher.value } });
}

function separatorOf(attribute: QueryAttribute): RegExp {
  return attribute.matching === 'uid' ? /[\\,]/ : /\\/;
}

/** QIDO-RS is study-rooted: patient attributes rank as study attributes. */
function rankLevel(attribute: QueryAttribute): 'STUDY' | 'SERIES' | 'IMAGE' {
  return attribute.level === 'PATIENT' ? 'STUDY' : attribute.level;
}

/** `includefield=RequestAttributesSequence.RequestedProcedureID` returns the whole sequence. */
function topLevelKeyword(field: string, attribute: QueryAttribute): string {
  const head = field.split('.')[0] ?? field;
  return findQueryAttribute(head)?.keyword ?? attribute.keyword;
}

function pagingNumber(value: string, min: number): number | null {
  if (!/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= MAX_QIDO_PAGING ? n : null;
}

function* entriesOf(params: QidoParams): Iterable<readonly [string, string]> {
  if (Symbol.iterator in params) {
    yield* params as Iterable<readonly [string, string]>;
    return;
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (typeof value === 'string') yield [name, value];
    else for (const v of value) yield [name, v];
  }
}

function invalid(detail: string): Result<never> {
  return err(kakuteiError('QUERY_INVALID', detail));
}
