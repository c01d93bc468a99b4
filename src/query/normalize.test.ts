import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KANJI_VARIANTS } from './kanji-variants.js';
import { normalizeForFuzzyMatching, normalizePersonNameGroup } from './normalize.js';

describe('fuzzy normalization of person names', () => {
  it('folds half-width and full-width forms, hiragana and case', () => {
    assert.equal(normalizeForFuzzyMatching('ﾀｶﾊｼ'), 'タカハシ');
    assert.equal(normalizeForFuzzyMatching('たかはし'), 'タカハシ');
    assert.equal(normalizeForFuzzyMatching('ｸﾄﾞｳ'), 'クドウ');
    assert.equal(normalizeForFuzzyMatching('Ｙａｍａｄａ^tarou'), 'YAMADA^TAROU');
  });

  it('maps the kanji variants of the table to one form', () => {
    for (const [variant, canonical] of [['髙橋', '高橋'], ['山﨑', '山崎'], ['濵田', '浜田'], ['渡邊', '渡辺'], ['渡邉', '渡辺'], ['齋藤', '斉藤'], ['齊藤', '斉藤'], ['斎藤', '斉藤'], ['澤田', '沢田'], ['嶋田', '島田'], ['廣瀬', '広瀬'], ['德川', '徳川'], ['國分', '国分'], ['櫻井', '桜井'], ['瀨戸', '瀬戸'], ['槇原', '槙原']] as const) {
      assert.equal(normalizeForFuzzyMatching(variant), normalizeForFuzzyMatching(canonical), variant);
    }
    // Every target is itself stable, so normalizing twice changes nothing.
    for (const target of Object.values(KANJI_VARIANTS)) assert.equal(normalizeForFuzzyMatching(target), target);
  });

  it('drops ideographic variation selectors', () => {
    assert.equal(normalizeForFuzzyMatching('辻\u{E0100}'), '辻');
  });

  it('ignores trailing empty components of a stored group', () => {
    assert.equal(normalizePersonNameGroup('Smith^John^^'), 'SMITH^JOHN');
    assert.equal(normalizePersonNameGroup('^^'), null);
    assert.equal(normalizePersonNameGroup(null), null);
  });
});
