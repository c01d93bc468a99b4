/**
 * The one query model (issue 4 item 1), shared by C-FIND (PS3.4 C.4.1, C.6) and QIDO-RS
 * (PS3.18 10.6). Parsers in this folder build it from a C-FIND identifier or from QIDO-RS query
 * parameters; `src/index/query-compile.ts` compiles it to SQL. Nothing here knows SQL, HTTP or DIMSE.
 */

/** Query/Retrieve Level (0008,0052), PS3.4 C.6.1.1 / C.6.2.1. */
export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
export const QUERY_LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/** Patient Root (PS3.4 C.6.1) or Study Root (C.6.2) information model; QIDO-RS is study-rooted. */
export type QueryRoot = 'patient' | 'study';

/** One piece of a wildcard pattern (PS3.4 C.2.2.2.4): literal text, `*` (any run) or `?` (one character). */
export type WildcardSegment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'any' } | { readonly kind: 'one' };

/** A text value to match: exact (single value matching, C.2.2.2.1) or a wildcard pattern (C.2.2.2.4). */
export type TextTerm = { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'wildcard'; readonly segments: readonly WildcardSegment[] };

/**
 * A person-name term: a value without `=` is matched against any of the three component groups
 * (alphabetic, ideographic, phonetic — PS3.5 6.2.1.2); a value with `=` matches each given group
 * against its own group (all given groups must match).
 */
export type PersonNameTerm =
  | { readonly kind: 'any-group'; readonly term: TextTerm }
  | {
      readonly kind: 'by-group';
      readonly alphabetic: TextTerm | null;
      readonly ideographic: TextTerm | null;
      readonly phonetic: TextTerm | null;
    };

/**
 * How one key is matched (PS3.4 C.2.2.2). Several values (`\`, multiple value matching C.2.2.2.8)
 * match when any of them matches. Universal matching (C.2.2.2.3: empty value, or `*` alone) is not
 * a matcher: such a key is only a return key.
 */
export type Matcher =
  | { readonly kind: 'text'; readonly anyOf: readonly TextTerm[] }
  | { readonly kind: 'person-name'; readonly anyOf: readonly PersonNameTerm[] }
  /** List of UID matching (C.2.2.2.2). */
  | { readonly kind: 'uids'; readonly values: readonly string[] }
  | { readonly kind: 'integer'; readonly anyOf: readonly number[] }
  /**
   * Range matching (C.2.2.2.5) on DA/TM text; single date/time values are a range with equal
   * bounds. A bound is null when open. A reversed range is refused at parse time (QUERY_INVALID).
   */
  | { readonly kind: 'range'; readonly from: string | null; readonly to: string | null }
  /** Sequence matching (C.2.2.2.6), one level deep: every item key must match. */
  | { readonly kind: 'sequence'; readonly items: readonly KeyMatch[] };

export interface KeyMatch {
  /** The attribute keyword, from `QUERY_ATTRIBUTES` (attributes.ts). */
  readonly keyword: string;
  readonly matcher: Matcher;
}

/** A key the index does not know, asked for in a C-FIND identifier: the edge returns it (empty, or its own value). */
export interface ForeignKey {
  /** `GGGGEEEE`, upper-case hex. */
  readonly tag: string;
  readonly vr: string;
}

export interface Query {
  readonly level: QueryLevel;
  readonly root: QueryRoot;
  /** The filters; every one must hold. Universal keys are not listed here. */
  readonly matches: readonly KeyMatch[];
  /** Keywords to return, in no particular order (results are sorted by tag). Includes the match keys. */
  readonly returnKeys: readonly string[];
  /** C-FIND keys the index does not know (e.g. Retrieve AE Title): the edge answers them. */
  readonly foreignKeys: readonly ForeignKey[];
  /** Attribute IDs given but not supported, ignored (QIDO: `Warning: 299`, PS3.18 8.3.4.x). */
  readonly ignoredAttributes: readonly string[];
  /** null: no client limit (C-FIND); the runner still stops at its `maxMatches`. */
  readonly limit: number | null;
  readonly offset: number;
  /** PS3.4 C.2.2.2.1.1 fuzzy semantic matching of person names. */
  readonly fuzzyMatching: boolean;
}
