import type { InstanceAttributes, PersonName } from '../dicom/dataset/instance-attributes.js';
import { normalizePersonNameGroup } from '../query/index.js';

/**
 * The fuzzy-matching copies of stored person names (`*_norm` columns, migration 0004-query),
 * filled on insert by `record-instance.ts` and back-filled by the migration, so that a fuzzy search
 * compares against an indexed column instead of normalizing every row at query time.
 */
export interface NormalizedNameColumns {
  readonly alphabetic: string | null;
  readonly ideographic: string | null;
  readonly phonetic: string | null;
}

export function normalizedNameColumns(name: { readonly alphabetic: string | null; readonly ideographic: string | null; readonly phonetic: string | null } | PersonName | null): NormalizedNameColumns {
  return {
    alphabetic: normalizePersonNameGroup(emptyToNull(name?.alphabetic)),
    ideographic: normalizePersonNameGroup(emptyToNull(name?.ideographic)),
    phonetic: normalizePersonNameGroup(emptyToNull(name?.phonetic)),
  };
}

export function patientNormalizedColumns(attributes: InstanceAttributes) {
  const name = normalizedNameColumns(attributes.patientName);
  return { name_alphabetic_norm: name.alphabetic, name_ideographic_norm: name.ideographic, name_phonetic_norm: name.phonetic };
}

export function studyNormalizedColumns(attributes: InstanceAttributes) {
  const name = normalizedNameColumns(attributes.referringPhysicianName);
  return {
    referring_physician_name_alphabetic_norm: name.alphabetic,
    referring_physician_name_ideographic_norm: name.ideographic,
    referring_physician_name_phonetic_norm: name.phonetic,
  };
}

export function seriesNormalizedColumns(attributes: InstanceAttributes) {
  const performing = normalizedNameColumns(attributes.performingPhysicianName);
  const operators = normalizedNameColumns(attributes.operatorsName);
  return {
    performing_physician_name_alphabetic_norm: performing.alphabetic,
    performing_physician_name_ideographic_norm: performing.ideographic,
    performing_physician_name_phonetic_norm: performing.phonetic,
    operators_name_alphabetic_norm: operators.alphabetic,
    operators_name_ideographic_norm: operators.ideographic,
    operators_name_phonetic_norm: operators.phonetic,
  };
}

function emptyToNull(text: string | null | undefined): string | null {
  return text === undefined || text === null || text === '' ? null : text;
}
