/** The one query model shared by C-FIND and QIDO-RS (issue 4 item 1); compiled to SQL in src/index/query-*.ts. */
export type { AccessScope } from './access-scope.js';
export { QUERY_ATTRIBUTES, findQueryAttribute, queryAttribute, attributesUpTo, uniqueKeysUpTo, levelRank, type QueryAttribute, type MatchingRule } from './attributes.js';
export { KANJI_VARIANTS } from './kanji-variants.js';
export { MAX_VALUES_PER_KEY, matcherOf, textTerm, timeUpperBound } from './matchers.js';
export { QUERY_LEVELS, type ForeignKey, type KeyMatch, type Matcher, type PersonNameTerm, type Query, type QueryLevel, type QueryRoot, type TextTerm, type WildcardSegment } from './model.js';
export { fuzzyMatchingFingerprint, normalizeForFuzzyMatching, normalizePersonNameGroup, trimTrailingComponents } from './normalize.js';
export { parseCFindIdentifier, type CFindOptions, type Identifier, type IdentifierElement } from './parse-cfind.js';
export { MAX_QIDO_PAGING, parseQidoQuery, type QidoParams, type QidoRequest } from './parse-qido.js';
export { personNameText, responseCharacterSet, toDicomJson, toIdentifierElements, type DicomJsonAttribute, type DicomJsonDataset, type ResponseElement, type ResultAttribute } from './results.js';
