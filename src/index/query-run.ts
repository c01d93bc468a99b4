import { sql, type Kysely } from 'kysely';
import type { PersonName } from '../dicom/dataset/instance-attributes.js';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { queryAttribute, type AccessScope, type Query, type QueryLevel, type ResultAttribute } from '../query/index.js';
import type { Database } from './database.js';
import { aliasOf, compileQuery } from './query-compile.js';
import { columnsOf, type ColumnSpec, type ComputedName } from './query-columns.js';
import { visibleStudyCondition } from './query-scope.js';
import type { DatabaseSchema } from './schema.js';

export interface RunQueryOptions {
  /**
   * The server's maximum of matches per request (C-FIND: configurable, then A700; QIDO-RS: then
   * `Warning: 299`, PS3.18 8.3.4.4). A client `limit` above it is cut to it.
   */
  readonly maxMatches: number;
}

/** One matching entity. */
export interface QueryMatch {
  /** The return keys, sorted by tag. */
  readonly attributes: readonly ResultAttribute[];
  /** For the audit trail (IDs and UIDs, never names): the patient and study the match discloses. */
  readonly patientId: string | null;
  readonly studyInstanceUid: string | null;
}

export interface QueryPage {
  readonly matches: readonly QueryMatch[];
  /** More matches exist after this page (the client may ask for the next `offset`). */
  readonly moreAvailable: boolean;
  /**
   * The page was cut by `maxMatches`, not by the client's own limit: C-FIND ends with A700
   * (Refused: Out of Resources), QIDO-RS adds `Warning: 299 …: The number of results exceeded
   * the maximum supported by the server. Additional results can be requested.`
   */
  readonly truncatedByServerLimit: boolean;
  /** The scope was a break-glass one: the edge flags its audit event (R9.13). */
  readonly breakGlass: boolean;
}

/**
 * Runs a query (the one path for C-FIND and QIDO-RS): the page of rows (limit+1 to know whether
 * more exist), then the computed attributes (counts, Modalities in Study) for that page only.
 * Database failures are INDEX_UNAVAILABLE values; the query text never reaches the error.
 */
export async function runQuery(db: Database, query: Query, scope: AccessScope, options: RunQueryOptions): Promise<Result<QueryPage>> {
  const maxMatches = Math.max(1, Math.floor(options.maxMatches));
  const limit = Math.min(query.limit ?? maxMatches, maxMatches);
  const compiled = compileQuery(db.kysely, db.dialect, query, scope, { limit: limit + 1, offset: query.offset });
  if (!compiled.ok) return compiled;
  try {
    const rows = await compiled.value.execute();
    const moreAvailable = rows.length > limit;
    const page = rows.slice(0, limit);
    const computed = await computeAttributes(db.kysely, query, scope, page);
    const matches = page.map((row) => ({
      attributes: resultAttributes(query, row, computed),
      patientId: textOrNull(row[aliasOf('patients.patient_id')]),
      studyInstanceUid: textOrNull(row[aliasOf('studies.study_instance_uid')]),
    }));
    return ok({
      matches,
      moreAvailable,
      truncatedByServerLimit: moreAvailable && (query.limit === null || query.limit > maxMatches),
      breakGlass: scope.breakGlass,
    });
  } catch {
    return err(kakuteiError('INDEX_UNAVAILABLE', `query at ${query.level} level failed`));
  }
}

type Row = Record<string, unknown>;
/** Computed values by attribute keyword, then by owning row id (study, series or patient id as text). */
type Computed = Map<ComputedName, Map<string, string[] | number[]>>;

const OWNER_OF: Readonly<Record<ComputedName, { readonly level: QueryLevel; readonly id: string }>> = {
  ModalitiesInStudy: { level: 'STUDY', id: 'studies.id' },
  NumberOfStudyRelatedSeries: { level: 'STUDY', id: 'studies.id' },
  NumberOfStudyRelatedInstances: { level: 'STUDY', id: 'studies.id' },
  NumberOfSeriesRelatedInstances: { level: 'SERIES', id: 'series.id' },
  NumberOfPatientRelatedStudies: { level: 'PATIENT', id: 'patients.id' },
  NumberOfPatientRelatedSeries: { level: 'PATIENT', id: 'patients.id' },
  NumberOfPatientRelatedInstances: { level: 'PATIENT', id: 'patients.id' },
};

async function computeAttributes(db: Kysely<DatabaseSchema>, query: Query, scope: AccessScope, page: readonly Row[]): Promise<Computed> {
  const computed: Computed = new Map();
  for (const keyword of query.returnKeys) {
    const spec = columnsOf(keyword);
    if (spec?.kind !== 'computed') continue;
    const owner = OWNER_OF[spec.name];
    const ids = [...new Set(page.map((row) => String(row[aliasOf(owner.id)])).filter((id) => id !== 'undefined'))];
    computed.set(spec.name, ids.length === 0 ? new Map<string, string[] | number[]>() : await computeOne(db, spec.name, ids, scope));
  }
  return computed;
}

/** The page has at most `maxMatches` owners; bound in chunks far below any parameter limit. */
const IDS_PER_STATEMENT = 1000;

async function computeOne(db: Kysely<DatabaseSchema>, name: ComputedName, ids: readonly string[], scope: AccessScope): Promise<Map<string, string[] | number[]>> {
  const out = new Map<string, string[] | number[]>();
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    const chunk = ids.slice(start, start + IDS_PER_STATEMENT);
    if (name === 'ModalitiesInStudy') {
      const rows = await db.selectFrom('series').select(['study_fk as owner', 'modality']).distinct().where('study_fk', 'in', chunk).where('modality', 'is not', null).orderBy('modality').execute();
      for (const row of rows) {
        const list = (out.get(String(row.owner)) ?? []) as string[];
        list.push(String(row.modality));
        out.set(String(row.owner), list);
      }
      continue;
    }
    const rows = await countQuery(db, name, chunk, scope).execute();
    for (const row of rows) out.set(String(row.owner), [Number(row.n)]);
  }
  return out;
}

function countQuery(db: Kysely<DatabaseSchema>, name: Exclude<ComputedName, 'ModalitiesInStudy'>, ids: readonly string[], scope: AccessScope) {
  const count = sql<number | string>`count(*)`.as('n');
  switch (name) {
    case 'NumberOfStudyRelatedSeries':
      return db.selectFrom('series').select(['study_fk as owner', count]).where('study_fk', 'in', ids).groupBy('study_fk');
    case 'NumberOfStudyRelatedInstances':
      return db.selectFrom('instances').innerJoin('series', 'series.id', 'instances.series_fk').select(['series.study_fk as owner', count]).where('series.study_fk', 'in', ids).groupBy('series.study_fk');
    case 'NumberOfSeriesRelatedInstances':
      return db.selectFrom('instances').select(['series_fk as owner', count]).where('series_fk', 'in', ids).groupBy('series_fk');
    case 'NumberOfPatientRelatedStudies':
    case 'NumberOfPatientRelatedSeries':
    case 'NumberOfPatientRelatedInstances': {
      // Only the studies the scope sees: a restricted study never shows, not even as a count.
      const visible = visibleStudyCondition(scope, 'studies');
      let base = db.selectFrom('studies').where('studies.patient_fk', 'in', ids);
      if (visible !== null) base = base.where(visible);
      if (name === 'NumberOfPatientRelatedStudies') return base.select(['studies.patient_fk as owner', count]).groupBy('studies.patient_fk');
      const withSeries = base.innerJoin('series', 'series.study_fk', 'studies.id');
      if (name === 'NumberOfPatientRelatedSeries') return withSeries.select(['studies.patient_fk as owner', count]).groupBy('studies.patient_fk');
      return withSeries.innerJoin('instances', 'instances.series_fk', 'series.id').select(['studies.patient_fk as owner', count]).groupBy('studies.patient_fk');
    }
  }
}

function resultAttributes(query: Query, row: Row, computed: Computed): ResultAttribute[] {
  const attributes: ResultAttribute[] = [];
  for (const keyword of new Set(query.returnKeys)) {
    const spec = columnsOf(keyword);
    if (spec === undefined) continue;
    const attribute = attributeOf(keyword, spec, row, computed);
    if (attribute !== null) attributes.push(attribute);
  }
  return attributes.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

function attributeOf(keyword: string, spec: ColumnSpec, row: Row, computed: Computed): ResultAttribute | null {
  const { tag, vr } = queryAttribute(keyword);
  switch (spec.kind) {
    case 'text':
      return textAttribute(tag, keyword, vr, splitValues(textOrNull(row[aliasOf(spec.column)])));
    case 'integer': {
      const value = row[aliasOf(spec.column)];
      return { tag, keyword, vr: vr === 'US' ? 'US' : 'IS', value: value === null || value === undefined ? [] : [Number(value)] };
    }
    case 'flag': {
      const value = row[aliasOf(spec.column)];
      return textAttribute(tag, keyword, vr, value === null || value === undefined ? [] : [Number(value) === 1 ? '01' : '00']);
    }
    case 'person-name': {
      const groups = [spec.raw.alphabetic, spec.raw.ideographic, spec.raw.phonetic].map((c) => textOrNull(row[aliasOf(c)]));
      return { tag, keyword, vr: 'PN', value: personNames(groups[0] ?? null, groups[1] ?? null, groups[2] ?? null) };
    }
    case 'computed': {
      const owner = OWNER_OF[spec.name];
      const values = computed.get(spec.name)?.get(String(row[aliasOf(owner.id)]));
      if (spec.name === 'ModalitiesInStudy') return textAttribute(tag, keyword, vr, (values ?? []) as string[]);
      return { tag, keyword, vr: 'IS', value: (values as number[] | undefined) ?? [0] };
    }
    case 'sequence': {
      const item: ResultAttribute[] = [];
      for (const [itemKeyword, itemSpec] of Object.entries(spec.items)) {
        const attribute = attributeOf(itemKeyword, itemSpec, row, computed);
        if (attribute !== null && attribute.value.length > 0) item.push(attribute);
      }
      item.sort((a, b) => (a.tag < b.tag ? -1 : 1));
      return { tag, keyword, vr: 'SQ', value: item.length === 0 ? [] : [item] };
    }
  }
}

function textAttribute(tag: string, keyword: string, vr: string, value: readonly string[]): ResultAttribute {
  return { tag, keyword, vr: vr as 'CS', value };
}

/** Multi-valued text is stored backslash-joined (DICOM value delimiter, PS3.5 6.4). */
function splitValues(text: string | null): string[] {
  return text === null ? [] : text.split('\\');
}

/** The stored groups keep several names joined by `\` within each group (charset/person-name.ts): zip them back. */
function personNames(alphabetic: string | null, ideographic: string | null, phonetic: string | null): PersonName[] {
  if (alphabetic === null && ideographic === null && phonetic === null) return [];
  const a = (alphabetic ?? '').split('\\');
  const i = (ideographic ?? '').split('\\');
  const p = (phonetic ?? '').split('\\');
  const count = Math.max(a.length, i.length, p.length);
  return Array.from({ length: count }, (_, n) => ({ alphabetic: a[n] ?? '', ideographic: i[n] ?? '', phonetic: p[n] ?? '' }));
}

function textOrNull(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : null;
}
