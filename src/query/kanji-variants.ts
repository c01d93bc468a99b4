/**
 * Kanji variants (異体字) that Japanese family names are commonly registered with, mapped to one
 * canonical form for fuzzy matching: 髙橋 and 高橋 are the same person to the inspector searching.
 *
 * Source: a selection of the most frequent family-name pairs of the variant ↔ standard mappings in
 * the 文字情報基盤 (Moji Jōhō Kiban, IPA) "MJ縮退マップ" (degeneration map from registry characters
 * to JIS X 0213 characters, published for searching registry data — 戸籍・住民基本台帳) and of
 * 法務省 戸籍統一文字 variant notes. Pairs whose members are both in everyday use as distinct names
 * are still collapsed here because fuzzy matching is a search aid, never an identity decision.
 *
 * Canonical choice: the 常用漢字 (or JIS X 0208 level 1) form. For 斎/斉/齋/齊 the canonical is 斉
 * (the four are confused in 斉藤/斎藤/齋藤/齊藤 and all collapse). Compatibility ideographs that
 * carry a canonical decomposition (e.g. U+FA10 塚) are already folded by NFKC before this table;
 * the twelve "unified" ones in that block without one (e.g. U+FA11 﨑) are listed here.
 *
 * Changing this table changes the stored normalized name columns: add a migration that
 * recomputes them (`recomputeNormalizedNames`, src/index/migrations/normalized-names.ts); a test
 * fails until the migration's fingerprint is updated.
 */
export const KANJI_VARIANTS: Readonly<Record<string, string>> = {
  '髙': '高',
  '﨑': '崎',
  '嵜': '崎',
  '碕': '崎',
  '濵': '浜',
  '濱': '浜',
  '邊': '辺',
  '邉': '辺',
  '齋': '斉',
  '齊': '斉',
  '斎': '斉',
  '澤': '沢',
  '嶋': '島',
  '嶌': '島',
  '廣': '広',
  '德': '徳',
  '國': '国',
  '櫻': '桜',
  '瀨': '瀬',
  '槇': '槙',
  '冨': '富',
  '眞': '真',
  '惠': '恵',
  '榮': '栄',
  '壽': '寿',
  '實': '実',
  '藏': '蔵',
  '增': '増',
  '萬': '万',
  '淺': '浅',
  '關': '関',
  '龍': '竜',
  '曾': '曽',
  '條': '条',
  '莊': '荘',
  '兒': '児',
  '舘': '館',
  '﨔': '欅',
  '鷗': '鴎',
};
