import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import {
  normalizeForFuzzyMatching,
  queryAttribute,
  trimTrailingComponents,
  type AccessScope,
  type KeyMatch,
  type Matcher,
  type PersonNameTerm,
  type Query,
  type QueryLevel,
  type TextTerm,
  type WildcardSegment,
} from '../query/index.js';
import type { SqlDialectName } from './dialect.js';
import { columnsOf, storedColumnsOf, type ColumnSpec, type NameColumns } from './query-columns.js';
import { scopeCondition } from './query-scope.js';
import type { DatabaseSchema } from './schema.js';

/**
 * Compiles the query model to one parameterized SELECT with the Kysely builder (issue 4 item 1).
 * Values are always bound parameters; column names come only from `query-columns.ts`. The same
 * semantics on both dialects:
 * - exact matching is case-sensitive everywhere (PS3.4 C.2.2.2.1); wildcards use `GLOB` on SQLite
 *   (case-sensitive; its `LIKE` folds ASCII case) and `LIKE … ESCAPE '\'` on PostgreSQL, with every
 *   metacharacter of the value escaped (`%`, `_`, `\` / `*`, `?`, `[`) so that it matches literally;
 * - fuzzy person-name matching compares the normalized `*_norm` columns with the normalized value;
 * - long UID lists are one parameter (PostgreSQL `= any($1::text[])`, SQLite `json_each($1)`), so
 *   that no list hits a bound-parameter limit.
 */

type Condition = RawBuilder<SqlBool>;
/** The builder once the level's tables are joined; selections are raw, so the table set is erased. */
export type LevelQuery = SelectQueryBuilder<DatabaseSchema, 'patients', Record<string, unknown>>;

/** Lists longer than this are bound as one array/JSON parameter instead of `in (?, ?, …)`. */
const INLINE_LIST_MAX = 100;

/** The id column of each level: the page's order (stable, index-backed) and the key of its rows. */
export const LEVEL_ID: Readonly<Record<QueryLevel, string>> = {
  PATIENT: 'patients.id',
  STUDY: 'studies.id',
  SERIES: 'series.id',
  IMAGE: 'instances.id',
};

/** Columns every page selects whatever the return keys: ids for the counts, identifiers for the audit trail. */
const ALWAYS_SELECTED: Readonly<Record<QueryLevel, readonly string[]>> = {
  PATIENT: ['patients.id', 'patients.patient_id'],
  STUDY: ['patients.id', 'patients.patient_id', 'studies.id', 'studies.study_instance_uid'],
  SERIES: ['patients.id', 'patients.patient_id', 'studies.id', 'studies.study_instance_uid', 'series.id'],
  IMAGE: ['patients.id', 'patients.patient_id', 'studies.id', 'studies.study_instance_uid', 'series.id', 'instances.id'],
};

/** `studies.accession_number` → `studies__accession_number`: the alias a stored column is selected under. */
export function aliasOf(column: string): string {
  return column.replace('.', '__');
}

export interface PageWindow {
  readonly limit: number;
  readonly offset: number;
}

export function compileQuery(db: Kysely<DatabaseSchema>, dialect: SqlDialectName, query: Query, scope: AccessScope, window: PageWindow): Result<LevelQuery> {
  const conditions: Condition[] = [];
  for (const match of query.matches) {
    const compiled = keyCondition(dialect, query, match);
    if (!compiled.ok) return compiled;
    conditions.push(compiled.value);
  }
  const visible = scopeCondition(scope, query.level);
  if (visible !== null) conditions.push(visible);

  const columns = new Set(ALWAYS_SELECTED[query.level]);
  for (const keyword of query.returnKeys) {
    const spec = columnsOf(keyword);
    if (spec !== undefined) for (const column of storedColumnsOf(spec)) columns.add(column);
  }
  const id = LEVEL_ID[query.level];
  let builder = fromLevel(db, query.level).select([...columns].map((column) => sql.ref(column).as(aliasOf(column))));
  if (conditions.length > 0) builder = builder.where(and(conditions));
  return ok(builder.orderBy(sql.ref(id)).limit(window.limit).offset(window.offset));
}

function fromLevel(db: Kysely<DatabaseSchema>, level: QueryLevel): LevelQuery {
  const patients = db.selectFrom('patients') as unknown as LevelQuery;
  switch (level) {
    case 'PATIENT':
      return patients;
    case 'STUDY':
      return db.selectFrom('studies').innerJoin('patients', 'patients.id', 'studies.patient_fk');
    case 'SERIES':
      return db
        .selectFrom('series')
        .innerJoin('studies', 'studies.id', 'series.study_fk')
        .innerJoin('patients', 'patients.id', 'studies.patient_fk');
    case 'IMAGE':
      return db
        .selectFrom('instances')
        .innerJoin('series', 'series.id', 'instances.series_fk')
        .innerJoin('studies', 'studies.id', 'series.study_fk')
        .innerJoin('patients', 'patients.id', 'studies.patient_fk');
  }
}

function keyCondition(dialect: SqlDialectName, query: Query, match: KeyMatch): Result<Condition> {
  const spec = columnsOf(match.keyword);
  if (spec === undefined) return err(kakuteiError('QUERY_INVALID', `${match.keyword}: not matched by the index`));
  return specCondition(dialect, query, spec, match);
}

function specCondition(dialect: SqlDialectName, query: Query, spec: ColumnSpec, match: KeyMatch): Result<Condition> {
  const { matcher } = match;
  if (spec.kind === 'computed') {
    if (spec.name === 'ModalitiesInStudy' && matcher.kind === 'text') {
      // Any series of the study with a matching modality (PS3.4 C.6.1.1.3, Modalities in Study).
      return ok(sql<SqlBool>`exists (select 1 from series ms where ms.study_fk = studies.id and ${or(matcher.anyOf.map((t) => textCondition(dialect, 'ms.modality', t)))})`);
    }
    return err(kakuteiError('QUERY_INVALID', `${match.keyword}: not a matching key`));
  }
  if (spec.kind === 'sequence') {
    if (matcher.kind !== 'sequence') return mismatch(match);
    const items: Condition[] = [];
    for (const item of matcher.items) {
      const itemSpec = spec.items[item.keyword];
      if (itemSpec === undefined) continue;
      const compiled = specCondition(dialect, query, itemSpec, item);
      if (!compiled.ok) return compiled;
      items.push(compiled.value);
    }
    return ok(items.length === 0 ? sql<SqlBool>`1 = 1` : and(items));
  }
  if (spec.kind === 'person-name') {
    if (matcher.kind !== 'person-name') return mismatch(match);
    return ok(or(matcher.anyOf.map((term) => personNameCondition(dialect, spec.raw, spec.normalized, term, query.fuzzyMatching))));
  }
  if (spec.kind === 'flag') return err(kakuteiError('QUERY_INVALID', `${match.keyword}: not a matching key`));
  return valueCondition(dialect, spec.column, matcher, match);
}

function valueCondition(dialect: SqlDialectName, column: string, matcher: Matcher, match: KeyMatch): Result<Condition> {
  const ref = sql.ref(column);
  switch (matcher.kind) {
    case 'text':
      return ok(or(matcher.anyOf.map((term) => textCondition(dialect, column, term))));
    case 'integer':
      return ok(matcher.anyOf.length === 1 ? sql<SqlBool>`${ref} = ${matcher.anyOf[0]}` : sql<SqlBool>`${ref} in (${sql.join(matcher.anyOf)})`);
    case 'uids':
      return ok(listCondition(dialect, column, matcher.values));
    case 'range': {
      const bounds: Condition[] = [];
      if (matcher.from !== null) bounds.push(sql<SqlBool>`${ref} >= ${matcher.from}`);
      if (matcher.to !== null) bounds.push(sql<SqlBool>`${ref} <= ${matcher.to}`);
      return ok(and(bounds));
    }
    case 'person-name':
    case 'sequence':
      return mismatch(match);
  }
}

function mismatch(match: KeyMatch): Result<never> {
  return err(kakuteiError('QUERY_INVALID', `${match.keyword}: matcher does not fit the attribute (${queryAttribute(match.keyword).vr})`));
}

/** List of UID matching (PS3.4 C.2.2.2.2). */
function listCondition(dialect: SqlDialectName, column: string, values: readonly string[]): Condition {
  const ref = sql.ref(column);
  if (values.length === 1) return sql<SqlBool>`${ref} = ${values[0]}`;
  if (values.length <= INLINE_LIST_MAX) return sql<SqlBool>`${ref} in (${sql.join(values)})`;
  return dialect === 'postgres'
    ? sql<SqlBool>`${ref} = any(cast(${[...values]} as text[]))`
    : sql<SqlBool>`${ref} in (select value from json_each(${JSON.stringify(values)}))`;
}

function textCondition(dialect: SqlDialectName, column: string, term: TextTerm): Condition {
  const ref = sql.ref(column);
  if (term.kind === 'exact') return sql<SqlBool>`${ref} = ${term.value}`;
  return patternCondition(dialect, column, term.segments);
}

function patternCondition(dialect: SqlDialectName, column: string, segments: readonly WildcardSegment[]): Condition {
  const ref = sql.ref(column);
  if (dialect === 'sqlite') return sql<SqlBool>`${ref} glob ${globPattern(segments)}`;
  return sql<SqlBool>`${ref} like ${likePattern(segments)} escape '\\'`;
}

/** PostgreSQL LIKE with `\` as the escape character: `\`, `%` and `_` of the value match literally. */
export function likePattern(segments: readonly WildcardSegment[]): string {
  return segments.map((s) => (s.kind === 'any' ? '%' : s.kind === 'one' ? '_' : s.text.replace(/[\\%_]/g, (c) => `\\${c}`))).join('');
}

/** SQLite GLOB: `*`, `?` and `[` of the value are bracketed to match literally (GLOB has no escape character). */
export function globPattern(segments: readonly WildcardSegment[]): string {
  return segments.map((s) => (s.kind === 'any' ? '*' : s.kind === 'one' ? '?' : s.text.replace(/[*?[]/g, (c) => `[${c}]`))).join('');
}

/**
 * Person names (PS3.4 C.2.2.2.1, PS3.5 6.2.1): a value without `=` matches any component group;
 * with `=`, each given group its own. Trailing empty components are insignificant, so exact
 * `Yamada^Tarou` also finds `Yamada^Tarou^^`. Fuzzy: normalized columns and value; a value without
 * `^` also matches as a family name (`YAMADA` finds `YAMADA^TAROU`).
 */
function personNameCondition(dialect: SqlDialectName, raw: NameColumns, normalized: NameColumns, term: PersonNameTerm, fuzzy: boolean): Condition {
  const columns = fuzzy ? normalized : raw;
  const groupCondition = (column: string, text: TextTerm): Condition => nameTermCondition(dialect, column, fuzzy ? normalizeTerm(text) : text, fuzzy);
  if (term.kind === 'any-group') return or([columns.alphabetic, columns.ideographic, columns.phonetic].map((column) => groupCondition(column, term.term)));
  const parts: Condition[] = [];
  if (term.alphabetic !== null) parts.push(groupCondition(columns.alphabetic, term.alphabetic));
  if (term.ideographic !== null) parts.push(groupCondition(columns.ideographic, term.ideographic));
  if (term.phonetic !== null) parts.push(groupCondition(columns.phonetic, term.phonetic));
  return parts.length === 0 ? sql<SqlBool>`1 = 1` : and(parts);
}

function nameTermCondition(dialect: SqlDialectName, column: string, term: TextTerm, fuzzy: boolean): Condition {
  if (term.kind === 'wildcard') return patternCondition(dialect, column, term.segments);
  const base = trimTrailingComponents(term.value);
  const ref = sql.ref(column);
  if (fuzzy) {
    if (base.includes('^')) return sql<SqlBool>`${ref} = ${base}`;
    return or([sql<SqlBool>`${ref} = ${base}`, patternCondition(dialect, column, [{ kind: 'literal', text: `${base}^` }, { kind: 'any' }])]);
  }
  // Up to five components (PS3.5 6.2.1.1): the stored value may carry the trailing delimiters.
  const carets = [...base].filter((c) => c === '^').length;
  const variants = [base];
  for (let extra = 1; carets + extra <= 4; extra++) variants.push(base + '^'.repeat(extra));
  return sql<SqlBool>`${ref} in (${sql.join(variants)})`;
}

function normalizeTerm(term: TextTerm): TextTerm {
  if (term.kind === 'exact') return { kind: 'exact', value: normalizeForFuzzyMatching(term.value) };
  return { kind: 'wildcard', segments: term.segments.map((s) => (s.kind === 'literal' ? { kind: 'literal', text: normalizeForFuzzyMatching(s.text) } : s)) };
}

function and(conditions: readonly Condition[]): Condition {
  if (conditions.length === 1 && conditions[0] !== undefined) return conditions[0];
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

function or(conditions: readonly Condition[]): Condition {
  if (conditions.length === 1 && conditions[0] !== undefined) return conditions[0];
  return sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}
