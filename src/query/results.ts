import type { PersonName } from '../dicom/dataset/instance-attributes.js';

/**
 * One matched entity as attributes, sorted by tag, for both edges: `toDicomJson` for QIDO-RS
 * (PS3.18 F.2) and `toIdentifierElements` for the C-FIND response identifier. An empty `value`
 * is a zero-length attribute (a return key without a value, PS3.4 C.4.1.1.3.2).
 */
export type ResultAttribute =
  | { readonly tag: string; readonly keyword: string; readonly vr: 'PN'; readonly value: readonly PersonName[] }
  | { readonly tag: string; readonly keyword: string; readonly vr: 'IS' | 'US'; readonly value: readonly number[] }
  | { readonly tag: string; readonly keyword: string; readonly vr: 'SQ'; readonly value: readonly (readonly ResultAttribute[])[] }
  | { readonly tag: string; readonly keyword: string; readonly vr: 'AE' | 'CS' | 'DA' | 'LO' | 'SH' | 'TM' | 'UI'; readonly value: readonly string[] };

export type TextVr = Extract<ResultAttribute, { vr: 'CS' }>['vr'];

/** PS3.18 F.2.2 `{"vr": …, "Value": […]}`; PS3.18 F.2.2: no `Value` when the attribute is empty. */
export interface DicomJsonAttribute {
  readonly vr: string;
  readonly Value?: readonly unknown[];
}
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

export function toDicomJson(attributes: readonly ResultAttribute[]): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const attribute of attributes) {
    const value = jsonValue(attribute);
    out[attribute.tag] = value.length === 0 ? { vr: attribute.vr } : { vr: attribute.vr, Value: value };
  }
  return out;
}

function jsonValue(attribute: ResultAttribute): readonly unknown[] {
  switch (attribute.vr) {
    case 'PN':
      // PS3.18 F.2.2: one object per name; empty component groups are left out.
      return attribute.value.map((name) => {
        const groups: Record<string, string> = {};
        if (name.alphabetic !== '') groups['Alphabetic'] = name.alphabetic;
        if (name.ideographic !== '') groups['Ideographic'] = name.ideographic;
        if (name.phonetic !== '') groups['Phonetic'] = name.phonetic;
        return groups;
      });
    case 'SQ':
      return attribute.value.map((item) => toDicomJson(item));
    default:
      return attribute.value;
  }
}

/** One element of a C-FIND response identifier, in the shape the request identifier arrives in (parse-cfind.ts). */
export interface ResponseElement {
  /** `GGGGEEEE`; elements come sorted by tag, as a dataset must be encoded (PS3.5 7.1). */
  readonly tag: string;
  readonly vr: string;
  /** Decoded text, values joined by `\`, a PN as `alphabetic=ideographic=phonetic`; null when zero-length. */
  readonly value: string | null;
  readonly items?: readonly (readonly ResponseElement[])[];
}

export function toIdentifierElements(attributes: readonly ResultAttribute[]): ResponseElement[] {
  return attributes.map((attribute): ResponseElement => {
    if (attribute.vr === 'SQ') return { tag: attribute.tag, vr: 'SQ', value: null, items: attribute.value.map((item) => toIdentifierElements(item)) };
    if (attribute.value.length === 0) return { tag: attribute.tag, vr: attribute.vr, value: null };
    const texts = attribute.vr === 'PN' ? attribute.value.map(personNameText) : attribute.value.map((v) => String(v));
    return { tag: attribute.tag, vr: attribute.vr, value: texts.join('\\') };
  });
}

/** `Alphabetic=Ideographic=Phonetic`, without trailing empty groups (PS3.5 6.2.1.2). */
export function personNameText(name: PersonName): string {
  return [name.alphabetic, name.ideographic, name.phonetic].join('=').replace(/=+$/, '');
}

/**
 * Specific Character Set (0008,0005) for a C-FIND response identifier: null (the default
 * repertoire, ISO-IR 6) when every value is ASCII, else `ISO_IR 192` (UTF-8), which carries every
 * name the index holds whatever repertoire it arrived in (PS3.5 6.1.2.5.3; PS3.4 C.4.1.1.3.2 lets
 * the SCP answer in a character set other than the request's). The DIMSE encoder must then encode
 * the text values in UTF-8 and add (0008,0005). QIDO-RS JSON is UTF-8 always (PS3.18 F.2).
 */
export function responseCharacterSet(attributes: readonly ResultAttribute[]): 'ISO_IR 192' | null {
  return attributes.some(hasNonAscii) ? 'ISO_IR 192' : null;
}

function hasNonAscii(attribute: ResultAttribute): boolean {
  switch (attribute.vr) {
    case 'SQ':
      return attribute.value.some((item) => item.some(hasNonAscii));
    case 'PN':
      return attribute.value.some((name) => !isAscii(name.alphabetic) || !isAscii(name.ideographic) || !isAscii(name.phonetic));
    case 'IS':
    case 'US':
      return false;
    default:
      return attribute.value.some((text) => !isAscii(text));
  }
}

function isAscii(text: string): boolean {
  // Every code unit below U+0080 (the default repertoire is ISO-IR 6, a subset of ASCII).
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}
