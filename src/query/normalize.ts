import { createHash } from 'node:crypto';
import { KANJI_VARIANTS } from './kanji-variants.js';

/**
 * Fuzzy semantic matching of person names (PS3.4 C.2.2.2.1.1 leaves the rules to the SCP). Kakutei
 * folds, on both the stored value and the query:
 * - compatibility forms (NFKC): full-width Latin and digits to ASCII, half-width katakana to
 *   full-width (ﾀｶﾊｼ → タカハシ), compatibility ideographs to their unified form;
 * - hiragana to katakana (たかはし → タカハシ);
 * - common kanji variants through `KANJI_VARIANTS` (髙 → 高, 﨑 → 崎, …);
 * - ideographic variation selectors (IVS, which only choose a glyph) are dropped;
 * - case (romaji `yamada` = `YAMADA`).
 * The stored copies live in the `*_norm` columns (src/index/migrations/0004-query.ts) so that a
 * fuzzy search uses an index instead of normalizing every row.
 */
export function normalizeForFuzzyMatching(text: string): string {
  const folded = text.normalize('NFKC').replace(VARIATION_SELECTORS, '');
  let out = '';
  for (const char of folded) {
    const code = char.codePointAt(0) ?? 0;
    // Hiragana ぁ (U+3041) … ゖ (U+3096) and ゝゞ (U+309D–E) sit 0x60 below their katakana.
    if ((code >= 0x3041 && code <= 0x3096) || code === 0x309d || code === 0x309e) out += String.fromCodePoint(code + 0x60);
    else out += KANJI_VARIANTS[char] ?? char;
  }
  return out.toUpperCase();
}

const VARIATION_SELECTORS = /[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF]/g;

/**
 * One component group of a stored name, normalized for fuzzy matching: trailing empty components
 * and padding are insignificant (PS3.5 6.2.1: "Yamada^Tarou^^" is "Yamada^Tarou"). Null when empty.
 */
export function normalizePersonNameGroup(group: string | null): string | null {
  if (group === null) return null;
  const normalized = trimTrailingComponents(normalizeForFuzzyMatching(group));
  return normalized === '' ? null : normalized;
}

export function trimTrailingComponents(group: string): string {
  return group.replace(/[\s^]+$/u, '');
}

/**
 * Text that exercises every rule above (and the platform's NFKC, which a Node.js upgrade may
 * change): width, kana, variants, IVS, case, compatibility ideographs, padding and components.
 */
const FINGERPRINT_PROBES = [
  'ﾔﾏﾀﾞ^ﾀﾛｳ', 'やまだ^たろう', 'ゝゞゔ', 'ＹＡＭＡＤＡ', 'yamada^tarou^^', '髙橋', '﨑', '\uFA10', '葛\u{E0100}飾', '辻\uFE00',
  'Ⅳ', '㈱', 'ﾞﾟ', 'ｶﾞ', 'Straße', 'ǅ', 'ﬁ', '①', '\u3000山田\u3000',
];

/**
 * A fingerprint of what `normalizeForFuzzyMatching` does: the kanji variant table and its output
 * on a probe set. The stored `*_norm` columns were computed with one such fingerprint; when it
 * changes, they must be recomputed (a migration, see src/index/migrations/normalized-names.ts).
 */
export function fuzzyMatchingFingerprint(): string {
  const table = Object.entries(KANJI_VARIANTS).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const probes = FINGERPRINT_PROBES.map((probe) => [probe, normalizeForFuzzyMatching(probe), normalizePersonNameGroup(probe)]);
  return createHash('sha256').update(JSON.stringify({ table, probes })).digest('hex');
}
