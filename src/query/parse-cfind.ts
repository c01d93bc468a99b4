import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import { findQueryAttribute, isTag, levelRank, QUERY_RETRIEVE_LEVEL_TAG, SPECIFIC_CHARACTER_SET_TAG, uniqueKeysUpTo, type QueryAttribute } from './attributes.js';
import { matcherOf } from './matchers.js';
import { QUERY_LEVELS, type ForeignKey, type KeyMatch, type Query, type QueryLevel, type QueryRoot } from './model.js';

/**
 * A C-FIND identifier as the DIMSE side decodes it: per element, its VR and its value as text
 * (character set applied; several values joined by `\`; a PN as `alphabetic=ideographic=phonetic`),
 * null or '' when zero-length; sequences carry their items instead of a value.
 * Keys are tags `GGGGEEEE` (upper or lower case) or, for convenience in tests, keywords.
 */
export interface IdentifierElement {
  readonly vr: string;
  readonly value: string | null;
  readonly items?: readonly Identifier[];
}
export type Identifier = ReadonlyMap<string, IdentifierElement>;

export interface CFindOptions {
  /** From the SOP Class of the request: Patient Root or Study Root Query/Retrieve Information Model – FIND. */
  readonly root: QueryRoot;
  /** Fuzzy semantic matching of person names, when accepted in extended negotiation (PS3.4 C.5.1.1). */
  readonly fuzzyMatching?: boolean;
}

/**
 * Builds the query model from a C-FIND request identifier (PS3.4 C.4.1.1.3, C.6.1.2 / C.6.2.2):
 * - Query/Retrieve Level is required; PATIENT does not exist in Study Root (→ QUERY_INVALID, A900);
 * - keys of the query level and of the levels above are matched (a relational extension of the
 *   hierarchical search: unique keys above scope the search, other keys above filter too);
 * - a key below the query level with a value is refused; without a value it is ignored;
 * - keys the index does not know are returned to the edge as `foreignKeys` (returned zero-length
 *   or filled by the edge, e.g. Retrieve AE Title) and never filter (C.2.2.1.3 lets the SCP ignore
 *   optional keys it does not support);
 * - every key present is a return key; the unique keys of the level and those above always are.
 */
export function parseCFindIdentifier(identifier: Identifier, options: CFindOptions): Result<Query> {
  const level = levelOf(identifier, options.root);
  if (!level.ok) return level;
  const matches: KeyMatch[] = [];
  const returnKeys = new Set(uniqueKeysUpTo(level.value, options.root));
  const foreignKeys: ForeignKey[] = [];
  const ignoredAttributes: string[] = [];

  for (const [key, element] of identifier) {
    const attribute = findQueryAttribute(key);
    if (attribute === undefined) {
      const tag = key.toUpperCase();
      if (tag === QUERY_RETRIEVE_LEVEL_TAG || tag === SPECIFIC_CHARACTER_SET_TAG || key === 'QueryRetrieveLevel' || key === 'SpecificCharacterSet') continue;
      if (isTag(key) && !tag.endsWith('0000')) foreignKeys.push({ tag, vr: element.vr });
      else ignoredAttributes.push(key);
      continue;
    }
    if (effectiveRank(attribute, options.root) > levelRank(level.value)) {
      if (hasValue(element)) return invalid(`${attribute.keyword}: key below the query level`);
      ignoredAttributes.push(attribute.keyword);
      continue;
    }
    const match = attribute.matching === 'sequence' ? sequenceMatch(attribute, element) : keyMatch(attribute, element.value);
    if (!match.ok) return match;
    if (match.value !== null) matches.push(match.value);
    returnKeys.add(attribute.keyword);
  }

  return ok({
    level: level.value,
    root: options.root,
    matches,
    returnKeys: [...returnKeys],
    foreignKeys,
    ignoredAttributes,
    limit: null,
    offset: 0,
    fuzzyMatching: options.fuzzyMatching ?? false,
  });
}

function levelOf(identifier: Identifier, root: QueryRoot): Result<QueryLevel> {
  const element = identifier.get(QUERY_RETRIEVE_LEVEL_TAG) ?? identifier.get(QUERY_RETRIEVE_LEVEL_TAG.toLowerCase()) ?? identifier.get('QueryRetrieveLevel');
  const text = element?.value?.trim() ?? '';
  const level = QUERY_LEVELS.find((candidate) => candidate === text);
  if (level === undefined) return invalid('Query/Retrieve Level missing or unknown');
  if (level === 'PATIENT' && root === 'study') return invalid('PATIENT level does not exist in Study Root');
  return ok(level);
}

/** In Study Root, patient attributes are study attributes (PS3.4 C.6.2.1). */
function effectiveRank(attribute: QueryAttribute, root: QueryRoot): number {
  return root === 'study' && attribute.level === 'PATIENT' ? levelRank('STUDY') : levelRank(attribute.level);
}

function keyMatch(attribute: QueryAttribute, value: string | null): Result<KeyMatch | null> {
  const matcher = matcherOf(attribute, value);
  if (!matcher.ok) return matcher;
  return ok(matcher.value === null ? null : { keyword: attribute.keyword, matcher: matcher.value });
}

/** Sequence matching (PS3.4 C.2.2.2.6): one item of keys; zero items or an empty item is universal. */
function sequenceMatch(attribute: QueryAttribute, element: IdentifierElement): Result<KeyMatch | null> {
  const items = element.items ?? [];
  if (items.length > 1) return invalid(`${attribute.keyword}: more than one item`);
  const item = items[0];
  if (item === undefined) return ok(null);
  const itemMatches: KeyMatch[] = [];
  for (const [key, itemElement] of item) {
    const itemAttribute = attribute.items?.find((candidate) => candidate.keyword === key || candidate.tag === key.toUpperCase());
    if (itemAttribute === undefined) continue; // an item key the index does not hold: not matched
    if (itemElement.items !== undefined) return invalid(`${attribute.keyword}: nested sequences are not matched`);
    const match = keyMatch(itemAttribute, itemElement.value);
    if (!match.ok) return match;
    if (match.value !== null) itemMatches.push(match.value);
  }
  return ok(itemMatches.length === 0 ? null : { keyword: attribute.keyword, matcher: { kind: 'sequence', items: itemMatches } });
}

function hasValue(element: IdentifierElement): boolean {
  return (element.value !== null && element.value.trim() !== '' && !/^\*+$/.test(element.value.trim())) || (element.items?.length ?? 0) > 0;
}

function invalid(detail: string): Result<never> {
  return err(kakuteiError('QUERY_INVALID', detail));
}
