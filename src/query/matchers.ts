import { err, kakuteiError, ok, type Result } from '../errors/index.js';
import type { QueryAttribute } from './attributes.js';
import type { Matcher, PersonNameTerm, TextTerm, WildcardSegment } from './model.js';

/**
 * Turns one key's value (decoded text, values separated by `\`) into a matcher, by the attribute's
 * matching rule (PS3.4 C.2.2.2). `null` is universal matching (C.2.2.2.3): an empty value, or a
 * value of only `*`, which matches everything including empty values (C.2.2.2.4).
 */

/** More values than this in one key is refused: a List of UID of 50 000 is already a bulk export. */
export const MAX_VALUES_PER_KEY = 50_000;
/** Longest accepted value of one key, in characters (the longest VR, LT/UT aside, is 64 characters × VM). */
export const MAX_VALUE_CHARS = 4_000_000;

export function matcherOf(attribute: QueryAttribute, text: string | null, separator: RegExp = /\\/): Result<Matcher | null> {
  if (text === null) return ok(null);
  if (text.length > MAX_VALUE_CHARS) return invalid(attribute, 'value too long');
  const values = text
    .split(separator)
    .map((value) => trimPadding(value))
    .filter((value) => value !== '');
  if (values.length === 0 || values.some((value) => /^\*+$/.test(value))) return ok(null);
  if (values.length > MAX_VALUES_PER_KEY) return invalid(attribute, `more than ${MAX_VALUES_PER_KEY} values`);

  switch (attribute.matching) {
    case 'text':
      return ok({ kind: 'text', anyOf: values.map(textTerm) });
    case 'person-name':
      return ok({ kind: 'person-name', anyOf: values.map(personNameTerm) });
    case 'uid':
      if (values.some((value) => !/^[0-9.]{1,64}$/.test(value))) return invalid(attribute, 'not a UID list');
      return ok({ kind: 'uids', values: [...new Set(values)] });
    case 'integer': {
      const numbers = values.map((value) => (/^[+-]?\d{1,10}$/.test(value) ? Number(value) : Number.NaN));
      if (numbers.some((n) => !Number.isSafeInteger(n))) return invalid(attribute, 'not an integer');
      return ok({ kind: 'integer', anyOf: numbers });
    }
    case 'date':
    case 'time': {
      if (values.length > 1) return invalid(attribute, 'multiple values for a range key');
      return rangeOf(attribute, values[0] ?? '');
    }
    case 'sequence':
      return invalid(attribute, 'a sequence key takes items, not a value');
    case 'return-only':
      // A computed attribute given with a value: not matched (C.2.2.1.3 lets the SCP ignore it).
      return ok(null);
  }
}

function invalid(attribute: QueryAttribute, why: string): Result<never> {
  // The keyword and the reason only: the value may be patient data.
  return err(kakuteiError('QUERY_INVALID', `${attribute.keyword}: ${why}`));
}

/** Trailing spaces (and NUL padding of UIDs) are insignificant (PS3.5 6.2); leading ones are kept. */
function trimPadding(value: string): string {
  return value.replace(/[ \0]+$/, '');
}

export function textTerm(value: string): TextTerm {
  if (!/[*?]/.test(value)) return { kind: 'exact', value };
  const segments: WildcardSegment[] = [];
  let literal = '';
  for (const char of value) {
    if (char === '*' || char === '?') {
      if (literal !== '') segments.push({ kind: 'literal', text: literal });
      literal = '';
      // Consecutive `*` are one.
      if (char === '?' || segments.at(-1)?.kind !== 'any') segments.push(char === '*' ? { kind: 'any' } : { kind: 'one' });
    } else {
      literal += char;
    }
  }
  if (literal !== '') segments.push({ kind: 'literal', text: literal });
  return { kind: 'wildcard', segments };
}

function personNameTerm(value: string): PersonNameTerm {
  if (!value.includes('=')) return { kind: 'any-group', term: textTerm(value) };
  const [alphabetic = '', ideographic = '', phonetic = ''] = value.split('=');
  const group = (text: string): TextTerm | null => (text === '' || /^\*+$/.test(text) ? null : textTerm(text));
  return { kind: 'by-group', alphabetic: group(alphabetic), ideographic: group(ideographic), phonetic: group(phonetic) };
}

const DATE = /^\d{8}$/;
/** HH, HHMM, HHMMSS or HHMMSS.F{1,6} (PS3.5 Table 6.2-1, TM). */
const TIME = /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/;

/**
 * Range matching (C.2.2.2.5): `a-b`, `-b`, `a-`; a single value is the range [a, a]. Times are
 * compared as text: the lower bound as given, the upper bound extended to cover the whole unit it
 * names (`-1200` includes 12:00:59.999999). A reversed range (`b-a` with b > a) is refused with
 * QUERY_INVALID rather than silently matching nothing: it is a client mistake worth reporting.
 */
function rangeOf(attribute: QueryAttribute, value: string): Result<Matcher> {
  const format = attribute.matching === 'date' ? DATE : TIME;
  const parts = value.split('-');
  if (parts.length > 2) return invalid(attribute, 'malformed range');
  const [fromText = '', toText = ''] = parts;
  const from = fromText === '' ? null : fromText;
  const to = parts.length === 1 ? from : toText === '' ? null : toText;
  if (from === null && to === null) return invalid(attribute, 'empty range');
  if ((from !== null && !format.test(from)) || (to !== null && !format.test(to))) return invalid(attribute, `not a ${attribute.vr} value or range`);
  const upper = to === null ? null : attribute.matching === 'time' ? timeUpperBound(to) : to;
  if (from !== null && upper !== null && from > upper) return invalid(attribute, 'reversed range');
  return ok({ kind: 'range', from, to: upper });
}

/** `HH` → `HH9999.999999`, `HHMM` → `HHMM99.999999` … as text: the largest time that starts with the given one. */
export function timeUpperBound(time: string): string {
  const [whole = '', fraction] = time.split('.');
  const paddedWhole = whole.padEnd(6, '9');
  return `${paddedWhole}.${(fraction ?? '').padEnd(6, '9')}`;
}
