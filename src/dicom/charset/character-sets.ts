/**
 * Specific Character Set (0008,0005) → how to decode text. PS3.3 C.12.1.1.2 lists the defined terms;
 * PS3.5 §6.1.2.5 and Annex H describe the ISO 2022 code extension technique used for Japanese.
 */
import { TextDecoders } from './decoders.js';

/** A single-byte or multi-byte repertoire that is decoded as a whole, without escape sequences. */
export type WholeValueCodec =
  | { readonly kind: 'ascii' }
  | { readonly kind: 'latin1' }
  /** A WHATWG encoding label understood by `TextDecoder` (Node 20 ships full ICU). */
  | { readonly kind: 'whatwg'; readonly label: string };

/** What may be designated into G1 (invoked into GR, bytes 0xA0–0xFF) by ISO 2022 code extensions. */
export type G1Set =
  | { readonly kind: 'katakana' }
  | { readonly kind: 'upper-half'; readonly label: string }
  | { readonly kind: 'double-byte'; readonly label: string };

/** What may be designated into G0 (bytes 0x21–0x7E). */
export type G0Set = 'ascii' | 'jis-roman' | 'jis-x0208' | 'jis-x0212';

export interface TextCharset {
  /** The defined terms as declared (trimmed), for reports. */
  readonly declared: readonly string[];
  /** `whole`: decode each value in one pass. `iso2022`: escape-sequence state machine. */
  readonly mode: 'whole' | 'iso2022';
  readonly codec: WholeValueCodec;
  readonly initialG0: G0Set;
  readonly initialG1: G1Set | null;
  /** Escape sequences (bytes after ESC, as a string) that the declaration allows. */
  readonly allowedEscapes: ReadonlySet<string>;
  /**
   * Used when nothing beyond the default repertoire is declared but bytes above 0x7F occur (devices
   * that send Shift_JIS undeclared). A WHATWG label, e.g. `shift_jis`.
   */
  readonly fallback: string | null;
  /** Declared terms that are not DICOM defined terms, or are spelled oddly; reported as faults. */
  readonly unknownTerms: readonly string[];
  readonly nonStandardTerms: readonly string[];
}

interface Iso2022Term {
  readonly escape: string;
  readonly g0?: G0Set;
  readonly g1?: G1Set;
}

/** PS3.3 Table C.12-2 (single-byte without code extensions) and C.12-5 (multi-byte without). */
const WHOLE_VALUE_TERMS: ReadonlyMap<string, WholeValueCodec> = new Map<string, WholeValueCodec>([
  ['ISO_IR 6', { kind: 'ascii' }],
  ['ISO_IR 100', { kind: 'latin1' }],
  ['ISO_IR 101', { kind: 'whatwg', label: 'iso-8859-2' }],
  ['ISO_IR 109', { kind: 'whatwg', label: 'iso-8859-3' }],
  ['ISO_IR 110', { kind: 'whatwg', label: 'iso-8859-4' }],
  ['ISO_IR 144', { kind: 'whatwg', label: 'iso-8859-5' }],
  ['ISO_IR 127', { kind: 'whatwg', label: 'iso-8859-6' }],
  ['ISO_IR 126', { kind: 'whatwg', label: 'iso-8859-7' }],
  ['ISO_IR 138', { kind: 'whatwg', label: 'iso-8859-8' }],
  ['ISO_IR 148', { kind: 'whatwg', label: 'iso-8859-9' }],
  ['ISO_IR 203', { kind: 'whatwg', label: 'iso-8859-15' }],
  ['ISO_IR 166', { kind: 'whatwg', label: 'tis-620' }],
  // JIS X 0201: Shift_JIS decodes its romaji half as ASCII and 0xA1–0xDF as half-width katakana,
  // which is JIS X 0201; it also recovers the common undeclared Shift_JIS kanji (flagged).
  ['ISO_IR 13', { kind: 'whatwg', label: 'shift_jis' }],
  ['ISO_IR 192', { kind: 'whatwg', label: 'utf-8' }],
  ['GB18030', { kind: 'whatwg', label: 'gb18030' }],
  ['GBK', { kind: 'whatwg', label: 'gbk' }],
]);

/** PS3.3 Table C.12-3 (single-byte with code extensions) and C.12-4 (multi-byte with). */
const ISO2022_TERMS: ReadonlyMap<string, Iso2022Term> = new Map<string, Iso2022Term>([
  ['ISO 2022 IR 6', { escape: '(B', g0: 'ascii' }],
  ['ISO 2022 IR 13', { escape: ')I', g1: { kind: 'katakana' } }],
  ['ISO 2022 IR 87', { escape: '$B', g0: 'jis-x0208' }],
  ['ISO 2022 IR 159', { escape: '$(D', g0: 'jis-x0212' }],
  ['ISO 2022 IR 149', { escape: '$)C', g1: { kind: 'double-byte', label: 'euc-kr' } }],
  ['ISO 2022 IR 58', { escape: '$)A', g1: { kind: 'double-byte', label: 'gb18030' } }],
  ['ISO 2022 IR 100', { escape: '-A', g1: { kind: 'upper-half', label: 'latin1' } }],
  ['ISO 2022 IR 101', { escape: '-B', g1: { kind: 'upper-half', label: 'iso-8859-2' } }],
  ['ISO 2022 IR 109', { escape: '-C', g1: { kind: 'upper-half', label: 'iso-8859-3' } }],
  ['ISO 2022 IR 110', { escape: '-D', g1: { kind: 'upper-half', label: 'iso-8859-4' } }],
  ['ISO 2022 IR 144', { escape: '-L', g1: { kind: 'upper-half', label: 'iso-8859-5' } }],
  ['ISO 2022 IR 127', { escape: '-G', g1: { kind: 'upper-half', label: 'iso-8859-6' } }],
  ['ISO 2022 IR 126', { escape: '-F', g1: { kind: 'upper-half', label: 'iso-8859-7' } }],
  ['ISO 2022 IR 138', { escape: '-H', g1: { kind: 'upper-half', label: 'iso-8859-8' } }],
  ['ISO 2022 IR 148', { escape: '-M', g1: { kind: 'upper-half', label: 'iso-8859-9' } }],
  ['ISO 2022 IR 203', { escape: '-b', g1: { kind: 'upper-half', label: 'iso-8859-15' } }],
  ['ISO 2022 IR 166', { escape: '-T', g1: { kind: 'upper-half', label: 'tis-620' } }],
]);

/**
 * Every escape sequence this decoder understands, and what it designates. ISO 2022 IR 13 designates
 * two sets (PS3.3 Table C.12-3): katakana into G1 (ESC ) I) and romaji into G0 (ESC ( J).
 */
export const KNOWN_ESCAPES: ReadonlyMap<string, { readonly g0?: G0Set; readonly g1?: G1Set }> = new Map<
  string,
  { readonly g0?: G0Set; readonly g1?: G1Set }
>([...[...ISO2022_TERMS.values()].map((t) => [t.escape, t] as const), ['(J', { g0: 'jis-roman' }]]);

function canonicalKey(term: string): string {
  return term.toUpperCase().replace(/[\s_-]/g, '');
}

const CANONICAL_TERMS: ReadonlyMap<string, string> = new Map(
  [...WHOLE_VALUE_TERMS.keys(), ...ISO2022_TERMS.keys()].map((t) => [canonicalKey(t), t]),
);

/** Resolves a declared term to its defined spelling: `'ISO_IR_100'` → `'ISO_IR 100'`. */
function resolveTerm(raw: string): { term: string | null; nonStandard: boolean } {
  if (WHOLE_VALUE_TERMS.has(raw) || ISO2022_TERMS.has(raw)) return { term: raw, nonStandard: false };
  const resolved = CANONICAL_TERMS.get(canonicalKey(raw)) ?? null;
  return { term: resolved, nonStandard: resolved !== null };
}

/**
 * Interprets the value of Specific Character Set. `declaration` is the raw attribute text (values
 * separated by `\`), or null when the attribute is absent. Never throws: unknown terms are reported
 * in `unknownTerms` and decoding falls back to the default repertoire.
 */
export function resolveCharset(declaration: string | null, fallback: string | null = null): TextCharset {
  const declared = (declaration ?? '').split('\\').map((v) => v.trim());
  const unknownTerms: string[] = [];
  const nonStandardTerms: string[] = [];
  const terms: (string | null)[] = declared.map((raw, index) => {
    // An empty first value means the default repertoire (PS3.3 C.12.1.1.2).
    if (raw === '') return index === 0 ? 'ISO 2022 IR 6' : null;
    const { term, nonStandard } = resolveTerm(raw);
    if (term === null) unknownTerms.push(raw);
    if (nonStandard) nonStandardTerms.push(raw);
    return term;
  });
  // Only the default repertoire declared (or nothing): decode whole, so that the fallback can apply.
  const onlyDefault = terms.every((t) => t === null || t === 'ISO 2022 IR 6' || t === 'ISO_IR 6');
  const usesExtensions = !onlyDefault && terms.some((t) => t !== null && ISO2022_TERMS.has(t));
  const usableFallback = fallback !== null && TextDecoders.supports(fallback) ? fallback : null;
  const base = { declared: declaration === null ? [] : declared, unknownTerms, nonStandardTerms, fallback: usableFallback };
  if (!usesExtensions) {
    const first = terms[0] ?? null;
    const codec: WholeValueCodec = (first !== null ? WHOLE_VALUE_TERMS.get(first) : undefined) ?? { kind: 'ascii' };
    return { ...base, mode: 'whole', codec, initialG0: 'ascii', initialG1: null, allowedEscapes: new Set() };
  }
  const allowedEscapes = new Set<string>();
  for (const term of terms) {
    const ext = term === null ? undefined : ISO2022_TERMS.get(term.replace(/^ISO_IR /, 'ISO 2022 IR '));
    if (ext === undefined) continue;
    allowedEscapes.add(ext.escape);
    if (term === 'ISO 2022 IR 13') allowedEscapes.add('(J');
  }
  // Value 1 fixes the initial state (PS3.5 §6.1.2.5.1): IR 13 starts with romaji in G0 and
  // katakana in G1; the single-byte parts of ISO 8859 start with ASCII and their upper half in G1.
  const firstTerm = terms[0]?.replace(/^ISO_IR /, 'ISO 2022 IR ') ?? 'ISO 2022 IR 6';
  const first = ISO2022_TERMS.get(firstTerm);
  const initialG0: G0Set = firstTerm === 'ISO 2022 IR 13' ? 'jis-roman' : 'ascii';
  const initialG1: G1Set | null = first?.g1 !== undefined && first.g1.kind !== 'double-byte' ? first.g1 : null;
  return { ...base, mode: 'iso2022', codec: { kind: 'ascii' }, initialG0, initialG1, allowedEscapes };
}
